/**
 * Warm CLI sessions (src/cli/holder.ts) against real sshd: the first `run --session` starts a
 * holder that keeps the connection, later CLI processes run through it (same attachment, state
 * kept); a holder killed mid-run leaves the run to `session receive` and the shell alive; a stale
 * socket is replaced; another uid can neither connect nor, with the modes loosened, get past the
 * token; an unusable socket directory means connecting directly, silently; the idle timeout and
 * `session remove` end the holder.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ensurePasswordUser, removePasswordUser, startTestBed, type TestBed } from '../support/sshd';
import { delay, isLive, tmpDir, waitFor } from './helpers/engine';
import { cli, ensureBuilt, gateFunctions, linesOf, openGate, reapRemoteShells, spawnCli, waitReached } from './helpers/durable';

describe('warm CLI sessions: the session holder (real sshd)', function () {
  this.timeout(90_000);
  let bed: TestBed;
  let work: string;
  let runtimeDir: string;
  let F: string[];
  let stateN = 0;
  const savedRuntime = process.env.XDG_RUNTIME_DIR;
  const newState = () => path.join(work, `state-${++stateN}`);

  before(async () => {
    ensureBuilt();
    bed = await startTestBed({ count: 2 });
    work = tmpDir('holder');
    // The holders' sockets go to a directory of this suite (spawnCli passes the environment on).
    runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rih-'));
    process.env.XDG_RUNTIME_DIR = runtimeDir;
    F = ['-F', bed.sshConfigPath];
  });
  after(async () => {
    // Every holder of this suite: asked to end by its own pid file, then its files.
    const dir = path.join(runtimeDir, `remote-invoke-${process.getuid?.()}`);
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.pid')) : []) {
      try {
        const pid = Number(fs.readFileSync(path.join(dir, f), 'utf8'));
        if (Number.isInteger(pid) && pid > 1) process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    if (savedRuntime === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = savedRuntime;
    await delay(200);
    if (bed) reapRemoteShells(bed.homeDir);
    await bed?.stop();
    fs.rmSync(runtimeDir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  const socketDir = () => path.join(runtimeDir, `remote-invoke-${process.getuid?.()}`);
  const holderFiles = (ext: string) => (fs.existsSync(socketDir()) ? fs.readdirSync(socketDir()).filter((f) => f.endsWith(ext)) : []);
  /** The pids of the suite's live holders. */
  const holders = () =>
    holderFiles('.pid')
      .map((f) => Number(fs.readFileSync(path.join(socketDir(), f), 'utf8')))
      .filter((pid) => Number.isInteger(pid) && pid > 1 && isLive(pid));
  /** The holder a direct run started for its session, once it listens. */
  const newHolder = async (before: number[]): Promise<number> => {
    let found: number | undefined;
    await waitFor(() => !!(found = holders().find((p) => !before.includes(p))) && holderFiles('.sock').length > 0, 10_000);
    assert.ok(found, 'a holder was started');
    return found;
  };
  const attachedPid = (state: string, name: string, host = 'host1') => {
    const dir = JSON.parse(fs.readFileSync(path.join(state, 'sessions', `${name}.json`), 'utf8')).shells[host].dir;
    return fs.readFileSync(path.join(dir, 'attached'), 'utf8').trim();
  };

  it('the first run --session starts a holder; the next CLI process runs through it: same attachment, state kept, faster', async () => {
    const st = newState();
    const before = holders();
    const r1 = await cli(['run', ...F, '-H', 'host1,host2', '--session', 'W', '-c', 'v=warm; echo $$'], st);
    assert.strictEqual(r1.code, 0, r1.stderr);
    const started = [await newHolder(before)];
    assert.strictEqual(holders().filter((p) => !before.includes(p)).length, 1, 'one holder for the session');
    // The first run went directly; the next ones go through the holder.
    const warmUp = await cli(['run', ...F, '--session', 'W', '-c', 'true'], st);
    assert.strictEqual(warmUp.code, 0, warmUp.stderr);
    const attach1 = attachedPid(st, 'W');
    const [pid1] = linesOf(r1.stdout).filter((l) => l.startsWith('host1:'));
    const r2 = await cli(['run', ...F, '--session', 'W', '-c', 'echo "v=$v $$"'], st);
    assert.strictEqual(r2.code, 0, r2.stderr);
    assert.deepStrictEqual(linesOf(r2.stdout).sort(), [`host1: v=warm ${pid1.slice(7)}`, expect2(r1.stdout)].sort());
    assert.strictEqual(attachedPid(st, 'W'), attach1, 'the same attach shell: no reconnect');
    assert.match(r2.stderr, /^host1: Completed/m);
    // A third process, timed: through the holder a run costs a CLI start and a round trip.
    const r3 = await cli(['run', ...F, '--session', 'W', '-c', 'echo "v=$v"'], st);
    assert.strictEqual(r3.code, 0, r3.stderr);
    console.log(`      cold run --session (connect + holder start) ${r1.ms} ms; warm through the holder ${r2.ms}, ${r3.ms} ms`);
    const removed = await cli(['session', 'remove', 'W', ...F], st);
    assert.strictEqual(removed.code, 0, removed.stderr);
    assert.ok(await waitFor(() => !isLive(started[0]), 5000), 'session remove ends the holder');
  });

  function expect2(stdout: string): string {
    const pid = linesOf(stdout).find((l) => l.startsWith('host2:'))!.slice(7);
    return `host2: v=warm ${pid}`;
  }

  it('a holder killed mid-run: the CLI says Disconnected at once, the shell survives, session receive gets the rest, the next run starts a new holder', async () => {
    const st = newState();
    const g = tmpDir('holder-gate');
    const r0 = await cli(['run', ...F, '-H', 'host1', '--session', 'K', '-c', 'v=kept; echo $$'], st);
    assert.strictEqual(r0.code, 0, r0.stderr);
    const shellPid = linesOf(r0.stdout)[0].slice(7);
    const holder = await newHolder([]);
    const running = spawnCli(['run', ...F, '--session', 'K', '-c', gateFunctions(g) + 'echo one; reached mid; gate go; echo two; (exit 4)'], st);
    await waitReached(g, 'mid');
    await running.waitForStdout('host1: one\n');
    await delay(700); // the holder saves the acknowledged offsets twice a second
    process.kill(holder, 'SIGKILL');
    const killedAt = Date.now();
    const r = await running.done;
    assert.ok(Date.now() - killedAt < 3000, 'the CLI noticed at once');
    assert.strictEqual(r.code, 3, r.stderr);
    assert.match(r.stderr, /^host1: Disconnected .*holder ended during the run.*session receive K/m);
    openGate(g, 'go');
    const received = await cli(['session', 'receive', 'K', ...F], st);
    assert.strictEqual(received.code, 1, received.stderr);
    assert.deepStrictEqual(linesOf(received.stdout), ['host1: two']);
    assert.match(received.stderr, /^host1: Failed \(exit 4/m);
    const next = await cli(['run', ...F, '--session', 'K', '-c', 'echo "v=$v $$"'], st);
    assert.strictEqual(next.code, 0, next.stderr);
    assert.deepStrictEqual(linesOf(next.stdout), [`host1: v=kept ${shellPid}`], 'the same remote shell, state kept');
    await cli(['session', 'remove', 'K', ...F], st);
    fs.rmSync(g, { recursive: true, force: true });
  });

  it('a stale socket (its holder killed, files left behind) is replaced by a new holder; the run is correct', async () => {
    const st = newState();
    const r0 = await cli(['run', ...F, '-H', 'host2', '--session', 'S', '-c', 'v=stale; true'], st);
    assert.strictEqual(r0.code, 0, r0.stderr);
    const pid = await newHolder([]);
    const before = new Set(holderFiles('.sock'));
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isLive(pid), 3000);
    assert.ok(holderFiles('.sock').length >= 1 && [...before].every((s) => fs.existsSync(path.join(socketDir(), s))), 'the socket file stays behind');
    const r = await cli(['run', ...F, '--session', 'S', '-c', 'echo "v=$v"'], st);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(linesOf(r.stdout), ['host2: v=stale']);
    assert.deepStrictEqual(r.stderr.split('\n').filter(Boolean).length, 1, `only the result line: ${r.stderr}`);
    const now = holders();
    assert.ok(!now.includes(pid), 'the killed holder stays dead');
    assert.ok((await newHolder([pid])) !== pid, 'a new holder listens on the old path');
    await cli(['session', 'remove', 'S', ...F], st);
  });

  it('another uid: cannot connect to the socket (0700 directory); with the modes loosened it cannot read the token and is refused', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const st = newState();
    const r0 = await cli(['run', ...F, '-H', 'host1', '--session', 'U', '-c', 'true'], st);
    assert.strictEqual(r0.code, 0, r0.stderr);
    await newHolder([]);
    // The socket of the holder that is alive (a stale one of an earlier test may be there too).
    const [pidFile] = holderFiles('.pid').filter((f) => isLive(Number(fs.readFileSync(path.join(socketDir(), f), 'utf8'))));
    const socket = path.join(socketDir(), pidFile.replace(/\.pid$/, '.sock'));
    const tokenFile = socket.replace(/\.sock$/, '.token');
    const marker = `/tmp/ri-holder-injected-${crypto.randomBytes(4).toString('hex')}`;
    const user = ensurePasswordUser(`riholder${process.pid % 100000}`, crypto.randomBytes(9).toString('hex'));
    const probe = `
      const net = require('net');
      const s = net.connect(${JSON.stringify(socket)});
      s.on('connect', () => {
        console.log('connected');
        s.write(JSON.stringify({ token: 'guess', type: 'run', prompts: [], request: { script: { text: 'touch ${marker}' }, targets: ['host1'] } }) + '\\n');
      });
      s.on('data', (d) => console.log('answer ' + d));
      s.on('error', (e) => console.log('error ' + e.code));
      s.on('close', () => console.log('closed'));
      setTimeout(() => process.exit(0), 3000);`;
    const asUser = (args: string[]) => spawnSync('su', ['-s', '/bin/sh', user, '-c', args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')], { encoding: 'utf8', timeout: 10_000 });
    const modes = { runtime: fs.statSync(runtimeDir).mode & 0o777, dir: fs.statSync(socketDir()).mode & 0o777 };
    try {
      fs.chmodSync(runtimeDir, 0o711); // only the socket directory's own mode in the way
      const denied = asUser([process.execPath, '-e', probe]);
      const modes = `${fs.statSync(runtimeDir).mode.toString(8)} ${fs.statSync(socketDir()).mode.toString(8)} ${fs.statSync(socket).mode.toString(8)}`;
      assert.match(denied.stdout, /error EACCES/, `${denied.stdout}${denied.stderr} (modes ${modes})`);
      assert.doesNotMatch(denied.stdout, /connected/);
      // Loosened: the other uid reaches the socket, but the token file stays unreadable to it.
      fs.chmodSync(socketDir(), 0o711);
      fs.chmodSync(socket, 0o666);
      const token = asUser(['cat', tokenFile]);
      assert.notStrictEqual(token.status, 0);
      assert.match(token.stderr, /Permission denied/);
      const refused = asUser([process.execPath, '-e', probe]);
      assert.match(refused.stdout, /connected/, refused.stdout + refused.stderr);
      assert.match(refused.stdout, /closed/);
      assert.doesNotMatch(refused.stdout, /answer/, 'the holder said nothing to it');
    } finally {
      fs.chmodSync(socketDir(), modes.dir);
      fs.chmodSync(runtimeDir, modes.runtime);
      fs.chmodSync(socket, 0o600);
      removePasswordUser(user);
    }
    await delay(300);
    assert.ok(!fs.existsSync(marker), 'nothing ran for the other uid');
    const still = await cli(['run', ...F, '--session', 'U', '-c', 'echo ok'], st);
    assert.deepStrictEqual([still.code, linesOf(still.stdout)], [0, ['host1: ok']], still.stderr);
    await cli(['session', 'remove', 'U', ...F], st);
  });

  it('fallback: with no usable socket directory the CLI connects directly, says nothing more, and keeps the session', async () => {
    const st = newState();
    const dir = socketDir();
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const mode = fs.statSync(dir).mode & 0o777;
    const before = holders();
    try {
      fs.chmodSync(dir, 0o777); // not private: not to be trusted
      const r1 = await cli(['run', ...F, '-H', 'host1', '--session', 'D', '-c', 'v=direct; echo one'], st);
      const r2 = await cli(['run', ...F, '--session', 'D', '-c', 'echo "v=$v"'], st);
      assert.deepStrictEqual([r1.code, linesOf(r1.stdout)], [0, ['host1: one']], r1.stderr);
      assert.deepStrictEqual([r2.code, linesOf(r2.stdout)], [0, ['host1: v=direct']], r2.stderr);
      assert.deepStrictEqual(linesOf(r2.stderr).map((l) => l.replace(/\(.*/, '')), ['host1: Completed ']);
      assert.deepStrictEqual(holders().filter((p) => !before.includes(p)), [], 'no holder was started');
    } finally {
      fs.chmodSync(dir, mode);
    }
    await cli(['session', 'remove', 'D', ...F], st);
  });

  it('the holder ends after the session idle timeout and lets go of the shell, whose own idle timeout then runs', async () => {
    const st = newState();
    const before = holders();
    const r1 = await cli(['run', ...F, '-H', 'host1', '--session', 'T', '--idle-timeout', '4', '-c', 'v=idle'], st);
    assert.strictEqual(r1.code, 0, r1.stderr);
    const holder = await newHolder(before);
    const list = await cli(['session', 'list', 'T', ...F], st);
    assert.match(list.stdout, /^T host1: Opened/m, 'held while the holder lives');
    const startedWaiting = Date.now();
    assert.ok(await waitFor(() => !isLive(holder), 8000), 'the holder outlived its idle timeout');
    assert.ok(Date.now() - startedWaiting >= 2000, 'the holder ended before its idle timeout');
    let after = await cli(['session', 'list', 'T', ...F], st);
    for (let i = 0; i < 5 && /: Opened/.test(after.stdout); i++) after = await cli(['session', 'list', 'T', ...F], st);
    assert.match(after.stdout, /^T host1: (Disconnected|Broken)/m, after.stdout + after.stderr);
    await cli(['session', 'remove', 'T', ...F], st);
  });
});
