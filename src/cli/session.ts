import {
  captureReach,
  connector,
  reachSettings,
  execCommand,
  queryStatus,
  removeCommand,
  SessionPool,
  SessionStore,
  SharedCredentials,
  type ConnectionSettings,
  type HostResult,
  type NamedSessionRecord,
  type OutputStream,
} from '../core';
import {
  checkName,
  CONNECTION_OPTIONS,
  connectionSettings,
  hostList,
  parseCommandArgs,
  positiveNumber,
  stateDir,
  write,
  writeOut,
} from './common';
import { stdoutClosed } from './brokenPipe';
import { startHolder, stopHolder } from './holder';
import { describeResult, exitCodeFor, renderEvent } from './run';
import { rootView, userMerge } from './rootSessions';
import { becomeOptions } from './become';
import type { BecomeOptions } from '../core';
import { EXIT, UsageError } from './usage';

export const SESSION_OPTIONS = {
  ...CONNECTION_OPTIONS,
  'idle-timeout': { type: 'string' },
  sudo: { type: 'boolean' },
  become: { type: 'boolean' },
  'become-user': { type: 'string' },
} as const;

/**
 * The durable sessions of a named session record, loaded into a pool; every change of a shell's
 * record (new shell, offsets after a run) is saved at once, so a later process can reattach.
 */
export function openNamedSessions(name: string, hosts: string[], settings: ConnectionSettings, idleTimeoutSeconds?: number, become?: BecomeOptions) {
  const store = new SessionStore(stateDir());
  const existing = store.get(name);
  const stored: NamedSessionRecord = existing ?? { name, createdAt: new Date().toISOString(), hosts: [], shells: {} };
  // The root half of the session (--sudo): its own shells, kept in the same record (rootSessions.ts).
  const latest = () => store.get(name);
  const { record, merged } = become ? rootView(stored, latest) : { record: stored, merged: userMerge(latest) };
  const known = new Set(record.hosts);
  const wanted = [...record.hosts];
  for (const host of hosts) if (!wanted.includes(host)) wanted.push(host);
  record.hosts = [...wanted];
  record.reach = captureReach(settings, hosts, record.reach);
  const pool = new SessionPool({ durable: true, idleTimeoutSeconds, acknowledged: true, ...(become ? { become } : {}) });
  const save = () => {
    for (const host of pool.hosts()) {
      const shell = pool.session(host).record;
      if (shell) record.shells[host] = shell;
      else delete record.shells[host];
    }
    for (const host of pool.pwshHosts()) {
      const shell = pool.pwshSession(host).record;
      record.pwshShells ??= {};
      if (shell) record.pwshShells[host] = shell;
      else delete record.pwshShells[host];
    }
    // A host that never had a shell here (unreachable, its key rejected) leaves no "Closed" entry
    // behind, and a session that never opened anywhere is not recorded at all.
    const kept = wanted.filter((host) => known.has(host) || record.shells[host] || record.pwshShells?.[host]);
    if (kept.length || existing) store.put(name, merged({ ...record, hosts: kept }));
  };
  for (const host of hosts) pool.session(host, { record: record.shells[host] });
  for (const [host, shell] of Object.entries(record.pwshShells ?? {})) pool.pwshSession(host, { record: shell });
  pool.on('record', save);
  // Offsets move with every line written out; saving them often keeps a killed CLI's successor
  // from re-reading more than the last half second (it never skips a line).
  const timer = setInterval(save, 500);
  save();
  return {
    pool,
    record,
    store,
    close() {
      clearInterval(timer);
      save();
      pool.dispose();
    },
  };
}

type SessionView = { name: string; host: string; state: string; idleSeconds: number | null; error: string | null };

async function describeSession(record: NamedSessionRecord, settings: ConnectionSettings): Promise<SessionView[]> {
  const connectTo = connector(settings);
  return Promise.all(
    record.hosts.map(async (host): Promise<SessionView> => {
      const shell = record.shells[host];
      const view = { name: record.name, host, state: 'Closed', idleSeconds: null as number | null, error: null as string | null };
      if (!shell) return view;
      try {
        const client = await connectTo(host);
        try {
          const status = await queryStatus(client, shell);
          if (status.kind === 'running') {
            view.state = status.busy ? 'Busy' : status.attached ? 'Opened' : 'Disconnected';
            view.idleSeconds = status.idleSeconds;
          } else view.state = 'Broken';
        } finally {
          client.end();
        }
      } catch (err) {
        view.state = 'Unreachable';
        view.error = (err as Error).message;
      }
      return view;
    }),
  );
}

