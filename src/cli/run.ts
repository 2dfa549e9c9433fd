import {
  HOST_STATUSES,
  invoke,
  JobStore,
  LastRunStore,
  reachSettings,
  planLaunch,
  SessionStore,
  startJob,
  type HostResult,
  type HostStatus,
  type InvokeEvent,
  type InvokeRequest,
  type OutputStream,
  type RolloutReport,
  type SessionPool,
} from '../core';
import {
  checkName,
  CONNECTION_OPTIONS,
  connectionSettings,
  hostList,
  parseCommandArgs,
  positiveNumber,
  readable,
  secondsToMs,
  stateDir,
  write,
  writeOut,
} from './common';
import { becomeOptions } from './become';
import { rolloutOptions } from './rollout';
import { stdoutClosed } from './brokenPipe';
import { LOCAL_VALUE_OPTIONS, localValues } from './localValues';
import { holderFor, runThroughHolder, startHolder, stopHolder } from './holder';
import { openNamedSessions } from './session';
import { EXIT, UsageError } from './usage';

export const RUN_OPTIONS = {
  ...CONNECTION_OPTIONS,
  file: { type: 'string', short: 'f' },
  command: { type: 'string', short: 'c' },
  throttle: { type: 'string', short: 't' },
  timeout: { type: 'string' },
  shell: { type: 'string' },
  'no-crlf-conversion': { type: 'boolean' },
  'hide-computer-name': { type: 'boolean' },
  session: { type: 'string' },
  'as-job': { type: 'boolean' },
  'job-name': { type: 'string' },
  'idle-timeout': { type: 'string' },
  batch: { type: 'string' },
  sudo: { type: 'boolean' },
  'forward-agent': { type: 'boolean' },
  become: { type: 'boolean' },
  'become-user': { type: 'string' },
  'max-failures': { type: 'string' },
  ...LOCAL_VALUE_OPTIONS,
} as const;

export interface ParsedRun {
  request: InvokeRequest;
  json: boolean;
  hideComputerName: boolean;
  session?: string;
  asJob: boolean;
  jobName?: string;
  idleTimeoutSeconds?: number;
  /** -i was given: hosts resolve through inventories that only this process has loaded. */
  inventoryGiven: boolean;
}

/** argv → a validated request; throws UsageError before anything runs. */
export function parseRunArgs(argv: string[]): ParsedRun {
  const { values, before, after } = parseCommandArgs(argv, RUN_OPTIONS);
  if (before.length) throw new UsageError(`unexpected argument '${before[0]}' (script arguments go after --)`);
  const session = values.session !== undefined ? checkName('session', values.session as string) : undefined;
  const asJob = !!values['as-job'];
  if (values['job-name'] !== undefined && !asJob) throw new UsageError('--job-name needs --as-job');
  if (asJob && session) throw new UsageError('give either --session or --as-job, not both');

  const targets = hostList(values);
  const sessionRecord = session ? new SessionStore(stateDir()).get(session) : undefined;
  const sessionHosts = sessionRecord?.hosts;
  if (!targets.length && !sessionHosts?.length) throw new UsageError('no host given (use -H NAMES)');
  if (values.file !== undefined && values.command !== undefined) throw new UsageError('give either -f FILE or -c TEXT, not both');
  if (values.file === undefined && values.command === undefined) throw new UsageError('no script given (use -f FILE or -c TEXT)');
  const file = values.file as string | undefined;
  const script = file !== undefined ? { text: readable('script file', file), fileName: file } : { text: values.command as string };

  return {
    json: !!values.json,
    inventoryGiven: ((values.inventory as string[] | undefined) ?? []).length > 0,
    hideComputerName: !!values['hide-computer-name'],
    session,
    asJob,
    jobName: values['job-name'] !== undefined ? checkName('job', values['job-name'] as string) : undefined,
    idleTimeoutSeconds: positiveNumber('idle-timeout', values['idle-timeout'], false),
    request: {
      ...reachSettings(connectionSettings(values), sessionRecord?.reach),
      script,
      targets: targets.length ? targets : (sessionHosts as string[]),
      args: after,
      throttle: positiveNumber('throttle', values.throttle, true),
      timeoutMs: secondsToMs('timeout', values.timeout),
      shell: values.shell as string | undefined,
      convertCrlf: !values['no-crlf-conversion'],
      ...rolloutOptions(values, asJob),
      ...becomeOptions(values, { session, asJob }),
      ...(values['forward-agent'] ? { forwardAgent: true } : {}),
      ...localValues(values),
    },
  };
}

