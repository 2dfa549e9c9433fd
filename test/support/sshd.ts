/**
 * Test bed of real OpenSSH servers on loopback.
 *
 * One `/usr/sbin/sshd` per host, each on its own loopback address 127.A.B.C:2222
 * (A is random per bed), all sharing one throw-away client key. Everything lives
 * in one private temp dir that `stop()` removes.
 *
 * Processes: every listener runs as `sshd -D` (no daemonizing), as a child of
 * this Node process, so we get exit events and reap it ourselves; it still
 * writes its PidFile. Per-connection sshd processes are children of the
 * listener. Nothing may outlive the test run:
 *   - `stop()` / `stopHost()` SIGKILL the listener and its whole process tree;
 *   - a process 'exit' hook does the same synchronously for beds not stopped;
 *   - a detached watchdog process (one per test process) does it when this
 *     process dies without running 'exit' hooks (SIGKILL, fatal signal, OOM).
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export interface TestHost {
  name: string;
  address: string;
  port: number;
  hostKeyPath: string;
  /** "ssh-ed25519 AAAA..." (no comment) */
  hostKeyPub: string;
  pidFile: string;
}

export interface TestBed {
  /** private temp dir holding everything */
  dir: string;
  hosts: TestHost[];
  /** ssh_config with one `Host <name>` block per host */
  sshConfigPath: string;
  /** known_hosts with `[address]:port ssh-ed25519 ...` lines for every host */
  knownHostsPath: string;
  /** unencrypted ed25519 client private key (authorized on all hosts); public key at `${clientKeyPath}.pub` */
  clientKeyPath: string;
  /** current user name */
  user: string;
  /** empty dir used as HOME for the remote shells (`SetEnv HOME=...`), so the real ~/.bashrc is not sourced */
  homeDir: string;
  /** pid of that host's listening sshd */
  listenerPid(name: string): number;
  /** SIGKILL the per-connection sshd processes of that host (and what they run): simulates a dropped link. */
  killConnections(name: string): void;
  /** Stop one host's sshd and its connections; returns once its port refuses connections. */
  stopHost(name: string): void;
  /** Start a stopped host again (same address, port and host key). */
  restartHost(name: string): Promise<void>;
  /** stop every sshd, remove dir */
  stop(): Promise<void>;
}

export interface TestBedOptions {
  /** number of hosts */
  count: number;
  /** default 'host' -> host1, host2... */
  namePrefix?: string;
  /** default '1000:30:1000'; pass e.g. '10:30:100' to test against OpenSSH defaults */
  maxStartups?: string;
  /** default 100 */
  maxSessions?: number;
  /**
   * Enable PasswordAuthentication and KbdInteractiveAuthentication (default false).
   * Turns on `UsePAM yes`: without PAM, OpenSSH on Linux has no keyboard-interactive device.
   * sshd is then run under another program name so PAM uses the distro's generic `other`
   * service rather than /etc/pam.d/sshd (whose pam_loginuid fails in many containers).
   */
  passwordAuth?: boolean;
  /** Put every host on 127.0.0.1 with its own free port (default: only when 127.A.B.C addresses cannot be bound). */
  singleAddress?: boolean;
  /**
   * Added to every sshd_config. sshd keeps the FIRST value it reads for most keywords, so the
   * lines before the first `Match` are placed at the top (they override this module's defaults);
   * `Match` blocks go at the end.
   */
  extraSshdConfig?: string;
  /**
   * Log in as a throw-away account (useradd as root, removed by stop()) whose login shell is this
   * path (e.g. '/bin/dash', '/usr/bin/zsh', '/usr/sbin/nologin'). Default: the current user.
   */
  loginShell?: string;
  /** Files written into the shared remote HOME before the servers start (e.g. { '.zshenv': 'echo hi' }). */
  rcFiles?: Record<string, string>;
  /** `ForceCommand` for every host (e.g. 'internal-sftp', 'echo restricted'). */
  forceCommand?: string;
  /** More variables for the remote environment (sshd `SetEnv`, next to HOME), e.g. a PATH of busybox applets. */
  env?: Record<string, string>;
}

const SSHD = '/usr/sbin/sshd';
/** argv[0] for sshd with PAM: its basename is the PAM service name, and there is no /etc/pam.d file of that name */
const PAM_SSHD_NAME = 'remote-invoke-test-sshd';
const DEFAULT_PORT = 2222;
const START_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// process-tree helpers (Linux /proc)

