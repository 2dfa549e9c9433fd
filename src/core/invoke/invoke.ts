import { setMaxListeners } from 'node:events';
import { SshConfigFile } from '../inventory/sshConfig';
import { EventQueue } from '../output/eventQueue';
import { jsonObjectLine, parseJson } from '../output/jsonLines';
import type { RunOutcome, RunSink } from '../session/remoteShell';
import { HostSession, type SessionSettings } from '../session/pool';
import { SharedCredentials } from '../ssh/credentials';
import { HostFailure, type HostResult, type HostStatus, type InvokeEvent } from '../types';
import { HandshakeGate, MAX_IN_FLIGHT } from './handshakeGate';
import { planLaunch, type ScriptLaunch } from './interpreter';
import type { InvokeRequest, InvokeRun } from './request';
import { runRollout } from './rollout';
import { becomeFor, type BecomeOptions } from '../session/become';

export const DEFAULT_THROTTLE = 32;

/**
 * Runs one script on many hosts at once. Returns at once; hosts start after the caller's
 * synchronous code, and events wait (bounded) for the caller to begin iterating.
 */
export function invoke(request: InvokeRequest): InvokeRun {
  const queue = new EventQueue<InvokeEvent>();
  const cancel = new AbortController();
  // Every host in flight listens for cancellation; that is not a leak.
  setMaxListeners(0, cancel.signal);
  const onOuterAbort = () => cancel.abort();
  request.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (request.signal?.aborted) cancel.abort();

  const targets = [...new Set(request.targets)];
  const results = Promise.resolve().then(async () => {
    let sshConfig = request.sshConfig;
    try {
      sshConfig ??= SshConfigFile.load();
    } catch {
      sshConfig = SshConfigFile.fromText('');
    }
    // An explicit throttle caps hosts in flight; without one only near hosts' handshakes wait (HandshakeGate).
    const explicit = request.throttle !== undefined;
    const settings: SessionSettings = {
      ...request,
      sshConfig,
      credentials: new SharedCredentials(request.callbacks),
      handshakeGate: explicit ? undefined : new HandshakeGate(DEFAULT_THROTTLE),
    };
    settings.handshakeGate?.watchLoop();
    const launchFor = hostLaunches(request, sshConfig);
    const limit = request.throttle ?? MAX_IN_FLIGHT;
    const rolled = await runRollout(
      targets,
      { batch: request.batch, maxFailures: request.maxFailures, signal: cancel.signal },
      (hosts, work) => throttled(hosts, limit, work),
      async (host, batch) => {
        queue.push(batch ? { type: 'start', host, batch } : { type: 'start', host });
        const hostResult = await runOnHost(host, launchFor(host), request, settings, cancel.signal, queue);
        const numbered = batch ? { ...hostResult, batch } : hostResult;
        queue.push(numbered);
        return numbered;
      },
      (host, batch, why) => {
        const skipped = result(host, Date.now(), 'Skipped', batch ? { error: why, batch } : { error: why });
        queue.push(skipped);
        return skipped;
      },
    );
    request.signal?.removeEventListener('abort', onOuterAbort);
    settings.handshakeGate?.close();
    queue.close();
    return rolled;
  });

  return {
    results: results.then((r) => r.results),
    rollout: results.then((r) => r.report),
    cancel: () => cancel.abort(),
    batches: () => queue.batches(),
    [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
  };
}

/** At most `limit` items in flight; results in input order. */
export async function throttled<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** --sudo/--become, else the inventory's ansible_become for this host; a name ssh_config cannot read runs as asked. */
function becomeOf(request: InvokeRequest, settings: SessionSettings, host: string): BecomeOptions | undefined {
  try {
    return becomeFor(request.become, (settings.sshConfig as SshConfigFile).resolve(host));
  } catch {
    return request.become;
  }
}

function result(host: string, startedAt: number, status: HostStatus, fields: Partial<HostResult> = {}): HostResult {
  return {
    type: 'result',
    host,
    status,
    exitCode: null,
    signal: null,
    durationMs: Date.now() - startedAt,
    error: null,
    ...fields,
  };
}

/**
 * How the script starts on each host: as planned from the script, except that a script that
 * names no interpreter runs in PowerShell on a host whose shell is PowerShell
 * (an inventory's `ansible_shell_type=powershell`), as it would at that host's prompt.
 */
function hostLaunches(request: InvokeRequest, sshConfig: SshConfigFile): (host: string) => ScriptLaunch {
  const posix = planLaunch(request.script, request);
  const powershell = planLaunch(request.script, { ...request, hostShell: 'powershell' });
  return (host) => {
    try {
      return sshConfig.resolve(host).shellType === 'powershell' ? powershell : posix;
    } catch {
      return posix; // a name that does not resolve fails on its own when connecting
    }
  };
}

async function runOnHost(
  host: string,
  launch: ScriptLaunch,
  request: InvokeRequest,
  settings: SessionSettings,
  cancelSignal: AbortSignal,
  queue: EventQueue<InvokeEvent>,
): Promise<HostResult> {
  const startedAt = Date.now();
  if (cancelSignal.aborted) return result(host, startedAt, 'Cancelled', { error: 'cancelled before the host started' });

  const pooled = request.sessions;
  const become = becomeOf(request, settings, host);
  const pwsh = launch.dialect === 'pwsh';
  // A host whose login shell is PowerShell (a Windows host, perhaps) starts pwsh with a command cmd.exe reads too.
  const windowsHost = launch.windowsHost && pwsh ? { windowsHost: true } : {};
  const sessionFor = () =>
    pooled
      ? pwsh
        ? pooled.pwshSession(host, windowsHost)
        : pooled.session(host)
      : new HostSession(host, { oneShot: true, dialect: launch.dialect, become, ...windowsHost });
  let session = sessionFor();
  if (pooled && !!become !== !!session.options.become) {
    return result(host, startedAt, 'Failed', {
      error: become ? `the session on ${host} is not a root session; run as root in a separate session` : `the session on ${host} runs as root; this run did not ask for that`,
    });
  }
  // A session whose shell really died (killed) is replaced, and this run says the state was reset.
  let notice: string | undefined;
  if (pooled && session.state === 'broken') {
    notice = `the previous session on ${host} had ended (${session.brokenReason}); this run opened a new one, so the session's state was reset`;
    if (pwsh) pooled.forgetPwsh(host);
    else pooled.forget(host);
    session = sessionFor();
  }

  const hostAbort = new AbortController();
  const abortHost = () => hostAbort.abort();
  cancelSignal.addEventListener('abort', abortHost, { once: true });
  let timedOut = false;
  const timer =
    request.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          hostAbort.abort();
        }, request.timeoutMs)
      : undefined;

  const sink: RunSink & { fatal?: string[] } = pwsh ? pwshSink(host, queue) : posixSink(host, queue);
  try {
    await session.open(settings, hostAbort.signal, { renew: true });
    notice ??= session.takeNotice();
    // The run gets its own stop signals: the host-level timer has done its job once connected.
    clearTimeout(timer);
    const remaining = request.timeoutMs !== undefined ? Math.max(0, request.timeoutMs - (Date.now() - startedAt)) : undefined;
    const outcome = await session.run(
      {
        text: launch.text,
        fileName: launch.fileName,
        interpreter: launch.interpreter,
        sourceAs: launch.sourceAs,
        shellPath: launch.shellPath,
        args: request.args ?? [],
        vars: request.vars,
        input: request.input,
      },
      sink,
      { signal: cancelSignal, timeoutMs: remaining },
    );
    const ended = outcomeResult(host, startedAt, outcome, !!pooled, !!session.options.durable, request.timeoutMs);
    if (ended.status === 'Failed' && !ended.error && sink.fatal?.length) ended.error = sink.fatal.slice(0, 2).join(' ');
    notice ??= outcome.end.kind === 'exited' ? outcome.end.notice : undefined;
    // A durable shell found gone by the attach is replaced during the run (pool.ts replaceGone).
    notice ??= session.takeNotice();
    return notice ? { ...ended, notice } : ended;
  } catch (err) {
    let failure = err instanceof HostFailure ? err : new HostFailure('Failed', (err as Error).message);
    if (pwsh && (failure.status === 'NotStarted' || /ended before it was ready/.test(failure.message))) {
      failure = new HostFailure('Failed', `PowerShell (pwsh) could not be started on ${host}; is it installed and on the PATH of SSH sessions? (${failure.message})`);
    }
    if (timedOut) {
      return result(host, startedAt, 'TimedOut', { error: `timed out after ${request.timeoutMs} ms while connecting` });
    }
    return result(host, startedAt, failure.status, { error: failure.message, ...(notice ? { notice } : {}) });
  } finally {
    clearTimeout(timer);
    cancelSignal.removeEventListener('abort', abortHost);
    if (!pooled) session.close();
  }
}