/**
 * What the holder's wire request carries: a plain run. Rolling runs, local values, sudo, agent
 * forwarding run directly (so do runs given -i, whose inventories only this process has loaded).
 */
function holderCanRun(request: InvokeRequest): boolean {
  return !request.batch && !request.maxFailures && !request.vars && request.input === undefined && !request.become && !request.forwardAgent;
}

/** 0 all Completed; 3 if any host could not run the script; else 1 if any script failed. */
export function exitCodeFor(results: { status: string }[]): number {
  if (results.some((r) => r.status !== 'Completed' && r.status !== 'Failed')) return EXIT.hostFailed;
  if (results.some((r) => r.status === 'Failed')) return EXIT.scriptFailed;
  return EXIT.ok;
}

export function describeResult(r: HostResult): string {
  const what = r.signal ? `signal ${r.signal}` : r.exitCode !== null ? `exit ${r.exitCode}` : '';
  const detail = [r.batch ? `batch ${r.batch}` : '', what, `${r.durationMs} ms`].filter(Boolean).join(', ');
  return `${r.host}: ${r.status} (${detail})${r.error ? ` — ${r.error}` : ''}${r.notice ? `\n${r.host}: note: ${r.notice}` : ''}`;
}

function summary(results: HostResult[], durationMs: number, exitCode: number, rollout: RolloutReport) {
  const counts = Object.fromEntries(HOST_STATUSES.map((s) => [s, 0])) as Record<HostStatus, number>;
  for (const r of results) counts[r.status]++;
  const { batches, stoppedBy, stopReason } = rollout;
  return { type: 'summary', total: results.length, ...counts, counts, durationMs, exitCode, batches, stoppedBy, stopReason };
}

