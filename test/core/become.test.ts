/**
 * Run as root with real sudo: throw-away users (made with useradd, removed afterwards) with a
 * password sudo rule, a NOPASSWD rule, and none, in one sudoers.d file of this test. `id -u` is
 * 0; the password is in no process's argv or environment; a wrong one is AuthFailed with
 * sudo's message after one more prompt per run (not per host); a user without sudo rights gets a
 * clear error; state persists in a root session, which is apart from the user's own.
 */
import * as assert from 'assert';
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SessionPool, SshConfigFile, type InvokeRequest } from '../../src/core';
import { ensurePasswordUser, removePasswordUser, startTestBed, type TestBed } from '../support/sshd';
import { ensureBuilt, linesOf } from './helpers/durable';

const BIN = path.join(__dirname, '..', '..', 'bin', 'remote-invoke.js');
import { collect, descendantsOf, hostBlock, show, tmpDir } from './helpers/engine';

// Names of this process's own: test runs in other checkouts on the same machine make and remove theirs.
const RUN = String(process.pid % 100000);
const WITH_PASSWORD = `ri_fo_pw${RUN}`;
const NO_PASSWORD = `ri_fo_np${RUN}`;
const NO_SUDO = `ri_fo_ns${RUN}`;
const PASSWORD = 'Ri-sudo-Pw-7391';
const SUDOERS = `/etc/sudoers.d/ri-fleetops-test-${RUN}`;