interface ProcInfo { pid: number; ppid: number; state: string }

function readProc(pid: number): ProcInfo | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ..." — comm may contain spaces and parentheses
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, state: rest[0], ppid: Number(rest[1]) };
}

function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const p = readProc(Number(e));
    if (p) out.push(p);
  }
  return out;
}

/** All live descendants of pid (not pid itself), parents before children. */
function descendants(pid: number, procs = allProcs()): number[] {
  const kids = new Map<number, number[]>();
  for (const p of procs) {
    if (p.state === 'Z') continue;
    let l = kids.get(p.ppid);
    if (!l) kids.set(p.ppid, (l = []));
    l.push(p.pid);
  }
  const out: number[] = [];
  const queue = [...(kids.get(pid) ?? [])];
  while (queue.length) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(kids.get(p) ?? []));
  }
  return out;
}

function isAlive(pid: number): boolean {
  const p = readProc(pid);
  return p !== undefined && p.state !== 'Z';
}

function killQuiet(pid: number, sig: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Wait (synchronously, bounded) until none of pids is alive (dead or zombie = fds closed). */
function waitDeadSync(pids: number[], timeoutMs = 5000): void {
  const end = Date.now() + timeoutMs;
  let live = pids;
  while ((live = live.filter(isAlive)).length && Date.now() < end) sleepSync(2);
}

/**
 * SIGKILL a listener and every process below it. The tree is collected first and the
 * children are killed before the parent so nothing escapes by being reparented.
 */
function killTreeSync(pid: number): number[] {
  const tree = descendants(pid);
  for (const p of tree.reverse()) killQuiet(p);
  killQuiet(pid);
  const all = [pid, ...tree];
  waitDeadSync(all);
  return all;
}

// ---------------------------------------------------------------------------------------------
// crash safety: 'exit' hook + out-of-process watchdog

const liveBeds = new Set<BedImpl>();
let exitHookInstalled = false;
let watchdog: ChildProcess | undefined;

/**
 * Runs in a detached process. Receives "+<dir>" / "-<dir>" lines on stdin; when stdin
 * closes (our process died, however), kills the sshd trees of every registered dir that
 * is still there, and removes it.
 */
const WATCHDOG_SRC = String.raw`
const fs = require('fs'), path = require('path');
const dirs = new Set(); let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', d => { buf += d; let i;
  while ((i = buf.indexOf('\n')) >= 0) { const l = buf.slice(0, i); buf = buf.slice(i + 1);
    if (l[0] === '+') dirs.add(l.slice(1)); else if (l[0] === '-') dirs.delete(l.slice(1)); } });
process.stdin.on('end', () => {
  function procs() { const o = []; for (const e of fs.readdirSync('/proc')) { if (!/^\d+$/.test(e)) continue;
    try { const s = fs.readFileSync('/proc/' + e + '/stat', 'utf8'); const r = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (r[0] !== 'Z') o.push({ pid: +e, ppid: +r[1] }); } catch {} } return o; }
  for (const dir of dirs) {
    const hostsDir = path.join(dir, 'hosts'); let names = [];
    try { names = fs.readdirSync(hostsDir); } catch {}
    for (const n of names) {
      let pid; try { pid = parseInt(fs.readFileSync(path.join(hostsDir, n, 'sshd.pid'), 'utf8'), 10); } catch { continue; }
      let cmd = ''; try { cmd = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8'); } catch { continue; }
      if (!cmd.includes(dir)) continue; // pid reused by something else
      const ps = procs(), kids = new Map();
      for (const p of ps) { if (!kids.has(p.ppid)) kids.set(p.ppid, []); kids.get(p.ppid).push(p.pid); }
      const tree = [], q = [...(kids.get(pid) || [])];
      while (q.length) { const p = q.shift(); tree.push(p); q.push(...(kids.get(p) || [])); }
      for (const p of tree.reverse()) { try { process.kill(p, 'SIGKILL'); } catch {} }
      try { process.kill(pid, 'SIGKILL'); } catch {}
    }
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch {}
  }
  process.exit(0);
});
`;

function watchdogSend(line: string): void {
  try {
    if (!watchdog) {
      watchdog = spawn(process.execPath, ['-e', WATCHDOG_SRC], {
        detached: true, // own session: a Ctrl-C to the test run does not kill it
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      watchdog.on('error', () => undefined);
      watchdog.stdin!.on('error', () => undefined);
      watchdog.unref();
      (watchdog.stdin as unknown as net.Socket).unref?.();
    }
    watchdog.stdin!.write(line + '\n');
  } catch {
    /* best effort; the 'exit' hook still covers ordinary exits */
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const bed of liveBeds) bed.stopSync();
  });
}

// ---------------------------------------------------------------------------------------------

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`)),
    );
  });
}

async function keygen(file: string, comment: string): Promise<string> {
  await run('ssh-keygen', ['-t', 'ed25519', '-N', '', '-q', '-C', comment, '-f', file]);
  const [type, b64] = fs.readFileSync(file + '.pub', 'utf8').trim().split(/\s+/);
  return `${type} ${b64}`;
}

function tcpAccepts(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Try to bind address:port; resolves 'ok' or the error code (EADDRINUSE, EADDRNOTAVAIL...). */
function tryBind(address: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    srv.listen({ host: address, port, exclusive: true }, () => srv.close(() => resolve('ok')));
  });
}

/**
 * Pick the second octet A for 127.A.B.C host addresses: random in 100..199, preferring one whose
 * 127.A.0.1:2222 is free (another bed, maybe in another process, may be using some A).
 * Returns undefined when such addresses cannot be bound at all (then: ports on 127.0.0.1).
 */
async function pickOctet(): Promise<number | undefined> {
  let last: number | undefined;
  for (let i = 0; i < 20; i++) {
    const octet = 100 + Math.floor(Math.random() * 100);
    const r = await tryBind(`127.${octet}.0.1`, DEFAULT_PORT);
    if (r === 'ok') return octet;
    if (r !== 'EADDRINUSE') return (await tryBind(`127.${octet}.0.1`, 0)) === 'ok' ? octet : undefined;
    last = octet;
  }
  return last; // all tried were busy on 2222: launchWithRetry moves hosts to free ports
}

function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ host: address, port: 0, exclusive: true }, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function q(p: string): string {
  return /[\s"#]/.test(p) ? `"${p.replace(/"/g, '\\"')}"` : p;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function ensurePrivsepDir(): void {
  if (process.getuid?.() !== 0) return; // only a root sshd chroots into /run/sshd
  try {
    fs.mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
  } catch {
    /* sshd will say what is wrong */
  }
}

