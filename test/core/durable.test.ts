/**
 * Durable sessions against real sshd: the remote shell outlives its connection. State carries
 * across runs, clients and processes; a run whose link drops (the per-connection sshd killed)
 * reconnects by itself and delivers every line exactly once, in order, then its exit code; a host
 * that stays down ends the run `Disconnected` and its output is received after the host is back;
 * a killed CLI's run is received by the next process; idle sessions end themselves; sessions are
 * isolated from each other and private to their user; a host whose shell is /bin/sh works.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { HostSession, SessionPool, SshConfigFile, type InvokeRequest, type OutputStream, type SessionOptions } from '../../src/core';
import type { RunOutcome, RunSink } from '../../src/core/session/remoteShell';
import { ensurePasswordUser, removePasswordUser, startTestBed, type TestBed } from '../support/sshd';
import {
  cli,
  ensureBuilt,
  gateFunctions,
  linesOf,
  modeOf,
  numbered,
  openGate,
  readPid,
  reapRemoteShells,
  sessionBase,
  spawnCli,
  waitGone,
  waitReached,
  withTimeout,
} from './helpers/durable';
import { collect, delay, isLive, show, tmpDir, waitFor } from './helpers/engine';

/** A sink that keeps what a receive() delivers. */
function keeper(): RunSink & { lines: Record<OutputStream, string[]> } {
  const lines: Record<OutputStream, string[]> = { stdout: [], stderr: [] };
  return { lines, line: (stream, line) => (lines[stream].push(line), true), drained: async () => {} };
}

