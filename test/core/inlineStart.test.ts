/**
 * A POSIX one-shot's hello and run travel with its exec request as LC_REMOTE_INVOKE
 * (src/core/session/inlineStart.ts): one round trip less per cold run. Against real sshd with
 * `AcceptEnv LANG LC_*` (Debian's default), and without it (the variable is dropped: the stdin
 * copy runs instead). The proof that the run did not wait for stdin: with every write to the
 * channel's stdin thrown away, the run still completes.
 */
import * as assert from 'assert';
import { invoke, SshConfigFile, type HostResult, type InvokeRequest } from '../../src/core';
import { INLINE_INPUT_MAX_BYTES, INLINE_INPUT_VARIABLE } from '../../src/core/session/inlineStart';
import { ChannelTransport } from '../../src/core/session/remoteShell';
import { startTestBed, type TestBed } from '../support/sshd';
import { watchExecs } from './helpers/engine';

const ACCEPT = 'AcceptEnv LANG LC_*';

async function runOnce(bed: TestBed, text: string, extra: Partial<InvokeRequest> = {}) {
  const run = invoke({ script: { text }, targets: [bed.hosts[0].name], sshConfig: SshConfigFile.load(bed.sshConfigPath), ...extra });
  const lines: string[] = [];
  const errors: string[] = [];
  for await (const e of run) {
    if (e.type === 'output') (e.stream === 'stdout' ? lines : errors).push(e.line);
  }
  const [result] = (await run.results) as HostResult[];
  return { result, lines, errors };
}

/** The exec requests made while `body` runs: their commands, and whether each carried the variable. */
async function watchInlineExecs<T>(body: () => Promise<T>): Promise<{ value: T; execs: { command: string; env: boolean }[] }> {
  const { value, execs } = await watchExecs(body);
  return { value, execs: execs.map((e) => ({ command: e.command, env: !!e.env?.[INLINE_INPUT_VARIABLE] })) };
}

/** Throws away everything written to a channel's stdin while `body` runs. */
async function withoutStdin<T>(body: () => Promise<T>): Promise<T> {
  const original = ChannelTransport.prototype.write;
  ChannelTransport.prototype.write = () => undefined;
  try {
    return await body();
  } finally {
    ChannelTransport.prototype.write = original;
  }
}

describe('one-shot first input with the exec request (real sshd, AcceptEnv LC_*)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  before(async () => {
    bed = await startTestBed({ count: 1, extraSshdConfig: ACCEPT });
  });
  after(async () => bed?.stop());

  it('runs from the variable alone: with stdin thrown away the run still completes, status and output intact', async () => {
    const { value: r, execs } = await watchInlineExecs(() => withoutStdin(() => runOnce(bed, 'echo "out $((6*7))"; echo err >&2; exit 3')));
    assert.strictEqual(r.result.status, 'Failed', JSON.stringify(r));
    assert.strictEqual(r.result.exitCode, 3);
    assert.deepStrictEqual(r.lines, ['out 42']);
    assert.deepStrictEqual(r.errors, ['err']);
    assert.strictEqual(execs.length, 1);
    assert.ok(execs[0].env, 'the exec request carried the variable');
  });

  it('the script sees neither the variable nor the copy of its text; args, --var, and --input work', async () => {
    const r = await runOnce(bed, 'echo "v=[${LC_REMOTE_INVOKE-unset}] i=[${__ri_i-unset}]"; env | grep -c REMOTE_INVOKE; echo "args=$*"; echo "var=$GREETING"; cat', {
      args: ['a b', "c'd"],
      vars: { GREETING: 'hello world' },
      input: 'line one\nline two\n',
    });
    assert.strictEqual(r.result.status, 'Completed', JSON.stringify(r));
    assert.deepStrictEqual(r.lines, ['v=[unset] i=[unset]', '0', "args=a b c'd", 'var=hello world', 'line one', 'line two']);
  });

  it('a script with quotes, backslashes, `!`, `%` and non-ASCII text arrives byte for byte', async () => {
    const text = `printf '%s\\n' 'it'"'"'s' "a\\\\b" '!x' '100%' 'größe → ok'`;
    const r = await withoutStdin(() => runOnce(bed, text));
    assert.strictEqual(r.result.status, 'Completed', JSON.stringify(r));
    assert.deepStrictEqual(r.lines, ["it's", 'a\\b', '!x', '100%', 'größe → ok']);
  });

  it(`a first input over ${INLINE_INPUT_MAX_BYTES / 1024} KiB goes by stdin only, and runs`, async () => {
    const text = `# ${'x'.repeat(INLINE_INPUT_MAX_BYTES)}\necho big`;
    const { value: r, execs } = await watchInlineExecs(() => runOnce(bed, text));
    assert.strictEqual(r.result.status, 'Completed', JSON.stringify(r));
    assert.deepStrictEqual(r.lines, ['big']);
    assert.strictEqual(execs[0].env, false);
  });

  it('a script that exits the shell, and `set -e` tripping, end the run with their status', async () => {
    const a = await withoutStdin(() => runOnce(bed, 'echo before; exit 7; echo after'));
    assert.strictEqual(a.result.exitCode, 7, JSON.stringify(a));
    assert.deepStrictEqual(a.lines, ['before']);
    const b = await withoutStdin(() => runOnce(bed, 'set -e; false; echo never'));
    assert.strictEqual(b.result.exitCode, 1, JSON.stringify(b));
    assert.deepStrictEqual(b.lines, []);
  });

  it('a timed-out one-shot is stopped as before', async () => {
    const started = Date.now();
    const r = await runOnce(bed, 'echo started; sleep 30', { timeoutMs: 1500 });
    assert.strictEqual(r.result.status, 'TimedOut', JSON.stringify(r));
    assert.deepStrictEqual(r.lines, ['started']);
    assert.ok(Date.now() - started < 10_000);
  });
});