interface HostState extends TestHost {
  hostDir: string;
  configPath: string;
  logPath: string;
  child?: ChildProcess;
  exited?: Promise<void>;
  pid?: number;
}

class BedImpl implements TestBed {
  /** public, plain view of `states` (filled once the bed is up) */
  hosts: TestHost[] = [];
  states: HostState[] = [];
  sshConfigPath: string;
  knownHostsPath: string;
  clientKeyPath: string;
  homeDir: string;
  user = os.userInfo().username;
  private stopped = false;

  /** the throw-away account made for `loginShell`, removed by stopSync() */
  account: string | undefined;

  constructor(
    readonly dir: string,
    private readonly opts: Required<Omit<TestBedOptions, 'extraSshdConfig' | 'loginShell' | 'rcFiles' | 'forceCommand' | 'env'>> &
      { extraSshdConfig: string } & Pick<TestBedOptions, 'loginShell' | 'rcFiles' | 'forceCommand' | 'env'>,
  ) {
    this.sshConfigPath = path.join(dir, 'ssh_config');
    this.knownHostsPath = path.join(dir, 'known_hosts');
    this.clientKeyPath = path.join(dir, 'client_ed25519');
    this.homeDir = path.join(dir, 'home');
  }

  private host(name: string): HostState {
    const h = this.states.find((x) => x.name === name);
    if (!h) throw new Error(`test bed has no host ${name}`);
    return h;
  }

