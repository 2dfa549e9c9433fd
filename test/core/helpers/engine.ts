/**
 * Shared helpers for the engine and CLI suites: run an invoke and collect what it produced,
 * look at local processes (the test hosts are local sshd processes, so "remote" pids are ours
 * to inspect), write throw-away files.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'ssh2';
import { fingerprintSha256, invoke, SshConfigFile, type HostResult, type InvokeEvent, type InvokeRequest, type OutputStream } from '../../../src/core';
import type { TestBed } from '../../support/sshd';

export interface Collected {
  events: InvokeEvent[];
  results: HostResult[];
  /** result by host */
  result(host: string): HostResult;
  /** output lines of one host and stream */
  lines(host: string, stream?: OutputStream): string[];
  elapsedMs: number;
}

/** Runs invoke() and drains its event stream. */
export async function collect(request: InvokeRequest, onEvent?: (e: InvokeEvent) => void): Promise<Collected> {
  const started = Date.now();
  const run = invoke(request);
  const events: InvokeEvent[] = [];
  for await (const e of run) {
    events.push(e);
    onEvent?.(e);
  }
  const results = await run.results;
  return describeRun(events, results, Date.now() - started);
}

export function describeRun(events: InvokeEvent[], results: HostResult[], elapsedMs: number): Collected {
  return {
    events,
    results,
    elapsedMs,
    result(host) {
      const r = results.find((x) => x.host === host);
      assert.ok(r, `no result for ${host}: ${JSON.stringify(results)}`);
      return r;
    },
    lines(host, stream = 'stdout') {
      return events.flatMap((e) => (e.type === 'output' && e.host === host && e.stream === stream ? [e.line] : []));
    },
  };
}

/** A request against the bed's ssh_config. */
export function bedRequest(bed: TestBed, fields: Partial<InvokeRequest> & Pick<InvokeRequest, 'script' | 'targets'>): InvokeRequest {
  return { sshConfig: SshConfigFile.load(bed.sshConfigPath), ...fields };
}

/** Short status summary for assertion messages. */
export function show(c: Collected | HostResult[]): string {
  const results = Array.isArray(c) ? c : c.results;
  return results.map((r) => `${r.host}=${r.status}(${r.exitCode ?? r.signal ?? ''}) ${r.error ?? ''}`).join('; ');
}

