import { EventEmitter } from 'node:events';
import type { Client, ClientChannel } from 'ssh2';
import { FramedLineReader, type FramedVisitor } from '../output/lineSplitter';
import type { OutputStream } from '../types';
import {
  newToken,
  parseEndMarker,
  parseExitMarker,
  parseHello,
  parsePayloadMarker,
  POSIX_DIALECT,
  signalGroupCommand,
  type Hello,
  type LineTag,
  type RunProgram,
  type ShellDialect,
} from './protocol';
import { elevated, type Elevation } from './become';

/** Where a run's lines go. `line` returns false when the consumer wants the producer to pause. */
export interface RunSink {
  /** `tag`: a PowerShell stream's line (warning, verbose…), or `object`: one output object as JSON text. */
  line(stream: OutputStream, text: string, tag?: LineTag): boolean;
  drained(): Promise<void>;
}

/**
 * How a run ended, the same for every shell dialect. A script's `exit N` is `exited` with N: the
 * session's shell goes on (a sh) or restarts in place (bash) with its state (see protocol.ts), so only a shell that
 * really died (killed, or a run marked last) is `shell-ended`. `not-started`: the shell never
 * said hello, so the script did not run (a nologin, sftp-only or forced-command account); the
 * reason quotes what the account printed instead.
 */
export type RunEnd =
  | { kind: 'exited'; exitCode: number; notice?: string } // the script finished and the shell is still there
  | { kind: 'shell-ended'; exitCode: number | null; signal: string | null } // the shell itself ended
  | { kind: 'connection-lost'; error: string }
  | { kind: 'not-started'; reason: string };

/** The login never started the session shell (no hello): nothing the user sent has run. */
export class ShellNotStartedError extends Error {}

export interface RunControl {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface RunOutcome {
  end: RunEnd;
  /** Why the run was stopped early, if it was. */
  stoppedBy?: 'timeout' | 'cancel';
}

/** How a framed shell's bytes move: a live exec channel, or a re-attachable spool (durable). */
export interface ShellTransport {
  /** Text for the shell's stdin. */
  write(text: string): void;
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Signals the shell's whole process group (the shell traps TERM while a run is active); `command`: the dialect's own way. */
  signalGroup(hello: Hello, signal: 'TERM' | 'KILL', command?: string): void;
  /**
   * Gives up this transport (for a live channel that ends the shell); resolves once the channel is
   * closed. `shellEnding`: the shell ends by itself, so nothing more is sent to it.
   */
  close(shellEnding?: boolean): Promise<void>;
  /**
   * Called once the shell listens: events that happened before (a login that printed and closed
   * at once) are delivered now, so nobody waits on a channel that has already closed.
   */
  listening?(): void;
  /** With no way to deliver a signal: what this transport can still do to stop the shell. */
  lastResortStop?(): void;
}

export interface TransportEvents {
  data(stream: OutputStream, chunk: Buffer): void;
  /** The transport ended: with the shell's exit status when known, or because the link was lost. */
  closed(info: { exitCode: number | null; signal: string | null } | { lost: string }): void;
}

/** How long a stopped script gets to end after SIGTERM before the whole shell is killed. */
const STOP_GRACE_MS = 2000;
const HELLO_TIMEOUT_MS = 20_000;
/** Lines that arrive while no run is active (a background job's output) wait for the next run. */
const IDLE_BACKLOG_LINES = 10_000;
/** What a login printed before the hello is kept this far, to quote it when the hello never comes. */
const PRE_HELLO_CHARS = 600;

interface ActiveRun {
  runId: number;
  /** What was sent (absent for a run resumed from another process): kept to send again after a reattach. */
  program?: RunProgram;
  functionsLost?: boolean;
  sink: RunSink;
  ended: Set<OutputStream>;
  finish(end: RunEnd): void;
}

/**
 * A long-lived shell spoken to with framed runs (see protocol.ts). Runs are strictly sequential;
 * the shell keeps variables, functions, exported environment and cwd between them. The framing
 * state lives here, not in the transport, so a durable shell can change transports (reconnect)
 * mid-run without losing or repeating a byte.
 */
export class FramedShell extends EventEmitter {
  private readonly readers: Record<OutputStream, FramedLineReader>;
  private readonly visitors: Record<OutputStream, FramedVisitor> = { stdout: this.visitorFor('stdout'), stderr: this.visitorFor('stderr') };
  private nextRunId: number;
  private active: ActiveRun | undefined;
  private readonly backlog: { stream: OutputStream; line: string; tag?: LineTag }[] = [];
  private readonly exitMarkers = new Set<OutputStream>();
  private helloWaiter: ((hello: Hello) => void) | undefined;
  /** Streams whose hello marker has arrived (both, for a shell reattached from a record). */
  private readonly helloSeen = new Set<OutputStream>();
  private transport: ShellTransport | undefined;
  hello: Hello | undefined;
  /**
   * Delivers a signal another way when the transport's connection cannot open a side channel
   * (a server with `MaxSessions 1`): the session layer opens a second connection.
   */
  signalFallback: ((hello: Hello, signal: 'TERM' | 'KILL') => void) | undefined;
  /** Set once the shell can no longer run anything; says why. */
  brokenReason: string | undefined;
  /** Set while a durable shell has no transport; a run in flight waits for the next one. */
  detachedReason: string | undefined;
  /** The shell has ended or was told to end after its run: closing need not say anything to it. */
  private ending = false;
  /** What arrived before the hello, in case the hello never comes (the account's own words). */
  private preHello = '';
  /** Bytes received per stream, and through the last complete line (a safe resume point). */
  readonly received: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  readonly lineBoundary: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  /**
   * With acknowledgements on (see `trackAcknowledgements`): lines given out per stream, where
   * each chunk left the stream (line count → byte offset), and the offset up to which the
   * consumer has said its lines are safely out.
   */
  /** Which language the shell's programs are written in (POSIX sh, or the PowerShell host loop). */
  readonly dialect: ShellDialect;
  private acks: { given: Record<OutputStream, number>; checkpoints: Record<OutputStream, { lines: number; offset: number }[]>; safe: Record<OutputStream, number> } | undefined;

