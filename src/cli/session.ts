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
  type LineTag,
  parseJson,
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

/** `shell`: the host's POSIX shell, or its PowerShell session (pwsh host loop) beside it. */
type SessionView = { name: string; host: string; shell: 'posix' | 'pwsh'; state: string; idleSeconds: number | null; error: string | null };

/**
 * One row per shell of each host: its POSIX shell and, when it has one, its PowerShell session.
 * A host with neither is one `Closed` row.
 */
async function describeSession(record: NamedSessionRecord, settings: ConnectionSettings): Promise<SessionView[]> {
  const connectTo = connector(settings);
  const rows = record.hosts.flatMap((host) => {
    const pwsh = record.pwshShells?.[host];
    const posix = record.shells[host];
    return [
      ...(posix || !pwsh ? [{ host, shell: 'posix' as const, record: posix }] : []),
      ...(pwsh ? [{ host, shell: 'pwsh' as const, record: pwsh }] : []),
    ];
  });
  return Promise.all(
    rows.map(async ({ host, shell, record: durable }): Promise<SessionView> => {
      const view: SessionView = { name: record.name, host, shell, state: 'Closed', idleSeconds: null, error: null };
      if (!durable) return view;
      try {
        const client = await connectTo(host);
        try {
          const status = await queryStatus(client, durable);
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
          const kind = v.shell === 'pwsh' ? ' (PowerShell)' : '';
          await out({ type: 'session', ...v }, `${v.name} ${v.host}${kind}: ${v.state}${idle}${v.error ? ` — ${v.error}` : ''}`);
        }
        // The root session of the same name, where it has shells: its rows say `become: "root"`.
        const rootHosts = [...new Set([...Object.keys(record.rootShells ?? {}), ...Object.keys(record.rootPwshShells ?? {})])];
        const rootRecord = { ...record, hosts: rootHosts, shells: record.rootShells ?? {}, pwshShells: record.rootPwshShells };
        for (const v of rootHosts.length ? await describeSession(rootRecord, reachSettings(settings, record.reach)) : []) {
          const idle = v.idleSeconds !== null ? ` idle ${v.idleSeconds} s` : '';
          const kind = v.shell === 'pwsh' ? ' (PowerShell)' : '';
          await out({ type: 'session', ...v, become: 'root' }, `${v.name} ${v.host} (root)${kind}: ${v.state}${idle}${v.error ? ` — ${v.error}` : ''}`);
        }
      }
      return EXIT.ok;
    }
    case 'remove': {
      const record = named();
      await stopHolder(record.name);
      // The watchdog of a host out of reach ends its shell after the idle timeout.
      await onEachShell(record, values, out, 'Closed', (shell) => removeCommand(shell.dir), '; its idle timeout will end it');
      // PowerShell sessions went with them (onEachShell acts on both kinds). The root session of the
      // same name goes too (its relay ends its root processes).
      if (record.rootShells || record.rootPwshShells) {
        await onEachShell({ ...record, shells: record.rootShells ?? {}, pwshShells: record.rootPwshShells }, values, () => undefined, 'Closed', (shell) => removeCommand(shell.dir));
      }
      store.remove(record.name);
      return EXIT.ok;
    }
    case 'disconnect':
      // Ends whichever client is attached (another window, another CLI, our holder); the shell stays.
      await stopHolder(named().name);
      // Both kinds of shell (onEachShell), of the user's half and then of the root half, whose
      // attachments run as the login user too: it may end them.
      for (const half of [named(), { ...named(), shells: named().rootShells ?? {}, pwshShells: named().rootPwshShells }]) {
        await onEachShell(half, values, out, 'Disconnected', (shell) =>
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

/**
 * Runs one command per shell of a named session (each host's POSIX shell and PowerShell session)
 * and reports each one's new state (or why not).
 */
async function onEachShell(
  record: NamedSessionRecord,
  values: Record<string, unknown>,
  out: (obj: object, text: string) => Promise<void> | void,
  state: string,
  command: (shell: NamedSessionRecord['shells'][string]) => string,
  unreachableNote = '',
): Promise<void> {
  const connectTo = connector(reachSettings(connectionSettings(values as never), record.reach));
  const shells = [
    ...Object.entries(record.shells).map(([host, shell]) => ({ host, shell, kind: 'posix' as const })),
    ...Object.entries(record.pwshShells ?? {}).map(([host, shell]) => ({ host, shell, kind: 'pwsh' as const })),
  ];
  for (const { host, shell, kind } of shells) {
    const label = `${record.name} ${host}${kind === 'pwsh' ? ' (PowerShell)' : ''}`;
    try {
      const client = await connectTo(host);
      await execCommand(client, command(shell));
      client.end();
      await out({ type: 'session', name: record.name, host, shell: kind, state }, `${label}: ${state}`);
    } catch (err) {
      const error = `${(err as Error).message}${unreachableNote}`;
      await out({ type: 'session', name: record.name, host, shell: kind, state: 'Unreachable', error }, `${label}: Unreachable — ${error}`);
    }
  }
}

/** Receive-PSSession: output a run produced while no client was attached, then its result. */
async function receiveSession(stored: NamedSessionRecord, values: Record<string, unknown>, json: boolean, become?: BecomeOptions): Promise<number> {
  // --sudo: the root half of the session (its own shells).
  const record = become ? { ...stored, shells: stored.rootShells ?? {}, pwshShells: stored.rootPwshShells } : stored;
  const settings = reachSettings(connectionSettings(values as never), record.reach);
  const credentials = new SharedCredentials(settings.callbacks);
  const { pool, close } = openNamedSessions(record.name, record.hosts, settings, undefined, become);
  // Each line is acknowledged once its text has left the process (see acknowledge()).
  const render = renderEvent(json, false, writeOut);
  const results: HostResult[] = [];
  // A reader that went away: detach and stop; unwritten lines stay unacknowledged for next time.
  stdoutClosed.addEventListener('abort', close, { once: true });
  // Each host's POSIX shell, then its PowerShell session (a run may be in flight in either).
  const shells = record.hosts.flatMap((host) => [
    ...(record.shells[host] ? [{ host, pwsh: false }] : []),
    ...(record.pwshShells?.[host] ? [{ host, pwsh: true }] : []),
  ]);
  for (const { host, pwsh } of shells) {
    if (stdoutClosed.aborted) break;
    const startedAt = Date.now();
    const session = pwsh ? pool.pwshSession(host) : pool.session(host);
    const written = { stdout: 0, stderr: 0 };
    const fatal: string[] = [];
    try {
      const outcome = await session.receive({ ...settings, credentials }, {
        line: (stream: OutputStream, line: string, tag?: LineTag) => {
          // A PowerShell output object: an event of its own in --json (its text follows as lines), not a line to acknowledge.
          if (tag === 'object') {
            const value = parseJson(line);
            if (json && value) void render({ type: 'object', host, value: value.value });
            return true;
          }
          if (tag === 'fatal' && fatal.length < 2) fatal.push(line);
          const psStream = tag === 'fatal' ? 'error' : tag;
          const n = ++written[stream];
          void Promise.resolve(render(psStream ? { type: 'output', host, stream, line, psStream } : { type: 'output', host, stream, line })).then(() =>
            session.acknowledge(stream, n),
          );
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
        error: outcome.end.kind === 'connection-lost' ? outcome.end.error : exitCode !== 0 && fatal.length ? fatal.join(' ') : null,
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