/** A PowerShell run's lines keep their stream tag; its objects arrive as object events. */
function pwshSink(host: string, queue: EventQueue<InvokeEvent>): RunSink & { fatal: string[] } {
  const fatal: string[] = [];
  return {
    fatal,
    line: (stream, line, tag) => {
      if (tag === 'object') {
        const value = parseJson(line);
        return value === undefined ? true : queue.push({ type: 'object', host, value: value.value });
      }
      // The terminating error that ended the run: an error line, and the run's error message.
      if (tag === 'fatal' && fatal.length < 3) fatal.push(line);
      const psStream = tag === 'fatal' ? 'error' : tag;
      return queue.push(psStream ? { type: 'output', host, stream, line, psStream } : { type: 'output', host, stream, line });
    },
    drained: () => queue.drained(),
  };
}

/** A POSIX run's stdout lines that are JSON objects (jq -c, json.dumps) also arrive as object events. */
function posixSink(host: string, queue: EventQueue<InvokeEvent>): RunSink {
  return {
    line: (stream, line) => {
      const more = queue.push({ type: 'output', host, stream, line });
      const value = stream === 'stdout' ? jsonObjectLine(line) : undefined;
      return value === undefined ? more : queue.push({ type: 'object', host, value }) && more;
    },
    drained: () => queue.drained(),
  };
}

