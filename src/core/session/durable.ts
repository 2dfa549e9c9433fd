import * as crypto from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import type { OutputStream } from '../types';
import { ChannelTransport, endChannel, execDiscard, FramedShell, ShellNotStartedError } from './remoteShell';
import { POSIX_DIALECT, returnIfZombie, type Hello, type ShellDialect } from './protocol';
import { PWSH_DIALECT } from './pwsh/dialect';
import type { Elevation } from './become';
import { relayCommand, rootCreateFiles, rootStartCommand, ROOT_IDLE_TIMEOUT_SECONDS } from './rootDurable';

// A durable shell runs detached from any SSH channel (setsid, else nohup), reading commands from
// a FIFO and appending framed output to two spool files in a private directory
// (~/.cache/remote-invoke/<id>, mode 0700). A client attaches with one exec channel: its stdin
// feeds the FIFO and two `tail -f` readers stream the spools from the byte offsets the client
// has consumed, so a dropped link or a new client process resumes exactly where it stopped.
// A watchdog ends the shell and removes its files after an idle time with nobody attached.
// Only /bin/sh, mkfifo, tail and sleep are needed on the host: no tmux, no bash.

export const DEFAULT_IDLE_TIMEOUT_SECONDS = 4 * 60 * 60;

/** Exit code of the create program when the host lacks a tool it needs (its output names it). */
const CREATE_MISSING_TOOL = 93;

/** Exit codes of the attach command that mean "this session no longer exists". */
const ATTACH_NO_SESSION = 44;
/** The shell had ended: its spools were delivered in full (47: it had exited, with a status). */
const ATTACH_DUMPED = 46;
const ATTACH_DUMPED_EXITED = 47;

export function newSessionId(): string {
  return 's' + crypto.randomBytes(8).toString('hex');
}

// The shell's pid is remembered across ticks, so a directory removed from under the session
// (by hand, or a test tearing down) still ends the shell instead of orphaning it.
// The shell's pid is read at once (it is recorded before the watchdog starts): a directory removed
// before the first tick must still take its shell with it.
const WATCHDOG = String.raw`d=$1; limit=$2; tick=30; [ "$limit" -lt 240 ] && tick=1; idle=0; pid=; read pid 2>/dev/null <"$d/pid"
while sleep $tick; do
  if [ ! -d "$d" ]; then [ -n "$pid" ] && { kill -KILL -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; }; exit 0; fi
  p=; read p 2>/dev/null <"$d/pid"; [ -n "$p" ] && pid=$p
  att=; read att 2>/dev/null <"$d/attached"; busy=; read busy 2>/dev/null <"$d/busy"
  alive=; [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1
  if { [ -n "$att" ] && kill -0 "$att" 2>/dev/null; } || { [ -n "$alive" ] && [ "$busy" = 1 ]; }; then idle=0; echo 0 >"$d/idle"; continue; fi
  idle=$((idle + tick)); echo "$idle" >"$d/idle"
  if [ "$idle" -ge "$limit" ]; then
    [ -n "$alive" ] && { kill -KILL -"$pid" 2>/dev/null || kill -KILL "$pid"; }
    rm -rf "$d"; exit 0
  fi
done`;

// A session made with agent forwarding finds the agent at a link in its directory, which each
// attachment points at its own connection's agent (or removes): see attachCommand.
const BOOT = String.raw`exec 0<>"$1/in" 1>>"$1/out" 2>>"$1/err"
umask "$2" 2>/dev/null
if [ -L "$1/agent" ]; then SSH_AUTH_SOCK=$1/agent; export SSH_AUTH_SOCK; fi
cd 2>/dev/null`;

function heredoc(file: string, body: string): string {
  return `cat >"$d/${file}" <<'RI_EOF_${file.toUpperCase()}'\n${body}\nRI_EOF_${file.toUpperCase()}`;
}

/**
 * Program (fed to /bin/sh on stdin) that makes the session directory and starts the detached
 * shell and its watchdog. Prints `DIR <absolute path>`.
 */
