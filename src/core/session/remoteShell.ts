import { EventEmitter } from 'node:events';
import type { Client, ClientChannel } from 'ssh2';
import { FramedLineReader } from '../output/lineSplitter';
import type { OutputStream } from '../types';
import {
  helloProgram,
  newToken,
  parseEndMarker,
  parseHello,
  runProgram,
  SESSION_SHELL_COMMAND,
  signalGroupCommand,
  type Hello,
  type RunProgram,
} from './protocol';

/** Where a run's lines go. `line` returns false when the consumer wants the producer to pause. */
export interface RunSink {
  line(stream: OutputStream, text: string): boolean;
  drained(): Promise<void>;
}

export type RunEnd =
  | { kind: 'exited'; exitCode: number } // the script finished and the shell is still there
  | { kind: 'shell-ended'; exitCode: number | null; signal: string | null } // the script ended the shell
  | { kind: 'connection-lost'; error: string };

export interface RunControl {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface RunOutcome {
  end: RunEnd;
  /** Why the run was stopped early, if it was. */
  stoppedBy?: 'timeout' | 'cancel';
}

/** How long a stopped script gets to end after SIGTERM before the whole shell is killed. */
const STOP_GRACE_MS = 2000;
const HELLO_TIMEOUT_MS = 20_000;

/** Lines that arrive while no run is active (a background job's output) wait for the next run. */
const IDLE_BACKLOG_LINES = 10_000;

interface ActiveRun {
  runId: number;
  sink: RunSink;
  ended: Set<OutputStream>;
  status?: number;
  finish(end: RunEnd): void;
}

/**
 * One long-lived shell on one SSH channel. Runs are framed (see protocol.ts) and strictly
 * sequential; the shell keeps variables, functions, exported environment and cwd between them.
 */
export class RemoteShell extends EventEmitter {
  private readonly token = newToken();
  private readonly readers: Record<OutputStream, FramedLineReader>;
  private nextRunId = 1;
  private active: ActiveRun | undefined;
  private readonly backlog: { stream: OutputStream; line: string }[] = [];
  private helloWaiter: ((hello: Hello) => void) | undefined;
  private hello_: Hello | undefined;
  /** Set once the shell can no longer run anything; says why. */
  brokenReason: string | undefined;
  private exitInfo: { exitCode: number | null; signal: string | null } = { exitCode: null, signal: null };

  private constructor(
    private readonly client: Client,
    private readonly channel: ClientChannel,
  ) {
    super();
    const isMarker = (line: string) => line.startsWith(this.token);
    this.readers = { stdout: new FramedLineReader(isMarker), stderr: new FramedLineReader(isMarker) };
    channel.on('data', (chunk: Buffer) => this.onData('stdout', chunk));
    channel.stderr.on('data', (chunk: Buffer) => this.onData('stderr', chunk));
    channel.on('exit', (code: number | null, signal?: string) => {
      this.exitInfo = { exitCode: code ?? null, signal: signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : null };
    });
    channel.on('close', () => this.onClose());
  }

  get hello(): Hello {
    if (!this.hello_) throw new Error('shell not ready');
    return this.hello_;
  }

  get busy(): boolean {
    return !!this.active;
  }

  static open(client: Client, signal?: AbortSignal): Promise<RemoteShell> {
    return new Promise((resolve, reject) => {
      client.exec(SESSION_SHELL_COMMAND, (err, channel) => {
        if (err) return reject(err);
        const shell = new RemoteShell(client, channel);
        const timer = setTimeout(() => fail(new Error('the remote shell did not start within 20 s')), HELLO_TIMEOUT_MS);
        const onAbort = () => fail(new Error('cancelled while starting the remote shell'));
        const fail = (e: Error) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          shell.close();
          reject(e);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        shell.once('closed', (why: string) => fail(new Error(`the remote shell ended before it was ready: ${why}`)));
        shell.helloWaiter = (hello) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          shell.removeAllListeners('closed');
          shell.hello_ = hello;
          resolve(shell);
        };
        channel.write(helloProgram(shell.token));
      });
    });
  }

