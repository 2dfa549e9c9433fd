/**
 * Interpreter choice (unit): override > shebang > file extension > the host's default shell,
 * and CRLF → LF only for POSIX shells, switchable.
 */
import * as assert from 'assert';
import { planLaunch } from '../../src/core';

describe('interpreter choice (unit)', () => {
  const plan = (text: string, fileName?: string, options: { shell?: string; convertCrlf?: boolean } = {}) =>
    planLaunch({ text, fileName }, options);

  it('no shebang, no extension: sourced into the session shell as sh', () => {
    const p = plan('echo hi');
    assert.strictEqual(p.interpreter, undefined);
    assert.strictEqual(p.sourceAs, 'sh');
    assert.strictEqual(p.text, 'echo hi');
  });

  it('shebang wins over the extension', () => {
    assert.deepStrictEqual(plan('#!/usr/bin/python3\nprint(1)\n', 'x.sh').interpreter, ['/usr/bin/python3']);
    assert.deepStrictEqual(plan('#!/usr/bin/env python3\nprint(1)\n', 'x.rb').interpreter, ['/usr/bin/env', 'python3']);
  });

  it('shebang arguments are passed as one argument, like Linux does', () => {
    assert.deepStrictEqual(plan('#!/usr/bin/perl -w -T\n').interpreter, ['/usr/bin/perl', '-w -T']);
    assert.deepStrictEqual(plan('#! /usr/bin/python3 -u\n').interpreter, ['/usr/bin/python3', '-u']);
  });

  it('a bare sh/bash shebang is sourced (so state persists) as that shell', () => {
    const sh = plan('#!/bin/sh\necho hi\n');
    assert.strictEqual(sh.interpreter, undefined);
    assert.strictEqual(sh.sourceAs, 'sh');
    const bash = plan('#!/bin/bash\necho hi\n', 'x.py');
    assert.strictEqual(bash.interpreter, undefined);
    assert.strictEqual(bash.sourceAs, 'bash');
    assert.strictEqual(plan('#!/usr/bin/env bash\n').sourceAs, 'bash');
  });

  it('a shell shebang with options runs as its own process', () => {
    assert.deepStrictEqual(plan('#!/bin/sh -e\nfalse\n').interpreter, ['/bin/sh', '-e']);
  });

  it('extension picks the interpreter when there is no shebang', () => {
    const cases: [string, string[] | undefined, string | undefined][] = [
      ['a.sh', undefined, 'sh'],
      ['a.bash', undefined, 'bash'],
      ['a.py', ['python3'], undefined],
      ['a.PY', ['python3'], undefined],
      ['a.rb', ['ruby'], undefined],
      ['a.pl', ['perl'], undefined],
      ['a.js', ['node'], undefined],
      ['a.zsh', ['zsh'], undefined],
      ['a.ps1', ['pwsh', '-NoLogo', '-NoProfile', '-NonInteractive', '-File'], undefined],
      ['a.unknownext', undefined, 'sh'],
      ['Makefile', undefined, 'sh'],
    ];
    for (const [file, interpreter, sourceAs] of cases) {
      const p = plan('body', file);
      assert.deepStrictEqual([p.interpreter, p.sourceAs], [interpreter, sourceAs], file);
    }
  });

  it('an override wins over shebang and extension', () => {
    assert.deepStrictEqual(plan('#!/bin/sh\n', 'a.sh', { shell: 'python3' }).interpreter, ['python3']);
    assert.deepStrictEqual(plan('x', 'a.py', { shell: 'perl -w' }).interpreter, ['perl', '-w']);
    assert.strictEqual(plan('#!/usr/bin/python3\n', 'a.py', { shell: 'bash' }).sourceAs, 'bash');
    assert.strictEqual(plan('#!/usr/bin/python3\n', 'a.py', { shell: 'bash' }).interpreter, undefined);
    assert.deepStrictEqual(plan('x', undefined, { shell: 'pwsh' }).interpreter, ['pwsh', '-NoLogo', '-NoProfile', '-NonInteractive', '-File']);
  });

  it('remote file names are safe and keep .ps1 for pwsh', () => {
    assert.match(plan('x', '/some/dir/my script;rm -rf.sh').fileName, /^run-[A-Za-z0-9._-]+$/);
    assert.strictEqual(plan('x', 'a.txt', { shell: 'pwsh' }).fileName, 'run-a.txt.ps1');
    assert.strictEqual(plan('x').fileName, 'run-script');
  });

  describe('CRLF conversion', () => {
    const crlf = 'echo one\r\necho two\r\n';
    it('POSIX shells (default, sh, bash, shebang sh) get LF', () => {
      assert.strictEqual(plan(crlf).text, 'echo one\necho two\n');
      assert.strictEqual(plan(crlf, 'a.sh').text, 'echo one\necho two\n');
      assert.strictEqual(plan(crlf, 'a.bash').text, 'echo one\necho two\n');
      assert.strictEqual(plan('#!/bin/sh -e\r\n' + crlf).text, '#!/bin/sh -e\n' + 'echo one\necho two\n');
      assert.strictEqual(plan(crlf, 'a.zsh').text, 'echo one\necho two\n');
    });
    it('non-POSIX interpreters keep CRLF', () => {
      assert.strictEqual(plan(crlf, 'a.py').text, crlf);
      assert.strictEqual(plan(crlf, 'a.ps1').text, crlf);
      assert.strictEqual(plan(crlf, undefined, { shell: 'python3' }).text, crlf);
    });
    it('the setting turns conversion off', () => {
      assert.strictEqual(plan(crlf, 'a.sh', { convertCrlf: false }).text, crlf);
      assert.strictEqual(plan(crlf, undefined, { convertCrlf: false }).text, crlf);
    });
    it('a shebang line ending in CRLF still names the interpreter without the CR', () => {
      assert.deepStrictEqual(plan('#!/usr/bin/python3\r\nprint(1)\r\n').interpreter, ['/usr/bin/python3']);
    });
    it('lone CRs and text without line endings are left alone', () => {
      assert.strictEqual(plan('a\rb').text, 'a\rb');
      assert.strictEqual(plan('echo x').text, 'echo x');
    });
  });
});