export function createProgram(id: string, idleTimeoutSeconds: number, keepSpool: boolean, dialect: ShellDialect = POSIX_DIALECT, asRoot = false): string {
  return [
    // Every tool is looked for before anything is made, so a host without one is left as it was.
    `for t in mkfifo tail sleep; do command -v $t >/dev/null 2>&1 || { echo "MISSING $t"; exit ${CREATE_MISSING_TOOL}; }; done`,
    `command -v setsid >/dev/null 2>&1 || command -v nohup >/dev/null 2>&1 || { echo "MISSING setsid or nohup"; exit ${CREATE_MISSING_TOOL}; }`,
    // The session's files are private; the scripts it runs get the login's own umask back (boot).
    'u=$(umask)',
    'umask 077',
    'b="${HOME:-/tmp}/.cache/remote-invoke"',
    'mkdir -p "$b" && chmod 700 "$b" || exit 90',
    `d="$b/${id}"`,
    'mkdir "$d" || exit 91',
    'mkfifo "$d/in" || { rm -rf "$d"; exit 92; }',
    ': >"$d/out"; : >"$d/err"; echo 0 >"$d/busy"',
    // Made here, private, so the shell (which runs with the login's umask) only ever rewrites it.
    'echo 0 >"$d/run"',
    '[ -n "$SSH_AUTH_SOCK" ] && ln -s "$SSH_AUTH_SOCK" "$d/agent"',
    ...(keepSpool ? [': >"$d/keep"'] : []),
    heredoc('boot', `${BOOT}\n${dialect.bootExec}`),
    heredoc('watchdog', WATCHDOG),
    // A root session's shell is started by sudo afterwards (rootDurable.ts).
    ...(asRoot
      ? rootCreateFiles(heredoc)
      : [
          'if command -v setsid >/dev/null 2>&1; then detach=setsid; else detach=nohup; fi',
          // setsid and nohup exec in place (a background job is never a group leader, so setsid does
          // not fork): $! is the shell's pid, recorded before any client can attach.
          '$detach /bin/sh "$d/boot" "$d" "$u" </dev/null >/dev/null 2>&1 & echo $! >"$d/pid"',
          `$detach /bin/sh "$d/watchdog" "$d" ${Math.max(1, Math.round(idleTimeoutSeconds))} </dev/null >/dev/null 2>&1 & echo $! >"$d/wpid"`,
        ]),
    'printf "DIR %s\\n" "$d"',
    '',
  ].join('\n');
}

/**
 * Exec command that attaches: stdin → FIFO, spools from the given offsets → stdout/stderr.
 * Ends with 44 when the session is gone, 45 when its shell died without its exit trap.
 */
export function attachCommand(dir: string, offsets: Record<OutputStream, number>, startMarker = SPOOL_START, dumpEnded = true): string {
  // Unverified (nothing of ours in flight): an ended shell's leftover output belongs to no run.
  const dump = dumpEnded ? `tail -c +${offsets.stdout + 1} "$d/out"; tail -c +${offsets.stderr + 1} "$d/err" 1>&4; ` : '';
  const program = [
    // The channel's stderr carries the err spool byte for byte: the attach shell's own
    // diagnostics must never reach it, or the client's offsets would drift. What the login
    // printed before this program ran (a chatty ~/.zshenv, .bashrc errors) comes before the
    // start marker on each stream and is dropped by the client (SpoolStart).
    `exec 4>&2 2>/dev/null; echo ${startMarker}; echo ${startMarker} >&4`,
    'umask 077',
    `d="${dir}"`,
    `[ -p "$d/in" ] || exit ${ATTACH_NO_SESSION}`,
    // `read` is a builtin: watching the shell costs one `sleep` a second, nothing more.
    // A root session's shell cannot be signalled by the login user (EPERM): /proc still shows it.
    `alive() { p=; read p <"$d/pid"; [ -n "$p" ] || return 1; kill -0 "$p" || [ -d "/proc/$p" ] || return 1; ${returnIfZombie('$p', 's')} }`,
    // A shell that has ended: deliver what its spools still hold, then say so.
    `alive || { ${dump}[ -s "$d/status" ] && exit ${ATTACH_DUMPED_EXITED}; exit ${ATTACH_DUMPED}; }`,
    'echo $$ >"$d/attached"',
    // Agent forwarding lasts as long as this attachment: the session's agent link follows it.
    'if [ -n "$SSH_AUTH_SOCK" ]; then ln -sf "$SSH_AUTH_SOCK" "$d/agent"; else rm -f "$d/agent"; fi',
    // GNU tail follows with inotify. Others (busybox polls once a second, and its -s takes whole
    // seconds) are replaced by a 50 ms loop: cat from an fd kept at the offset, then sleep.
    'if tail --version >/dev/null 2>&1 || ! command -v dd >/dev/null; then follow() { exec tail -c +$(($2 + 1)) -f "$1"; }; ' +
      'else follow() { exec 3<"$1"; dd bs=1 skip=$2 count=0 <&3 2>/dev/null; while :; do cat <&3; sleep 0.05 || sleep 1; done; }; fi',
    `follow "$d/out" ${offsets.stdout} & o=$!`,
    `follow "$d/err" ${offsets.stderr} 1>&4 & e=$!`,
    // If the shell dies while attached, end this whole attachment (SIGTERM to our own process
    // group) a second later, once the readers have passed on its last words.
    '( while [ -d "$d" ] && alive; do sleep 1; done; sleep 1; kill -TERM 0 ) & m=$!',
    'cat >>"$d/in"',
    // A dead attach shell may linger unreaped (a zombie still answers kill -0): say we left.
    'kill $o $e $m; a=; read a <"$d/attached"; [ "$a" = $$ ] && : >"$d/attached"; exit 0',
  ].join('; ');
  return `/bin/sh -c '${program}'`;
}

