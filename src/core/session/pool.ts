import { EventEmitter } from 'node:events';
import type { Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import { SshConfigFile } from '../inventory/sshConfig';
import type { ConnectionSettings } from '../invoke/request';
import { connect } from '../ssh/connect';
import { SharedCredentials } from '../ssh/credentials';
import { HostFailure } from '../types';
import { RemoteShell, type RunControl, type RunOutcome, type RunSink } from './remoteShell';
import type { RunProgram } from './protocol';

export type SessionState = 'none' | 'connecting' | 'connected' | 'busy' | 'broken';

/** Connection settings with the per-run credential cache already applied. */
export type SessionSettings = ConnectionSettings & { credentials?: SharedCredentials };

/**
 * One host's connection and long-lived shell. Opened on first use; runs are queued so they
 * never interleave.
 */
export class HostSession extends EventEmitter {
  private client: Client | undefined;
  private shell: RemoteShell | undefined;
  private opening: Promise<RemoteShell> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private running = false;

  constructor(readonly name: string) {
    super();
  }

  get state(): SessionState {
    if (this.shell?.brokenReason) return 'broken';
    if (this.running && this.shell) return 'busy';
    if (this.shell) return 'connected';
    if (this.opening) return 'connecting';
    return 'none';
  }

  get brokenReason(): string | undefined {
    return this.shell?.brokenReason;
  }

  private changed(): void {
    this.emit('state', this.state);
  }

  /** Connects and starts the shell, or returns the one already open. Throws HostFailure. */
  open(settings: SessionSettings, signal?: AbortSignal): Promise<RemoteShell> {
    if (this.shell && !this.shell.brokenReason) return Promise.resolve(this.shell);
    this.opening ??= this.connectAndStart(settings, signal).finally(() => {
      this.opening = undefined;
      this.changed();
    });
    this.changed();
    return this.opening;
  }

  private async connectAndStart(settings: SessionSettings, signal?: AbortSignal): Promise<RemoteShell> {
    const sshConfig = settings.sshConfig ?? SshConfigFile.load();
    const client = await connect(sshConfig.resolve(this.name), {
      connectTimeoutMs: settings.connectTimeoutMs,
      knownHostsFiles: settings.knownHostsFiles,
      strictHostKeyChecking: settings.strictHostKeyChecking,
      callbacks: settings.credentials ?? settings.callbacks,
      signal,
    });
    client.on('error', () => {
      /* reported through the shell's close */
    });
    try {
      const shell = await RemoteShell.open(client, signal);
      this.client = client;
      this.shell = shell;
      shell.on('closed', () => this.changed());
      client.on('close', () => this.changed());
      return shell;
    } catch (err) {
      client.end();
      throw new HostFailure(signal?.aborted ? 'Cancelled' : 'Unreachable', (err as Error).message);
    }
  }

  /** Runs one script after any earlier run on this host has finished. */
  run(program: Omit<RunProgram, 'runId'>, sink: RunSink, control: RunControl): Promise<RunOutcome> {
    const next = this.queue.then(async () => {
      const shell = this.shell;
      if (!shell) throw new Error('session is not open');
      this.running = true;
      this.changed();
      try {
        return await shell.run(program, sink, control);
      } finally {
        this.running = false;
        this.changed();
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** A pty shell on this session's connection, for an interactive terminal. */
  openTerminal(pty: PseudoTtyOptions): Promise<ClientChannel> {
    const client = this.client;
    if (!client) return Promise.reject(new Error(`no open session on ${this.name}`));
    return new Promise((resolve, reject) =>
      client.shell({ term: 'xterm-256color', ...pty }, (err, channel) => (err ? reject(err) : resolve(channel))),
    );
  }

  close(): void {
    this.shell?.close();
    this.client?.end();
    this.shell = undefined;
    this.client = undefined;
    this.changed();
  }
}

/**
 * Persistent sessions by host name: state set by one run is there for the next. Emits
 * `state (host, state)` whenever a session changes.
 */
export class SessionPool extends EventEmitter {
  private readonly sessions = new Map<string, HostSession>();

  state(host: string): SessionState {
    return this.sessions.get(host)?.state ?? 'none';
  }

  hosts(): string[] {
    return [...this.sessions.keys()];
  }

  /** The session for this host, created (not yet connected) when there is none. */
  session(host: string): HostSession {
    let session = this.sessions.get(host);
    if (!session) {
      session = new HostSession(host);
      session.on('state', (state: SessionState) => this.emit('state', host, state));
      this.sessions.set(host, session);
    }
    return session;
  }

  /** Closes and forgets a host's session; the next run opens a new one. */
  async reset(host: string): Promise<void> {
    const session = this.sessions.get(host);
    if (!session) return;
    this.sessions.delete(host);
    session.close();
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

  async dispose(): Promise<void> {
    for (const host of [...this.sessions.keys()]) await this.reset(host);
  }
}
