import { EventEmitter } from 'node:events';
import type { Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import { SshConfigFile } from '../inventory/sshConfig';
import type { HandshakeGate } from '../invoke/handshakeGate';
import type { ConnectionSettings } from '../invoke/request';
import { connectByName } from '../ssh/connect';
import { SharedCredentials } from '../ssh/credentials';
import { HostFailure, type OutputStream } from '../types';
import {
  createDurableShell,
  queryStatus,
  queryRunStarted,
  trimCommand,
  reattachDurableShell,
  removeCommand,
  execCommand,
  snapshotRecord,
  SESSION_GONE,
  type DurableShellRecord,
} from './durable';
import { prepareElevation, type BecomeOptions, type Elevation } from './become';
import { signalGroupCommand, type Hello, type RunProgram } from './protocol';
import { PWSH_DIALECT, PWSH_WINDOWS_DIALECT } from './pwsh/dialect';
import { relayCommand } from './rootDurable';
import { openInlineShell } from './inlineStart';
import { openDirectShell, ShellNotStartedError, type FramedShell, type RunControl, type RunOutcome, type RunSink } from './remoteShell';

export type SessionState = 'none' | 'connecting' | 'connected' | 'busy' | 'disconnected' | 'broken';

/** Connection settings with the per-run credential cache already applied. */
export type SessionSettings = ConnectionSettings & { credentials?: SharedCredentials; handshakeGate?: HandshakeGate };

export interface SessionOptions {
  /** The remote shell outlives the connection (see durable.ts). */
  durable?: boolean;
  /** Durable: end the remote shell after this long with nobody attached and nothing running. */
  idleTimeoutSeconds?: number;
  /** Durable: reconnect attempts after a dropped link, with doubling delays from `reconnectDelayMs`. */
  reconnectAttempts?: number;
  reconnectDelayMs?: number;
  /** Durable: reattach to this existing shell instead of creating one. */
  record?: DurableShellRecord;
  /** Durable: keep the spool after the shell ends (background jobs). */
  keepSpool?: boolean;
  /**
   * Live, for a single run: the run is sent without waiting for the shell's hello (saving a round
   * trip), and the shell ends right after it (saving the messages that would close it).
   */
  oneShot?: boolean;
  /** Durable: spool bytes after which received output is trimmed from the host, between runs. */
  spoolLimitBytes?: number;
  /**
   * Durable: the offsets in the record advance only as far as the consumer says its lines are
   * out (`acknowledge`), so a consumer killed mid-run leaves nothing unseen behind.
   */
  acknowledged?: boolean;
  /** A root session: the shell runs under sudo as this user (see become.ts; durable: rootDurable.ts, root only). */
  become?: BecomeOptions;
  /** The session's shell is a PowerShell host loop (pwsh) rather than a POSIX shell. */
  dialect?: 'pwsh';
  /**
   * The host's login shell is PowerShell (`ansible_shell_type=powershell`: a Windows host, or a
   * Linux account whose shell is pwsh): the PowerShell host loop is started with the command that
   * cmd.exe, powershell.exe and pwsh all read (PWSH_WINDOWS_DIALECT). Where a durable session
   * cannot be made because the host has no /bin/sh (Windows), the session is live instead.
   */
  windowsHost?: boolean;
}

export const DEFAULT_SPOOL_LIMIT_BYTES = 8 << 20;

/** What cmd.exe, powershell.exe or pwsh say when asked to run /bin/sh (the durable create program): no POSIX shell. */
const NO_POSIX_SHELL = /is not recognized as|CommandNotFoundException|The term '\/bin\/sh'|cannot find the path/i;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One host's connection and long-lived shell. Opened on first use; runs are queued so they
 * never interleave. A durable session survives dropped links: it reconnects by itself while a
 * run is in flight, and on the next run otherwise.
 */
export class HostSession extends EventEmitter {
  private client: Client | undefined;
  private shell: FramedShell | undefined;
  private opening: Promise<FramedShell> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private running = false;
  private settings: SessionSettings | undefined;
  private record_: DurableShellRecord | undefined;
  private activeRunId: number | undefined;
  /** A run that ended `Disconnected`: still going on the host, to be collected by `receive()`. */
  private unreceivedRunId: number | undefined;
  private reconnecting: Promise<void> | undefined;
  /** Said once by the next run: e.g. the durable shell had ended, so a new one (fresh state) was made. */
  private notice: string | undefined;
  /** A durable session could not be made (a host without /bin/sh): this one is live. */
  private liveOnly = false;
  /** Attached without a status check, by an open() that asked to renew: a gone shell is replaced by the next run. */
  private renewIfGone = false;

  constructor(
    readonly name: string,
    readonly options: SessionOptions = {},
  ) {
    super();
    this.record_ = options.record;
  }

  get state(): SessionState {
    if (this.shell?.brokenReason) return 'broken';
    if (this.opening || this.reconnecting) return 'connecting';
    if (this.shell?.detachedReason || (!this.shell && this.record_)) return 'disconnected';
    if (this.running && this.shell) return 'busy';
    if (this.shell) return 'connected';
    return 'none';
  }

  get brokenReason(): string | undefined {
    return this.shell?.brokenReason;
  }

  /** For durable sessions: what another process needs to reattach (offsets as of now). */
  get record(): DurableShellRecord | undefined {
    if (!this.record_) return undefined;
    return this.shell ? snapshotRecord(this.record_, this.shell, this.activeRunId ?? this.unreceivedRunId) : this.record_;
  }

  private changed(): void {
    this.emit('state', this.state);
  }

  /** A notice for the run that just opened this session, once. */
  takeNotice(): string | undefined {
    const notice = this.notice;
    this.notice = undefined;
    return notice;
  }

  /**
   * Connects and starts (or reattaches to) the shell, or returns the one already open. Throws
   * HostFailure. `renew`: a durable shell that has ended is replaced by a new one (and the next
   * `takeNotice` says so) instead of failing.
   */
  open(settings: SessionSettings, signal?: AbortSignal, options: { renew?: boolean } = {}): Promise<FramedShell> {
    this.settings = settings;
    if (this.shell && !this.shell.brokenReason && !this.shell.detachedReason) return Promise.resolve(this.shell);
    this.opening ??= this.connectAndStart(settings, signal, !!options.renew).finally(() => {
      this.opening = undefined;
      this.changed();
    });
    this.changed();
    return this.opening;
  }

  private async connectClient(settings: SessionSettings, signal?: AbortSignal): Promise<Client> {
    const sshConfig = settings.sshConfig ?? SshConfigFile.load();
    const client = await connectByName(sshConfig, this.name, {
      connectTimeoutMs: settings.connectTimeoutMs,
      knownHostsFiles: settings.knownHostsFiles,
      strictHostKeyChecking: settings.strictHostKeyChecking,
      callbacks: settings.credentials ?? settings.callbacks,
      forwardAgent: typeof settings.forwardAgent === 'function' ? settings.forwardAgent(this.name) : settings.forwardAgent,
      signal,
      handshakeGate: settings.handshakeGate,
    });
    client.on('error', () => {
      /* surfaces as the transport closing */
    });
    client.on('close', () => this.changed());
    return client;
  }

  private async connectAndStart(settings: SessionSettings, signal: AbortSignal | undefined, renew: boolean): Promise<FramedShell> {
    const client = await this.connectClient(settings, signal);
    try {
      const shell = await this.startShell(client, signal, renew);
      this.client?.end();
      this.client = client;
      if (this.shell !== shell) this.adopt(shell);
      return shell;
    } catch (err) {
      client.end();
      if (err instanceof HostFailure) throw err;
      if (err instanceof ShellNotStartedError && !signal?.aborted) throw new HostFailure('NotStarted', err.message);
      throw new HostFailure(signal?.aborted ? 'Cancelled' : 'Unreachable', (err as Error).message);
    }
  }

  private async startShell(client: Client, signal: AbortSignal | undefined, renew: boolean): Promise<FramedShell> {
    const become = this.options.become;
    if (become && !this.options.durable) return this.startRootShell(client, become, signal);
    const dialect = this.options.dialect === 'pwsh' ? (this.options.windowsHost ? PWSH_WINDOWS_DIALECT : PWSH_DIALECT) : undefined;
    // A POSIX one-shot's hello and run travel with its exec request (inlineStart.ts): one round trip less.
    if (!this.options.durable && this.options.oneShot && !dialect) return openInlineShell(client, signal);
    if (!this.options.durable || this.liveOnly) return openDirectShell(client, signal, this.options.oneShot, dialect);
    if (this.record_ && (this.record_.become ?? undefined) !== (become ? (become.user ?? 'root') : undefined)) {
      throw new HostFailure('Failed', this.record_.become !== undefined
        ? `the session on ${this.name} runs as ${this.record_.become}; this run did not ask for that`
        : `the session on ${this.name} is not a root session; run as root in a separate session`);
    }
    // A shell that ended while we were away (or while attached) is looked at before reattaching
    // when a run of ours is still in flight there (its end must be told apart from a gone
    // session). Otherwise the attach itself reports a gone or dead shell, and run() opens a new
    // one then: no status channel first (about 2 round trips).
    if (this.record_ && (!this.shell || this.shell.brokenReason || this.shell.detachedReason)) {
      if (this.record_.activeRunId !== undefined) await this.checkStillThere(client, this.record_, renew);
      else {
        this.renewIfGone = renew;
        return reattachDurableShell(client, this.record_, this.shell?.brokenReason ? undefined : this.shell, true);
      }
    }
    if (this.record_) return reattachDurableShell(client, this.record_, this.shell?.brokenReason ? undefined : this.shell);
    // A root session asks sudo once, here: later runs (and later processes) reattach without it.
    const elevation = become ? await this.elevate(client, become, true) : undefined;
    let created: Awaited<ReturnType<typeof createDurableShell>>;
    try {
      created = await createDurableShell(client, {
        idleTimeoutSeconds: this.options.idleTimeoutSeconds,
        keepSpool: this.options.keepSpool,
        signal,
        dialect,
        elevation,
      });
    } catch (err) {
      if (!this.options.windowsHost || elevation || dialect !== PWSH_WINDOWS_DIALECT || !NO_POSIX_SHELL.test((err as Error).message)) throw err;
      // A Windows host: no /bin/sh for a durable session, so this PowerShell session is live.
      this.liveOnly = true;
      this.notice = `${this.name} has no /bin/sh (a Windows host?), so its PowerShell session is live: it does not survive a dropped connection`;
      return openDirectShell(client, signal, this.options.oneShot, dialect);
    }
    this.record_ = created.record;
    this.emit('record');
    return created.shell;
  }

  /** The shell under sudo, after finding out whether (and checking that) sudo wants a password. */
  private async startRootShell(client: Client, become: BecomeOptions, signal?: AbortSignal): Promise<FramedShell> {
    const elevation = await this.elevate(client, become, false);
    return openDirectShell(client, signal, this.options.oneShot, this.options.dialect === 'pwsh' ? PWSH_DIALECT : undefined, elevation);
  }

  /** How to become `become.user` here (asking for the sudo password once per run when needed). */
  private async elevate(client: Client, become: BecomeOptions, durable: boolean): Promise<Elevation> {
    const user = become.user ?? 'root';
    if (durable && user !== 'root' && user !== '#0') {
      // The session's directory is the login user's (0700): only root can work in it.
      throw new HostFailure('Failed', `a durable session can run as root only, not as ${user}, on ${this.name}; run as ${user} without a session`);
    }
    const settings = this.settings ?? {};
    const loginUser = (settings.sshConfig ?? SshConfigFile.load()).resolve(this.name).user;
    const credentials = settings.credentials ?? new SharedCredentials(settings.callbacks);
    return prepareElevation(client, this.name, loginUser, become, credentials);
  }

  /** A record from another process may name a shell that has since ended; say so before running. */
  private async checkStillThere(client: Client, record: DurableShellRecord, renew: boolean): Promise<void> {
    const status = await queryStatus(client, record);
    if (status.kind === 'running' || (status.kind === 'dead' && record.activeRunId !== undefined)) return;
    this.record_ = undefined;
    this.emit('record');
    const why =
      status.kind === 'gone'
        ? 'its shell exited, it was removed, or it ended after its idle timeout'
        : status.kind === 'done'
          ? `its shell exited with code ${status.exitCode}`
          : 'its shell was killed';
    if (status.kind !== 'gone') await execCommand(client, removeCommand(record.dir)).catch(() => undefined);
    if (!renew) throw this.goneFailure(why);
    this.shell = undefined;
    this.notice = this.resetNotice(why);
  }

  /**
   * The attach found the durable shell gone, so nothing ran (the attach ends before it passes
   * anything on). After an open() that asked to renew, a new session runs the program now and
   * says the state was reset (as checkStillThere does before an attach); else the run fails and
   * the next one opens a new session.
   */
  private async replaceGone(why: string, program: Omit<RunProgram, 'runId'>, sink: RunSink, control: RunControl): Promise<RunOutcome> {
    const client = this.client;
    const record = this.record_;
    const renew = this.renewIfGone;
    this.renewIfGone = false;
    const detail = why.slice(SESSION_GONE.length).trim().replace(/^\((.*)\)$/, '$1');
    this.record_ = undefined;
    if (!renew || !client || !record) {
      this.emit('record');
      throw this.goneFailure(detail);
    }
    this.shell = undefined;
    this.emit('record');
    // A killed or exited shell leaves its directory (a reaped or removed one does not). One
    // channel after the other: a server may allow only one at a time (MaxSessions 1).
    if (!/removed|idle timeout/.test(detail)) await execCommand(client, removeCommand(record.dir)).catch(() => undefined);
    let shell: FramedShell;
    try {
      shell = await this.startShell(client, control.signal, false);
    } catch (err) {
      if (err instanceof ShellNotStartedError) throw new HostFailure('NotStarted', err.message);
      throw err;
    }
    this.adopt(shell);
    this.activeRunId = shell.runCounter;
    this.notice = this.resetNotice(detail);
    return shell.run(program, sink, control);
  }

  private resetNotice(why: string): string {
    return `the durable session on ${this.name} no longer existed (${why}); this run opened a new one, so the session's state was reset`;
  }

  private goneFailure(why: string): HostFailure {
    return new HostFailure('Failed', `the durable session on ${this.name} no longer exists (${why}); the next run opens a new one`);
  }

  private adopt(shell: FramedShell): void {
    this.shell = shell;
    shell.signalFallback = (hello, signal) => void this.signalOnNewConnection(hello, signal);
    if (this.options.acknowledged) shell.trackAcknowledgements();
    shell.on('closed', () => this.changed());
    shell.on('detached', (why: string) => this.onDetached(shell, why));
  }

  private onDetached(shell: FramedShell, why: string): void {
    if (!this.options.durable) return shell.abandon(why);
    this.changed();
    if (why.includes('no longer exists')) return shell.abandon(why);
    if (shell.busy && this.settings) this.reconnectInBackground(shell, this.settings);
  }

  /** Bounded retries with doubling delays; gives up the in-flight run as lost when the host stays away. */
  private reconnectInBackground(shell: FramedShell, settings: SessionSettings): void {
    if (this.reconnecting) return;
    const attempts = this.options.reconnectAttempts ?? 5;
    const firstDelay = this.options.reconnectDelayMs ?? 500;
    this.reconnecting = (async () => {
      let lastError = 'the connection was lost';
      for (let attempt = 0; attempt < attempts; attempt++) {
        await delay(firstDelay * 2 ** attempt);
        try {
          const client = await this.connectClient(settings);
          const record = this.record as DurableShellRecord;
          // The link may have died as the run was sent: ask whether its text reached the shell.
          const sent = shell.sentRunId;
          const started = sent === undefined ? 'yes' : await queryRunStarted(client, record, sent);
          await reattachDurableShell(client, record, shell);
          this.client?.end();
          this.client = client;
          if (started !== 'yes' && shell.sentRunId === sent) shell.resendRun();
          return;
        } catch (err) {
          lastError = (err as Error).message;
        }
      }
      // The shell is still there on the host: the session stays Disconnected (not Broken), so
      // receive() or the next run reattaches from exactly where this one stopped.
      this.unreceivedRunId = this.activeRunId;
      shell.releaseRun(`the host stayed unreachable after ${attempts} reconnect attempts (${lastError})`);
    })().finally(() => {
      this.reconnecting = undefined;
      this.changed();
    });
    this.changed();
  }

  /**
   * A server that allows one channel per connection (`MaxSessions 1`) refuses the side channel a
   * stop signal travels on: a second connection carries it instead.
   */
  private async signalOnNewConnection(hello: Hello, signal: 'TERM' | 'KILL'): Promise<void> {
    const settings = this.settings;
    if (!settings) return;
    try {
      const client = await this.connectClient(settings);
      try {
        // A durable root shell is signalled by its relay (the login user may not signal it).
        const root = this.record_?.become !== undefined ? this.record_.dir : undefined;
        await execCommand(client, root !== undefined ? relayCommand(root, signal) : signalGroupCommand(hello, signal));
      } finally {
        client.end();
      }
    } catch {
      /* unreachable now: the run's stop timer ends it as lost */
    }
  }

  /** Runs one script after any earlier run on this host has finished. */
  run(program: Omit<RunProgram, 'runId'>, sink: RunSink, control: RunControl): Promise<RunOutcome> {
    const next = this.queue.then(async () => {
      const shell = this.shell;
      if (!shell) throw new Error('session is not open');
      this.running = true;
      // An unreceived run's remaining output goes to this run (as any output produced between runs).
      this.unreceivedRunId = undefined;
      this.activeRunId = shell.runCounter;
      this.changed();
      try {
        const sent = this.options.oneShot ? { ...program, exitAfter: true } : program;
        // Found gone by an unverified attach before anything was sent (see startShell).
        if (shell.detachedReason?.startsWith(SESSION_GONE)) return await this.replaceGone(shell.detachedReason, sent, sink, control);
        await this.trimSpool(shell);
        const running = shell.run(sent, sink, control);
        // The link was found dead after the shell was taken (nothing was sent): reconnect now, and resend.
        if (this.options.durable && shell.detachedReason && shell.busy && this.settings) this.reconnectInBackground(shell, this.settings);
        const outcome = await running;
        if (outcome.end.kind === 'connection-lost' && outcome.end.error.startsWith(SESSION_GONE)) return await this.replaceGone(outcome.end.error, sent, sink, control);
        this.renewIfGone = false;
        return outcome;
      } finally {
        this.running = false;
        this.activeRunId = undefined;
        this.emit('record');
        this.changed();
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Between runs, once a durable shell's spools have grown past the limit and everything in them
   * has been received, empties them on the host and reattaches from their start.
   */
  private async trimSpool(shell: FramedShell): Promise<void> {
    const limit = this.options.spoolLimitBytes ?? DEFAULT_SPOOL_LIMIT_BYTES;
    const record = this.record_;
    const client = this.client;
    if (!this.options.durable || !record || !client || shell.received.stdout + shell.received.stderr < limit) return;
    const offsets = { ...shell.received };
    await shell.detachTransport();
    try {
      const trimmed = /TRIMMED/.test((await execCommand(client, trimCommand(record.dir, offsets))).stdout);
      if (trimmed) shell.resetOffsets();
    } finally {
      await reattachDurableShell(client, record, shell);
      this.emit('record');
    }
  }

  /** Collects a run a previous client process left in flight (durable sessions). */
  async receive(settings: SessionSettings, sink: RunSink, signal?: AbortSignal): Promise<RunOutcome | undefined> {
    const runId = this.unreceivedRunId ?? this.record_?.activeRunId;
    const shell = await this.open(settings, signal);
    if (runId === undefined) return undefined;
    this.activeRunId = runId;
    try {
      return await shell.resumeRun(runId, sink);
    } finally {
      this.activeRunId = undefined;
      this.unreceivedRunId = undefined;
      if (this.record_) this.record_ = { ...this.record_, activeRunId: undefined };
      this.emit('record');
    }
  }

  /** The consumer has put out the first `lines` lines of `stream` that this session's shell gave it. */
  acknowledge(stream: OutputStream, lines: number): void {
    this.shell?.acknowledge(stream, lines);
  }

  /** A pty shell on this session's connection, for an interactive terminal. */
  openTerminal(pty: PseudoTtyOptions): Promise<ClientChannel> {
    const client = this.client;
    if (!client) return Promise.reject(new Error(`no open session on ${this.name}`));
    return new Promise((resolve, reject) =>
      client.shell({ term: 'xterm-256color', ...pty }, (err, channel) => (err ? reject(err) : resolve(channel))),
    );
  }

  /** Drops the connection; a durable shell keeps running on the host. */
  detach(): void {
    const shell = this.shell;
    this.shell = undefined;
    if (shell && this.options.durable) this.record_ = snapshotRecord(this.record_ as DurableShellRecord, shell, this.activeRunId);
    if (shell && !this.options.durable) shell.close();
    this.client?.end();
    this.client = undefined;
    this.changed();
  }

  /** Ends the remote shell (and, for a durable one, removes its files) and the connection. */
  async close(settings?: SessionSettings): Promise<void> {
    const record = this.record_;
    if (record && this.options.durable) {
      try {
        const client = this.client ?? (await this.connectClient(settings ?? this.settings ?? {}));
        await execCommand(client, removeCommand(record.dir));
        if (client !== this.client) client.end();
      } catch {
        /* unreachable: its watchdog removes it after the idle timeout */
      }
      this.record_ = undefined;
    }
    this.shell?.close();
    this.shell = undefined;
    this.client?.end();
    this.client = undefined;
    this.changed();
  }
}

/** One open (or remembered) session of a pool: a host's POSIX shell or its PowerShell session. */
export interface PooledSession {
  host: string;
  shell: 'posix' | 'pwsh';
  state: SessionState;
  durable: boolean;
  /** A durable session's record (its remote directory, offsets…), for showing and reattaching. */
  record?: DurableShellRecord;
  /** Why a broken session can no longer run anything. */
  brokenReason?: string;
}

/**
 * Persistent sessions by host name: state set by one run is there for the next. Emits
 * `state (host, state)` whenever a session changes, and `pwshState (host, state)` for the hosts'
 * PowerShell sessions (`list()` has both kinds).
 */
export class SessionPool extends EventEmitter {
  private readonly sessions = new Map<string, HostSession>();
  /** A host's PowerShell session, beside its POSIX one: `.ps1` runs go there. */
  private readonly pwshSessions = new Map<string, HostSession>();

  constructor(private readonly defaults: SessionOptions = {}) {
    super();
  }

  state(host: string): SessionState {
    return this.sessions.get(host)?.state ?? 'none';
  }

  hosts(): string[] {
    return [...this.sessions.keys()];
  }

  /** The session for this host, created (not yet connected) when there is none. */
  session(host: string, options: SessionOptions = {}): HostSession {
    let session = this.sessions.get(host);
    if (!session) {
      session = new HostSession(host, { ...this.defaults, ...options });
      session.on('state', (state: SessionState) => this.emit('state', host, state));
      session.on('record', () => this.emit('record', host));
      this.sessions.set(host, session);
    }
    return session;
  }

  /** The host's PowerShell session (pwsh host loop), created (not yet connected) when there is none. */
  pwshSession(host: string, options: SessionOptions = {}): HostSession {
    let session = this.pwshSessions.get(host);
    if (!session) {
      session = new HostSession(host, { ...this.defaults, ...options, dialect: 'pwsh' });
      session.on('state', (state: SessionState) => this.emit('pwshState', host, state));
      session.on('record', () => this.emit('record', host));
      this.pwshSessions.set(host, session);
    }
    return session;
  }

  /** Forgets a host's PowerShell session without touching the remote side. */
  forgetPwsh(host: string): void {
    const session = this.pwshSessions.get(host);
    this.pwshSessions.delete(host);
    session?.detach();
    if (session) this.emit('pwshState', host, 'none');
  }

  /** Hosts that have a PowerShell session. */
  pwshHosts(): string[] {
    return [...this.pwshSessions.keys()];
  }

  /** The state of a host's PowerShell session. */
  pwshState(host: string): SessionState {
    return this.pwshSessions.get(host)?.state ?? 'none';
  }

  /**
   * Every session the pool knows, both kinds, by host (POSIX first): what a Sessions view lists.
   * Sessions that were never opened and have no record (`none`) are left out.
   */
  list(): PooledSession[] {
    const describe = (host: string, shell: PooledSession['shell'], session: HostSession): PooledSession => {
      const info: PooledSession = { host, shell, state: session.state, durable: !!session.options.durable };
      const record = session.record;
      if (record) info.record = record;
      if (session.brokenReason) info.brokenReason = session.brokenReason;
      return info;
    };
    const hosts = [...new Set([...this.sessions.keys(), ...this.pwshSessions.keys()])];
    return hosts.flatMap((host) => {
      const posix = this.sessions.get(host);
      const pwsh = this.pwshSessions.get(host);
      return [...(posix ? [describe(host, 'posix', posix)] : []), ...(pwsh ? [describe(host, 'pwsh', pwsh)] : [])].filter((s) => s.state !== 'none');
    });
  }

  /** Ends and forgets a host's PowerShell session only (its POSIX session stays). */
  async resetPwsh(host: string, settings?: SessionSettings): Promise<void> {
    const pwsh = this.pwshSessions.get(host);
    if (!pwsh) return;
    this.pwshSessions.delete(host);
    await pwsh.close(settings);
    this.emit('pwshState', host, 'none');
  }

  /** Ends and forgets a host's session (removing a durable one's remote files); the next run opens a new one. */
  async reset(host: string, settings?: SessionSettings): Promise<void> {
    const pwsh = this.pwshSessions.get(host);
    this.pwshSessions.delete(host);
    await pwsh?.close(settings);
    if (pwsh) this.emit('pwshState', host, 'none');
    const session = this.sessions.get(host);
    if (!session) return;
    this.sessions.delete(host);
    await session.close(settings);
    this.emit('state', host, 'none');
  }

  /** Forgets a host's session without touching the remote side (a broken session is already gone). */
  forget(host: string): void {
    const pwsh = this.pwshSessions.get(host);
    this.pwshSessions.delete(host);
    pwsh?.detach();
    if (pwsh) this.emit('pwshState', host, 'none');
    const session = this.sessions.get(host);
    this.sessions.delete(host);
    session?.detach();
    this.emit('state', host, 'none');
  }

  async openTerminal(
    host: string,
    settings: ConnectionSettings,
    pty: { cols: number; rows: number; term?: string },
  ): Promise<ClientChannel> {
    const session = this.session(host);
    await session.open({ ...settings, credentials: new SharedCredentials(settings.callbacks) });
    return session.openTerminal(pty);
  }

  /** Detaches every session (durable shells keep running on their hosts). */
  dispose(): void {
    for (const host of new Set([...this.sessions.keys(), ...this.pwshSessions.keys()])) this.forget(host);
  }

  /** Ends every session, removing durable shells too. */
  async closeAll(): Promise<void> {
    for (const host of new Set([...this.sessions.keys(), ...this.pwshSessions.keys()])) await this.reset(host);
  }
}