  sshdConfig(h: HostState): string {
    const o = this.opts;
    const extra = o.extraSshdConfig.split('\n');
    const m = extra.findIndex((l) => /^\s*match\s/i.test(l));
    const extraTop = (m < 0 ? extra : extra.slice(0, m)).join('\n').trim();
    const extraMatch = m < 0 ? '' : extra.slice(m).join('\n').trim();
    const auth = o.passwordAuth ? 'yes' : 'no';
    const sftp = ['/usr/lib/openssh/sftp-server', '/usr/libexec/sftp-server'].find((p) => fs.existsSync(p));
    return [
      `# test bed host ${h.name}`,
      extraTop,
      `ListenAddress ${h.address}:${h.port}`,
      `HostKey ${q(h.hostKeyPath)}`,
      `PidFile ${q(h.pidFile)}`,
      `AuthorizedKeysFile ${q(this.clientKeyPath + '.pub')}`,
      // PAM is the only keyboard-interactive device OpenSSH has on Linux
      `UsePAM ${auth}`,
      'StrictModes no',
      'PermitRootLogin yes',
      'PubkeyAuthentication yes',
      `PasswordAuthentication ${auth}`,
      `KbdInteractiveAuthentication ${auth}`,
      `MaxStartups ${o.maxStartups}`,
      `MaxSessions ${o.maxSessions}`,
      `SetEnv HOME=${q(this.homeDir)}${Object.entries(o.env ?? {}).map(([k, v]) => ` ${k}=${q(v)}`).join('')}`,
      o.forceCommand ? `ForceCommand ${o.forceCommand}` : '',
      'PrintMotd no',
      'PrintLastLog no',
      'UseDNS no',
      'X11Forwarding no',
      'LoginGraceTime 30',
      sftp ? `Subsystem sftp ${sftp}` : '',
      extraMatch,
      '',
    ]
      .filter((l) => l !== '')
      .join('\n') + '\n';
  }

