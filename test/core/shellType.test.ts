/**
 * An inventory's `ansible_shell_type=powershell`: a script that names no interpreter runs in
 * PowerShell on that host, as at its prompt, while the other hosts of the same run use their
 * POSIX shell (real pwsh on real sshd, through the CLI with -i).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { startTestBed, type TestBed } from '../support/sshd';
import { cli, ensureBuilt, linesOf } from './helpers/durable';
import { tmpDir } from './helpers/engine';
import { skipWithoutPwsh } from './helpers/pwsh';

describe('ansible_shell_type=powershell (real pwsh on real sshd)', function () {
  this.timeout(120_000);
  let bed: TestBed;
  let dir: string;
  let inventory: string;

  before(async function () {
    skipWithoutPwsh(this);
    ensureBuilt();
    bed = await startTestBed({ count: 2 });
    dir = tmpDir('shell-type');
    inventory = path.join(dir, 'hosts.ini');
    fs.writeFileSync(inventory, '[windowsish]\nhost1 ansible_shell_type=powershell\n\n[linux]\nhost2\n');
  });
  after(async () => {
    await bed?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('text without a shebang runs in PowerShell there and in sh elsewhere; a shebang or extension still wins', async () => {
    const state = fs.mkdtempSync(path.join(dir, 'state-'));
    const F = ['-F', bed.sshConfigPath, '-i', inventory];
    const plain = await cli(['run', ...F, '-H', 'all', '-c', 'echo "edition:$PSVersionTable.PSEdition"'], state);
    assert.strictEqual(plain.code, 0, plain.stderr);
    assert.deepStrictEqual(linesOf(plain.stdout).sort(), ['host1: edition:System.Management.Automation.PSVersionHashTable.PSEdition', 'host2: edition:.PSEdition']);
    const shebang = await cli(['run', ...F, '-H', 'all', '-c', '#!/bin/sh\necho "sh:$0"'], state);
    assert.strictEqual(shebang.code, 0, shebang.stderr);
    assert.deepStrictEqual(linesOf(shebang.stdout).map((l) => l.replace(/sh:.*/, 'sh')).sort(), ['host1: sh', 'host2: sh']);
  });
});