  constructor(
    readonly token: string = newToken(),
    options: { hello?: Hello; nextRunId?: number; offsets?: Record<OutputStream, number>; dialect?: ShellDialect } = {},
  ) {
    super();
    this.dialect = options.dialect ?? POSIX_DIALECT;
    const isMarker = (line: string) => line.startsWith(this.token);
    this.readers = { stdout: new FramedLineReader(isMarker), stderr: new FramedLineReader(isMarker) };
    this.hello = options.hello;
    if (options.hello) {
      this.helloSeen.add('stdout');
      this.helloSeen.add('stderr');
    }
    this.nextRunId = options.nextRunId ?? 1;
    if (options.offsets) {
      Object.assign(this.received, options.offsets);
      Object.assign(this.lineBoundary, options.offsets);
    }
  }

  get busy(): boolean {
    return !!this.active;
  }

  get runCounter(): number {
    return this.nextRunId;
  }

  /** The run in flight that this client sent (not one resumed from another process). */
  get sentRunId(): number | undefined {
    return this.active?.program ? this.active.runId : undefined;
  }

  /**
   * Sends the run in flight again on the current transport: after a reattach, when the remote
   * side says the first copy never reached the shell (the link died as it was sent). The dialect
   * makes the copy a no-op should the first one arrive after all. False when it cannot.
   */
  resendRun(): boolean {
    const run = this.active;
    const resend = this.dialect.resendProgram;
    if (!run?.program || !resend || !this.transport) return false;
    this.transport.write(resend(this.token, run.program));
    return true;
  }

  /** A run marked last has been sent (or the shell has ended): nothing more will be written to it. */
  get closingAfterRun(): boolean {
    return this.ending;
  }

  /** Connects a transport; its events feed this shell until it closes. */
  attach(transport: ShellTransport & EventEmitter): void {
    this.transport = transport;
    this.detachedReason = undefined;
    transport.on('data', (stream: OutputStream, chunk: Buffer) => this.onData(stream, chunk));
    transport.on('signal-failed', (hello: Hello, signal: 'TERM' | 'KILL') => {
      if (this.signalFallback) this.signalFallback(hello, signal);
      else transport.lastResortStop?.();
    });
    transport.on('closed', (info: Parameters<TransportEvents['closed']>[0]) => {
      if (this.transport !== transport) return;
      this.transport = undefined;
      if ('lost' in info) this.onLost(info.lost);
      else this.onShellEnded(info);
    });
    transport.listening?.();
  }

