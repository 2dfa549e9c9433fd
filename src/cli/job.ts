import {
  jobState,
  JobStore,
  receiveJob,
  refreshJob,
  removeJob,
  stopJob,
  type JobRecord,
} from '../core';
import { stdoutClosed } from './brokenPipe';
import { CONNECTION_OPTIONS, connectionSettings, flushed, parseCommandArgs, positiveNumber, queuedWriter, stateDir, write } from './common';
import { exitCodeFor } from './run';
import { EXIT, UsageError } from './usage';

export const JOB_OPTIONS = { ...CONNECTION_OPTIONS, keep: { type: 'boolean' }, 'poll-interval': { type: 'string' } } as const;

function describeJob(job: JobRecord): string[] {
  return [
    `${job.id} ${job.name}: ${jobState(job)} — ${job.command}${job.args.length ? ` ${JSON.stringify(job.args)}` : ''}`,
    ...job.children.map(
      (c) =>
        `  ${c.host}: ${c.state}${c.exitCode !== null ? ` (exit ${c.exitCode})` : ''} started ${c.startedAt}` +
        `${c.finishedAt ? ` finished ${c.finishedAt}` : ''}${c.error ? ` — ${c.error}` : ''}`,
    ),
  ];
}

function jobJson(job: JobRecord) {
  return {
    type: 'job',
    id: job.id,
    name: job.name,
    state: jobState(job),
    command: job.command,
    args: job.args,
    createdAt: job.createdAt,
    children: job.children.map(({ host, state, startedAt, finishedAt, exitCode, error }) => ({
      host,
      state,
      startedAt,
      finishedAt,
      exitCode,
      error,
    })),
  };
}

/**
 * A job's children as `run` statuses, so `job wait` exits like `run` would have: a child that
 * could not be started on its host (unreachable, authentication, …) is run's 3, not a script failure.
 */
function childResults(job: JobRecord) {
  return job.children.map((c) => ({ status: c.state === 'Failed' && !c.shell ? 'NotStarted' : c.state }));
}

export async function jobCommand(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const { values, before } = parseCommandArgs(rest, JOB_OPTIONS);
  const store = new JobStore(stateDir());
  const json = !!values.json;
  const show = async (job: JobRecord) =>
    write(process.stdout, json ? JSON.stringify(jobJson(job)) + '\n' : describeJob(job).join('\n') + '\n');
  const find = (): JobRecord => {
    const id = before[0];
    if (!id) throw new UsageError('no job id given');
    const job = store.find(id);
    if (!job) throw new UsageError(`no job '${id}' (see: remote-invoke job list)`);
    return job;
  };
  switch (action) {
    case 'list': {
      const settings = connectionSettings(values);
      for (const key of store.keys()) {
        const job = store.get(key);
        if (job) await show(await refreshJob(store, job, settings));
      }
      return EXIT.ok;
    }
    case 'receive': {
      const out = queuedWriter(process.stdout);
      const err = queuedWriter(process.stderr);
      const job = await receiveJob(store, find(), connectionSettings(values), (l) => {
        if (json) out(JSON.stringify({ type: 'output', ...l }) + '\n');
        else (l.stream === 'stderr' ? err : out)(`${l.host}: ${l.line}\n`);
      }, !!values.keep, {
        signal: stdoutClosed,
        delivered: () => flushed(process.stdout),
        // As `run --json` prints them; in text, an object's formatted text is already among the lines.
        onObject: (o) => json && out(JSON.stringify({ type: 'object', host: o.host, value: o.value }) + '\n'),
      });
      if (json) await show(job);
      else for (const line of describeJob(job)) await write(process.stderr, line + '\n');
      return EXIT.ok;
    }
    case 'wait': {
      const settings = connectionSettings(values);
      const intervalMs = (positiveNumber('poll-interval', values['poll-interval'], false) ?? 1) * 1000;
      let job = find();
      for (;;) {
        job = await refreshJob(store, job, settings);
        if (!job.children.some((c) => c.state === 'Running')) break;
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
      await show(job);
      return exitCodeFor(childResults(job));
    }
    case 'stop':
      await show(await stopJob(store, find(), connectionSettings(values)));
      return EXIT.ok;
    case 'remove': {
      const job = find();
      const unreachable = await removeJob(store, job, connectionSettings(values));
      for (const host of unreachable) await write(process.stderr, `${host}: unreachable; its spool ends with the idle timeout\n`);
      if (!json) await write(process.stderr, `job ${job.id} removed\n`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown job action '${action ?? ''}' (list, receive, wait, stop, remove)`);
  }
}
