import type { Client } from 'ssh2';
import { SshConfigFile } from '../inventory/sshConfig';
import { planLaunch } from '../invoke/interpreter';
import type { ConnectionSettings, ScriptSource } from '../invoke/request';
import { FramedLineReader } from '../output/lineSplitter';
import { connectByName } from '../ssh/connect';
import { captureReach, reachSettings, type ReachRecord } from '../state/reach';
import { SharedCredentials } from '../ssh/credentials';
import { HostFailure, type OutputStream, type PsStream } from '../types';
import { jsonObjectLine, parseJson } from '../output/jsonLines';
import { RecordStore } from '../state/stateStore';
import {
  createDurableShell,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  execCommand,
  removeCommand,
  queryStatus,
  spoolCommand,
  SpoolStart,
  type DurableShellRecord,
  type RemoteStatus,
} from '../session/durable';
import { parseEndMarker, parseExitMarker, parsePayloadMarker } from '../session/protocol';
import { PWSH_DIALECT } from '../session/pwsh/dialect';
import { becomeFor, prepareElevation, type BecomeOptions } from '../session/become';
import { relayCommand } from '../session/rootDurable';

// Background jobs (Invoke-Command -AsJob): each host's child is a durable shell that runs the
// script once and ends, keeping its spool until the job is removed, so the job keeps running
// while no client is connected and any later process can receive its output. A PowerShell
// script's child is the PowerShell host loop (as in a session), so a job has a session run's
// meaning: stream tags, exit codes, terminating errors with their line, objects, $Using:, $input.