  /** Why a shell that ended before its hello did not run anything, in the account's own words. */
  private notStartedReason(why: string): string {
    const said = this.preHello.replace(/\s+/g, ' ').trim();
    return said
      ? `the login did not start the remote shell, so nothing ran; the account said: "${said}" (${why})`
      : `the login did not start the remote shell, so nothing ran (${why}, without a word); ` +
          'the account may be limited to sftp or to a forced command, or have no usable shell';
  }

  /** Sends the hello program and waits for its answer. */
  start(signal?: AbortSignal, durableDir?: string): Promise<Hello> {
    // The channel may have closed already (a login that ends at once): nothing is left to wait for.
    if (this.brokenReason) return Promise.reject(new ShellNotStartedError(this.notStartedReason(this.brokenReason)));
    return new Promise((resolve, reject) => {
      const helloTimeoutMs = this.dialect.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
      const timer = setTimeout(
        () => fail(new ShellNotStartedError(this.notStartedReason(`no answer from the remote shell within ${helloTimeoutMs / 1000} s`))),
        helloTimeoutMs,
      );
      const onAbort = () => fail(new Error('cancelled while starting the remote shell'));
      const onClosed = (why: string) => fail(new ShellNotStartedError(this.notStartedReason(why)));
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.off('closed', onClosed);
        this.off('detached', onClosed);
      };
      const fail = (e: Error) => {
        cleanup();
        // A run sent behind the hello (one-shots) cannot have started either.
        if (!this.hello) this.active?.finish({ kind: 'not-started', reason: e.message });
        this.close();
        reject(e);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.once('closed', onClosed);
      this.once('detached', onClosed);
      this.helloWaiter = (hello) => {
        cleanup();
        this.hello = hello;
        resolve(hello);
      };
      this.transport?.write(this.dialect.helloProgram(this.token, durableDir));
    });
  }

  private onData(stream: OutputStream, chunk: Buffer): void {
    const before = this.received[stream];
    this.received[stream] += chunk.length;
    const newline = chunk.lastIndexOf(10);
    if (newline >= 0) this.lineBoundary[stream] = before + newline + 1;
    this.readers[stream].read(chunk, this.visitors[stream]);
    if (this.acks && newline >= 0) {
      // A held empty line is not given out yet: its newline stays on the unacknowledged side.
      const offset = this.lineBoundary[stream] - (this.readers[stream].holdsEmptyLine ? 1 : 0);
      this.acks.checkpoints[stream].push({ lines: this.acks.given[stream], offset });
    }
  }

  /**
   * From now on the offsets saved for another process (`resumeOffsets`) advance only as far as
   * the consumer acknowledges lines (`acknowledge`), so a consumer killed before its output was
   * out loses nothing: its successor re-reads from there.
   */
  trackAcknowledgements(): void {
    if (this.acks) return;
    this.acks = {
      given: { stdout: 0, stderr: 0 },
      checkpoints: { stdout: [], stderr: [] },
      safe: { ...this.lineBoundary },
    };
  }

  /** The consumer has put out the first `lines` lines it was given on `stream` (counted from trackAcknowledgements). */
  acknowledge(stream: OutputStream, lines: number): void {
    const acks = this.acks;
    if (!acks) return;
    const checkpoints = acks.checkpoints[stream];
    let reached = -1;
    while (reached + 1 < checkpoints.length && checkpoints[reached + 1].lines <= lines) reached++;
    if (reached < 0) return;
    acks.safe[stream] = checkpoints[reached].offset;
    checkpoints.splice(0, reached + 1);
  }

  /** Where another process should resume reading the spools: acknowledged lines only, when tracked. */
  get resumeOffsets(): Record<OutputStream, number> {
    return { ...(this.acks?.safe ?? this.lineBoundary) };
  }

  private visitorFor(stream: OutputStream): FramedVisitor {
    return {
      line: (line) => {
        // What a login prints before the shell says hello (a chatty .bashrc) is not output.
        if (this.helloSeen.has(stream)) this.deliver(stream, line);
        else if (!this.hello && this.preHello.length < PRE_HELLO_CHARS) this.preHello = (this.preHello + ' ' + line).slice(0, PRE_HELLO_CHARS);
      },
      marker: (marker) => this.onMarker(stream, marker),
    };
  }