function outcomeResult(
  host: string,
  startedAt: number,
  outcome: RunOutcome,
  pooled: boolean,
  durable: boolean,
  timeoutMs: number | undefined,
): HostResult {
  const { end, stoppedBy } = outcome;
  if (end.kind === 'not-started') return result(host, startedAt, 'NotStarted', { error: end.reason });
  const exitCode = 'exitCode' in end ? end.exitCode : null;
  const signal = end.kind === 'shell-ended' ? end.signal : null;
  if (stoppedBy === 'timeout') {
    return result(host, startedAt, 'TimedOut', {
      exitCode,
      signal,
      error: `timed out after ${timeoutMs} ms; the remote processes were stopped`,
    });
  }
  if (stoppedBy === 'cancel') {
    return result(host, startedAt, 'Cancelled', { exitCode, signal, error: 'cancelled; the remote processes were stopped' });
  }
  if (end.kind === 'connection-lost') {
    return durable
      ? result(host, startedAt, 'Disconnected', {
          error: `${end.error}; the run may still be going on the host and its output can be received later`,
        })
      : result(host, startedAt, 'Failed', { error: `connection lost during the run: ${end.error}` });
  }
  const status: HostStatus = exitCode === 0 ? 'Completed' : 'Failed';
  const error =
    end.kind === 'shell-ended' && pooled
      ? `the session's shell ended during the run (${signal ?? `exit code ${exitCode}`}); the next run opens a new session`
      : signal
        ? `killed by ${signal}`
        : null;
  return result(host, startedAt, signal ? 'Failed' : status, { exitCode, signal, error });
}