  /** Spawn sshd -D; resolves when its PidFile exists and its port accepts TCP. */
  async launch(h: HostState): Promise<void> {
    fs.rmSync(h.pidFile, { force: true });
    fs.writeFileSync(h.configPath, this.sshdConfig(h));
    // With PAM: run sshd through a symlink, so argv[0] (hence the PAM service) is PAM_SSHD_NAME.
    // sshd re-execs itself via argv[0], which must stay an absolute path.
    const exe = this.opts.passwordAuth ? path.join(this.dir, PAM_SSHD_NAME) : SSHD;
    const child = spawn(exe, ['-D', '-f', h.configPath, '-E', h.logPath], { stdio: 'ignore' });
    child.unref();
    let exitInfo: string | undefined;
    h.child = child;
    h.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, sig) => {
        exitInfo = `exit ${code ?? sig}`;
        resolve();
      });
      child.once('error', (e) => {
        exitInfo = `spawn error ${e.message}`;
        resolve();
      });
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      if (exitInfo) {
        let log = '';
        try {
          log = fs.readFileSync(h.logPath, 'utf8').trim();
        } catch {
          /* none */
        }
        const err = new Error(`sshd for ${h.name} (${h.address}:${h.port}) failed to start (${exitInfo}): ${log}`);
        (err as Error & { bindFailed?: boolean }).bindFailed = /Bind to port|Cannot bind any address/.test(log);
        throw err;
      }
      let pidText = '';
      try {
        pidText = fs.readFileSync(h.pidFile, 'utf8').trim();
      } catch {
        /* not yet */
      }
      if (pidText && (await tcpAccepts(h.address, h.port))) {
        h.pid = Number(pidText);
        if (h.pid !== child.pid) throw new Error(`sshd ${h.name}: PidFile says ${h.pid}, spawned ${child.pid}`);
        return;
      }
      if (Date.now() > deadline) {
        killQuiet(child.pid!);
        throw new Error(`sshd for ${h.name} did not become ready in ${START_TIMEOUT_MS} ms`);
      }
      await delay(wait);
    }
  }

  /** Start with retries on other ports when the address:port is taken (e.g. by another bed). */
  async launchWithRetry(h: HostState): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.launch(h);
      } catch (e) {
        if (!(e as { bindFailed?: boolean }).bindFailed || attempt >= 5) throw e;
        h.port = await freePort(h.address);
      }
    }
  }

  writeClientFiles(): void {
    const cfg: string[] = [];
    const kh: string[] = [];
    for (const h of this.states) {
      cfg.push(
        `Host ${h.name}`,
        `  HostName ${h.address}`,
        `  Port ${h.port}`,
        `  User ${this.account ?? this.user}`,
        `  IdentityFile ${q(this.clientKeyPath)}`,
        `  UserKnownHostsFile ${q(this.knownHostsPath)}`,
        '  StrictHostKeyChecking yes',
        '  IdentitiesOnly yes',
        '',
      );
      kh.push(`${h.port === 22 ? h.address : `[${h.address}]:${h.port}`} ${h.hostKeyPub}`);
    }
    fs.writeFileSync(this.sshConfigPath, cfg.join('\n'), { mode: 0o600 });
    fs.writeFileSync(this.knownHostsPath, kh.join('\n') + '\n', { mode: 0o600 });
  }

  listenerPid(name: string): number {
    const h = this.host(name);
    if (!h.pid || !isAlive(h.pid)) throw new Error(`host ${name} is not running`);
    return h.pid;
  }

  killConnections(name: string): void {
    const listener = this.listenerPid(name);
    const procs = allProcs();
    const conns = procs.filter((p) => p.ppid === listener && p.state !== 'Z').map((p) => p.pid);
    const all: number[] = [];
    for (const c of conns) all.push(...descendants(c, procs).reverse(), c);
    for (const p of all) killQuiet(p);
    waitDeadSync(all);
  }

  stopHost(name: string): void {
    const h = this.host(name);
    if (h.pid && isAlive(h.pid)) killTreeSync(h.pid);
    h.pid = undefined;
  }

  async restartHost(name: string): Promise<void> {
    const h = this.host(name);
    if (this.stopped) throw new Error('test bed is stopped');
    if (h.pid && isAlive(h.pid)) throw new Error(`host ${name} is running`);
    await h.exited;
    await this.launch(h); // same address and port: host key and known_hosts stay valid
  }

  /** Synchronous teardown (also used from the process 'exit' hook). */
  stopSync(): void {
    if (this.stopped) return;
    this.stopped = true;
    liveBeds.delete(this);
    // kill every listener tree first, then wait once for all of them
    const pids: number[] = [];
    const procs = allProcs();
    for (const h of this.states) {
      const pid = h.child?.pid;
      if (!pid || !isAlive(pid)) continue;
      const tree = descendants(pid, procs);
      for (const p of tree.reverse()) killQuiet(p);
      killQuiet(pid);
      pids.push(pid, ...tree);
      h.pid = undefined;
    }
    waitDeadSync(pids);
    if (this.account) {
      killUserProcesses(this.account);
      removePasswordUser(this.account);
    }
    try {
      fs.rmSync(this.dir, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
    watchdogSend('-' + this.dir);
  }

  async stop(): Promise<void> {
    const exits = this.states.map((h) => h.exited);
    this.stopSync();
    // let Node reap the listeners (they are our children)
    await Promise.race([Promise.all(exits), delay(5000)]);
  }
}

export async function startTestBed(opts: TestBedOptions): Promise<TestBed> {
  const count = opts.count;
  if (!Number.isInteger(count) || count < 1) throw new Error(`bad host count ${count}`);
  if (!fs.existsSync(SSHD)) throw new Error(`${SSHD} missing: apt-get install openssh-server`);
  ensurePrivsepDir();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-testbed-'));
  // 0711: other users (password-auth test accounts) may traverse to homeDir but not list
  fs.chmodSync(dir, 0o711);
  const namePrefix = opts.namePrefix ?? 'host';
  const bed = new BedImpl(dir, {
    count,
    namePrefix,
    maxStartups: opts.maxStartups ?? '1000:30:1000',
    maxSessions: opts.maxSessions ?? 100,
    passwordAuth: opts.passwordAuth ?? false,
    singleAddress: opts.singleAddress ?? false,
    extraSshdConfig: opts.extraSshdConfig ?? '',
    loginShell: opts.loginShell,
    rcFiles: opts.rcFiles,
    forceCommand: opts.forceCommand,
    env: opts.env,
  });
  installExitHook();
  liveBeds.add(bed);
  watchdogSend('+' + dir);

  try {
    fs.mkdirSync(bed.homeDir);
    fs.chmodSync(bed.homeDir, 0o1777); // HOME for every remote user
    fs.mkdirSync(path.join(dir, 'hosts'));
    if (opts.passwordAuth) fs.symlinkSync(SSHD, path.join(dir, PAM_SSHD_NAME));
    for (const [name, text] of Object.entries(opts.rcFiles ?? {})) fs.writeFileSync(path.join(bed.homeDir, name), text, { mode: 0o644 });
    if (opts.loginShell) bed.account = makeShellUser(opts.loginShell, bed.homeDir);

    // addresses: 127.A.B.C with A random per bed, one port; else ports on 127.0.0.1
    const octet = opts.singleAddress ? undefined : await pickOctet();
    const perHostAddr = octet !== undefined;
    const addrOf = (i: number) => (perHostAddr ? `127.${octet}.${Math.floor(i / 254)}.${(i % 254) + 1}` : '127.0.0.1');
    if (perHostAddr && count > 254 * 256) throw new Error('too many hosts');

    for (let i = 0; i < count; i++) {
      const name = `${namePrefix}${i + 1}`;
      const hostDir = path.join(dir, 'hosts', name);
      fs.mkdirSync(hostDir);
      bed.states.push({
        name,
        address: addrOf(i),
        port: perHostAddr ? DEFAULT_PORT : 0,
        hostKeyPath: path.join(hostDir, 'ssh_host_ed25519_key'),
        hostKeyPub: '',
        pidFile: path.join(hostDir, 'sshd.pid'),
        hostDir,
        configPath: path.join(hostDir, 'sshd_config'),
        logPath: path.join(hostDir, 'sshd.log'),
      });
    }
    if (!perHostAddr) for (const h of bed.states) h.port = await freePort(h.address);

    await Promise.all([
      keygen(bed.clientKeyPath, `remote-invoke-test-client`),
      ...bed.states.map(async (h) => {
        h.hostKeyPub = await keygen(h.hostKeyPath, `remote-invoke-test-${h.name}`);
      }),
    ]);
    await Promise.all(bed.states.map((h) => bed.launchWithRetry(h)));
    bed.writeClientFiles(); // after launch: a retry may have changed a port
    bed.hosts = bed.states.map(({ name, address, port, hostKeyPath, hostKeyPub, pidFile }) => ({
      name, address, port, hostKeyPath, hostKeyPub, pidFile,
    }));
  } catch (e) {
    bed.stopSync();
    throw e;
  }
  return bed;
}

// ---------------------------------------------------------------------------------------------
// throw-away local accounts for password / keyboard-interactive tests (root only)

function userExists(name: string): boolean {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Create (idempotently) a throw-away local account with this password (useradd + chpasswd,
 * as root), with a home dir; returns its name. Sets the password on every call.
 */
export function ensurePasswordUser(name: string, password: string): string {
  if (!/^[a-z_][a-z0-9_-]{0,30}$/.test(name)) throw new Error(`bad user name ${name}`);
  if (/[:\n]/.test(password)) throw new Error('password may not contain ":" or newline');
  if (process.getuid?.() !== 0) throw new Error('ensurePasswordUser needs root (useradd/chpasswd)');
  if (!userExists(name)) {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', name], { stdio: 'pipe' });
  }
  execFileSync('chpasswd', [], { input: `${name}:${password}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
  return name;
}

/** Remove an account made by ensurePasswordUser, with its home dir. */
export function removePasswordUser(name: string): void {
  if (!userExists(name)) return;
  try {
    execFileSync('userdel', ['--remove', '--force', name], { stdio: 'pipe' });
  } catch {
    /* e.g. mail spool missing: userdel still removed the account */
  }
}

// ---------------------------------------------------------------------------------------------
// throw-away accounts with a given login shell (root only)

/**
 * A new account (random name) whose login shell is `shell`, with no password but not locked
 * (`*`), so that sshd's public-key login works without PAM. Removed again by the bed's stop().
 */
export function makeShellUser(shell: string, home = '/nonexistent'): string {
  if (process.getuid?.() !== 0) throw new Error('a loginShell test account needs root (useradd)');
  if (!fs.existsSync(shell)) throw new Error(`login shell ${shell} is not installed`);
  const name = `ri-sh-${Math.random().toString(36).slice(2, 10)}`;
  execFileSync('useradd', ['--no-create-home', '--home-dir', home, '--shell', shell, name], { stdio: 'pipe' });
  execFileSync('usermod', ['-p', '*', name], { stdio: 'pipe' });
  return name;
}

/** SIGKILL whatever an account left running (durable shells, watchdogs) before it is removed. */
function killUserProcesses(name: string): void {
  let uid: number;
  try {
    uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  } catch {
    return;
  }
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const status = fs.readFileSync(`/proc/${e}/status`, 'utf8');
      if (new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status)) killQuiet(Number(e));
    } catch {
      /* gone */
    }
  }
}

/** A loopback port nobody listens on (for a host that refuses connections). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}