  private deliver(stream: OutputStream, line: string, tag?: LineTag): void {
    const kept = !!this.active || (!!this.hello && this.backlog.length < IDLE_BACKLOG_LINES);
    if (!kept) return;
    // Objects are not counted: consumers acknowledge lines (an object's text follows it as lines).
    if (this.acks && tag !== 'object') this.acks.given[stream]++;
    if (!this.active) this.backlog.push({ stream, line, tag });
    else if (!this.active.sink.line(stream, line, tag)) this.applyBackpressure(this.active.sink);
  }

  private applyBackpressure(sink: RunSink): void {
    const transport = this.transport;
    if (!transport || transport.paused) return;
    transport.pause();
    sink.drained().then(() => transport.resume());
  }

  private onMarker(stream: OutputStream, marker: string): void {
    const hello = parseHello(this.token, marker);
    if (hello) {
      this.helloSeen.add(stream);
      if (stream !== 'stdout') return;
      const waiter = this.helloWaiter;
      this.helloWaiter = undefined;
      return waiter?.(hello);
    }
    const exit = parseExitMarker(this.token, marker);
    if (exit) {
      // The shell's last words may still be on the other stream: end once both have said so.
      this.exitMarkers.add(stream);
      if (this.exitMarkers.size === 2) this.onShellEnded({ exitCode: exit.status, signal: null });
      return;
    }
    const payload = parsePayloadMarker(this.token, marker);
    if (payload) {
      if (this.helloSeen.has(stream)) this.deliver(stream, payload.text, payload.tag);
      return;
    }
    const end = parseEndMarker(this.token, marker);
    const run = this.active;
    if (!end || !run || end.runId !== run.runId) return;
    run.ended.add(stream);
    if (end.functionsLost) run.functionsLost = true;
    if (run.ended.size === 2) {
      const notice = run.functionsLost
        ? "the session's shell (sh) ended (`set -e` tripped, or an `exit` it could not intercept) and restarted: it kept its variables, environment, cwd and umask, but not its functions (sh cannot list them)"
        : undefined;
      run.finish({ kind: 'exited', exitCode: end.status, ...(notice ? { notice } : {}) });
    }
  }