export async function sessionCommand(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const { values, before } = parseCommandArgs(rest, SESSION_OPTIONS);
  const store = new SessionStore(stateDir());
  const json = !!values.json;
  // A root session is opened by `new --sudo` (or run --session --sudo); the other actions take the named session whole.
  if (action !== 'new' && action !== 'receive' && (values.sudo || values.become || values['become-user'] !== undefined)) {
    throw new UsageError(`--sudo/--become/--become-user apply to 'session new' and 'session receive' only ('session ${action ?? ''}' covers a session's root half with it)`);
  }
  const out = (obj: object, text: string) => write(process.stdout, json ? JSON.stringify(obj) + '\n' : text + '\n');
  const named = (): NamedSessionRecord => {
    const name = checkName('session', before[0]);
    const record = store.get(name);
    if (!record) throw new UsageError(`no session named '${name}' (see: remote-invoke session list)`);
    return record;
  };
  switch (action) {
    case 'new': {
      const name = checkName('session', before[0]);
      const hosts = hostList(values);
      if (!hosts.length) throw new UsageError('no host given (use -H NAMES)');
      const { become } = becomeOptions(values, { session: name, asJob: false });
      const existing = store.get(name);
      // The root half of an existing session may be opened beside it (and the other way round).
      if (existing && (become ? Object.keys(existing.rootShells ?? {}).length : Object.keys(existing.shells).length || !existing.rootShells)) {
        throw new UsageError(`a session named '${name}' already exists`);
      }
      const base = connectionSettings(values);
      const settings = { ...base, credentials: new SharedCredentials(base.callbacks) };
      const idleTimeout = positiveNumber('idle-timeout', values['idle-timeout'], false);
      const { pool, close } = openNamedSessions(name, hosts, base, idleTimeout, become);
      const results = await Promise.all(
        hosts.map(async (host) => {
          try {
            await pool.session(host).open(settings);
            return { host, state: 'Opened', error: null as string | null };
          } catch (err) {
            return { host, state: 'Failed', error: (err as Error).message };
          }
        }),
      );
      close();
      // The session's holder keeps it warm for the runs to come (see holder.ts); root runs go directly.
      if (!become) startHolder(name, idleTimeout);
      for (const r of results) await out({ type: 'session', name, ...r }, `${name} ${r.host}: ${r.state}${r.error ? ` — ${r.error}` : ''}`);
      return results.every((r) => r.state === 'Opened') ? EXIT.ok : EXIT.hostFailed;
    }
    case 'list': {
      const settings = connectionSettings(values);
      const names = before[0] ? [named().name] : store.keys();
      for (const name of names) {
        const record = store.get(name);
        if (!record) continue;
        for (const v of await describeSession(record, reachSettings(settings, record.reach))) {
          const idle = v.idleSeconds !== null ? ` idle ${v.idleSeconds} s` : '';
          await out({ type: 'session', ...v }, `${v.name} ${v.host}: ${v.state}${idle}${v.error ? ` — ${v.error}` : ''}`);
        }
        // The root session of the same name, where it has shells: its rows say `become: "root"`.
        const rootHosts = Object.keys(record.rootShells ?? {});
        const rootRecord = { ...record, hosts: rootHosts, shells: record.rootShells ?? {} };
        for (const v of rootHosts.length ? await describeSession(rootRecord, reachSettings(settings, record.reach)) : []) {
          const idle = v.idleSeconds !== null ? ` idle ${v.idleSeconds} s` : '';
          await out({ type: 'session', ...v, become: 'root' }, `${v.name} ${v.host} (root): ${v.state}${idle}${v.error ? ` — ${v.error}` : ''}`);
        }
      }
      return EXIT.ok;
    }
    case 'remove': {
      const record = named();
      await stopHolder(record.name);
      // The watchdog of a host out of reach ends its shell after the idle timeout.
      await onEachShell(record, values, out, 'Closed', (shell) => removeCommand(shell.dir), '; its idle timeout will end it');
      // PowerShell sessions go with them (their state was reported with the host's shell).
      await onEachShell({ ...record, shells: record.pwshShells ?? {} }, values, () => undefined, 'Closed', (shell) => removeCommand(shell.dir));
      // The root session of the same name goes too (its relay ends its root processes).
      for (const shells of [record.rootShells, record.rootPwshShells]) {
        if (shells) await onEachShell({ ...record, shells }, values, () => undefined, 'Closed', (shell) => removeCommand(shell.dir));
      }
      store.remove(record.name);
      return EXIT.ok;
    }
    case 'disconnect':
      // Ends whichever client is attached (another window, another CLI, our holder); the shell stays.
      await stopHolder(named().name);
      for (const shells of [named().shells, named().rootShells ?? {}]) {
        // The root half's attachments run as the login user too: it may end them.
        await onEachShell({ ...named(), shells }, values, out, 'Disconnected', (shell) =>
          `/bin/sh -c 'a=; read a <"${shell.dir}/attached" 2>/dev/null; [ -n "$a" ] && kill $a 2>/dev/null; exit 0'`,
        );
      }
      return EXIT.ok;
    case 'receive':
      // The holder steps aside (saving its records) so this process reads from where it stopped.
      await stopHolder(named().name);
      return receiveSession(store.get(named().name) ?? named(), values, json, becomeOptions(values, { session: named().name, asJob: false }).become);
    default:
      throw new UsageError(`unknown session action '${action ?? ''}' (new, list, remove, disconnect, receive)`);
  }
}