export async function runCommand(argv: string[]): Promise<number> {
  const parsed = parseRunArgs(argv);
  if (parsed.asJob) return startJobCommand(parsed);
  const { request, json, hideComputerName } = parsed;
  const startedAt = Date.now();
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('remote-invoke: cancelling (press Ctrl+C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  // Nobody reads the output any more: stop the remote work as a cancel does.
  const stopOnClosedStdout = () => controller.abort();
  stdoutClosed.addEventListener('abort', stopOnClosedStdout);
  // A named session's warm connections live in its holder (see holder.ts); without one, directly.
  // The holder runs plain requests; for the rest it steps aside, so one client attaches at a time.
  const viaHolder = parsed.session !== undefined && !parsed.inventoryGiven && holderCanRun(request);
  if (parsed.session && !viaHolder) await stopHolder(parsed.session);
  const holder = parsed.session && viaHolder ? await holderFor(parsed.session) : undefined;
  const handed = holder && runThroughHolder(holder, request, parsed.session as string, controller.signal);
  // A holder that is ending refuses the run before taking it: then this process runs it itself.
  const held = handed && (await handed.accepted) ? handed : undefined;
  const named = parsed.session && !held
    ? openNamedSessions(parsed.session, request.targets, request, parsed.idleTimeoutSeconds, request.become)
    : undefined;
  const run = held || invoke({ ...request, sessions: named?.pool, signal: controller.signal });
  const pwsh = planLaunch(request.script, request).dialect === 'pwsh';
  const render = renderBatch(json, hideComputerName, held ? held.written : named && acknowledgeWritten(named.pool, pwsh));
  for await (const batch of run.batches()) await render(batch);
  const results = await run.results;
  recordLastRun(results);
  named?.close();
  // Connected directly (no holder yet): one is started for the next run, off the clock of this one.
  if (viaHolder && named && parsed.session && Object.keys(named.record.shells).length) startHolder(parsed.session, parsed.idleTimeoutSeconds);
  process.off('SIGINT', onSigint);
  stdoutClosed.removeEventListener('abort', stopOnClosedStdout);
  const rollout = await run.rollout;
  const exitCode = exitCodeFor(results);
  if (stdoutClosed.aborted) return exitCode;
  if (json) await write(process.stdout, JSON.stringify(summary(results, Date.now() - startedAt, exitCode, rollout)) + '\n');
  else {
    for (const r of results) await write(process.stderr, describeResult(r) + '\n');
    if (rollout.stoppedBy === 'max-failures') await write(process.stderr, `remote-invoke: stopped: ${rollout.stopReason}\n`);
  }
  return exitCode;
}

async function startJobCommand(parsed: ParsedRun): Promise<number> {
  const { request } = parsed;
  const job = await startJob({
    store: new JobStore(stateDir()),
    name: parsed.jobName,
    script: request.script,
    args: request.args ?? [],
    hosts: request.targets,
    settings: request,
    shell: request.shell,
    convertCrlf: request.convertCrlf,
    idleTimeoutSeconds: parsed.idleTimeoutSeconds,
    become: request.become,
    vars: request.vars,
    input: request.input,
  });
  if (parsed.json) {
    const children = job.children.map(({ host, state, error }) => ({ host, state, error }));
    await write(process.stdout, JSON.stringify({ type: 'job', id: job.id, name: job.name, children }) + '\n');
  } else {
    await write(process.stdout, `${job.id}\n`);
    for (const c of job.children) {
      await write(process.stderr, `${c.host}: ${c.state}${c.error ? ` — ${c.error}` : ''}\n`);
    }
    await write(process.stderr, `job ${job.id} (${job.name}) started; see it with: remote-invoke job receive ${job.id}\n`);
  }
  return job.children.every((c) => c.state === 'Running') ? EXIT.ok : EXIT.hostFailed;
}

/**
 * Tells a named session's hosts how many lines of each stream are out of this process, so the
 * record a later process resumes from never skips a line this one did not get to print.
 */
export function acknowledgeWritten(pool: SessionPool, pwsh = false): (batch: InvokeEvent[]) => void {
  const sessionOf = (host: string) => (pwsh ? pool.pwshSession(host) : pool.session(host));
  const written = new Map<string, Record<OutputStream, number>>();
  return (batch) => {
    const touched = new Set<string>();
    for (const event of batch) {
      if (event.type !== 'output') continue;
      let counts = written.get(event.host);
      if (!counts) written.set(event.host, (counts = { stdout: 0, stderr: 0 }));
      counts[event.stream]++;
      touched.add(event.host);
    }
    for (const host of touched) {
      const counts = written.get(host) as Record<OutputStream, number>;
      sessionOf(host).acknowledge('stdout', counts.stdout);
      sessionOf(host).acknowledge('stderr', counts.stderr);
    }
  };
}

/**
 * A batch of events as at most two writes (stdout, stderr): a million lines are not a million
 * writes. With `written`, each batch is reported once its text has left the process.
 */
export function renderBatch(json: boolean, hideComputerName: boolean, written?: (batch: InvokeEvent[]) => void) {
  return async (batch: InvokeEvent[]): Promise<void> => {
    let out = '';
    let err = '';
    for (const event of batch) {
      if (event.type === 'start') continue;
      if (json) out += JSON.stringify(event) + '\n';
      else if (event.type === 'output') {
        const text = (hideComputerName ? '' : `${event.host}: `) + event.line + '\n';
        if (event.stream === 'stderr') err += text;
        else out += text;
      }
    }
    if (!written) {
      if (out) await write(process.stdout, out);
      if (err) await write(process.stderr, err);
      return;
    }
    await Promise.all([out && writeOut(process.stdout, out), err && writeOut(process.stderr, err)]);
    written(batch);
  };
}

/** Output lines and per-host results, in text or JSON Lines. */
export function renderEvent(json: boolean, hideComputerName: boolean, put: (stream: NodeJS.WriteStream, text: string) => Promise<void> | void = write) {
  return (event: InvokeEvent | { type: 'output'; host: string; stream: 'stdout' | 'stderr'; line: string }): Promise<void> | void => {
    if (event.type === 'start') return;
    if (json) return put(process.stdout, JSON.stringify(event) + '\n');
    if (event.type !== 'output') return;
    const text = (hideComputerName ? '' : `${event.host}: `) + event.line + '\n';
    return put(event.stream === 'stderr' ? process.stderr : process.stdout, text);
  };
}


/** Per-host statuses for `@failed`; a state directory that cannot be written costs `@failed`, not the run. */
function recordLastRun(results: HostResult[]): void {
  try {
    new LastRunStore(stateDir()).record(results);
  } catch (err) {
    process.stderr.write(`remote-invoke: warning: cannot record this run for @failed: ${(err as Error).message}\n`);
  }
}