  private flushReaders(sink: RunSink | undefined): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      for (const line of this.readers[stream].end()) {
        if (sink) sink.line(stream, line);
        else if (!this.hello) this.preHello = (this.preHello + ' ' + line).slice(0, PRE_HELLO_CHARS);
      }
    }
  }

  private onShellEnded(info: { exitCode: number | null; signal: string | null }): void {
    if (this.brokenReason && !this.active) return;
    const why =
      info.signal !== null
        ? `the remote shell was killed by ${info.signal}`
        : info.exitCode !== null
          ? `the remote shell exited with code ${info.exitCode}`
          : 'the remote shell ended';
    this.brokenReason ??= why;
    this.ending = true;
    const run = this.active;
    if (run) {
      if (!this.hello) this.flushReaders(undefined);
      else this.flushReaders(run.sink);
      run.finish(this.hello ? { kind: 'shell-ended', ...info } : { kind: 'not-started', reason: this.notStartedReason(why) });
    }
    this.transport?.close(true);
    this.emit('closed', why);
  }

  /** The link went away. A durable shell waits for a new transport; the caller decides. */
  private onLost(why: string): void {
    this.detachedReason = why;
    this.emit('detached', why);
  }

  /**
   * Ends an in-flight run as lost while keeping the shell: a durable shell stays detached, the
   * run goes on on the host, and what it prints from here on (partial line included) can be
   * received after the next attach.
   */
  releaseRun(why: string): void {
    this.active?.finish({ kind: 'connection-lost', error: why });
  }

  /** Ends an in-flight run as lost (after reconnecting has been given up). */
  abandon(why: string): void {
    this.brokenReason ??= why;
    const run = this.active;
    if (run) {
      this.flushReaders(this.hello ? run.sink : undefined);
      run.finish(this.hello ? { kind: 'connection-lost', error: why } : { kind: 'not-started', reason: this.notStartedReason(why) });
    }
    this.emit('closed', why);
  }

  run(program: Omit<RunProgram, 'runId'>, sink: RunSink, control: RunControl = {}): Promise<RunOutcome> {
    if (this.brokenReason && !this.hello) return Promise.resolve({ end: { kind: 'not-started', reason: this.notStartedReason(this.brokenReason) } });
    if (this.brokenReason) return Promise.reject(new Error(this.brokenReason));
    if (this.active) return Promise.reject(new Error('a run is already in progress in this session'));
    const runId = this.nextRunId++;
    return new Promise<RunOutcome>((resolve) => {
      let stoppedBy: RunOutcome['stoppedBy'];
      let timer: NodeJS.Timeout | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (why: 'timeout' | 'cancel') => {
        if (stoppedBy) return;
        stoppedBy = why;
        if (this.dialect.stopProgram) this.transport?.write(this.dialect.stopProgram(runId));
        else this.signalGroup('TERM');
        killTimer = setTimeout(() => {
          this.brokenReason = `the session was closed because its ${why === 'timeout' ? 'timed-out' : 'cancelled'} run did not stop`;
          this.signalGroup('KILL');
          this.transport?.close();
          this.abandon(this.brokenReason);
        }, STOP_GRACE_MS);
      };
      const onAbort = () => stop('cancel');
      this.active = {
        runId,
        program: { ...program, runId },
        sink,
        ended: new Set(),
        finish: (end) => {
          if (this.active?.runId !== runId) return;
          this.active = undefined;
          clearTimeout(timer);
          clearTimeout(killTimer);
          control.signal?.removeEventListener('abort', onAbort);
          resolve({ end, stoppedBy });
        },
      };
      for (const { stream, line, tag } of this.backlog.splice(0)) sink.line(stream, line, tag);
      if (control.timeoutMs !== undefined) timer = setTimeout(() => stop('timeout'), control.timeoutMs);
      if (control.signal?.aborted) stop('cancel');
      else control.signal?.addEventListener('abort', onAbort, { once: true });
      if (program.exitAfter) this.ending = true;
      this.transport?.write(this.dialect.runProgram(this.token, { ...program, runId }));
    });
  }

  /**
   * Re-enters a run that a previous client process started (durable sessions): the output from
   * the saved offsets on belongs to it, and its end marker ends it.
   */
  resumeRun(runId: number, sink: RunSink): Promise<RunOutcome> {
    return new Promise<RunOutcome>((resolve) => {
      this.active = {
        runId,
        sink,
        ended: new Set(),
        finish: (end) => {
          this.active = undefined;
          resolve({ end });
        },
      };
      // Lines that arrived between attaching and this call are the run's own.
      for (const { stream, line, tag } of this.backlog.splice(0)) sink.line(stream, line, tag);
    });
  }

  signalGroup(signal: 'TERM' | 'KILL'): void {
    if (this.hello) this.transport?.signalGroup(this.hello, signal, this.dialect.signalCommand?.(this.hello, signal));
  }

  /** Lets go of the transport without ending anything (durable shells: before trimming or a deliberate detach). */
  async detachTransport(): Promise<void> {
    const transport = this.transport;
    this.transport = undefined;
    await transport?.close();
  }

  /** The spools were emptied on the host: count from their start again. */
  resetOffsets(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      this.received[stream] = 0;
      this.lineBoundary[stream] = 0;
      if (this.acks) {
        this.acks.checkpoints[stream] = [];
        this.acks.safe[stream] = 0;
      }
    }
  }

  /** Gives up the transport (ending a live shell; detaching from a durable one). */
  close(): Promise<void> {
    this.brokenReason ??= 'the session was closed';
    return this.transport?.close(this.ending) ?? Promise.resolve();
  }
}

/**
 * A transport over one exec channel: stdout and stderr feed the shell's readers, stdin carries
 * its programs, and pausing the channel is the backpressure. Subclasses decide what the
 * channel closing means.
 */
export abstract class ChannelTransport extends EventEmitter implements ShellTransport {
  protected exitCode: number | null = null;
  protected exitSignal: string | null = null;
  /**
   * Events held until the shell listens: ssh2 can deliver a channel's data, exit and close in
   * the same tick as the exec callback (a login that ends at once), before anyone listens.
   */
  private held: (() => void)[] | undefined = [];

  constructor(
    protected readonly client: Client,
    protected readonly channel: ClientChannel,
  ) {
    super();
    channel.on('data', (chunk: Buffer) => this.deliver(() => this.emitData('stdout', chunk)));
    channel.stderr.on('data', (chunk: Buffer) => this.deliver(() => this.emitData('stderr', chunk)));
    channel.on('exit', (code: number | null, signal?: string) => {
      this.exitCode = code ?? null;
      this.exitSignal = signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : null;
    });
    channel.on('close', () => this.deliver(() => this.onChannelClosed()));
  }

  private emitData(stream: OutputStream, chunk: Buffer): void {
    const data = this.received(stream, chunk);
    if (data.length) this.emit('data', stream, data);
  }