/** Live = exists and is not a zombie (PID 1 here may not reap orphans, so kill -0 alone would lie). */
export function isLive(pid: number): boolean {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** `kill -0 pid` as the brief states it; true when the signal could be delivered. */
export function kill0(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Live descendants of a process (the sshd listener's per-connection processes and what they run). */
export function descendantsOf(pid: number): number[] {
  const kids = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      let list = kids.get(ppid);
      if (!list) kids.set(ppid, (list = []));
      list.push(Number(e));
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const queue = [...(kids.get(pid) ?? [])];
  while (queue.length) {
    const p = queue.shift() as number;
    out.push(p);
    queue.push(...(kids.get(p) ?? []));
  }
  return out;
}

export async function waitFor(cond: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > end) return false;
    await delay(stepMs);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function tmpDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ri-${prefix}-`));
  fs.chmodSync(dir, 0o777);
  return dir;
}

export function sshKeygen(args: string[]): string {
  return execFileSync('ssh-keygen', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh key pair; returns the private key path and the public line "type base64". */
export function newKey(dir: string, name: string, type = 'ed25519', passphrase = ''): { path: string; pub: string; blob: Buffer } {
  const file = path.join(dir, name);
  const extra = type === 'rsa' ? ['-b', '2048'] : type === 'ecdsa' ? ['-b', '256'] : [];
  // few KDF rounds: the client decrypts in pure JS, and the default 16 rounds cost ~1 s a key
  const rounds = passphrase ? ['-a', '2'] : [];
  sshKeygen(['-t', type, ...extra, ...rounds, '-N', passphrase, '-q', '-C', name, '-f', file]);
  const [t, b64] = fs.readFileSync(file + '.pub', 'utf8').trim().split(/\s+/);
  return { path: file, pub: `${t} ${b64}`, blob: Buffer.from(b64, 'base64') };
}

export function pubBlob(pubLine: string): Buffer {
  return Buffer.from(pubLine.trim().split(/\s+/)[1], 'base64');
}

export function fingerprintOf(pubLine: string): string {
  return fingerprintSha256(pubBlob(pubLine));
}

export function knownHostsNameOf(h: { address: string; port: number }): string {
  return h.port === 22 ? h.address : `[${h.address}]:${h.port}`;
}

export function sshdLog(bed: TestBed, host: string): string {
  try {
    return fs.readFileSync(path.join(bed.dir, 'hosts', host, 'sshd.log'), 'utf8');
  } catch {
    return '';
  }
}

/** A Host block pointing at a bed host with chosen settings. */
export function hostBlock(alias: string, h: { address: string; port: number }, settings: Record<string, string>): string {
  return [`Host ${alias}`, `  HostName ${h.address}`, `  Port ${h.port}`, ...Object.entries(settings).map(([k, v]) => `  ${k} ${v}`), ''].join('\n');
}

/** Prints each argument as one base64 line, preceded by the count: exact bytes survive any output framing. */
export const PRINT_ARGS_B64 = `printf 'argc=%s\\n' "$#"\nfor a in "$@"; do printf '%s' "$a" | base64 -w0; echo; done\n`;

export const INJECTION_ARGS = [
  'two words',
  '  leading and trailing spaces  ',
  "it's",
  '"double"',
  `mixed '"' quotes\\`,
  '$HOME',
  '${PATH}',
  '$(touch /tmp/ri-injected-dollar)',
  '`touch /tmp/ri-injected-backtick`',
  '; touch /tmp/ri-injected-semicolon',
  '| touch /tmp/ri-injected-pipe',
  '&& touch /tmp/ri-injected-and',
  'line1\nline2',
  'trailing newline\n',
  '\n\n',
  '',
  '',
  'ünïcödé ✓ 日本語 🚀',
  '-n',
  '-e',
  '--',
  '-H',
  '--json',
  '*',
  '~',
  "'\\''",
  'tab\there',
  '\\n not a newline',
  '%s %d %%',
  '!',
  '#comment',
  'a=b',
];

export const INJECTION_FILES = ['dollar', 'backtick', 'semicolon', 'pipe', 'and'].map((s) => `/tmp/ri-injected-${s}`);

export function decodeArgLines(lines: string[]): string[] {
  assert.ok(lines.length >= 1 && lines[0].startsWith('argc='), `unexpected output ${JSON.stringify(lines.slice(0, 3))}`);
  const argc = Number(lines[0].slice(5));
  const rest = lines.slice(1);
  assert.strictEqual(rest.length, argc, `expected ${argc} arg lines, got ${rest.length}`);
  return rest.map((l) => Buffer.from(l, 'base64').toString('utf8'));
}

/**
 * The bed's ssh_config with one more Host block in front: `alias` reaches `host` of the bed as
 * the bed's user and key, with its known_hosts checked strictly, plus the given directive.
 */
export function configWithAlias(bed: TestBed, alias: string, host: TestBed['hosts'][number], directive: string): SshConfigFile {
  const block = [
    `Host ${alias}`,
    `  HostName ${host.address}`,
    `  Port ${host.port}`,
    `  ${directive}`,
    `  User ${bed.user}`,
    `  IdentityFile ${bed.clientKeyPath}`,
    `  UserKnownHostsFile ${bed.knownHostsPath}`,
    '  StrictHostKeyChecking yes',
    '',
  ].join('\n');
  return SshConfigFile.fromText(`${block}\n${fs.readFileSync(bed.sshConfigPath, 'utf8')}`);
}

/** An exec request ssh2 was asked to send: its command and its options (`env` among them). */
export interface ExecRequest {
  command: string;
  env?: Record<string, string>;
}

/** Records every exec request the engine makes (any client) while `body` runs. */
export async function watchExecs<T>(body: () => Promise<T>): Promise<{ value: T; execs: ExecRequest[] }> {
  const execs: ExecRequest[] = [];
  const original = Client.prototype.exec;
  Client.prototype.exec = function (this: Client, command: string, ...rest: unknown[]): Client {
    const options = typeof rest[0] === 'object' ? (rest[0] as { env?: Record<string, string> }) : undefined;
    execs.push({ command, env: options?.env });
    return (original as unknown as (...a: unknown[]) => Client).call(this, command, ...rest);
  } as unknown as typeof Client.prototype.exec;
  try {
    return { value: await body(), execs };
  } finally {
    Client.prototype.exec = original;
  }
}
