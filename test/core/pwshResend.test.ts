/**
 * A durable PowerShell session whose link drops around the moment a run is sent (real pwsh on
 * real sshd), as durableResend.test.ts does for POSIX shells: the host loop records each run it
 * starts in the session's `run` file, the client asks it after reattaching and resends only a run
 * that did not start, and the host loop drops a resent copy of the run it last started. Each run
 * appends a line to a file the test reads (the "remote" host is local), so a lost run and a
 * repeated one both show. Skipped (saying so) when pwsh is not installed.
 */
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SessionPool, SshConfigFile, type InvokeRequest } from '../../src/core';
import { newToken, type RunProgram } from '../../src/core/session/protocol';
import { PWSH_WINDOWS_START_COMMAND, pwshHelloProgram, pwshResendProgram, pwshRunProgram } from '../../src/core/session/pwsh/dialect';
import { startTestBed, type TestBed } from '../support/sshd';
import { durablePools, linesIn, reapRemoteShells, withTimeout } from './helpers/durable';
import { collect, delay, show, tmpDir, waitFor } from './helpers/engine';
import { skipWithoutPwsh } from './helpers/pwsh';

const psQuote = (s: string) => `'${s.replace(/'/g, "''")}'`;

describe('durable PowerShell sessions: a link that drops as a run is sent (real pwsh on real sshd)', function () {
  this.timeout(180_000);
  let bed: TestBed;
  let base: Pick<InvokeRequest, 'sshConfig' | 'knownHostsFiles'>;
  let work: string;
  const { newPool, closeAll } = durablePools();

  before(async function () {
    skipWithoutPwsh(this);
    bed = await startTestBed({ count: 1 });
    base = { sshConfig: SshConfigFile.load(bed.sshConfigPath), knownHostsFiles: [bed.knownHostsPath] };
    work = tmpDir('pwsh-resend');
  });
  after(async () => {
    await closeAll();
    if (bed) reapRemoteShells(bed.homeDir);
    await bed?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const run = (pool: SessionPool, text: string) =>
    withTimeout(collect({ ...base, script: { text, fileName: 'd.ps1' }, targets: ['host1'], sessions: pool, timeoutMs: 30_000 }), 40_000, 'the run');

  it('a run sent on a link that died between runs (before the client noticed) runs once, with its output and status, and the session keeps its state', async () => {
    const pool = newPool();
    const ran = path.join(work, 'between');
    const first = await run(pool, `$x = 41; Add-Content -LiteralPath ${psQuote(ran)} -Value first; $PID`);
    assert.strictEqual(first.result('host1').status, 'Completed', show(first));
    const pid = first.lines('host1')[0];
    const dir = pool.pwshSession('host1').record?.dir;
    assert.ok(dir, 'a durable PowerShell session has a directory');

    bed.killConnections('host1');
    // No wait for the client to see the drop: the next run's text goes to the dead channel.
    const started = Date.now();
    const second = await run(pool, `Add-Content -LiteralPath ${psQuote(ran)} -Value second; "x=$($x + 1)"; Write-Warning 'careful'; exit 3`);
    const r = second.result('host1');
    assert.deepStrictEqual([r.status, r.exitCode], ['Failed', 3], show(second));
    assert.ok(Date.now() - started < 20_000, `settled after the reattach, not by the timeout (${Date.now() - started} ms)`);
    assert.deepStrictEqual(second.lines('host1'), ['x=42']);
    assert.deepStrictEqual(second.lines('host1', 'stderr'), ['WARNING: careful']);
    assert.deepStrictEqual(linesIn(ran), ['first', 'second'], 'each run ran exactly once');
    // The host loop recorded the run it started, in the private file made at create.
    assert.strictEqual((fs.statSync(path.join(dir, 'run')).mode & 0o777).toString(8), '600');
    assert.match(fs.readFileSync(path.join(dir, 'run'), 'utf8'), /^\d+\n$/);

    const third = await run(pool, '"x=$x pid=$PID"');
    assert.strictEqual(third.result('host1').status, 'Completed', show(third));
    assert.deepStrictEqual(third.lines('host1'), [`x=41 pid=${pid}`], 'the same PowerShell, with its state');
  });

  it('a link dropped just before or just after a run is sent: every run runs exactly once and its output arrives once', async () => {
    const pool = newPool();
    const ran = path.join(work, 'around');
    const warm = await run(pool, '$n = 0');
    assert.strictEqual(warm.result('host1').status, 'Completed', show(warm));
    const expected: string[] = [];
    // How long after the run turns busy (its text is written right after) the link is cut:
    // in the same tick (before the write), on the next turn (just after it), a little later,
    // and once the run has certainly started on the host (its first line is in the file).
    const cuts: (() => Promise<void>)[] = [
      async () => bed.killConnections('host1'),
      () => new Promise<void>((resolve) => setImmediate(() => (bed.killConnections('host1'), resolve()))),
      () => delay(5).then(() => bed.killConnections('host1')),
      () => delay(40).then(() => bed.killConnections('host1')),
      async () => {
        await waitFor(() => linesIn(ran).length === expected.length + 1, 10_000, 2);
        bed.killConnections('host1');
      },
    ];
    for (const [i, cut] of cuts.entries()) {
      let cutting: Promise<void> | undefined;
      const onState = (host: string, state: string) => {
        if (host === 'host1' && state === 'busy' && !cutting) cutting = cut();
      };
      pool.on('pwshState', onState);
      try {
        const c = await run(pool, `$n++; Add-Content -LiteralPath ${psQuote(ran)} -Value "run${i} n=$n"; Start-Sleep -Milliseconds 100; "out${i} n=$n"`);
        await cutting;
        assert.ok(cutting, `cut ${i}: the link was cut`);
        expected.push(`run${i} n=${i + 1}`);
        assert.strictEqual(c.result('host1').status, 'Completed', `cut ${i}: ${show(c)}`);
        assert.deepStrictEqual(c.lines('host1'), [`out${i} n=${i + 1}`], `cut ${i}: the output arrives once`);
        assert.deepStrictEqual(linesIn(ran), expected, `cut ${i}: each run ran exactly once`);
      } finally {
        pool.off('pwshState', onState);
      }
    }
  });
});

describe('a resent PowerShell run in a real local pwsh host loop: a no-op when the first copy got there after all', function () {
  this.timeout(120_000);
  before(function () {
    skipWithoutPwsh(this);
  });

  it('the first copy and its resend run once; a resend of a run never sent runs; each start is recorded in the run file', async () => {
    const dir = tmpDir('pwsh-resend-loop');
    fs.writeFileSync(path.join(dir, 'run'), '0\n', { mode: 0o600 });
    const token = newToken();
    const [cmd, ...argv] = PWSH_WINDOWS_START_COMMAND.split(' ');
    const host = spawn(cmd, argv, { stdio: 'pipe' });
    let out = '';
    host.stdout.on('data', (d: Buffer) => (out += d.toString()));
    host.stderr.resume();
    const run = (runId: number, text: string): RunProgram => ({ runId, text, fileName: 'run-script', args: [] });
    try {
      host.stdin.write(pwshHelloProgram(token, dir));
      // Run 1 arrives, then its resend (the reattach asked too early): while it runs, and again once
      // it has ended (the loop is idle: only the run-id guard stops it). Run 2 is only ever resent.
      const one = run(1, '$n++; "once n=$n"');
      host.stdin.write(pwshRunProgram(token, one));
      host.stdin.write(pwshResendProgram(token, one));
      assert.ok(await waitFor(() => out.includes(`${token} E 1 `), 60_000, 10), out);
      host.stdin.write(pwshResendProgram(token, one));
      host.stdin.write(pwshResendProgram(token, run(2, '"two n=$n"; exit 4')));
      assert.ok(await waitFor(() => out.includes(`${token} E 2 `), 60_000, 10), out);
      const lines = out.split('\n').filter((l) => l && !l.includes(' H ') && !l.startsWith(`${token} O `));
      assert.deepStrictEqual(lines, ['once n=1', `${token} E 1 0`, 'two n=1', `${token} E 2 4`], out);
      assert.strictEqual(fs.readFileSync(path.join(dir, 'run'), 'utf8'), '2\n');
      assert.strictEqual((fs.statSync(path.join(dir, 'run')).mode & 0o777).toString(8), '600', 'rewritten, still private');
    } finally {
      host.stdin.end('X\n');
      await new Promise((resolve) => host.once('exit', resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