  /** What of a chunk is the shell's (a durable attachment drops the login's output before its spools). */
  protected received(_stream: OutputStream, chunk: Buffer): Buffer {
    return chunk;
  }

  private deliver(event: () => void): void {
    if (this.held) this.held.push(event);
    else event();
  }

  listening(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) event();
  }

  protected abstract onChannelClosed(): void;

  write(text: string): void {
    // A channel whose connection has just died may refuse the write: its close follows, and a
    // durable session settles the lost text after reattaching (see FramedShell.resendRun).
    try {
      this.channel.write(text);
    } catch {
      /* the close event says the link was lost */
    }
  }

  get paused(): boolean {
    return this.channel.isPaused();
  }

  pause(): void {
    this.channel.pause();
    this.channel.stderr.pause();
  }

  resume(): void {
    this.channel.resume();
    this.channel.stderr.resume();
  }

  /** A root session's shell is signalled as root too (its password again on the side channel's stdin). */
  protected elevation: Elevation | undefined;

  /** On a side channel; when none can be opened, `signal-failed` lets the shell's owner try another way. */
  signalGroup(hello: Hello, signal: 'TERM' | 'KILL', own?: string): void {
    const failed = () => this.emit('signal-failed', hello, signal);
    const command = own ?? signalGroupCommand(hello, signal);
    if (!this.elevation) return execDiscard(this.client, command, failed);
    execDiscard(this.client, elevated(this.elevation, command), failed, this.elevation.stdinFirst);
  }

  abstract close(shellEnding?: boolean): Promise<void>;
}

/** A shell on a live exec channel: it lives exactly as long as the channel. */
export class DirectTransport extends ChannelTransport {
  /** With an elevation, the shell starts under sudo, which reads the password as the first line of stdin. */
  static open(client: Client, dialect: ShellDialect = POSIX_DIALECT, elevation?: Elevation): Promise<DirectTransport> {
    const command = elevation ? elevated(elevation, dialect.startCommand) : dialect.startCommand;
    return new Promise((resolve, reject) =>
      client.exec(command, (err, channel) => {
        if (err) return reject(err);
        const transport = new DirectTransport(client, channel);
        if (elevation) {
          transport.elevation = elevation;
          if (elevation.stdinFirst) channel.write(elevation.stdinFirst);
        }
        resolve(transport);
      }),
    );
  }

  protected onChannelClosed(): void {
    const ended = this.exitCode !== null || this.exitSignal !== null;
    this.emit('closed', ended ? { exitCode: this.exitCode, signal: this.exitSignal } : { lost: 'the connection was lost' });
  }

  /** Without a side channel the only way left to stop the shell is to close its own. */
  lastResortStop(): void {
    this.channel.close();
  }

  close(shellEnding = false): Promise<void> {
    // A shell that ends by itself closes its channel; the connection's end takes care of the rest.
    if (shellEnding) return Promise.resolve();
    return endChannel(this.channel, 'exit\n');
  }
}

/**
 * Ends our side of a channel and resolves when it has closed (bounded), so a connection closed
 * right after does not cut off data still on its way to the host.
 */
export function endChannel(channel: ClientChannel, lastWords?: string): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    channel.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      channel.end(lastWords);
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Runs a command on a side channel, ignoring its output; `onError` if it cannot start. */
export function execDiscard(client: Client, command: string, onError: () => void = () => {}, stdin?: string): void {
  try {
    client.exec(command, (err, ch) => {
      if (err) return onError();
      ch.resume();
      ch.stderr.resume();
      if (stdin !== undefined) ch.end(stdin);
    });
  } catch {
    onError();
  }
}

/**
 * A live shell over an exec channel: one connection's persistent session (not durable).
 * `pipelined` returns before the shell has answered, so a one-shot run's text follows the hello
 * in the same round trip; a shell that fails to start then ends the run instead.
 */
export async function openDirectShell(
  client: Client,
  signal?: AbortSignal,
  pipelined = false,
  dialect?: ShellDialect,
  elevation?: Elevation,
): Promise<FramedShell> {
  const transport = await DirectTransport.open(client, dialect, elevation);
  const shell = new FramedShell(undefined, { dialect });
  shell.attach(transport);
  const started = shell.start(signal);
  if (pipelined) started.catch(() => undefined);
  else await started;
  return shell;
}