/** Both spools from the given offsets to their current ends, without following: stdout, stderr (each after a start marker, see SpoolStart). */
export function spoolCommand(dir: string, offsets: Record<OutputStream, number>, startMarker = SPOOL_START): string {
  return `/bin/sh -c 'd="${dir}"; [ -d "$d" ] || exit ${ATTACH_NO_SESSION}; echo ${startMarker}; echo ${startMarker} >&2; tail -c +${offsets.stdout + 1} "$d/out"; tail -c +${offsets.stderr + 1} "$d/err" >&2; exit 0'`;
}

/** The line our spool readers print before any spool byte; a login's own output comes before it. */
const SPOOL_START = 'RI-SPOOL-START-9f3c1e';

/**
 * Drops what a stream carries before the spool start marker line, so that a login's rc output
 * is never taken for spool bytes (it would shift every offset after it).
 */
export class SpoolStart {
  private pending: Buffer | undefined = Buffer.alloc(0);

  constructor(private readonly marker = SPOOL_START) {}

  /** The spool bytes in this chunk (empty while the marker has not been seen). */
  take(chunk: Buffer): Buffer {
    if (!this.pending) return chunk;
    const seen = Buffer.concat([this.pending, chunk]);
    const at = seen.indexOf(this.marker + '\n');
    if (at < 0 || (at > 0 && seen[at - 1] !== 10)) {
      // Keep only what could still be the start of the marker line.
      this.pending = seen.subarray(Math.max(0, seen.length - this.marker.length - 1));
      return Buffer.alloc(0);
    }
    this.pending = undefined;
    return seen.subarray(at + this.marker.length + 1);
  }
}

export type RemoteStatus =
  | { kind: 'gone' }
  | { kind: 'running'; busy: boolean; attached: boolean; idleSeconds: number | null }
  /** `finishedAt`: when the shell ended (its status file's time, by the host's clock), when the host can tell. */
  | { kind: 'done'; exitCode: number; finishedAt?: string }
  | { kind: 'dead' };

/** One line describing a durable shell: `GONE`, or `STATE <alive> <busy> <idle> <attached> <status|-> <ended epoch|->`. */
export function statusCommand(dir: string): string {
  return (
    `/bin/sh -c 'exec 2>/dev/null; d="${dir}"; [ -d "$d" ] || { echo GONE; exit 0; }; ` +
    'p=; read p <"$d/pid"; b=0; read b <"$d/busy"; i=0; read i <"$d/idle"; s=-; read s <"$d/status"; a=; read a <"$d/attached"; ' +
    'al=0; [ -n "$p" ] && { kill -0 "$p" || [ -d "/proc/$p" ]; } && al=1; at=0; [ -n "$a" ] && kill -0 "$a" && at=1; ' +
    // The status file is written as the shell exits: its mtime is when (GNU/busybox date -r, BSD stat -f).
    't=; [ "$s" != - ] && t=$(date -r "$d/status" +%s || stat -f %m "$d/status"); ' +
    `echo "STATE $al $b $i $at $s \${t:--}"'`
  );
}