  private onData(stream: OutputStream, chunk: Buffer): void {
    for (const item of this.readers[stream].push(chunk)) {
      if (item.marker === undefined) this.deliver(stream, item.line);
      else this.onMarker(stream, item.marker);
    }
  }

  private deliver(stream: OutputStream, line: string): void {
    if (this.active) {
      if (!this.active.sink.line(stream, line)) this.applyBackpressure(this.active.sink);
    } else if (this.hello_ && this.backlog.length < IDLE_BACKLOG_LINES) {
      this.backlog.push({ stream, line });
    }
  }

  private applyBackpressure(sink: RunSink): void {
    if (this.channel.isPaused()) return;
    this.channel.pause();
    this.channel.stderr.pause();
    sink.drained().then(() => {
      this.channel.resume();
      this.channel.stderr.resume();
    });
  }

  private onMarker(stream: OutputStream, marker: string): void {
    const hello = parseHello(this.token, marker);
    if (hello && this.helloWaiter) {
      const waiter = this.helloWaiter;
      this.helloWaiter = undefined;
      return waiter(hello);
    }
    const end = parseEndMarker(this.token, marker);
    const run = this.active;
    if (!end || !run || end.runId !== run.runId) return;
    run.ended.add(stream);
    run.status = end.status;
    if (run.ended.size === 2) run.finish({ kind: 'exited', exitCode: end.status });
  }

  private onClose(): void {
    const why =
      this.exitInfo.signal !== null
        ? `the remote shell was killed by ${this.exitInfo.signal}`
        : this.exitInfo.exitCode !== null
          ? `the remote shell exited with code ${this.exitInfo.exitCode}`
          : 'the connection was lost';
    this.brokenReason ??= why;
    const run = this.active;
    if (run) {
      for (const stream of ['stdout', 'stderr'] as const) for (const line of this.readers[stream].end()) run.sink.line(stream, line);
      const lost = this.exitInfo.exitCode === null && this.exitInfo.signal === null;
      run.finish(lost ? { kind: 'connection-lost', error: why } : { kind: 'shell-ended', ...this.exitInfo });
    }
    this.emit('closed', why);
  }

  run(program: Omit<RunProgram, 'runId'>, sink: RunSink, control: RunControl = {}): Promise<RunOutcome> {
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
        this.signalGroup('TERM');
        killTimer = setTimeout(() => {
          this.brokenReason = `the session was closed because its ${why === 'timeout' ? 'timed-out' : 'cancelled'} run did not stop`;
          this.signalGroup('KILL');
          this.channel.close();
        }, STOP_GRACE_MS);
      };
      const onAbort = () => stop('cancel');
      this.active = {
        runId,
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
      for (const { stream, line } of this.backlog.splice(0)) sink.line(stream, line);
      if (control.timeoutMs !== undefined) timer = setTimeout(() => stop('timeout'), control.timeoutMs);
      if (control.signal?.aborted) stop('cancel');
      else control.signal?.addEventListener('abort', onAbort, { once: true });
      this.channel.write(runProgram(this.token, { ...program, runId }));
    });
  }

  /** Signals every process of the shell's group through a side channel; the shell itself traps TERM. */
  private signalGroup(signal: 'TERM' | 'KILL'): void {
    if (!this.hello_) return;
    try {
      this.client.exec(signalGroupCommand(this.hello_, signal), (err, ch) => {
        if (err) {
          if (signal === 'KILL') this.channel.close();
          return;
        }
        ch.resume();
        ch.stderr.resume();
      });
    } catch {
      this.channel.close();
    }
  }

  /** Ends the shell (its EXIT trap removes the private directory). */
  close(): void {
    this.brokenReason ??= 'the session was closed';
    try {
      this.channel.end('exit\n');
    } catch {
      /* channel already gone */
    }
  }
}
