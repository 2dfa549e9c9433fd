/**
 * Helpers for the durable-session and job suites: the CLI spawned as a user runs it (with a
 * private state directory), gates a remote script waits on (the "remote" hosts are local sshd
 * processes, so a file the test creates is one the script sees), the session directories a bed's
 * remote shells keep, and a reaper for the detached shells a bed's sshd teardown cannot reach.
 */
import * as assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SessionPool } from '../../../src/core';
import { delay, isLive } from './engine';

export const ROOT = path.join(__dirname, '..', '..', '..');
export const BIN = path.join(ROOT, 'bin', 'remote-invoke.js');
const DIST = path.join(ROOT, 'dist', 'cli.js');

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/cli.js when it is missing or older than the sources it bundles. */
export function ensureBuilt(): void {
  const srcTime = Math.max(newest(path.join(ROOT, 'src', 'core')), newest(path.join(ROOT, 'src', 'cli')));
  if (fs.existsSync(DIST) && fs.statSync(DIST).mtimeMs >= srcTime) return;
  const r = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, encoding: 'utf8' });
  assert.strictEqual(r.status, 0, `build failed: ${r.stderr}`);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  done: Promise<CliResult>;
  /** Resolves once stdout contains this text (rejects after the timeout). */
  waitForStdout(text: string, timeoutMs?: number): Promise<void>;
}

/**
 * Spawns `remote-invoke ARGS` with its own state directory; no agent, no askpass, no terminal.
 * `slowReader`: nobody reads its stdout for that long (the pipe fills and the CLI has to wait).
 */
export function spawnCli(args: string[], stateDir: string, options: { slowReaderMs?: number } = {}): CliProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, REMOTE_INVOKE_STATE_DIR: stateDir };
  for (const k of ['SSH_ASKPASS', 'SSH_ASKPASS_REQUIRE', 'SSH_AUTH_SOCK', 'NODE_OPTIONS']) delete env[k];
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const w of waiters.filter((x) => stdout.includes(x.text))) w.resolve();
  });
  if (options.slowReaderMs) {
    child.stdout!.pause();
    setTimeout(() => child.stdout!.resume(), options.slowReaderMs);
  }
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    }),
  );
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
    waitForStdout(text, timeoutMs = 20_000) {
      if (stdout.includes(text)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no '${text}' on stdout after ${timeoutMs} ms: ${JSON.stringify(stdout.slice(-500))} / ${stderr.slice(-500)}`)), timeoutMs);
        waiters.push({ text, resolve: () => (clearTimeout(timer), resolve()) });
        void done.then(() => {
          if (!stdout.includes(text)) {
            clearTimeout(timer);
            reject(new Error(`CLI ended without '${text}' on stdout: ${JSON.stringify(stdout.slice(-500))} / ${stderr.slice(-800)}`));
          }
        });
      });
    },
  };
}

export function cli(args: string[], stateDir: string): Promise<CliResult> {
  return spawnCli(args, stateDir).done;
}

/** Non-empty lines of a text. */
export const linesOf = (s: string) => s.split('\n').filter(Boolean);

/** `prefix1` … `prefixN`. */
export const numbered = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

/**
 * A shell function for remote scripts: `gate NAME` waits until the test opens that gate
 * (creates the file), `reached NAME` tells the test a point was reached.
 */
export function gateFunctions(gateDir: string): string {
  return [
    `G='${gateDir}'`,
    'gate() { while [ ! -e "$G/$1" ]; do sleep 0.02; done; }',
    'reached() { : >"$G/reached-$1"; }',
    '',
  ].join('\n');
}

export function openGate(gateDir: string, name: string): void {
  fs.writeFileSync(path.join(gateDir, name), '');
}

export async function waitReached(gateDir: string, name: string, timeoutMs = 20_000): Promise<void> {
  const file = path.join(gateDir, `reached-${name}`);
  const end = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > end) throw new Error(`the remote script did not reach '${name}' within ${timeoutMs} ms`);
    await delay(20);
  }
}

/** Where a bed's remote shells keep their session directories (the bed's HOME is shared by all hosts). */
export function sessionBase(homeDir: string): string {
  return path.join(homeDir, '.cache', 'remote-invoke');
}

export function sessionDirs(homeDir: string): string[] {
  try {
    return fs.readdirSync(sessionBase(homeDir)).map((d) => path.join(sessionBase(homeDir), d));
  } catch {
    return [];
  }
}

export function readPid(file: string): number {
  return Number(fs.readFileSync(file, 'utf8').trim());
}

/** Modes as octal strings, e.g. '700'. */
export function modeOf(p: string): string {
  return (fs.lstatSync(p).mode & 0o777).toString(8);
}

/**
 * Kills what durable shells of this bed left running: every session's process group and every
 * watchdog. They are detached from sshd (that is the point), so stopping the bed does not end them.
 */
export function reapRemoteShells(homeDir: string): void {
  const base = sessionBase(homeDir);
  for (const dir of sessionDirs(homeDir)) {
    try {
      const pid = readPid(path.join(dir, 'pid'));
      if (pid > 1) process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(base)) process.kill(Number(e), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Waits until the pid is gone (dead or a zombie). */
export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (isLive(pid)) {
    if (Date.now() > end) return false;
    await delay(20);
  }
  return true;
}

/** Waits until `count` scripts have reached points named `NAME-…` (e.g. `reached "a-$$"`, one per host). */
export async function waitReachedCount(gateDir: string, name: string, count: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const n = () => fs.readdirSync(gateDir).filter((f) => f.startsWith(`reached-${name}-`)).length;
  while (n() < count) {
    if (Date.now() > end) throw new Error(`only ${n()} of ${count} scripts reached '${name}' within ${timeoutMs} ms`);
    await delay(20);
  }
}

/** A promise that fails, naming `what`, when it has not settled within `ms` (a hang is a failure, not a mocha timeout). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, delay(ms).then(() => Promise.reject(new Error(`${what}: no answer within ${ms} ms`)))]);
}

/** The non-empty lines of a file a remote script appends to ([] before it exists). */
export const linesIn = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

/** Makes durable pools that reconnect at once, and closes them all when the suite ends. */
export function durablePools(): { newPool: () => SessionPool; closeAll: () => Promise<void> } {
  const pools: SessionPool[] = [];
  return {
    newPool: () => {
      const pool = new SessionPool({ durable: true, reconnectDelayMs: 50 });
      pools.push(pool);
      return pool;
    },
    closeAll: async () => {
      for (const pool of pools.splice(0)) await pool.closeAll().catch(() => undefined);
    },
  };
}