export function parseRemoteStatus(text: string): RemoteStatus {
  if (/^GONE/m.test(text)) return { kind: 'gone' };
  const m = /^STATE (\d) (\d*) (\d*|-) (\d) (\S+)(?: (\d+))?/m.exec(text);
  if (!m) return { kind: 'gone' };
  if (m[5] !== '-') return { kind: 'done', exitCode: Number(m[5]), ...(m[6] ? { finishedAt: new Date(Number(m[6]) * 1000).toISOString() } : {}) };
  if (m[1] !== '1') return { kind: 'dead' };
  return { kind: 'running', busy: m[2] === '1', attached: m[4] === '1', idleSeconds: m[3] === '-' ? null : Number(m[3] || 0) };
}

export async function queryStatus(client: Client, record: Pick<DurableShellRecord, 'dir'>): Promise<RemoteStatus> {
  return parseRemoteStatus((await execCommand(client, statusCommand(record.dir))).stdout);
}

/** Whether the durable shell has started a given run: `yes`, `no`, or `unknown` (a shell that does not record it: one booted by an older client). */
export type RunStarted = 'yes' | 'no' | 'unknown';

/** `RUN <id of the last run the shell started; - when it records none (or, a root shell's, we may not read it); ? while it is being written>` (see bootProgram's `run` file). */
export function startedRunCommand(dir: string): string {
  return `/bin/sh -c 'exec 2>/dev/null; d="${dir}"; r=-; [ -r "$d/run" ] && { r=; read r <"$d/run"; }; echo "RUN \${r:-?}"'`;
}

export function parseRunStarted(text: string, runId: number): RunStarted | 'writing' {
  const m = /^RUN (\S+)/m.exec(text);
  if (!m || m[1] === '-') return 'unknown';
  // The shell is rewriting the file this instant: it is starting a run.
  if (m[1] === '?') return 'writing';
  return Number(m[1]) >= runId ? 'yes' : 'no';
}

/**
 * Asks the host whether the shell started run `runId`: after a link died as the run was sent,
 * its text may or may not have reached the shell.
 */
export async function queryRunStarted(client: Client, record: Pick<DurableShellRecord, 'dir'>, runId: number): Promise<RunStarted> {
  for (let attempt = 0; ; attempt++) {
    const answer = parseRunStarted((await execCommand(client, startedRunCommand(record.dir))).stdout, runId);
    if (answer !== 'writing') return answer;
    if (attempt === 5) return 'yes';
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Empties both spools when they hold exactly what the client has already received (nothing new
 * since), so a long-lived session's files stay bounded. The shell appends (O_APPEND), so its
 * next write lands at the start of the emptied file. Prints TRIMMED when it did.
 */
export function trimCommand(dir: string, offsets: Record<OutputStream, number>): string {
  return (
    `/bin/sh -c 'd="${dir}"; o=$(wc -c <"$d/out") && e=$(wc -c <"$d/err") && ` +
    `[ "$o" -eq ${offsets.stdout} ] && [ "$e" -eq ${offsets.stderr} ] && : >"$d/out" && : >"$d/err" && echo TRIMMED; exit 0'`
  );
}

/** Removes a session: kills its shell's group and its watchdog, and deletes its directory. */
export function removeCommand(dir: string): string {
  return (
    // A root session's relay ends its root processes (the login user may not signal them).
    `/bin/sh -c 'd="${dir}"; [ -p "$d/sig" ] && { exec 3<>"$d/sig"; echo END >&3; exec 3>&-; }; ` +
    `p=$(cat "$d/pid" 2>/dev/null); [ -n "$p" ] && { kill -KILL -"$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null; }; ` +
    `w=$(cat "$d/wpid" 2>/dev/null); [ -n "$w" ] && { kill -KILL -"$w" 2>/dev/null || kill -KILL "$w" 2>/dev/null; }; rm -rf "$d"; exit 0'`
  );
}

/** Runs a short program on /bin/sh's stdin and collects its output. */
export function execProgram(client: Client, program: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    client.exec('/bin/sh', (err, channel) => {
      if (err) return reject(err);
      collect(channel).then(resolve, reject);
      channel.end(program);
    });
  });
}

