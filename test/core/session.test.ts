/**
 * Persistent sessions (SessionPool) against real sshd: state carries across runs, a run that
 * ends its shell breaks only that session, timeouts and cancellation leave the session usable,
 * pools are isolated, runs never swallow each other's stdin or interleave.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { SessionPool, SshConfigFile, type InvokeRequest } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { collect, isLive, show, tmpDir, waitFor } from './helpers/engine';

describe('persistent sessions (real sshd)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let sshConfig: SshConfigFile;
  let work: string;
  const pools: SessionPool[] = [];

  before(async () => {
    bed = await startTestBed({ count: 2 });
    sshConfig = SshConfigFile.load(bed.sshConfigPath);
    work = tmpDir('session');
  });
  after(async () => {
    for (const p of pools) await p.closeAll().catch(() => undefined);
    await bed?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function newPool(): SessionPool {
    const p = new SessionPool();
    pools.push(p);
    return p;
  }

  const run = (pool: SessionPool, text: string, targets = ['host1'], extra: Partial<InvokeRequest> = {}) =>
    collect({ script: { text }, targets, sshConfig, sessions: pool, ...extra });

  it('variables, functions, exported environment and cwd carry across three runs, in one shell', async () => {
    const pool = newPool();
    const dirA = path.join(work, 'cwd a');
    fs.mkdirSync(dirA);
    const r1 = await run(pool, `counter=41\ngreet() { echo "hello, $1"; }\nexport EXPORTED='from run 1'\ncd '${dirA}'\necho "pid=$$"`);
    assert.strictEqual(r1.result('host1').status, 'Completed', show(r1));
    const pid = r1.lines('host1')[0];
    const r2 = await run(pool, 'counter=$((counter + 1))\necho "counter=$counter"\ngreet run2\nsh -c \'echo "child sees: $EXPORTED"\'\npwd\ncd ..\necho "pid=$$"');
    assert.strictEqual(r2.result('host1').status, 'Completed', show(r2));
    assert.deepStrictEqual(r2.lines('host1'), ['counter=42', 'hello, run2', 'child sees: from run 1', dirA, pid]);
    const r3 = await run(pool, 'echo "counter=$counter"; greet run3; printenv EXPORTED; pwd; echo "pid=$$"');
    assert.deepStrictEqual(r3.lines('host1'), ['counter=42', 'hello, run3', 'from run 1', work, pid]);
    assert.strictEqual(pool.state('host1'), 'connected');
  });

  it('state is per host within a pool', async () => {
    const pool = newPool();
    await run(pool, 'x=one', ['host1']);
    await run(pool, 'x=two', ['host2']);
    const c = await run(pool, 'echo "x=$x"', ['host1', 'host2']);
    assert.deepStrictEqual(c.lines('host1'), ['x=one']);
    assert.deepStrictEqual(c.lines('host2'), ['x=two']);
  });

  it('two SessionPools on the same host do not share state', async () => {
    const a = newPool();
    const b = newPool();
    const ra = await run(a, 'shared=a; echo $$');
    const rb = await run(b, 'echo "shared=${shared-unset}"; echo $$');
    assert.strictEqual(rb.lines('host1')[0], 'shared=unset');
    assert.notStrictEqual(rb.lines('host1')[1], ra.lines('host1')[0], 'different shells');
    assert.deepStrictEqual((await run(a, 'echo "shared=$shared"')).lines('host1'), ['shared=a']);
  });

  it('arguments are per run: a run without arguments sees $# = 0; shift does not leak', async () => {
    const pool = newPool();
    const c1 = await run(pool, 'shift; echo "$#:$*"', ['host1'], { args: ['a', 'b c', 'd'] });
    assert.deepStrictEqual(c1.lines('host1'), ['2:b c d']);
    const c2 = await run(pool, 'echo "$#"');
    assert.deepStrictEqual(c2.lines('host1'), ['0']);
  });

  it('a script reading stdin gets EOF and does not swallow the next run', async () => {
    const pool = newPool();
    const c1 = await run(pool, 'cat; read x; echo "read rc=$?"');
    assert.deepStrictEqual(c1.lines('host1'), ['read rc=1']);
    assert.ok(c1.elapsedMs < 5000);
    const c2 = await run(pool, 'echo second');
    assert.deepStrictEqual(c2.lines('host1'), ['second']);
  });

  it('exit codes are per run and the session stays up after a non-zero status', async () => {
    const pool = newPool();
    const c1 = await run(pool, 'keep=1; false');
    assert.deepStrictEqual([c1.result('host1').status, c1.result('host1').exitCode], ['Failed', 1]);
    const c2 = await run(pool, '(exit 5)');
    assert.deepStrictEqual([c2.result('host1').status, c2.result('host1').exitCode], ['Failed', 5]);
    const c3 = await run(pool, 'echo "keep=$keep"');
    assert.deepStrictEqual([c3.result('host1').status, c3.lines('host1')], ['Completed', ['keep=1']]);
  });

  it('output that imitates the framing (any run id) does not end the run early', async () => {
    const pool = newPool();
    await run(pool, 'true');
    await run(pool, 'true');
    const fakes = [1, 2, 3, 4, 5].map((id) => `RI${'0123456789abcdef'.repeat(2)} E ${id} 0`);
    const c = await run(pool, fakes.map((f) => `echo '${f}'; echo '${f}' >&2`).join('\n') + '\nsleep 0.2\necho tail');
    assert.deepStrictEqual(c.lines('host1'), [...fakes, 'tail']);
    assert.deepStrictEqual(c.lines('host1', 'stderr'), fakes);
  });

  describe('shell options a run leaves behind do not break later runs', () => {
    // The timeouts only keep a failing test from hanging.
    it('`set -C` (noclobber) in one run: the next run runs its own script, not the previous one', async () => {
      const pool = newPool();
      const c1 = await run(pool, 'set -C; echo first', ['host1'], { timeoutMs: 3000 });
      assert.deepStrictEqual(c1.lines('host1'), ['first']);
      const c2 = await run(pool, 'echo second', ['host1'], { timeoutMs: 3000 });
      assert.strictEqual(c2.result('host1').status, 'Completed', show(c2));
      assert.deepStrictEqual(c2.lines('host1'), ['second'], `stderr: ${c2.lines('host1', 'stderr').join(' | ')}`);
      assert.deepStrictEqual(c2.lines('host1', 'stderr'), []);
    });

    it('`set -euo pipefail` left by one run: a later failing command fails that run, not the session', async () => {
      const pool = newPool();
      const c1 = await run(pool, '#!/bin/bash\nset -euo pipefail\nkeep=1\necho $$', ['host1'], { timeoutMs: 3000 });
      assert.strictEqual(c1.result('host1').status, 'Completed', show(c1));
      const c2 = await run(pool, 'false', ['host1'], { timeoutMs: 3000 });
      assert.deepStrictEqual([c2.result('host1').status, c2.result('host1').exitCode], ['Failed', 1], show(c2));
      const c3 = await run(pool, 'echo "keep=$keep"; echo $$', ['host1'], { timeoutMs: 3000 });
      assert.strictEqual(c3.result('host1').status, 'Completed', `the session did not survive: ${show(c3)}`);
      assert.deepStrictEqual(c3.lines('host1'), ['keep=1', c1.lines('host1')[0]]);
    });

    it('a script that defines a function named printf does not break the framing', async () => {
      const pool = newPool();
      const c1 = await run(pool, 'printf() { command printf "[%s]" "$@"; }\necho defined', ['host1'], { timeoutMs: 3000 });
      assert.strictEqual(c1.result('host1').status, 'Completed', show(c1));
      assert.deepStrictEqual(c1.lines('host1'), ['defined']);
      const c2 = await run(pool, 'printf "%s\\n" x', ['host1'], { timeoutMs: 3000 });
      assert.strictEqual(c2.result('host1').status, 'Completed', show(c2));
      assert.deepStrictEqual(c2.lines('host1'), ['[%s\\n][x]']);
    });
  });

  describe('exit ends the run, not the session; a shell that dies is replaced by the next run', () => {
    it('exit 3: that run fails with 3, the session keeps its shell and its state', async () => {
      const pool = newPool();
      const setup = await run(pool, 'kept=yes; echo $$', ['host1']);
      const c1 = await run(pool, 'echo bye; exit 3', ['host1']);
      assert.strictEqual(c1.result('host1').status, 'Failed', show(c1));
      assert.strictEqual(c1.result('host1').exitCode, 3);
      assert.deepStrictEqual(c1.lines('host1'), ['bye']);
      const c2 = await run(pool, 'echo "kept=${kept-gone}"; echo $$', ['host1']);
      assert.strictEqual(c2.result('host1').status, 'Completed', show(c2));
      assert.deepStrictEqual(c2.lines('host1'), ['kept=yes', setup.lines('host1')[0]], 'same shell process, same state');
    });

    it('kill -KILL $$: the next run opens a new session, runs, and says the state was reset; other hosts keep theirs', async () => {
      const pool = newPool();
      const setup = await run(pool, 'kept=yes; echo $$', ['host1', 'host2']);
      const oldPid = setup.lines('host1')[0];
      const c1 = await run(pool, 'echo bye; kill -KILL $$', ['host1']);
      assert.strictEqual(c1.result('host1').status, 'Failed', show(c1));
      assert.deepStrictEqual(c1.lines('host1'), ['bye']);
      assert.match(c1.result('host1').error ?? '', /session/i);
      const c2 = await run(pool, 'echo "kept=${kept-gone}"; echo $$', ['host1', 'host2']);
      assert.strictEqual(c2.result('host1').status, 'Completed', show(c2));
      assert.strictEqual(c2.lines('host1')[0], 'kept=gone', 'a new session starts empty');
      assert.notStrictEqual(c2.lines('host1')[1], oldPid);
      assert.match(c2.result('host1').notice ?? '', /state was reset/);
      assert.deepStrictEqual(c2.lines('host2')[0], 'kept=yes', 'the other host keeps its session');
      const c3 = await run(pool, 'true', ['host1']);
      assert.strictEqual(c3.result('host1').notice, undefined, 'the notice is said once');
    });
  });

  describe('timeouts and cancellation inside a session', () => {
    it('a timed-out `sleep` run ends TimedOut, its process is gone, the session keeps its state', async () => {
      const pool = newPool();
      const pidFile = path.join(work, 'session-timeout.pid');
      const c0 = await run(pool, 'survivor=here; echo $$');
      const c1 = await run(pool, `sh -c 'echo $$ > "$1"; exec sleep 300' sh '${pidFile}'`, ['host1'], { timeoutMs: 1000 });
      const r1 = c1.result('host1');
      assert.strictEqual(r1.status, 'TimedOut', show(c1));
      assert.ok(r1.durationMs < 1000 + 4000, `TimedOut after ${r1.durationMs} ms`);
      const sleepPid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.ok(await waitFor(() => !isLive(sleepPid), 2000), 'the sleep is still running');
      const c2 = await run(pool, 'echo "survivor=$survivor"; echo $$');
      assert.strictEqual(c2.result('host1').status, 'Completed', show(c2));
      assert.deepStrictEqual(c2.lines('host1'), ['survivor=here', c0.lines('host1')[0]]);
    });

    it('a plain `sleep 30` timing out leaves the session usable', async () => {
      const pool = newPool();
      await run(pool, 'v=1');
      const c1 = await run(pool, 'sleep 30', ['host1'], { timeoutMs: 800 });
      assert.strictEqual(c1.result('host1').status, 'TimedOut', show(c1));
      const c2 = await run(pool, 'echo "v=$v"');
      assert.deepStrictEqual([c2.result('host1').status, c2.lines('host1')], ['Completed', ['v=1']]);
    });

    it('cancelling a run leaves the session usable', async () => {
      const pool = newPool();
      await run(pool, 'v=2');
      const controller = new AbortController();
      const c1 = await collect({ script: { text: 'echo started; sleep 30' }, targets: ['host1'], sshConfig, sessions: pool, signal: controller.signal }, (e) => {
        if (e.type === 'output' && e.line === 'started') controller.abort();
      });
      assert.strictEqual(c1.result('host1').status, 'Cancelled', show(c1));
      const c2 = await run(pool, 'echo "v=$v"');
      assert.deepStrictEqual([c2.result('host1').status, c2.lines('host1')], ['Completed', ['v=2']]);
    });

    it('a run that ignores SIGTERM is killed after the grace period; its session is then reported closed', async () => {
      const pool = newPool();
      const pidFile = path.join(work, 'stubborn.pid');
      await run(pool, 'true'); // connected first, so the short timeout hits the run itself
      const c1 = await run(pool, `trap '' TERM\nsh -c 'echo $$ > "$1"; exec sleep 300' sh '${pidFile}'`, ['host1'], { timeoutMs: 500 });
      assert.strictEqual(c1.result('host1').status, 'TimedOut', show(c1));
      assert.ok(c1.elapsedMs < 500 + 6000, `took ${c1.elapsedMs} ms`);
      const sleepPid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.ok(await waitFor(() => !isLive(sleepPid), 3000), 'the stubborn sleep survived');
      const c2 = await run(pool, 'echo next');
      if (c2.result('host1').status !== 'Completed') {
        assert.strictEqual(c2.result('host1').status, 'Failed');
        assert.match(c2.result('host1').error ?? '', /session/i);
        const c3 = await run(pool, 'echo next');
        assert.strictEqual(c3.result('host1').status, 'Completed', show(c3));
      }
    });
  });

  it('two runs on one session at once are queued, never interleaved', async () => {
    const pool = newPool();
    await run(pool, 'true');
    const [a, b] = await Promise.all([
      run(pool, 'echo a1; sleep 0.5; echo a2'),
      (async () => {
        await new Promise((r) => setTimeout(r, 50));
        return run(pool, 'echo b1');
      })(),
    ]);
    assert.deepStrictEqual(a.lines('host1'), ['a1', 'a2']);
    assert.deepStrictEqual(b.lines('host1'), ['b1']);
    assert.strictEqual(a.result('host1').status, 'Completed');
    assert.strictEqual(b.result('host1').status, 'Completed');
  });

  it('round trip: a trivial run on an open session is fast (measured)', async () => {
    const pool = newPool();
    await run(pool, 'true');
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const c = await run(pool, 'echo ping');
      assert.deepStrictEqual(c.lines('host1'), ['ping']);
      times.push(c.elapsedMs);
    }
    times.sort((x, y) => x - y);
    const median = times[10];
    const oneShot: number[] = [];
    for (let i = 0; i < 5; i++) oneShot.push((await collect({ script: { text: 'echo ping' }, targets: ['host1'], sshConfig })).elapsedMs);
    oneShot.sort((x, y) => x - y);
    console.log(`      round trip in an open session: median ${median} ms (min ${times[0]}, max ${times[19]}); one-shot connect+run median ${oneShot[2]} ms`);
    assert.ok(median < 200, `median ${median} ms`);
  });
});