describe('durable sessions (real sshd)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let sshConfig: SshConfigFile;
  let work: string;
  let gateCount = 0;
  const pools: SessionPool[] = [];

  before(async () => {
    ensureBuilt();
    bed = await startTestBed({ count: 2 });
    sshConfig = SshConfigFile.load(bed.sshConfigPath);
    work = tmpDir('durable');
  });
  after(async () => {
    for (const p of pools) await p.closeAll().catch(() => undefined);
    if (bed) reapRemoteShells(bed.homeDir);
    await bed?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function newPool(options: SessionOptions = {}): SessionPool {
    const p = new SessionPool({ durable: true, ...options });
    pools.push(p);
    return p;
  }

  /** A fresh directory of gates for one remote script. */
  function gates(): string {
    const d = path.join(work, `gates-${++gateCount}`);
    fs.mkdirSync(d);
    return d;
  }

  const run = (pool: SessionPool, text: string, targets = ['host1'], extra: Partial<InvokeRequest> = {}) =>
    collect({ script: { text }, targets, sshConfig, sessions: pool, ...extra });

  /** Per host: when each reconnect finished ('connecting' → 'busy'), for measuring. */
  function watchReconnects(pool: SessionPool, host: string) {
    const done: number[] = [];
    let connecting = false;
    pool.on('state', (h: string, state: string) => {
      if (h !== host) return;
      if (state === 'connecting') connecting = true;
      else if (state === 'busy' && connecting) {
        connecting = false;
        done.push(Date.now());
      }
    });
    return done;
  }

  describe('engine: SessionPool { durable: true }', () => {
    it('variables, functions, cwd and the login umask carry across runs, and across a new pool reattaching from the saved record', async () => {
      const pool = newPool();
      const cwd = path.join(work, 'cwd dir');
      fs.mkdirSync(cwd);
      const r1 = await run(pool, `v=41\nf() { echo "f:$1"; }\ncd '${cwd}'\necho $$`);
      assert.strictEqual(r1.result('host1').status, 'Completed', show(r1));
      const pid = r1.lines('host1')[0];
      const r2 = await run(pool, 'v=$((v + 1)); echo "$v"; f two; pwd; echo $$; umask');
      const loginUmask = (await collect({ script: { text: 'umask' }, targets: ['host1'], sshConfig })).lines('host1')[0];
      assert.deepStrictEqual(r2.lines('host1'), ['42', 'f:two', cwd, pid, loginUmask], 'scripts see the login umask, not the private one of the spool');

      const record = pool.session('host1').record;
      assert.ok(record, 'a durable session has a record');
      assert.strictEqual(path.dirname(record.dir), sessionBase(bed.homeDir));
      pool.dispose(); // detach: the shell stays on the host with nobody attached
      assert.ok(isLive(Number(pid)), 'the remote shell outlives its client');
      assert.ok(fs.existsSync(path.join(record.dir, 'out')));

      const again = newPool();
      again.session('host1', { record: JSON.parse(JSON.stringify(record)) });
      const r3 = await run(again, 'echo "$v"; f three; pwd; echo $$');
      assert.strictEqual(r3.result('host1').status, 'Completed', show(r3));
      assert.deepStrictEqual(r3.lines('host1'), ['42', 'f:three', cwd, pid], 'the same shell, reattached');
    });

    it('a run whose link drops four times (before any output, between lines, mid-burst, before the exit code) delivers every line exactly once, in order, then its exit code', async () => {
      const pool = newPool({ reconnectDelayMs: 100 });
      await run(pool, 'true');
      const reconnects = watchReconnects(pool, 'host1');
      const g = gates();
      const BURST_END = 20010;
      const script =
        gateFunctions(g) +
        [
          'reached start; gate g0',
          'i=1; while [ $i -le 10 ]; do echo "out$i"; echo "err$i" >&2; i=$((i+1)); sleep 0.02; done',
          'gate g1',
          `i=11; while [ $i -le ${BURST_END} ]; do echo "out$i"; if [ $((i % 1000)) = 0 ]; then echo "err$i" >&2; fi; i=$((i+1)); done`,
          'echo last',
          'gate g3',
          '(exit 7)',
        ].join('\n');
      const seen = new Set<string>();
      const kills: number[] = [];
      const drop = () => {
        bed.killConnections('host1');
        kills.push(Date.now());
      };
      const until = (cond: () => boolean) => waitFor(() => cond() && reconnects.length === kills.length, 30_000, 5);
      const driver = (async () => {
        await waitReached(g, 'start');
        drop();
        openGate(g, 'g0'); // produced while detached
        assert.ok(await until(() => seen.has('out10')), 'no out10');
        drop();
        openGate(g, 'g1');
        assert.ok(await until(() => seen.has('out3000')), 'no out3000');
        drop();
        assert.ok(await until(() => seen.has('last')), 'no last');
        drop();
        openGate(g, 'g3');
      })();
      void driver.catch(() => ['g0', 'g1', 'g3'].forEach((name) => openGate(g, name))); // fail, not hang
      let resultAt = 0;
      const c = await collect({ script: { text: script }, targets: ['host1'], sshConfig, sessions: pool }, (e) => {
        if (e.type === 'output' && e.stream === 'stdout') seen.add(e.line);
      }).then((x) => ((resultAt = Date.now()), x));
      await driver;
      const r = c.result('host1');
      assert.deepStrictEqual([r.status, r.exitCode], ['Failed', 7], show(c));
      const out = c.lines('host1');
      const expected = [...numbered('out', 1, BURST_END), 'last'];
      assert.strictEqual(out.length, expected.length, `stdout has ${out.length} lines, expected ${expected.length}`);
      assert.deepStrictEqual(out, expected);
      const err = [...numbered('err', 1, 10), ...numbered('err', 1, BURST_END).filter((l) => Number(l.slice(3)) % 1000 === 0)];
      assert.deepStrictEqual(c.lines('host1', 'stderr'), err);
      assert.strictEqual(kills.length, 4);
      assert.strictEqual(reconnects.length, 4, 'every drop was followed by one reconnect');
      assert.ok(resultAt >= reconnects[3], 'the exit code arrived after the last reconnect');
      const times = kills.map((k, i) => reconnects[i] - k);
      console.log(`      reconnect after a drop (delay 100 ms): ${times.join(', ')} ms`);
      assert.strictEqual(pool.state('host1'), 'connected');
    });

    it('a host that stays down ends the run Disconnected after bounded retries; once it is back, receive() (in this or another process) delivers the rest and the exit code', async () => {
      const pool = newPool({ reconnectAttempts: 3, reconnectDelayMs: 100 });
      await run(pool, 'v=kept', ['host2']);
      const g = gates();
      const script =
        gateFunctions(g) +
        'i=1; while [ $i -le 5 ]; do echo "out$i"; i=$((i+1)); done\nreached five\ngate down\n' +
        'i=6; while [ $i -le 30 ]; do echo "out$i"; i=$((i+1)); sleep 0.01; done\necho "err" >&2\nreached end\n(exit 5)';
      let stoppedAt = 0;
      const driver = (async () => {
        await waitReached(g, 'five');
        bed.stopHost('host2');
        stoppedAt = Date.now();
        openGate(g, 'down');
      })();
      const c = await run(pool, script, ['host2']);
      await driver;
      const r = c.result('host2');
      const gaveUpMs = Date.now() - stoppedAt;
      assert.strictEqual(r.status, 'Disconnected', show(c));
      assert.match(r.error ?? '', /3 reconnect attempts/);
      assert.match(r.error ?? '', /received later/);
      assert.ok(gaveUpMs < 10_000, `gave up after ${gaveUpMs} ms`);
      console.log(`      host down: run ended Disconnected ${gaveUpMs} ms after the host stopped (3 attempts, 100/200/400 ms)`);
      assert.deepStrictEqual(c.lines('host2'), numbered('out', 1, 5));
      const session = pool.session('host2');
      assert.strictEqual(session.state, 'disconnected', 'the session is Disconnected, not Broken');
      const saved = session.record;
      assert.ok(saved && saved.activeRunId !== undefined, `the record remembers the unreceived run: ${JSON.stringify(saved)}`);

      await waitReached(g, 'end'); // the run finished on the host while nobody could connect
      await bed.restartHost('host2');

      // Another process reattaching from the saved record.
      const other = new HostSession('host2', { durable: true, record: JSON.parse(JSON.stringify(saved)) });
      const k1 = keeper();
      const o1 = (await withTimeout(other.receive({ sshConfig }, k1), 20_000, 'receive from the saved record')) as RunOutcome;
      other.detach();
      assert.deepStrictEqual(o1.end, { kind: 'exited', exitCode: 5 });
      assert.deepStrictEqual(k1.lines.stdout, numbered('out', 6, 30));
      assert.deepStrictEqual(k1.lines.stderr, ['err']);

      // And the session itself.
      const k2 = keeper();
      const o2 = (await withTimeout(session.receive({ sshConfig }, k2), 20_000, 'HostSession.receive')) as RunOutcome;
      assert.deepStrictEqual(o2.end, { kind: 'exited', exitCode: 5 });
      assert.deepStrictEqual(k2.lines, { stdout: numbered('out', 6, 30), stderr: ['err'] });
      assert.strictEqual(session.record?.activeRunId, undefined, 'received: nothing left in flight');

      const after = await run(pool, 'echo "v=$v"', ['host2']);
      assert.strictEqual(after.result('host2').status, 'Completed', show(after));
      assert.deepStrictEqual(after.lines('host2'), ['v=kept'], 'the same shell carries on');
    });

    it('two durable sessions on the same host do not see each other\'s state', async () => {
      const a = newPool();
      const b = newPool();
      const ra = await run(a, 'shared=a; cd /tmp; echo $$');
      const rb = await run(b, 'echo "shared=${shared-unset}"; pwd; echo $$');
      assert.strictEqual(rb.lines('host1')[0], 'shared=unset');
      assert.notStrictEqual(rb.lines('host1')[1], '/tmp');
      assert.notStrictEqual(rb.lines('host1')[2], ra.lines('host1')[0], 'different shells');
      assert.notStrictEqual(a.session('host1').record?.dir, b.session('host1').record?.dir, 'different directories');
      assert.deepStrictEqual((await run(a, 'echo "shared=$shared"; pwd')).lines('host1'), ['shared=a', '/tmp']);
    });
  });

  describe('a host whose shell is /bin/sh (no bash in the session)', () => {
    let shBed: TestBed;
    let shConfig: SshConfigFile;
    let shHome: string;

    before(async () => {
      shHome = tmpDir('durable-sh-home');
      fs.chmodSync(shHome, 0o1777);
      // sshd keeps the first SetEnv line: it replaces the bed's own (HOME) one, so both go here.
      shBed = await startTestBed({ count: 1, namePrefix: 'shost', extraSshdConfig: `SetEnv SHELL=/bin/sh HOME=${shHome}` });
      shConfig = SshConfigFile.load(shBed.sshConfigPath);
    });
    after(async () => {
      if (shHome) reapRemoteShells(shHome);
      await shBed?.stop();
      if (shHome) fs.rmSync(shHome, { recursive: true, force: true });
    });

    it('keeps state and survives a dropped link mid-run, with only sh features', async () => {
      const pool = newPool({ reconnectDelayMs: 100 });
      const go = (text: string) => collect({ script: { text }, targets: ['shost1'], sshConfig: shConfig, sessions: pool });
      const r1 = await go('v=sh-state; cd /tmp; echo "${BASH_VERSION:-no bash}"; readlink /proc/$$/exe');
      assert.strictEqual(r1.result('shost1').status, 'Completed', show(r1));
      assert.strictEqual(r1.lines('shost1')[0], 'no bash');
      assert.match(r1.lines('shost1')[1], /\/dash$/);
      assert.strictEqual(pool.session('shost1').record?.hello.shell, 'sh');
      assert.strictEqual(path.dirname(pool.session('shost1').record?.dir ?? ''), sessionBase(shHome));

      const g = gates();
      const driver = (async () => {
        await waitReached(g, 'half');
        shBed.killConnections('shost1');
        openGate(g, 'go');
      })();
      const r2 = await go(gateFunctions(g) + 'i=1; while [ $i -le 20 ]; do echo "n$i"; i=$((i+1)); done\nreached half; gate go\ni=21; while [ $i -le 40 ]; do echo "n$i"; i=$((i+1)); done\necho "v=$v"; pwd\nfalse');
      await driver;
      assert.deepStrictEqual([r2.result('shost1').status, r2.result('shost1').exitCode], ['Failed', 1], show(r2));
      assert.deepStrictEqual(r2.lines('shost1'), [...numbered('n', 1, 40), 'v=sh-state', '/tmp']);
    });
  });

  describe('CLI: named sessions across processes', () => {
    let F: string[];
    let stateN = 0;
    before(() => {
      F = ['-F', bed.sshConfigPath];
    });
    const newState = () => path.join(work, `state-${++stateN}`);
    const shellRecord = (state: string, name: string, host = 'host1') =>
      JSON.parse(fs.readFileSync(path.join(state, 'sessions', `${name}.json`), 'utf8')).shells[host];

    it('run --session in a new CLI process sees the variables, functions and cwd an earlier one set; session list shows it Disconnected', async () => {
      const st = newState();
      const r1 = await cli(['run', ...F, '-H', 'host1', '--session', 'S', '-c', `v=from-first; f() { echo "f:$1"; }; cd '${work}'; echo $$`], st);
      assert.strictEqual(r1.code, 0, r1.stderr);
      const pid = linesOf(r1.stdout)[0].replace('host1: ', '');
      const r2 = await cli(['run', ...F, '--session', 'S', '-c', 'echo "$v"; f second; pwd; echo $$'], st);
      assert.strictEqual(r2.code, 0, r2.stderr);
      assert.deepStrictEqual(linesOf(r2.stdout), ['host1: from-first', 'host1: f:second', `host1: ${work}`, `host1: ${pid}`]);
      // The session's holder keeps it attached (warm) until `session disconnect` lets it go.
      const held = await cli(['session', 'list', ...F], st);
      assert.match(held.stdout, /^S host1: Opened idle \d+ s$/m);
      assert.strictEqual((await cli(['session', 'disconnect', 'S', ...F], st)).code, 0);
      // The detached client's attach shell may linger a moment (a zombie until reaped): Opened, then Disconnected.
      let list = await cli(['session', 'list', ...F], st);
      for (let i = 0; i < 10 && /: Opened/.test(list.stdout); i++) {
        await delay(300);
        list = await cli(['session', 'list', ...F], st);
      }
      assert.strictEqual(list.code, 0, list.stderr);
      assert.match(list.stdout, /^S host1: Disconnected idle \d+ s$/m);
      assert.strictEqual(fs.statSync(path.join(st, 'sessions')).mode & 0o077, 0, 'the state folder is private');
    });

    it('two named sessions on the same host do not see each other\'s state', async () => {
      const st = newState();
      for (const [name, value] of [['A', 'a'], ['B', 'b']]) {
        const r = await cli(['run', ...F, '-H', 'host1', '--session', name, '-c', `x=${value}`], st);
        assert.strictEqual(r.code, 0, r.stderr);
      }
      const ra = await cli(['run', ...F, '--session', 'A', '-c', 'echo "x=$x"; echo $$'], st);
      const rb = await cli(['run', ...F, '--session', 'B', '-c', 'echo "x=$x"; echo $$'], st);
      const [xa, pa] = linesOf(ra.stdout);
      const [xb, pb] = linesOf(rb.stdout);
      assert.deepStrictEqual([xa, xb], ['host1: x=a', 'host1: x=b']);
      assert.notStrictEqual(pa, pb);
      assert.notStrictEqual(shellRecord(st, 'A').dir, shellRecord(st, 'B').dir);
    });

    it('a CLI killed (SIGKILL) mid-run: session receive in a new process prints the rest exactly once and the exit status; the state is kept', async () => {
      const st = newState();
      const g = gates();
      const script =
        gateFunctions(g) +
        'v=kept\ni=1; while [ $i -le 5 ]; do echo "line$i"; i=$((i+1)); done\nreached five\ngate go\n' +
        'i=6; while [ $i -le 12 ]; do echo "line$i"; i=$((i+1)); sleep 0.02; done\necho oops >&2\n(exit 3)';
      const first = spawnCli(['run', ...F, '-H', 'host1', '--session', 'K', '-c', script], st);
      await first.waitForStdout('host1: line5\n');
      await delay(800); // the CLI saves its offsets every 500 ms
      const busy = await cli(['session', 'list', 'K', ...F], st);
      assert.match(busy.stdout, /^K host1: Busy/m, busy.stdout + busy.stderr);
      first.child.kill('SIGKILL');
      const killed = await first.done;
      assert.strictEqual(killed.signal, 'SIGKILL');
      assert.ok(shellRecord(st, 'K').activeRunId !== undefined, 'the saved record names the run in flight');
      openGate(g, 'go'); // the rest is produced with nobody attached

      const r = await cli(['session', 'receive', 'K', ...F], st);
      assert.strictEqual(r.code, 1, `exit 3 of the script → 1: ${r.stderr}`);
      assert.deepStrictEqual(linesOf(r.stdout), numbered('host1: line', 6, 12));
      assert.deepStrictEqual(linesOf(killed.stdout), numbered('host1: line', 1, 5));
      assert.match(r.stderr, /^host1: oops$/m);
      assert.match(r.stderr, /^host1: Failed \(exit 3/m);

      const again = await cli(['session', 'receive', 'K', ...F], st);
      assert.deepStrictEqual([again.code, again.stdout], [0, ''], 'a second receive has nothing left');
      const next = await cli(['run', ...F, '--session', 'K', '-c', 'echo "v=$v"'], st);
      assert.strictEqual(next.code, 0, next.stderr);
      assert.deepStrictEqual(linesOf(next.stdout), ['host1: v=kept']);
    });

    it('a CLI killed during a steady stream: session receive loses nothing and keeps the order (a repeat is bounded by the save interval)', async () => {
      const st = newState();
      const script = 'i=1; while [ $i -le 80 ]; do echo "s$i"; i=$((i+1)); sleep 0.02; done; echo end';
      const first = spawnCli(['run', ...F, '-H', 'host1', '--session', 'T', '-c', script], st);
      await first.waitForStdout('host1: s25\n');
      first.child.kill('SIGKILL');
      const killed = await first.done;
      const r = await cli(['session', 'receive', 'T', ...F], st);
      assert.strictEqual(r.code, 0, r.stderr);
      const a = linesOf(killed.stdout).map((l) => l.replace('host1: ', ''));
      const b = linesOf(r.stdout).map((l) => l.replace('host1: ', ''));
      const all = [...numbered('s', 1, 80), 'end'];
      assert.deepStrictEqual(a, all.slice(0, a.length), 'the killed process printed a prefix');
      const start = all.indexOf(b[0]);
      assert.ok(start >= 0 && start <= a.length, `receive starts at ${b[0]} after the killed process printed ${a.length} lines: something was lost`);
      assert.deepStrictEqual(b, all.slice(start), 'receive prints the rest, in order');
      const repeated = a.length - start;
      console.log(`      SIGKILLed CLI: printed ${a.length} lines, receive repeated ${repeated}`);
      assert.ok(repeated <= 50, `${repeated} lines repeated`);
    });

    it('a CLI killed while its reader lags behind: session receive starts no later than what reached the reader', async () => {
      const st = newState();
      // far more than the pipe holds: the CLI waits on its stdout with lines queued behind it
      const script = 'i=1; while [ $i -le 30000 ]; do echo "p$i"; i=$((i+1)); done; echo end';
      const first = spawnCli(['run', ...F, '-H', 'host1', '--session', 'P', '-c', script], st, { slowReaderMs: 2500 });
      setTimeout(() => first.child.kill('SIGKILL'), 2000); // several offset saves while blocked
      const killed = await first.done;
      assert.strictEqual(killed.signal, 'SIGKILL');
      const r = await cli(['session', 'receive', 'P', ...F], st);
      assert.strictEqual(r.code, 0, r.stderr);
      const a = linesOf(killed.stdout).map((l) => l.replace('host1: ', ''));
      const b = linesOf(r.stdout).map((l) => l.replace('host1: ', ''));
      const all = [...numbered('p', 1, 30000), 'end'];
      assert.ok(a.length > 0 && a.length < 30000, `the killed process printed ${a.length} lines; stderr: ${killed.stderr}; receive: ${r.stdout.length} bytes`);
      assert.deepStrictEqual(a, all.slice(0, a.length), 'the killed process printed a prefix');
      const start = all.indexOf(b[0]);
      assert.ok(start >= 0 && start <= a.length, `receive starts at ${b[0]} but the reader got only ${a.length} lines: ${start - a.length} lines lost`);
      assert.deepStrictEqual(b, all.slice(start), 'receive prints the rest, in order');
      console.log(`      lagging reader: got ${a.length} lines before the kill, receive repeated ${a.length - start}`);
    });

    it('a dropped link during a CLI run: it reconnects by itself and the output and exit status are complete', async () => {
      const st = newState();
      const script = 'i=1; while [ $i -le 40 ]; do echo "d$i"; echo "e$i" >&2; i=$((i+1)); sleep 0.05; done; exit_code=4; (exit $exit_code)';
      const p = spawnCli(['run', ...F, '-H', 'host2', '--session', 'D', '-c', script], st);
      await p.waitForStdout('host2: d5\n');
      bed.killConnections('host2');
      await p.waitForStdout('host2: d25\n');
      bed.killConnections('host2');
      const r = await p.done;
      assert.strictEqual(r.code, 1, r.stderr);
      assert.deepStrictEqual(linesOf(r.stdout), numbered('host2: d', 1, 40));
      const err = linesOf(r.stderr);
      assert.deepStrictEqual(err.slice(0, 40), numbered('host2: e', 1, 40));
      assert.match(err[40], /^host2: Failed \(exit 4/);
      console.log(`      CLI run with two dropped links (default reconnect delay 500 ms): ${r.ms} ms for a 2 s script`);
    });

    it('idle timeout: a detached idle session ends itself and removes its directory; a busy detached one and an attached one are not reaped', async () => {
      const st = newState();
      // Idle and detached: reaped.
      const created = await cli(['session', 'new', 'I', '-H', 'host1', '--idle-timeout', '3', ...F], st);
      const detachedAt = Date.now();
      assert.strictEqual(created.code, 0, created.stderr);
      assert.match(created.stdout, /^I host1: Opened$/m);
      const idle = shellRecord(st, 'I');
      const idlePid = idle.hello.pid as number;
      assert.ok(fs.existsSync(idle.dir) && isLive(idlePid));

      // Busy and detached: a run in flight whose CLI was killed.
      const g = gates();
      const busyCli = spawnCli(['run', ...F, '-H', 'host1', '--session', 'B', '--idle-timeout', '3', '-c', gateFunctions(g) + 'reached busy; gate done; echo finished'], st);
      await waitReached(g, 'busy');
      await delay(700); // saved with the run in flight
      busyCli.child.kill('SIGKILL');
      await busyCli.done;
      const busyDetachedAt = Date.now();
      const busy = shellRecord(st, 'B');

      // Attached and idle: an engine pool with the same limit.
      const pool = newPool({ idleTimeoutSeconds: 3 });
      const a1 = await run(pool, 'v=attached; echo $$');
      const attachedPid = a1.lines('host1')[0];
      const attachedSince = Date.now();
      const attachedDir = pool.session('host1').record?.dir as string;

      assert.ok(await waitFor(() => !fs.existsSync(idle.dir), 15_000, 50), 'the idle session was not removed');
      const reapMs = Date.now() - detachedAt;
      assert.ok(await waitGone(idlePid, 3000), 'the idle session\'s shell still runs');
      assert.ok(reapMs >= 2000, `reaped after ${reapMs} ms, before its 3 s limit`);
      console.log(`      idle timeout 3 s: shell ended and directory removed ${reapMs} ms after the CLI detached`);

      // Both others have now spent more than limit + a tick without a reattach / a run.
      const waitUntil = Math.max(busyDetachedAt, attachedSince) + 5000;
      await delay(Math.max(0, waitUntil - Date.now()));
      assert.ok(fs.existsSync(busy.dir) && isLive(busy.hello.pid), 'a busy detached session was reaped');
      assert.ok(fs.existsSync(attachedDir) && isLive(Number(attachedPid)), 'an attached session was reaped');
      const a2 = await run(pool, 'echo "v=$v"; echo $$');
      assert.deepStrictEqual(a2.lines('host1'), ['v=attached', attachedPid]);
      openGate(g, 'done');
      const received = await cli(['session', 'receive', 'B', ...F], st);
      assert.strictEqual(received.code, 0, received.stderr);
      assert.deepStrictEqual(linesOf(received.stdout), ['host1: finished']);

      // The reaped session is replaced by the next run, which runs and says its state was reset.
      const gone = await cli(['run', ...F, '--session', 'I', '-c', 'echo hi'], st);
      assert.strictEqual(gone.code, 0, gone.stderr);
      assert.strictEqual(gone.stdout, 'host1: hi\n');
      assert.match(gone.stderr, /note: .*no longer existed.*idle timeout.*state was reset/);
    });

    it('privacy: the session directory is 0700, its files 0600; another user on the host can neither read the spool nor write to the shell', async function () {
      if (process.getuid?.() !== 0) this.skip();
      const st = newState();
      const secret = `secret-${crypto.randomBytes(6).toString('hex')}`;
      const r = await cli(['run', ...F, '-H', 'host1', '--session', 'P', '-c', `echo ${secret}; echo ${secret} >&2`], st);
      assert.strictEqual(r.code, 0, r.stderr);
      const dir = shellRecord(st, 'P').dir as string;
      const base = sessionBase(bed.homeDir);
      const cache = path.dirname(base);
      assert.strictEqual(modeOf(base), '700');
      assert.strictEqual(modeOf(dir), '700');
      // The run's own files (its script) follow the login umask, as in any session: the directory keeps them private.
      for (const f of ['out', 'err', 'in', 'pid', 'busy', 'run', 'attached']) assert.strictEqual(modeOf(path.join(dir, f)), '600', f);
      assert.ok(fs.readFileSync(path.join(dir, 'out'), 'utf8').includes(secret));

      const user = ensurePasswordUser(`ridurable${process.pid % 100000}`, crypto.randomBytes(9).toString('hex'));
      const modes = { cache: modeOf(cache), base: modeOf(base), dir: modeOf(dir) };
      const as = (command: string) => spawnSync('su', ['-s', '/bin/sh', user, '-c', command], { encoding: 'utf8', timeout: 5000 });
      const denied = (command: string, what: string) => {
        const x = as(command);
        assert.notStrictEqual(x.status, 0, `${what}: ${x.stdout}`);
        assert.match(x.stderr, /Permission denied/, `${what}: ${x.stderr}`);
        assert.ok(!x.stdout.includes(secret), what);
      };
      try {
        denied(`cat '${dir}/out'`, 'read out');
        denied(`cat '${dir}/err'`, 'read err');
        // Only the session directory's own mode in the way:
        fs.chmodSync(cache, 0o711);
        fs.chmodSync(base, 0o711);
        fs.writeFileSync(path.join(base, 'probe'), 'readable\n', { mode: 0o644 });
        assert.strictEqual(as(`cat '${base}/probe'`).stdout, 'readable\n', 'control: the other user can read a public file there');
        denied(`cat '${dir}/out'`, 'read out through a traversable parent');
        denied(`ls '${dir}'`, 'list the session dir');
        // Only the files' own modes in the way:
        fs.chmodSync(dir, 0o711);
        denied(`cat '${dir}/out'`, 'read out in a traversable dir');
        denied(`cat '${dir}/err'`, 'read err in a traversable dir');
        denied(`echo 'touch /tmp/ri-durable-injected' >'${dir}/in'`, 'write to the shell\'s FIFO');
      } finally {
        fs.rmSync(path.join(base, 'probe'), { force: true });
        fs.chmodSync(dir, parseInt(modes.dir, 8));
        fs.chmodSync(base, parseInt(modes.base, 8));
        fs.chmodSync(cache, parseInt(modes.cache, 8));
        removePasswordUser(user);
      }
      assert.ok(!fs.existsSync('/tmp/ri-durable-injected'));
      const still = await cli(['run', ...F, '--session', 'P', '-c', 'echo ok'], st);
      assert.deepStrictEqual([still.code, linesOf(still.stdout)], [0, ['host1: ok']]);
    });

    it('a script that exits its durable session: that run fails with its code and the session lives on across CLI processes; a killed shell is replaced by the next run, with a notice', async () => {
      const st = newState();
      const r0 = await cli(['run', ...F, '-H', 'host1', '--session', 'X', '-c', 'x=1; echo $$'], st);
      assert.strictEqual(r0.code, 0, r0.stderr);
      const oldPid = linesOf(r0.stdout)[0];
      const r1 = await cli(['run', ...F, '--session', 'X', '-c', 'echo bye; exit 3'], st);
      assert.strictEqual(r1.code, 1, r1.stderr);
      assert.deepStrictEqual(linesOf(r1.stdout), ['host1: bye']);
      assert.match(r1.stderr, /^host1: Failed \(exit 3/m);
      const list = await cli(['session', 'list', 'X', ...F], st);
      assert.doesNotMatch(list.stdout, /Broken/, list.stdout + list.stderr);
      const r2 = await cli(['run', ...F, '--session', 'X', '-c', 'echo "x=${x-gone}"; echo $$'], st);
      assert.strictEqual(r2.code, 0, r2.stderr);
      assert.deepStrictEqual(linesOf(r2.stdout), ['host1: x=1', oldPid]);
      const r3 = await cli(['run', ...F, '--session', 'X', '-c', 'kill -9 $$'], st);
      assert.notStrictEqual(r3.code, 0);
      const r4 = await cli(['run', ...F, '--session', 'X', '-c', 'echo "x=${x-gone}"; echo $$'], st);
      assert.strictEqual(r4.code, 0, r4.stderr);
      const [x, pid] = linesOf(r4.stdout);
      assert.strictEqual(x, 'host1: x=gone');
      assert.notStrictEqual(pid, oldPid);
      assert.match(r4.stderr, /^host1: note: .*state was reset/m);
    });
  });
});