/** Runs a command and collects its output; `stdin`: what it reads (a root start's sudo password line). */
export function execCommand(client: Client, command: string, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      collect(channel).then(resolve, reject);
      channel.end(stdin);
    });
  });
}

function collect(channel: ClientChannel): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let code: number | null = null;
    channel.on('data', (d: Buffer) => (stdout += d.toString()));
    channel.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    channel.on('exit', (c: number | null) => (code = c));
    channel.on('close', () => resolve({ code, stdout, stderr }));
  });
}

/** What a client must remember to reattach to a durable shell, possibly from another process. */
export interface DurableShellRecord {
  id: string;
  dir: string;
  token: string;
  hello: Hello;
  /** Bytes of each spool already delivered (through the last complete line). */
  offsets: Record<OutputStream, number>;
  nextRunId: number;
  /** A run that was in flight when the record was saved. */
  activeRunId?: number;
  /** The shell is the PowerShell host loop (absent: a POSIX shell). */
  dialect?: 'pwsh';
  /** A root session: the user sudo started the shell as (see rootDurable.ts). */
  become?: string;
}

export function dialectOf(record: Pick<DurableShellRecord, 'dialect'>): ShellDialect {
  return record.dialect === 'pwsh' ? PWSH_DIALECT : POSIX_DIALECT;
}

export class SessionGoneError extends Error {}

/** How a transport says the durable shell it attached to is no more. */
export const SESSION_GONE = 'the session no longer exists on the host';

/** One attachment to a durable shell: an exec channel plus the spool readers behind it. */
export class DurableTransport extends ChannelTransport {
  private closing = false;
  private readonly starts: Record<OutputStream, SpoolStart> = { stdout: new SpoolStart(), stderr: new SpoolStart() };

  /** Only spool bytes count: what the login printed before the start markers is dropped here. */
  protected override received(stream: OutputStream, chunk: Buffer): Buffer {
    return this.starts[stream].take(chunk);
  }
  /**
   * Attached without asking first whether the shell is still there (saving that round trip):
   * nothing of ours can be in flight, so a shell found ended means the session is gone.
   */
  private unverified = false;

  /** A root session's shell is signalled through its relay (the login user may not signal it). */
  private relayDir: string | undefined;

  static attach(client: Client, record: Pick<DurableShellRecord, 'dir' | 'become'>, offsets: Record<OutputStream, number>, unverified = false) {
    return new Promise<DurableTransport>((resolve, reject) =>
      client.exec(attachCommand(record.dir, offsets, SPOOL_START, !unverified), (err, channel) => {
        if (err) return reject(err);
        const transport = new DurableTransport(client, channel);
        transport.unverified = unverified;
        if (record.become !== undefined) transport.relayDir = record.dir;
        resolve(transport);
      }),
    );
  }

  protected onChannelClosed(): void {
    if (this.unverified && (this.exitCode === ATTACH_DUMPED || this.exitCode === ATTACH_DUMPED_EXITED)) {
      const how = this.exitCode === ATTACH_DUMPED_EXITED ? 'its shell exited' : 'its shell was killed';
      this.emit('closed', { lost: `${SESSION_GONE} (${how})` });
    } else if (this.exitCode === ATTACH_DUMPED || this.exitCode === ATTACH_DUMPED_EXITED) this.emit('closed', { exitCode: null, signal: null });
    else if (this.exitCode === ATTACH_NO_SESSION) {
      this.emit('closed', { lost: `${SESSION_GONE} (its shell exited, it was removed, or it ended after its idle timeout)` });
    }
    else if (this.closing) return;
    else if (this.exitSignal === 'SIGTERM') this.emit('closed', { lost: 'the remote shell ended while attached' });
    else this.emit('closed', { lost: 'the connection was lost' });
  }

  override signalGroup(hello: Hello, signal: 'TERM' | 'KILL'): void {
    if (this.relayDir === undefined) return super.signalGroup(hello, signal);
    execDiscard(this.client, relayCommand(this.relayDir, signal), () => this.emit('signal-failed', hello, signal));
  }

  /** Detaches; the shell keeps running on the host. */
  close(): Promise<void> {
    this.closing = true;
    return endChannel(this.channel);
  }
}

