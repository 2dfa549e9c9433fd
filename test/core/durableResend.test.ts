/**
 * A durable session whose link drops around the moment a run is sent (real sshd): a link that
 * died between runs, unnoticed, must not swallow the next run's text, and a run whose text did
 * reach the host before the link died must not run a second time. Each run appends a line to a
 * file the test reads (the "remote" host is local), so a lost run and a repeated one both show.
 */
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SessionPool, SshConfigFile, type InvokeRequest } from '../../src/core';
import { parseRunStarted } from '../../src/core/session/durable';
import { helloProgram, newToken, resendProgram, runProgram, type RunProgram } from '../../src/core/session/protocol';
import { startTestBed, type TestBed } from '../support/sshd';
import { durablePools, linesIn, reapRemoteShells, withTimeout } from './helpers/durable';
import { collect, delay, show, tmpDir, waitFor } from './helpers/engine';

describe('durable sessions: a link that drops as a run is sent (real sshd)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let sshConfig: SshConfigFile;
  let work: string;
  const { newPool, closeAll } = durablePools();

  before(async () => {
    bed = await startTestBed({ count: 1 });
    sshConfig = SshConfigFile.load(bed.sshConfigPath);
    work = tmpDir('durable-resend');
  });
  after(async () => {
    await closeAll();
    if (bed) reapRemoteShells(bed.homeDir);
    await bed?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const run = (pool: SessionPool, text: string, extra: Partial<InvokeRequest> = {}) =>
    withTimeout(collect({ script: { text }, targets: ['host1'], sshConfig, sessions: pool, timeoutMs: 30_000, ...extra }), 40_000, 'the run');

  it('a run sent on a link that died between runs (before the client noticed) runs once, with its output and status, and the session keeps its state', async () => {
    const pool = newPool();
    const ran = path.join(work, 'between');
    const first = await run(pool, `x=41; echo first >>'${ran}'`);
    assert.strictEqual(first.result('host1').status, 'Completed', show(first));
    const pid = pool.session('host1').record?.hello.pid;

    bed.killConnections('host1');
    // No wait for the client to see the drop: the next run's text goes to the dead channel.
    const second = await run(pool, `echo second >>'${ran}'; echo "x=$((x + 1))"; echo to-err >&2; (exit 3)`);
    const r = second.result('host1');
    assert.deepStrictEqual([r.status, r.exitCode], ['Failed', 3], show(second));
    assert.deepStrictEqual(second.lines('host1'), ['x=42']);
    assert.deepStrictEqual(second.lines('host1', 'stderr'), ['to-err']);
    assert.deepStrictEqual(linesIn(ran), ['first', 'second'], 'each run ran exactly once');

    const third = await run(pool, 'echo "x=$x pid=$$"');
    assert.strictEqual(third.result('host1').status, 'Completed', show(third));
    assert.deepStrictEqual(third.lines('host1'), [`x=41 pid=${pid}`], 'the same shell, with its state');
  });

  it('a link dropped just before or just after a run is sent: every run runs exactly once and its output arrives once', async () => {
    const pool = newPool();
    const ran = path.join(work, 'around');
    const warm = await run(pool, 'n=0');
    assert.strictEqual(warm.result('host1').status, 'Completed', show(warm));
    // How long after the run turns busy (its text is written right after) the link is cut:
    // in the same tick (before the write), on the next turn (just after it), and a little later.
    const cuts: (() => Promise<void>)[] = [
      async () => bed.killConnections('host1'),
      () => new Promise<void>((resolve) => setImmediate(() => (bed.killConnections('host1'), resolve()))),
      () => delay(2).then(() => bed.killConnections('host1')),
      () => delay(10).then(() => bed.killConnections('host1')),
      () => delay(40).then(() => bed.killConnections('host1')),
      // Once the run has certainly started on the host (its first line is in the file).
      async () => {
        await waitFor(() => linesIn(ran).length === expected.length + 1, 10_000, 2);
        bed.killConnections('host1');
      },
    ];
    const expected: string[] = [];
    for (const [i, cut] of cuts.entries()) {
      let cutting: Promise<void> | undefined;
      const onState = (host: string, state: string) => {
        if (host === 'host1' && state === 'busy' && !cutting) cutting = cut();
      };
      pool.on('state', onState);
      try {
        const c = await run(pool, `n=$((n + 1)); echo "run${i} n=$n" >>'${ran}'; sleep 0.1; echo "out${i} n=$n"`);
        await cutting;
        const r = c.result('host1');
        expected.push(`run${i} n=${i + 1}`);
        assert.strictEqual(r.status, 'Completed', `cut ${i}: ${show(c)}`);
        assert.deepStrictEqual(c.lines('host1'), [`out${i} n=${i + 1}`], `cut ${i}: the output arrives once`);
        assert.deepStrictEqual(linesIn(ran), expected, `cut ${i}: each run ran exactly once`);
      } finally {
        pool.off('state', onState);
      }
    }
  });
});

describe('a resent run in real local shells: a no-op when the first copy got there after all', function () {
  this.timeout(30_000);
  for (const argv of [['bash', '--noprofile', '--norc'], ['/bin/sh']]) {
    it(`${argv[0]}: the first copy and its resend run once; a resend of a run never sent runs`, async () => {
      const token = newToken();
      const shell = spawn(argv[0], argv.slice(1), { env: { PATH: process.env.PATH }, stdio: 'pipe' });
      let out = '';
      shell.stdout.on('data', (d: Buffer) => (out += d.toString()));
      shell.stderr.resume();
      const run = (runId: number, text: string): RunProgram => ({ runId, text, fileName: 'run-script', args: [] });
      try {
        shell.stdin.write(helloProgram(token));
        // Run 1 arrives, then its resend (the reattach asked too early); run 2 is only ever resent (never sent).
        shell.stdin.write(runProgram(token, run(1, 'n=$((${n:-0} + 1)); echo "once n=$n"')));
        shell.stdin.write(resendProgram(token, run(1, 'n=$((${n:-0} + 1)); echo "once n=$n"')));
        shell.stdin.write(resendProgram(token, run(2, 'echo "two n=$n"; (exit 4)')));
        const deadline = Date.now() + 10_000;
        while (!out.includes(`${token} E 2 `) && Date.now() < deadline) await delay(10);
        const lines = out.split('\n').filter((l) => l && !l.includes(' H '));
        assert.deepStrictEqual(lines, ['once n=1', `${token} E 1 0`, 'two n=1', `${token} E 2 4`], out);
      } finally {
        shell.stdin.end('exit\n');
        await new Promise((resolve) => shell.once('exit', resolve));
      }
    });
  }
});

describe('whether a durable shell started a run: the answer read from its `run` file', () => {
  it('the run id it last started, none recorded, or caught while being rewritten', () => {
    assert.strictEqual(parseRunStarted('RUN 7\n', 7), 'yes');
    assert.strictEqual(parseRunStarted('RUN 6\n', 7), 'no');
    assert.strictEqual(parseRunStarted('RUN 0\n', 1), 'no');
    assert.strictEqual(parseRunStarted('RUN -\n', 7), 'unknown', 'a shell that does not record it (booted by an older client, pwsh, unreadable)');
    assert.strictEqual(parseRunStarted('login noise\n', 7), 'unknown');
    assert.strictEqual(parseRunStarted('RUN ?\n', 7), 'writing');
  });
});