describe('one-shot first input: login shells other than sh quote the start command right (real sshd)', function () {
  this.timeout(60_000);
  for (const shell of ['/usr/bin/fish', '/usr/bin/tcsh', '/usr/bin/zsh', '/bin/bash']) {
    it(`${shell} login: runs from the variable, and an \`exit\` in a function ends the run with its code`, async function () {
      if (process.getuid?.() !== 0) this.skip(); // a loginShell test account needs root (useradd)
      const bed = await startTestBed({ count: 1, extraSshdConfig: ACCEPT, loginShell: shell });
      try {
        const r = await withoutStdin(() => runOnce(bed, 'echo "shell=${BASH_VERSION:+bash}"; echo ok'));
        assert.strictEqual(r.result.status, 'Completed', JSON.stringify(r));
        // bash when it is the login shell, else /bin/sh (dash here), as for a session.
        assert.deepStrictEqual(r.lines, [`shell=${shell === '/bin/bash' ? 'bash' : ''}`, 'ok']);
        const x = await withoutStdin(() => runOnce(bed, 'f() { echo in-f; exit 3; }; f; echo after'));
        assert.deepStrictEqual([x.result.status, x.result.exitCode, x.lines], ['Failed', 3, ['in-f']], JSON.stringify(x));
      } finally {
        await bed.stop();
      }
    });
  }
});

describe('one-shot first input: a server that does not accept the variable (real sshd, no AcceptEnv)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  before(async () => {
    bed = await startTestBed({ count: 1 });
  });
  after(async () => bed?.stop());

  it('the variable is dropped and the copy on stdin runs: same result', async () => {
    const { value: r, execs } = await watchInlineExecs(() => runOnce(bed, 'echo "v=[${LC_REMOTE_INVOKE-unset}]"; exit 4'));
    assert.strictEqual(r.result.exitCode, 4, JSON.stringify(r));
    assert.deepStrictEqual(r.lines, ['v=[unset]']);
    assert.ok(execs[0].env, 'it was offered');
  });

  it('control: with stdin thrown away nothing runs here (so the first test above proves the variable path)', async () => {
    const r = await withoutStdin(() => runOnce(bed, 'echo hi', { timeoutMs: 1000 }));
    assert.notStrictEqual(r.result.status, 'Completed', JSON.stringify(r));
    assert.deepStrictEqual(r.lines, []);
  });
});