/** Creates a durable shell on the host and attaches to it. */
export async function createDurableShell(
  client: Client,
  options: { idleTimeoutSeconds?: number; keepSpool?: boolean; signal?: AbortSignal; dialect?: ShellDialect; elevation?: Elevation } = {},
): Promise<{ shell: FramedShell; record: DurableShellRecord }> {
  const id = newSessionId();
  const dialect = options.dialect ?? POSIX_DIALECT;
  const elevation = options.elevation;
  const idleTimeoutSeconds = options.idleTimeoutSeconds ?? (elevation ? ROOT_IDLE_TIMEOUT_SECONDS : DEFAULT_IDLE_TIMEOUT_SECONDS);
  const created = await execProgram(client, createProgram(id, idleTimeoutSeconds, !!options.keepSpool, dialect, !!elevation));
  const dir = /^DIR (.+)$/m.exec(created.stdout)?.[1];
  const missing = /^MISSING (.+)$/m.exec(created.stdout)?.[1];
  if (created.code === CREATE_MISSING_TOOL && missing) {
    throw new ShellNotStartedError(`could not start a durable session: the host has no \`${missing}\` (durable sessions need /bin/sh, mkfifo, tail, sleep, and setsid or nohup)`);
  }
  if (created.code !== 0 || !dir) {
    const said = `${created.stdout} ${created.stderr}`.replace(/\s+/g, ' ').trim().slice(0, 600);
    // The create program always prints DIR or exits 90-92: anything else is the login speaking, not our program.
    if (created.code === null || created.code < 90 || created.code > 92) {
      throw new ShellNotStartedError(
        said
          ? `the login did not start the remote shell, so nothing ran; the account said: "${said}" (exit ${created.code})`
          : `the login did not start the remote shell, so nothing ran (exit ${created.code}, without a word); ` +
              'the account may be limited to sftp or to a forced command, or have no usable shell',
      );
    }
    throw new Error(`could not create a durable session (exit ${created.code}): ${said}`);
  }
  const shell = new FramedShell(undefined, { dialect });
  const offsets = { stdout: 0, stderr: 0 };
  try {
    if (elevation) await startRootSession(client, elevation, dir, /^UMASK (\d+)$/m.exec(created.stdout)?.[1] ?? '022', idleTimeoutSeconds);
    shell.attach(await DurableTransport.attach(client, { dir, become: elevation?.user }, offsets));
    const hello = await shell.start(options.signal, dir);
    const record: DurableShellRecord = { id, dir, token: shell.token, hello, offsets, nextRunId: shell.runCounter };
    if (dialect.name === 'pwsh') record.dialect = 'pwsh';
    if (elevation) record.become = elevation.user;
    return { shell, record };
  } catch (err) {
    // A failed start leaves nothing behind: no detached shell, no watchdog, no directory.
    await execCommand(client, removeCommand(dir)).catch(() => undefined);
    throw err;
  }
}

/** Starts a prepared root session's shell under sudo (sudo was checked by prepareElevation). */
async function startRootSession(client: Client, elevation: Elevation, dir: string, umask: string, idleTimeoutSeconds: number): Promise<void> {
  const started = await execCommand(client, rootStartCommand(elevation, dir, umask, idleTimeoutSeconds), elevation.stdinFirst);
  if (started.code !== 0 || !/^STARTED$/m.test(started.stdout)) {
    const said = `${started.stdout} ${started.stderr}`.replace(/\s+/g, ' ').trim().slice(0, 600);
    throw new ShellNotStartedError(`could not start the root session's shell under sudo as ${elevation.user} (exit ${started.code})${said ? `: ${said}` : ''}`);
  }
}

/** Reattaches to a durable shell from a saved record, resuming each spool at its offset. */
export async function reattachDurableShell(
  client: Client,
  record: DurableShellRecord,
  shell?: FramedShell,
  unverified = false,
): Promise<FramedShell> {
  const target =
    shell ??
    new FramedShell(record.token, { hello: record.hello, nextRunId: record.nextRunId, offsets: record.offsets, dialect: dialectOf(record) });
  const transport = await DurableTransport.attach(client, record, target.received, unverified);
  target.attach(transport);
  return target;
}

/** The record as of now (offsets at the last complete line delivered, or acknowledged when that is tracked). */
export function snapshotRecord(record: DurableShellRecord, shell: FramedShell, activeRunId?: number): DurableShellRecord {
  return { ...record, offsets: shell.resumeOffsets, nextRunId: shell.runCounter, activeRunId };
}