export const JOB_STATES = ['Running', 'Completed', 'Failed', 'Stopped', 'Disconnected'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobChild {
  host: string;
  state: JobState;
  startedAt: string;
  finishedAt: string | null;
  exitCode: number | null;
  error: string | null;
  shell?: DurableShellRecord;
  runId?: number;
  /** Spool offsets already received (Receive-Job without -Keep advances them). */
  received: Record<OutputStream, number>;
}

export interface JobRecord {
  id: string;
  name: string;
  createdAt: string;
  command: string;
  args: string[];
  children: JobChild[];
  /** How the hosts were reached (absent in records from older versions). */
  reach?: ReachRecord;
}

/** The state the parent job shows: the worst of its children. */
export function jobState(job: JobRecord): JobState {
  const states = job.children.map((c) => c.state);
  for (const s of ['Running', 'Disconnected', 'Failed', 'Stopped'] as const) if (states.includes(s)) return s;
  return 'Completed';
}

export class JobStore extends RecordStore<JobRecord> {
  constructor(stateDir: string) {
    super(stateDir, 'jobs');
  }

  /** By id, or by name when no id matches. */
  find(idOrName: string): JobRecord | undefined {
    const byId = /^[\w.-]+$/.test(idOrName) ? this.get(idOrName) : undefined;
    return byId ?? this.keys().map((k) => this.get(k)).find((j) => j?.name === idOrName);
  }
}

type Connector = (host: string) => Promise<Client>;

/** Connects with one credential cache for the whole operation. */
export function connector(settings: ConnectionSettings): Connector {
  const sshConfig = settings.sshConfig ?? SshConfigFile.load();
  const credentials = new SharedCredentials(settings.callbacks);
  return async (host) => {
    const forwardAgent = typeof settings.forwardAgent === 'function' ? settings.forwardAgent(host) : settings.forwardAgent;
    const client = await connectByName(sshConfig, host, { ...settings, callbacks: credentials, forwardAgent });
    client.on('error', () => {});
    return client;
  };
}

async function withClient<T>(connectTo: Connector, host: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectTo(host);
  try {
    return await work(client);
  } finally {
    client.end();
  }
}

const now = () => new Date().toISOString();

/** Starts the script on every host as a detached one-run durable shell; returns once each has started. */
export async function startJob(options: {
  store: JobStore;
  name?: string;
  script: ScriptSource;
  args: string[];
  hosts: string[];
  settings: ConnectionSettings;
  shell?: string;
  convertCrlf?: boolean;
  idleTimeoutSeconds?: number;
  /** A root job: each child's shell is started under sudo (one prompt for the whole job, see become.ts). */
  become?: BecomeOptions;
  /** `--var NAME=VALUE`: PowerShell's `$Using:NAME`, a POSIX script's environment variable. */
  vars?: Record<string, string>;
  /** `--input`: PowerShell's `$input` (one item per line), a POSIX script's stdin. */
  input?: string;
}): Promise<JobRecord> {
  const id = options.store.nextNumericKey();
  const launch = planLaunch(options.script, options);
  const connectTo = connector(options.settings);
  const sudoCredentials = new SharedCredentials(options.settings.callbacks);
  const sshConfig = options.settings.sshConfig ?? SshConfigFile.load();
  const job: JobRecord = {
    id,
    name: options.name ?? `Job${id}`,
    createdAt: now(),
    command: options.script.fileName ?? options.script.text.split('\n')[0].slice(0, 80),
    args: options.args,
    children: [],
    reach: captureReach(options.settings, options.hosts),
  };
  options.store.put(id, job);
  job.children = await Promise.all(
    [...new Set(options.hosts)].map(async (host): Promise<JobChild> => {
      const startedAt = now();
      try {
        return await withClient(connectTo, host, async (client) => {
          const become = options.become && becomeFor(options.become, sshConfig.resolve(host));
          const elevation = become && (await prepareElevation(client, host, sshConfig.resolve(host).user, become, sudoCredentials));
          const { shell, record } = await createDurableShell(client, {
            keepSpool: true,
            // A root job's shell ends with its script: its spool may be kept as long as any job's.
            idleTimeoutSeconds: options.idleTimeoutSeconds ?? (elevation ? DEFAULT_IDLE_TIMEOUT_SECONDS : undefined),
            ...(elevation ? { elevation } : {}),
            ...(launch.dialect === 'pwsh' ? { dialect: PWSH_DIALECT } : {}),
          });
          const runId = shell.runCounter;
          // The run goes out; its output stays in the spool for `receive`.
          void shell.run(
            {
              text: launch.text,
              fileName: launch.fileName,
              interpreter: launch.dialect === 'pwsh' ? undefined : launch.interpreter,
              sourceAs: launch.sourceAs,
              shellPath: launch.shellPath,
              args: options.args,
              vars: options.vars,
              input: options.input,
              exitAfter: true,
            },
            { line: () => true, drained: async () => {} },
          );
          await shell.close(); // EOF follows the run's text, and the channel closes once the host has it all
          return { host, state: 'Running', startedAt, finishedAt: null, exitCode: null, error: null, shell: record, runId, received: { stdout: 0, stderr: 0 } };
        });
      } catch (err) {
        const failure = err instanceof HostFailure ? err : new HostFailure('Unreachable', (err as Error).message);
        return { host, state: 'Failed', startedAt, finishedAt: now(), exitCode: null, error: `${failure.status}: ${failure.message}`, received: { stdout: 0, stderr: 0 } };
      }
    }),
  );
  options.store.put(id, job);
  return job;
}

function applyStatus(child: JobChild, status: RemoteStatus): void {
  if (child.state !== 'Running' && child.state !== 'Disconnected') return;
  if (status.kind === 'done') {
    child.state = status.exitCode === 0 ? 'Completed' : 'Failed';
    child.exitCode = status.exitCode;
    child.finishedAt ??= status.finishedAt ?? now();
    child.error = null;
  } else if (status.kind === 'running') {
    child.state = 'Running';
    child.error = null;
  } else {
    child.state = 'Failed';
    child.finishedAt ??= now();
    child.error = status.kind === 'gone' ? 'the job no longer exists on the host (removed or expired)' : 'the job ended without an exit status (killed)';
  }
}

/** Asks each unfinished child's host how it is doing; unreachable hosts leave the child Disconnected. */
export async function refreshJob(store: JobStore, job: JobRecord, settings: ConnectionSettings): Promise<JobRecord> {
  const connectTo = connector(reachSettings(settings, job.reach));
  await Promise.all(
    job.children.map(async (child) => {
      if (!child.shell || (child.state !== 'Running' && child.state !== 'Disconnected')) return;
      try {
        const status = await withClient(connectTo, child.host, (client) => queryStatus(client, child.shell as DurableShellRecord));
        applyStatus(child, status);
      } catch (err) {
        child.state = 'Disconnected';
        child.error = (err as Error).message;
      }
    }),
  );
  store.put(job.id, job);
  return job;
}

export interface ReceivedLine {
  host: string;
  stream: OutputStream;
  line: string;
  /** A PowerShell job's line: the stream it came from (see OutputEvent.psStream). */
  psStream?: PsStream;
}

/** One output object of a child: a PowerShell output object, or a POSIX stdout line that is a JSON object. */
export interface ReceivedObject {
  host: string;
  value: unknown;
}

/**
 * Delivers what each child has produced since its last receive (Receive-Job); `keep` leaves the
 * received offsets where they were. Only whole lines are delivered, so nothing is split or repeated.
 */
export async function receiveJob(
  store: JobStore,
  job: JobRecord,
  settings: ConnectionSettings,
  onLine: (line: ReceivedLine) => void,
  keep = false,
  /**
   * `delivered` resolves once the lines given so far have really gone out, true if they did: only
   * then is a child's output marked received. `signal` stops before the next host.
   */
  delivery: { signal?: AbortSignal; delivered?: () => Promise<boolean>; onObject?: (object: ReceivedObject) => void } = {},
): Promise<JobRecord> {
  const { signal, delivered = async () => true, onObject = () => {} } = delivery;
  const connectTo = connector(reachSettings(settings, job.reach));
  for (const child of job.children) {
    if (signal?.aborted) break;
    if (!child.shell) continue;
    try {
      await withClient(connectTo, child.host, async (client) => {
        const shell = child.shell as DurableShellRecord;
        const read = await readSpool(client, shell, child.received, child.runId ?? 1, {
          line: (stream, line, psStream) => onLine(psStream ? { host: child.host, stream, line, psStream } : { host: child.host, stream, line }),
          object: (value) => onObject({ host: child.host, value }),
        });
        if (!keep && (await delivered())) child.received = read.offsets;
        if (read.exitCode !== undefined) applyStatus(child, { kind: 'done', exitCode: read.exitCode });
        else applyStatus(child, await queryStatus(client, shell));
        // A PowerShell terminating error is the child's error: its message and where it came from.
        if (read.fatal.length && child.state === 'Failed') child.error = read.fatal.slice(0, 2).join(' ');
      });
    } catch (err) {
      if (child.state === 'Running') child.state = 'Disconnected';
      child.error = (err as Error).message;
    }
  }
  store.put(job.id, job);
  return job;
}

interface SpoolVisitor {
  line(stream: OutputStream, line: string, psStream?: PsStream): void;
  object(value: unknown): void;
}

/**
 * Reads both spools from the given offsets to their current ends; whole lines only. A PowerShell
 * child's tagged lines keep their stream, its objects arrive parsed, and `fatal` holds the
 * terminating error that ended it; a POSIX child's stdout lines that are JSON objects are objects too.
 */
async function readSpool(
  client: Client,
  shell: DurableShellRecord,
  from: Record<OutputStream, number>,
  runId: number,
  visit: SpoolVisitor,
): Promise<{ offsets: Record<OutputStream, number>; exitCode?: number; fatal: string[] }> {
  const result = await new Promise<{ out: Buffer; err: Buffer }>((resolve, reject) => {
    client.exec(spoolCommand(shell.dir, from), (err, channel) => {
      if (err) return reject(err);
      const out: Buffer[] = [];
      const errs: Buffer[] = [];
      channel.on('data', (d: Buffer) => out.push(d));
      channel.stderr.on('data', (d: Buffer) => errs.push(d));
      channel.on('close', () => resolve({ out: Buffer.concat(out), err: Buffer.concat(errs) }));
      channel.end();
    });
  });
  const offsets = { ...from };
  let exitCode: number | undefined;
  const fatal: string[] = [];
  const pwsh = shell.dialect === 'pwsh';
  const onLine = (stream: OutputStream, line: string) => {
    visit.line(stream, line);
    const value = !pwsh && stream === 'stdout' ? jsonObjectLine(line) : undefined;
    if (value !== undefined) visit.object(value);
  };
  for (const [stream, raw] of [['stdout', result.out], ['stderr', result.err]] as const) {
    // A login's rc output comes before the start marker: it is neither output nor spool bytes.
    const bytes = new SpoolStart().take(raw);
    const complete = bytes.subarray(0, bytes.lastIndexOf(10) + 1);
    offsets[stream] += complete.length;
    const reader = new FramedLineReader((line) => line.startsWith(shell.token));
    for (const item of reader.push(complete)) {
      if (item.marker === undefined) onLine(stream, item.line);
      else {
        const payload = pwsh ? parsePayloadMarker(shell.token, item.marker) : undefined;
        if (payload?.tag === 'object') {
          const parsed = parseJson(payload.text);
          if (parsed) visit.object(parsed.value);
          continue;
        }
        if (payload) {
          if (payload.tag === 'fatal' && fatal.length < 3) fatal.push(payload.text);
          visit.line(stream, payload.text, payload.tag === 'fatal' ? 'error' : payload.tag);
          continue;
        }
        const end = parseEndMarker(shell.token, item.marker);
        if (end && end.runId === runId) exitCode = end.status;
        exitCode ??= parseExitMarker(shell.token, item.marker)?.status;
      }
    }
    for (const line of reader.end()) onLine(stream, line);
  }
  return { offsets, exitCode, fatal };
}

/** Stops every running child: TERM, then KILL, to the whole process group on the host. */
export async function stopJob(store: JobStore, job: JobRecord, settings: ConnectionSettings): Promise<JobRecord> {
  const connectTo = connector(reachSettings(settings, job.reach));
  await Promise.all(
    job.children.map(async (child) => {
      if (!child.shell || (child.state !== 'Running' && child.state !== 'Disconnected')) return;
      try {
        const shell = child.shell as DurableShellRecord;
        // A root job's processes are stopped by its root relay (the login user may not signal them).
        await withClient(connectTo, child.host, (client) => execCommand(client, shell.become !== undefined ? relayCommand(shell.dir, 'STOP') : stopCommand(shell)));
        child.state = 'Stopped';
        child.finishedAt = now();
        child.error = null;
      } catch (err) {
        child.state = 'Disconnected';
        child.error = (err as Error).message;
      }
    }),
  );
  store.put(job.id, job);
  return job;
}

function stopCommand(shell: DurableShellRecord): string {
  return `/bin/sh -c 'p=${shell.hello.pgid}; kill -TERM -$p 2>/dev/null || exit 0; i=0; while kill -0 -$p 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL -$p 2>/dev/null; exit 0'`;
}

/** Stops the job if needed, deletes its spools on every reachable host, and forgets it. */
export async function removeJob(store: JobStore, job: JobRecord, settings: ConnectionSettings): Promise<string[]> {
  const connectTo = connector(reachSettings(settings, job.reach));
  const unreachable: string[] = [];
  await Promise.all(
    job.children.map(async (child) => {
      if (!child.shell) return;
      try {
        await withClient(connectTo, child.host, (client) => execCommand(client, removeCommand((child.shell as DurableShellRecord).dir)));
      } catch {
        unreachable.push(child.host);
      }
    }),
  );
  store.remove(job.id);
  return unreachable;
}