/** Runs one command per host of a named session and reports each host's new state (or why not). */
async function onEachShell(
  record: NamedSessionRecord,
  values: Record<string, unknown>,
  out: (obj: object, text: string) => Promise<void> | void,
  state: string,
  command: (shell: NamedSessionRecord['shells'][string]) => string,
  unreachableNote = '',
): Promise<void> {
  const connectTo = connector(reachSettings(connectionSettings(values as never), record.reach));
  for (const [host, shell] of Object.entries(record.shells)) {
    try {
      const client = await connectTo(host);
      await execCommand(client, command(shell));
      client.end();
      await out({ type: 'session', name: record.name, host, state }, `${record.name} ${host}: ${state}`);
    } catch (err) {
      const error = `${(err as Error).message}${unreachableNote}`;
      await out({ type: 'session', name: record.name, host, state: 'Unreachable', error }, `${record.name} ${host}: Unreachable — ${error}`);
    }
  }
}

/** Receive-PSSession: output a run produced while no client was attached, then its result. */
async function receiveSession(stored: NamedSessionRecord, values: Record<string, unknown>, json: boolean, become?: BecomeOptions): Promise<number> {
  // --sudo: the root half of the session (its own shells).
  const record = become ? { ...stored, shells: stored.rootShells ?? {} } : stored;
  const settings = reachSettings(connectionSettings(values as never), record.reach);
  const credentials = new SharedCredentials(settings.callbacks);
  const { pool, close } = openNamedSessions(record.name, record.hosts, settings, undefined, become);
  // Each line is acknowledged once its text has left the process (see acknowledge()).
  const render = renderEvent(json, false, writeOut);
  const results: HostResult[] = [];
  // A reader that went away: detach and stop; unwritten lines stay unacknowledged for next time.
  stdoutClosed.addEventListener('abort', close, { once: true });
  for (const host of record.hosts) {
    if (stdoutClosed.aborted) break;
    if (!record.shells[host]) continue;
    const startedAt = Date.now();
    const session = pool.session(host);
    const written = { stdout: 0, stderr: 0 };
    try {
      const outcome = await session.receive({ ...settings, credentials }, {
        line: (stream: OutputStream, line: string) => {
          const n = ++written[stream];
          void Promise.resolve(render({ type: 'output', host, stream, line })).then(() => session.acknowledge(stream, n));
          return true;
        },
        drained: async () => {},
      });
      if (!outcome) continue;
      const exitCode = 'exitCode' in outcome.end ? outcome.end.exitCode : null;
      results.push({
        type: 'result',
        host,
        status: exitCode === 0 ? 'Completed' : 'Failed',
        exitCode,
        signal: outcome.end.kind === 'shell-ended' ? outcome.end.signal : null,
        durationMs: Date.now() - startedAt,
        error: outcome.end.kind === 'connection-lost' ? outcome.end.error : null,
      });
    } catch (err) {
      results.push({ type: 'result', host, status: 'Disconnected', exitCode: null, signal: null, durationMs: Date.now() - startedAt, error: (err as Error).message });
    }
  }
  stdoutClosed.removeEventListener('abort', close);
  if (stdoutClosed.aborted) return EXIT.brokenPipe;
  close();
  for (const r of results) await (json ? render(r) : write(process.stderr, describeResult(r) + '\n'));
  return exitCodeFor(results);
}