/** The argv and environment of the given processes that contain `needle`, and the commands running with root rights. */
function scanProcesses(pids: number[], needle: string): { hits: string[]; rootCommands: string[] } {
  const hits: string[] = [];
  const rootCommands: string[] = [];
  for (const pid of pids) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`);
      const environ = fs.readFileSync(`/proc/${pid}/environ`);
      if (cmdline.includes(needle)) hits.push(`${pid} argv`);
      if (environ.includes(needle)) hits.push(`${pid} environ`);
      if (/^Uid:\s+\d+\s+0\s/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))) rootCommands.push(cmdline.toString().replace(/\0/g, ' ').trim());
    } catch {
      /* gone */
    }
  }
  return { hits, rootCommands };
}

/** Every process on the machine (a durable root shell is detached from sshd). */
function allPids(): number[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

/** Processes whose argv contains `needle` (e.g. a session directory, a test's own sleep). */
function processesWith(needle: string): { pid: number; uid: number; cmd: string }[] {
  const found: { pid: number; uid: number; cmd: string }[] = [];
  for (const pid of allPids()) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!cmd.includes(needle) || pid === process.pid) continue;
      const uid = Number(/^Uid:\s+\d+\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      found.push({ pid, uid, cmd });
    } catch {
      /* gone */
    }
  }
  return found;
}

async function until(what: string, check: () => boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('run as root: sudo with one prompt per run (real sshd, real sudo)', function () {
  this.timeout(90_000);
  let bed: TestBed;
  let work: string;
  let config: SshConfigFile;
  let configPath: string;

  before(async function () {
    if (process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/sudo')) this.skip();
    ensureBuilt();
    bed = await startTestBed({ count: 3 });
    work = tmpDir('become');
    for (const u of [WITH_PASSWORD, NO_PASSWORD, NO_SUDO]) ensurePasswordUser(u, PASSWORD);
    const rules = `${WITH_PASSWORD} ALL=(ALL:ALL) ALL\n${NO_PASSWORD} ALL=(ALL:ALL) NOPASSWD: ALL\n`;
    const staged = path.join(work, 'sudoers');
    fs.writeFileSync(staged, rules, { mode: 0o440 });
    execFileSync('visudo', ['-c', '-q', '-f', staged]);
    fs.copyFileSync(staged, SUDOERS);
    fs.chmodSync(SUDOERS, 0o440);
    // The shared client key must be readable by the throw-away users (sshd reads it as them).
    fs.chmodSync(bed.clientKeyPath + '.pub', 0o644);
    const blocks: string[] = [];
    for (const [prefix, user] of [['pw', WITH_PASSWORD], ['np', NO_PASSWORD], ['none', NO_SUDO]]) {
      bed.hosts.forEach((h, i) =>
        blocks.push(hostBlock(`${prefix}${i + 1}`, h, { User: user, IdentityFile: bed.clientKeyPath, IdentitiesOnly: 'yes', UserKnownHostsFile: bed.knownHostsPath, StrictHostKeyChecking: 'yes' })),
      );
    }
    configPath = path.join(work, 'ssh_config');
    fs.writeFileSync(configPath, blocks.join('\n'));
    config = SshConfigFile.load(configPath);
  });
  after(async () => {
    fs.rmSync(SUDOERS, { force: true });
    for (const u of [WITH_PASSWORD, NO_PASSWORD, NO_SUDO]) removePasswordUser(u);
    await bed?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** Callbacks that answer the sudo prompt from a list, recording each question. */
  const answering = (...answers: (string | undefined)[]) => {
    const asked: { host: string; loginUser: string; asUser: string; retry: boolean }[] = [];
    return {
      asked,
      callbacks: {
        askBecomePassword: async (host: string, loginUser: string, asUser: string, attempt?: number) => {
          asked.push({ host, loginUser, asUser, retry: !!attempt });
          return answers[asked.length - 1];
        },
      },
    };
  };
  const request = (targets: string[], text: string, fields: Partial<InvokeRequest> = {}): InvokeRequest => ({
    sshConfig: config,
    script: { text },
    targets,
    become: {},
    ...fields,
  });

  it('password sudo on three hosts: id -u prints 0 everywhere, the password asked once', async () => {
    const { asked, callbacks } = answering(PASSWORD);
    const c = await collect(request(['pw1', 'pw2', 'pw3'], 'id -u; id -un', { callbacks }));
    assert.ok(c.results.every((r) => r.status === 'Completed'), show(c));
    for (const h of ['pw1', 'pw2', 'pw3']) assert.deepStrictEqual(c.lines(h), ['0', 'root']);
    assert.deepStrictEqual(asked, [{ host: asked[0].host, loginUser: WITH_PASSWORD, asUser: 'root', retry: false }]);
  });

  it('the password is in no process argv or environment while the root shells run', async () => {
    const { callbacks } = answering(PASSWORD);
    const hits = new Set<string>();
    const rootCommands = new Set<string>();
    let scans = 0;
    let running = true;
    // Everything on "the host": the sshd processes of the two bed hosts and all they started.
    const listeners = [bed.listenerPid('host1'), bed.listenerPid('host2')];
    const scanner = (async () => {
      while (running) {
        const found = scanProcesses(listeners.flatMap((p) => descendantsOf(p)), PASSWORD);
        found.hits.forEach((h) => hits.add(h));
        found.rootCommands.forEach((c) => rootCommands.add(c));
        scans++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const c = await collect(request(['pw1', 'pw2'], 'sleep 3; id -u', { callbacks }));
    running = false;
    await scanner;
    assert.ok(c.results.every((r) => r.status === 'Completed'), show(c));
    assert.ok(scans >= 3, `scanned ${scans} times`);
    assert.ok([...rootCommands].some((cmd) => /^sleep 3$/.test(cmd)), `the scan saw the root script running: ${[...rootCommands].join(' | ')}`);
    assert.ok([...rootCommands].some((cmd) => /^sudo -S -p  -u root -- /.test(cmd)), `and sudo: ${[...rootCommands].join(' | ')}`);
    assert.deepStrictEqual([...hits], [], 'the sudo password showed up in /proc');
  });

  it('NOPASSWD: never asked', async () => {
    const { asked, callbacks } = answering('should-not-be-used');
    const c = await collect(request(['np1', 'np2', 'np3'], 'id -u', { callbacks }));
    assert.ok(c.results.every((r) => r.status === 'Completed'), show(c));
    for (const h of ['np1', 'np2', 'np3']) assert.deepStrictEqual(c.lines(h), ['0']);
    assert.strictEqual(asked.length, 0);
  });

  it('a wrong password: asked once more per run (not per host), then AuthFailed with sudo’s own message; nothing ran', async () => {
    const marker = path.join(work, 'ran-as-root');
    const { asked, callbacks } = answering('wrong-1', 'wrong-2');
    const c = await collect(request(['pw1', 'pw2', 'pw3'], `touch ${marker}`, { callbacks }));
    for (const r of c.results) {
      assert.strictEqual(r.status, 'AuthFailed', show(c));
      assert.match(r.error ?? '', /incorrect password attempt|Sorry, try again/);
    }
    assert.deepStrictEqual(asked.map((a) => a.retry), [false, true], 'two prompts for three hosts');
    assert.ok(!fs.existsSync(marker));
    const fixed = answering('wrong-1', PASSWORD);
    const again = await collect(request(['pw1', 'pw2'], 'id -u', { callbacks: fixed.callbacks }));
    assert.ok(again.results.every((r) => r.status === 'Completed'), show(again));
    assert.strictEqual(fixed.asked.length, 2, 'the second answer is used by every host');
  });

  it('a user with no sudo rights gets a clear error, and no answer means none was given', async () => {
    const c = await collect(request(['none1'], 'id -u', answering(PASSWORD)));
    assert.strictEqual(c.result('none1').status, 'AuthFailed');
    assert.match(c.result('none1').error ?? '', new RegExp(`${NO_SUDO} may not run commands as root on none1: .*not in the sudoers file`));
    const unanswered = await collect(request(['pw1'], 'id -u', answering(undefined)));
    assert.match(unanswered.result('pw1').error ?? '', new RegExp(`needs the password of ${WITH_PASSWORD} to run as root, and none was given`));
  });

  it('state persists in a root session, which is apart from the user’s own session', async () => {
    const root = new SessionPool({ become: {} });
    const own = new SessionPool();
    try {
      const first = await collect(request(['pw1'], 'cd /root; RI_ROOT_STATE=kept', { sessions: root, ...answering(PASSWORD) }));
      assert.strictEqual(first.result('pw1').status, 'Completed', show(first));
      const second = await collect(request(['pw1'], 'echo "$RI_ROOT_STATE $(pwd) $(id -u)"', { sessions: root, ...answering('unused') }));
      assert.deepStrictEqual(second.lines('pw1'), ['kept /root 0']);
      const mine = await collect(request(['pw1'], 'echo "[$RI_ROOT_STATE] $(id -un)"', { sessions: own, become: undefined }));
      assert.deepStrictEqual(mine.lines('pw1'), [`[] ${WITH_PASSWORD}`]);
      const mixed = await collect(request(['pw1'], 'id -u', { sessions: own, ...answering(PASSWORD) }));
      assert.match(mixed.result('pw1').error ?? '', /not a root session/);
    } finally {
      await root.closeAll();
      await own.closeAll();
    }
  });

  it('a durable root session: sudo once; state kept across a dropped link and a new client; apart from the user’s own; stopped and removed as root; the password in no process', async () => {
    const hits = new Set<string>();
    let running = true;
    const scanner = (async () => {
      while (running) {
        scanProcesses(allPids(), PASSWORD).hits.forEach((h) => hits.add(h));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const pool = new SessionPool({ durable: true, become: {}, reconnectDelayMs: 100 });
    const own = new SessionPool({ durable: true });
    let dir = '';
    try {
      const first = answering(PASSWORD);
      const r1 = await collect(request(['pw1'], 'cd /root; RI_ROOT_DURABLE=kept; id -u', { sessions: pool, ...first }));
      assert.strictEqual(r1.result('pw1').status, 'Completed', show(r1));
      assert.deepStrictEqual(r1.lines('pw1'), ['0']);
      assert.strictEqual(first.asked.length, 1);
      const record = pool.session('pw1').record;
      assert.strictEqual(record?.become, 'root');
      dir = record.dir;
      assert.match(dir, /\/\.cache\/remote-invoke\/s[0-9a-f]+$/);
      assert.strictEqual(fs.statSync(dir).mode & 0o777, 0o700);
      const shellPid = record.hello.pid;
      assert.match(fs.readFileSync(`/proc/${shellPid}/status`, 'utf8'), /^Uid:\s+0\s+0\s/m, 'the durable shell runs as root');

      // A dropped link mid-run: the run reconnects (no sudo again) and completes.
      const dropping = answering();
      const pending = collect(request(['pw1'], 'sleep 1; echo "$RI_ROOT_DURABLE $(id -u)"', { sessions: pool, ...dropping }));
      await new Promise((r) => setTimeout(r, 400));
      bed.killConnections('host1');
      const r2 = await pending;
      assert.strictEqual(r2.result('pw1').status, 'Completed', show(r2));
      assert.deepStrictEqual(r2.lines('pw1'), ['kept 0']);
      const saved = pool.session('pw1').record;
      pool.dispose();

      // A new client (as a new process would, from the saved record): no sudo prompt, same root shell.
      const later = new SessionPool({ durable: true, become: {} });
      later.session('pw1', { record: saved });
      const none = answering();
      const r3 = await collect(request(['pw1'], 'echo "$RI_ROOT_DURABLE $(pwd) $(id -u)"', { sessions: later, ...none }));
      assert.deepStrictEqual(r3.lines('pw1'), ['kept /root 0'], show(r3));
      assert.strictEqual(none.asked.length, 0, 'sudo is asked once, when the root shell starts');

      // The user's own durable session on the same host is another shell, without root's state.
      const mine = await collect(request(['pw1'], 'echo "[$RI_ROOT_DURABLE] $(id -un)"', { sessions: own, become: undefined }));
      assert.deepStrictEqual(mine.lines('pw1'), [`[] ${WITH_PASSWORD}`], show(mine));
      const wrongHalf = await collect(request(['pw1'], 'id -u', { sessions: own }));
      assert.match(wrongHalf.result('pw1').error ?? '', /not a root session/);

      // A run that times out is stopped as root (by the session's relay), and the session lives on.
      const r4 = await collect(request(['pw1'], 'sleep 31.7', { sessions: later, timeoutMs: 1500 }));
      assert.strictEqual(r4.result('pw1').status, 'TimedOut', show(r4));
      await until('the root sleep is killed', () => processesWith('sleep 31.7').length === 0);
      const r5 = await collect(request(['pw1'], 'echo "$RI_ROOT_DURABLE"', { sessions: later }));
      assert.deepStrictEqual(r5.lines('pw1'), ['kept'], show(r5));

      // Removing the session (as the login user) ends every root process it had.
      assert.ok(processesWith(dir).some((p) => p.uid === 0), 'its root watchdog and relay run');
      await later.reset('pw1', { sshConfig: config });
      await until('no process of the root session is left', () => processesWith(dir).length === 0 && !fs.existsSync(`/proc/${shellPid}`));
      assert.ok(!fs.existsSync(dir));
    } finally {
      running = false;
      await scanner;
      pool.dispose();
      await own.closeAll();
      if (dir) {
        for (const p of processesWith(dir)) process.kill(p.pid, 'SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    assert.deepStrictEqual([...hits], [], 'the sudo password showed up in /proc');
  });

  it('a durable root session left alone ends after its idle timeout: shell, warden and relay gone, directory removed', async () => {
    const pool = new SessionPool({ durable: true, become: {}, idleTimeoutSeconds: 2 });
    const r = await collect(request(['pw1'], 'id -u', { sessions: pool, ...answering(PASSWORD) }));
    assert.deepStrictEqual(r.lines('pw1'), ['0'], show(r));
    const record = pool.session('pw1').record;
    assert.ok(record);
    pool.dispose();
    assert.ok(processesWith(record.dir).some((p) => p.uid === 0));
    await until('the idle root session is gone', () => processesWith(record.dir).length === 0 && !fs.existsSync(`/proc/${record.hello.pid}`) && !fs.existsSync(record.dir), 10_000);
  });

  it('CLI: run --session NAME --sudo is a durable root session apart from --session NAME; a new process runs as root without asking; session remove ends it', async () => {
    const log = path.join(work, 'askpass-session.log');
    const askpass = path.join(work, 'askpass-session.sh');
    fs.writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' "$1" >>'${log}'\nprintf '%s\\n' '${PASSWORD}'\n`, { mode: 0o700 });
    const asking = { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' };
    const refusing = { SSH_ASKPASS: '/bin/false', SSH_ASKPASS_REQUIRE: 'force' };
    const F = ['-F', configPath];
    const sorted = (out: string) => linesOf(out).sort();
    const r1 = await cliWithEnv(['run', ...F, '-H', 'pw1,pw2', '--session', 'rootsess', '--sudo', '-c', 'cd /root; RI_CLI_ROOT=set-as-root; id -u'], asking);
    assert.strictEqual(r1.code, 0, r1.stderr);
    assert.deepStrictEqual(sorted(r1.stdout), ['pw1: 0', 'pw2: 0']);
    assert.strictEqual(linesOf(fs.readFileSync(log, 'utf8')).length, 1, 'one prompt for both hosts');
    // A new process: the root shells are reattached; sudo is not asked again (the askpass would refuse).
    const r2 = await cliWithEnv(['run', ...F, '--session', 'rootsess', '--sudo', '-c', 'echo "$RI_CLI_ROOT $(pwd) $(id -u)"'], refusing);
    assert.strictEqual(r2.code, 0, r2.stderr);
    assert.deepStrictEqual(sorted(r2.stdout), ['pw1: set-as-root /root 0', 'pw2: set-as-root /root 0']);
    // The user's own session of the same name is another shell.
    const mine = await cliWithEnv(['run', ...F, '-H', 'pw1', '--session', 'rootsess', '-c', 'RI_CLI_USER=mine; echo "[$RI_CLI_ROOT] $(id -un)"'], refusing);
    assert.strictEqual(mine.code, 0, mine.stderr);
    assert.strictEqual(mine.stdout, `pw1: [] ${WITH_PASSWORD}\n`);
    const again = await cliWithEnv(['run', ...F, '-H', 'pw1', '--session', 'rootsess', '--sudo', '-c', 'echo "$RI_CLI_ROOT [$RI_CLI_USER]"'], refusing);
    assert.strictEqual(again.stdout, 'pw1: set-as-root []\n', again.stderr);
    const listed = await cliWithEnv(['session', 'list', 'rootsess', ...F, '--json'], refusing);
    const rows = linesOf(listed.stdout).map((l) => JSON.parse(l));
    // pw2 never had a shell of the user's own: that row says Closed. (The user's pw1 shell may be
    // Opened: the session's holder attaches to it after a run without --sudo.)
    const states = rows.map((r) => `${r.host}${r.become ? ' root' : ''} ${r.state}`.replace(/^pw1 Opened$/, 'pw1 Disconnected')).sort();
    assert.deepStrictEqual(states, ['pw1 Disconnected', 'pw1 root Disconnected', 'pw2 Closed', 'pw2 root Disconnected'], listed.stdout + listed.stderr);
    const record = JSON.parse(fs.readFileSync(path.join(work, 'sessions', 'rootsess.json'), 'utf8'));
    const dirs: string[] = Object.values(record.rootShells).map((r) => (r as { dir: string }).dir);
    assert.strictEqual(dirs.length, 2);
    assert.ok(dirs.every((d) => processesWith(d).some((p) => p.uid === 0)));
    // A client killed mid-run: `session receive NAME --sudo` collects what the root shell printed since.
    const killedEnv: NodeJS.ProcessEnv = { ...process.env, REMOTE_INVOKE_STATE_DIR: work, ...refusing };
    delete killedEnv.SSH_AUTH_SOCK;
    delete killedEnv.NODE_OPTIONS;
    const doomed = spawn(process.execPath, [BIN, 'run', ...F, '-H', 'pw1', '--session', 'rootsess', '--sudo', '-c', 'echo early; sleep 3; echo "late $(id -u)"'], { env: killedEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let doomedOut = '';
    doomed.stdout.setEncoding('utf8').on('data', (d: string) => (doomedOut += d));
    await until('the run has started', () => doomedOut.includes('early'));
    await new Promise((r) => setTimeout(r, 1000)); // its record (saved every 500 ms) names the run in flight
    doomed.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 2500));
    const received = await cliWithEnv(['session', 'receive', 'rootsess', ...F, '--sudo'], refusing);
    assert.strictEqual(received.code, 0, received.stderr);
    assert.match(received.stdout, /^pw1: late 0$/m, received.stdout + received.stderr);
    const usageOnly = await cliWithEnv(['session', 'list', 'rootsess', ...F, '--sudo'], refusing);
    assert.strictEqual(usageOnly.code, 2);
    // --become-user other than root cannot be durable.
    const nobody = await cliWithEnv(['run', ...F, '-H', 'np1', '--session', 'rootsess', '--become', '--become-user', 'nobody', '-c', 'id'], refusing);
    assert.strictEqual(nobody.code, 2);
    assert.match(nobody.stderr, /can run as root only/);
    const removed = await cliWithEnv(['session', 'remove', 'rootsess', ...F], refusing);
    assert.strictEqual(removed.code, 0, removed.stderr);
    await until('the root sessions’ processes are gone', () => dirs.every((d) => processesWith(d).length === 0 && !fs.existsSync(d)));
  });

  it('CLI: run --as-job --sudo: the job runs as root, job receive gets its output, job stop kills its root processes', async () => {
    const askpass = path.join(work, 'askpass-job.sh');
    fs.writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' '${PASSWORD}'\n`, { mode: 0o700 });
    const env = { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' };
    const nap = `41.${Math.floor(Math.random() * 1e6)}`;
    const started = await cliWithEnv(['run', '-F', configPath, '-H', 'pw1,pw2', '--as-job', '--sudo', '--json', '-c', `id -u; echo started; sleep ${nap}`], env);
    assert.strictEqual(started.code, 0, started.stderr + started.stdout);
    const job = JSON.parse(linesOf(started.stdout)[0]);
    assert.deepStrictEqual(job.children.map((c: { state: string }) => c.state), ['Running', 'Running']);
    await until('both root sleeps run', () => processesWith(`sleep ${nap}`).filter((p) => p.uid === 0).length === 2).catch(async (err) => {
      const r = await cliWithEnv(['job', 'receive', job.id, '-F', configPath, '--keep', '--json'], env);
      throw new Error(`${err.message}: ${JSON.stringify(processesWith('sleep'))} ${r.stdout} ${r.stderr}`);
    });
    const received = await cliWithEnv(['job', 'receive', job.id, '-F', configPath, '--keep'], env);
    assert.deepStrictEqual(linesOf(received.stdout).sort(), ['pw1: 0', 'pw1: started', 'pw2: 0', 'pw2: started'], received.stderr);
    const t = Date.now();
    const stopped = await cliWithEnv(['job', 'stop', job.id, '-F', configPath, '--json'], env);
    assert.strictEqual(stopped.code, 0, stopped.stderr);
    await until('the root sleeps are killed', () => processesWith(`sleep ${nap}`).length === 0);
    console.log(`      root job stopped, its root sleeps gone in ${Date.now() - t} ms`);
    const jobRecord = JSON.parse(fs.readFileSync(path.join(work, 'jobs', `${job.id}.json`), 'utf8'));
    const dirs: string[] = jobRecord.children.map((c: { shell: { dir: string; become?: string } }) => (assert.strictEqual(c.shell.become, 'root'), c.shell.dir));
    // No root process outlives the root shell: its warden and relay end with it (the spool stays for receive).
    await until('the root warden and relay end with the shell', () => dirs.every((d) => processesWith(d).length === 0));
    assert.ok(dirs.every((d) => fs.existsSync(path.join(d, 'out'))));
    const t0 = Date.now();
    const removed = await cliWithEnv(['job', 'remove', job.id, '-F', configPath], env);
    assert.strictEqual(removed.code, 0, removed.stderr);
    await until('no root process of the job is left', () => dirs.every((d) => processesWith(d).length === 0 && !fs.existsSync(d)));
    console.log(`      root job removed, its root processes gone in ${Date.now() - t0} ms`);
    // A root job that ends by itself: its exit status (written by root, under the 077 umask the
    // script left) is read back by job wait.
    const short = await cliWithEnv(['run', '-F', configPath, '-H', 'pw1', '--as-job', '--sudo', '--json', '-c', 'id -u; umask 077; exit 3'], env);
    const shortJob = JSON.parse(linesOf(short.stdout)[0]);
    const waited = await cliWithEnv(['job', 'wait', shortJob.id, '-F', configPath, '--json'], env);
    assert.strictEqual(waited.code, 1, waited.stdout + waited.stderr);
    const final = linesOf(waited.stdout).map((l) => JSON.parse(l)).find((e) => e.type === 'job');
    assert.deepStrictEqual(final?.children.map((c: { state: string; exitCode: number }) => [c.state, c.exitCode]), [['Failed', 3]], waited.stdout);
    await cliWithEnv(['job', 'remove', shortJob.id, '-F', configPath], env);
  });

  it('CLI --sudo through SSH_ASKPASS (SSH_ASKPASS_REQUIRE=force): one prompt naming it the sudo password and whose; --become-user', async () => {
    const log = path.join(work, 'askpass.log');
    const askpass = path.join(work, 'askpass.sh');
    fs.writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' "$1" >>'${log}'\nprintf '%s\\n' '${PASSWORD}'\n`, { mode: 0o700 });
    const env = { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' };
    const r = await cliWithEnv(['run', '-F', configPath, '-H', 'pw1,pw2,pw3', '--sudo', '--json', '-c', 'id -u'], env);
    assert.strictEqual(r.code, 0, r.stderr);
    const outputs = linesOf(r.stdout).map((l) => JSON.parse(l)).filter((e) => e.type === 'output');
    assert.deepStrictEqual(outputs.map((e) => e.line), ['0', '0', '0']);
    const prompts = linesOf(fs.readFileSync(log, 'utf8'));
    assert.strictEqual(prompts.length, 1, prompts.join('\n'));
    assert.match(prompts[0], /sudo password/);
    assert.match(prompts[0], new RegExp(`password for ${WITH_PASSWORD}`));
    assert.match(prompts[0], /as root/);

    const usage = await cliWithEnv(['run', '-F', configPath, '-H', 'np1', '--become-user', 'nobody', '-c', 'id -un'], env);
    assert.strictEqual(usage.code, 2);
    const hostile = await cliWithEnv(['run', '-F', configPath, '-H', 'np1', '--become', '--become-user', 'root;touch /tmp/x', '-c', 'id'], env);
    assert.strictEqual(hostile.code, 2);
    assert.match(hostile.stderr, /invalid user to become/);
  });

  // A plain-sh session shell reopens its streams through /proc/$PPID/fd/N, which a non-root
  // target user may not open (the pipes belong to the login user): it keeps copies instead.
  it('CLI --become --become-user nobody runs as that user', async () => {
    const env = { SSH_ASKPASS: '/bin/false', SSH_ASKPASS_REQUIRE: 'force' };
    const other = await cliWithEnv(['run', '-F', configPath, '-H', 'np1', '--become', '--become-user', 'nobody', '-c', 'id -un'], env);
    assert.strictEqual(other.code, 0, other.stderr);
    assert.strictEqual(other.stdout, 'np1: nobody\n');
  });

  it('a session as a non-root user (--become-user): id -un is that user, state persists, stderr kept apart', async () => {
    const asNobody = new SessionPool({ become: { user: 'nobody' } });
    try {
      const first = await collect(request(['pw1'], 'cd /; RI_NOBODY_STATE=kept; echo to-err >&2', { sessions: asNobody, become: { user: 'nobody' }, ...answering(PASSWORD) }));
      assert.strictEqual(first.result('pw1').status, 'Completed', show(first));
      assert.deepStrictEqual(first.lines('pw1', 'stderr'), ['to-err']);
      const second = await collect(request(['pw1'], 'echo "$RI_NOBODY_STATE $(pwd) $(id -un)"', { sessions: asNobody, become: { user: 'nobody' }, ...answering('unused') }));
      assert.deepStrictEqual(second.lines('pw1'), ['kept / nobody']);
    } finally {
      await asNobody.closeAll();
    }
  });

  it('a root run that times out is stopped as root: TimedOut, and its root processes are gone', async () => {
    for (const prefix of ['pw', 'np']) {
      const c = await collect(request([`${prefix}1`], 'sleep 31.5', { timeoutMs: 1500, ...answering(PASSWORD) }));
      assert.strictEqual(c.result(`${prefix}1`).status, 'TimedOut', show(c));
      const left = () => descendantsOf(bed.listenerPid('host1')).filter((p) => {
        try {
          return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep\u000031.5');
        } catch {
          return false;
        }
      });
      const deadline = Date.now() + 5000;
      while (left().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepStrictEqual(left(), [], `${prefix}: the root sleep was killed`);
    }
  });

  it('inventory: ansible_become / ansible_become_user honoured; an ansible_become_password in a plain file is never used', async () => {
    const [h1, h2] = bed.hosts;
    const inventory = path.join(work, 'inventory.ini');
    const common = `ansible_ssh_private_key_file=${bed.clientKeyPath}`;
    fs.writeFileSync(
      inventory,
      [
        '[web]',
        `invpw ansible_host=${h1.address} ansible_port=${h1.port} ansible_user=${WITH_PASSWORD} ansible_become=true ${common}`,
        `invnp ansible_host=${h2.address} ansible_port=${h2.port} ansible_user=${NO_PASSWORD} ansible_become=yes ansible_become_user=nobody ${common}`,
        `invplain ansible_host=${h1.address} ansible_port=${h1.port} ansible_user=${WITH_PASSWORD} ansible_become=true ansible_become_password=${PASSWORD} ${common}`,
        `invuser ansible_host=${h2.address} ansible_port=${h2.port} ansible_user=${NO_PASSWORD} ${common}`,
        '',
      ].join('\n'),
    );
    const log = path.join(work, 'askpass-inv.log');
    const askpass = path.join(work, 'askpass-inv.sh');
    fs.writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' "$1" >>'${log}'\nprintf '%s\\n' '${PASSWORD}'\n`, { mode: 0o700 });
    const base = ['run', '-F', '/dev/null', '-i', inventory, '--known-hosts', bed.knownHostsPath, '--strict-host-key-checking', 'yes', '--json'];
    const r = await cliWithEnv([...base, '-H', 'invpw,invnp,invuser', '-c', 'id -un'], { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' });
    assert.strictEqual(r.code, 0, r.stderr + r.stdout);
    const lines = linesOf(r.stdout).map((l) => JSON.parse(l)).filter((e) => e.type === 'output');
    assert.deepStrictEqual(Object.fromEntries(lines.map((e) => [e.host, e.line])), { invpw: 'root', invnp: 'nobody', invuser: NO_PASSWORD });
    assert.strictEqual(linesOf(fs.readFileSync(log, 'utf8')).length, 1, 'one prompt');
    const plain = await cliWithEnv([...base, '-H', 'invplain', '-c', 'id -un'], {});
    assert.strictEqual(plain.code, 3, plain.stderr + plain.stdout);
    assert.match(plain.stdout, new RegExp(`needs the password of ${WITH_PASSWORD} to run as root, and none was given`));
  });

  function cliWithEnv(args: string[], extra: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, REMOTE_INVOKE_STATE_DIR: work, ...extra };
    delete env.SSH_AUTH_SOCK;
    delete env.NODE_OPTIONS;
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
});
