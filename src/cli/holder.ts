// Warm CLI sessions, like OpenSSH's ControlPersist: the first `session new` or `run --session`
// starts a small detached process (the engine itself, `remote-invoke __holder NAME`) that keeps
// the named session's SSH connections and attached durable shells open. Later CLI processes hand
// their runs to it over a unix socket, so a warm run costs one round trip instead of a reconnect.
//
// The remote side is unchanged: the holder is just another client of the durable shells, and
// they outlive it. It ends after the session's idle timeout, on `session remove`/`disconnect`/
// `receive`, or when a client disappears mid-run (it then saves what was acknowledged and
// leaves the run to `session receive`, exactly as a killed CLI would). When it is gone or
// unusable, the CLI connects directly and says nothing.
//
// Who may talk to it. Node has no SO_PEERCRED, so the peer's uid cannot be read from the
// socket. Two checks stand in for it: the socket lives in a directory that is ours and 0700
// (another uid cannot even connect(); we refuse a directory with other owner or wider mode), and
// every client must first send a random token from a 0600 file next to the socket, which another
// uid cannot read — so a socket that leaked (loosened modes, a passed descriptor) still refuses.
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  captureReach,
  invoke,
  planLaunch,
  reachSettings,
  SshConfigFile,
  type ConnectionSettings,
  type HostResult,
  type InteractionCallbacks,
  type InvokeEvent,
  type InvokeRequest,
  type InvokeRun,
} from '../core';
import { stateDir } from './common';
import { canPrompt, terminalCallbacks } from './prompt';

const DEFAULT_IDLE_SECONDS = 4 * 60 * 60;
/** How long a new CLI waits for a holder it started to listen before connecting directly. */
const START_WAIT_MS = 5000;

/** What crosses the socket for a run: the request minus what cannot (config object, callbacks). */
export interface WireRequest
  extends Pick<
    InvokeRequest,
    'script' | 'targets' | 'args' | 'throttle' | 'timeoutMs' | 'shell' | 'convertCrlf' | 'knownHostsFiles' | 'strictHostKeyChecking' | 'connectTimeoutMs'
  > {
  sshConfigPath?: string;
  /** -F was given (it then wins over the path the session's record remembers). */
  sshConfigExplicit?: boolean;
}

type ClientMessage =
  | { type: 'run'; request: WireRequest; prompts: string[] }
  | { type: 'ack'; seq: number }
  | { type: 'cancel' }
  | { type: 'answer'; id: number; value: unknown }
  | { type: 'stop' };

type HolderMessage =
  | { type: 'accepted' }
  | { type: 'batch'; seq: number; events: InvokeEvent[] }
  | { type: 'done'; results: HostResult[] }
  | { type: 'ask'; id: number; method: string; args: unknown[] }
  | { type: 'stopped' };

/** The private directory of this user's holder sockets, or undefined when it is not safe to use. */
function socketDir(): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined; // no unix sockets with owners to check (Windows)
  const base = process.env.XDG_RUNTIME_DIR && fs.existsSync(process.env.XDG_RUNTIME_DIR) ? process.env.XDG_RUNTIME_DIR : os.tmpdir();
  const dir = path.join(base, `remote-invoke-${uid}`);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
  }
  try {
    const st = fs.lstatSync(dir);
    // Someone else's directory, a symlink, or one others can enter: not ours to trust.
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return undefined;
  } catch {
    return undefined;
  }
  return dir;
}

/** Socket and token paths of a named session's holder (short: a unix socket path has 108 bytes). */
export function holderPaths(name: string): { socket: string; token: string; pid: string; starting: string } | undefined {
  const dir = socketDir();
  if (!dir) return undefined;
  const id = crypto.createHash('sha256').update(`${path.resolve(stateDir())}\0${name}`).digest('hex').slice(0, 24);
  const file = (ext: string) => path.join(dir, `${id}.${ext}`);
  return { socket: file('sock'), token: file('token'), pid: file('pid'), starting: file('starting') };
}

/** Newline-delimited JSON both ways. */
function lines(socket: net.Socket, onMessage: (message: unknown) => void): void {
  let carry = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    carry += chunk;
    let newline: number;
    while ((newline = carry.indexOf('\n')) >= 0) {
      const line = carry.slice(0, newline);
      carry = carry.slice(newline + 1);
      if (!line) continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        socket.destroy();
        return;
      }
      onMessage(message);
    }
  });
}

function send(socket: net.Socket, message: object): void {
  if (!socket.destroyed) socket.write(JSON.stringify(message) + '\n');
}

// ---------------------------------------------------------------------------------------------
// The holder process.

/** `remote-invoke __holder NAME [IDLE_SECONDS]`: started detached by the CLI, never by a user. */
export async function holderMain(argv: string[]): Promise<number> {
  const [name, idleArg] = argv;
  const paths = name ? holderPaths(name) : undefined;
  if (!paths) return 1;
  const idleMs = (Number(idleArg) > 0 ? Number(idleArg) : DEFAULT_IDLE_SECONDS) * 1000;
  // Loaded here, not at the top: the CLI's fast path (handing a run over) need not parse them.
  const { openNamedSessions } = await import('./session');
  const { acknowledgeWritten } = await import('./run');

  const token = crypto.randomBytes(32).toString('hex');
  const server = net.createServer();
  if (!(await listenExclusively(server, paths.socket))) return 0; // another holder is serving
  fs.chmodSync(paths.socket, 0o600);
  fs.writeFileSync(paths.token + '.tmp', token, { mode: 0o600 });
  fs.renameSync(paths.token + '.tmp', paths.token);
  fs.writeFileSync(paths.pid, `${process.pid}\n`, { mode: 0o600 });
  fs.rmSync(paths.starting, { force: true });

  // No settings yet (each request brings its own): an empty config keeps the record's reach as it is.
  const named = openNamedSessions(name, [], { sshConfig: SshConfigFile.fromText('') }, idleMs / 1000);
  // A PowerShell run's lines are its PowerShell sessions' to acknowledge, not the POSIX shells'.
  const acknowledgers = { posix: acknowledgeWritten(named.pool), pwsh: acknowledgeWritten(named.pool, true) };
  // Attach to every shell of the session now (PowerShell sessions too), so the first run handed over finds them warm.
  let warmed = false;
  const warmSettings = reachSettings({ sshConfig: SshConfigFile.fromText('') }, named.record.reach);
  void Promise.all([
    ...named.record.hosts
      .filter((host) => named.record.shells[host])
      .map((host) => {
        named.pool.session(host, { record: named.record.shells[host] });
        return named.pool
          .session(host)
          .open(warmSettings)
          .catch(() => undefined); // (a host that needs a password is opened by a run, which can ask)
      }),
    ...named.pool.pwshHosts().map((host) => named.pool.pwshSession(host).open(warmSettings).catch(() => undefined)),
  ]).then(() => (warmed = true));
  const configs = new Map<string, SshConfigFile>();
  let busy = 0;
  let lastUse = Date.now();
  let ending = false;

  const end = (code = 0) => {
    if (ending) return;
    ending = true;
    server.close();
    // Our files go first: a client arriving now finds no holder and connects directly.
    for (const file of [paths.socket, paths.token, paths.pid, paths.starting]) fs.rmSync(file, { force: true });
    try {
      named.close(); // saves every shell's record (acknowledged offsets), detaches; shells run on
    } finally {
      setTimeout(() => process.exit(code), 50).unref();
    }
  };
  process.on('SIGTERM', () => end());
  process.on('SIGINT', () => end());
  const holdsNothing = () => {
    const states = [...named.pool.hosts().map((h) => named.pool.state(h)), ...named.pool.pwshHosts().map((h) => named.pool.pwshState(h))];
    if (!states.length) return warmed; // the session has no shell left to keep
    return states.every((state) => ['none', 'disconnected', 'broken'].includes(state));
  };
  setInterval(() => {
    if (!busy && Date.now() - lastUse >= idleMs) end();
    // Our socket taken away (removed by hand, a new holder after a stale one): nobody can reach us.
    else if (!fs.existsSync(paths.socket)) end();
    // Every connection dropped (hosts gone, the session removed elsewhere): nothing left to keep
    // warm; the next run connects and starts a new holder.
    else if (!busy && holdsNothing()) end();
    else if (!busy && !named.store.get(name)) end();
  }, Math.min(1000, idleMs)).unref();

  // As the CLI does without a holder: the record's reach (pinned hosts), unless -F was given.
  const settingsOf = (wire: Omit<WireRequest, 'script' | 'targets'>, callbacks: InteractionCallbacks | undefined) => {
    const configPath = wire.sshConfigPath ?? '';
    let sshConfig = configs.get(configPath);
    if (!sshConfig) configs.set(configPath, (sshConfig = SshConfigFile.load(wire.sshConfigPath)));
    return reachSettings(
      {
        sshConfig,
        sshConfigExplicit: wire.sshConfigExplicit,
        knownHostsFiles: wire.knownHostsFiles,
        strictHostKeyChecking: wire.strictHostKeyChecking,
        connectTimeoutMs: wire.connectTimeoutMs,
        callbacks,
      },
      named.record.reach,
    );
  };
  const addHosts = (hosts: string[], settings: ConnectionSettings) => {
    named.record.reach = captureReach(settings, hosts, named.record.reach);
    for (const host of hosts) {
      if (!named.record.hosts.includes(host)) named.record.hosts.push(host);
      // A host's session starts from its saved shell (reattaching), not from a new one.
      if (!named.pool.hosts().includes(host)) named.pool.session(host, { record: named.record.shells[host] });
    }
  };

  server.on('connection', (socket) => {
    let trusted = false;
    let run: InvokeRun | undefined;
    let acknowledge = acknowledgers.posix;
    const batches = new Map<number, InvokeEvent[]>();
    const asks = new Map<number, (value: unknown) => void>();
    let askId = 0;
    // Prompts go to the CLI that asked for the run, which owns the terminal.
    const callbacksFor = (methods: string[]): InteractionCallbacks | undefined => {
      if (!methods.length) return undefined;
      const proxy: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
      for (const method of methods) {
        proxy[method] = (...args) =>
          new Promise((resolve) => {
            const id = ++askId;
            asks.set(id, resolve);
            send(socket, { type: 'ask', id, method, args } satisfies HolderMessage);
          });
      }
      return proxy as InteractionCallbacks;
    };
    const finished = () => {
      busy--;
      lastUse = Date.now();
    };
    socket.on('error', () => undefined);
    socket.on('close', () => {
      for (const resolve of asks.values()) resolve(undefined);
      // The CLI went away mid-run: what it acknowledged is saved, the rest waits on the hosts
      // for `session receive`, as after a killed CLI without a holder. We step aside for it.
      if (run && !ending) end();
    });
    lines(socket, (raw) =>
      handle(raw).catch((err: Error) => {
        // Whatever went wrong (an ssh_config that no longer parses...) is every host's failure.
        const hosts = (raw as { request?: { targets?: string[] }; hosts?: string[] }).request?.targets ?? (raw as { hosts?: string[] }).hosts ?? [];
        const results = hosts.map((host) => ({ type: 'result', host, status: 'Failed', exitCode: null, signal: null, durationMs: 0, error: err.message }));
        send(socket, { type: 'batch', seq: 0, events: results } as HolderMessage);
        send(socket, { type: 'done', results } as HolderMessage);
      }),
    );
    const handle = async (raw: unknown) => {
      const message = raw as ClientMessage & { token?: string };
      if (!trusted) {
        const given = Buffer.from(String(message.token ?? ''));
        if (given.length !== token.length || !crypto.timingSafeEqual(given, Buffer.from(token))) return socket.destroy();
        trusted = true;
      }
      lastUse = Date.now();
      switch (message.type) {
        case 'run': {
          if (ending) return socket.destroy();
          const { script, targets, args, throttle, timeoutMs, shell, convertCrlf, ...wire } = message.request;
          const settings = settingsOf(wire, callbacksFor(message.prompts));
          busy++;
          // From here on the run is ours: the CLI must not run it again itself.
          send(socket, { type: 'accepted' } satisfies HolderMessage);
          // A shell that ended under us is looked at afresh from its record, as a new CLI would:
          // the attach then says the session is gone, and the run after opens a new one.
          for (const host of targets) if (named.pool.state(host) === 'broken') named.pool.forget(host);
          addHosts(targets, settings);
          acknowledge = planLaunch(script, { shell, convertCrlf }).dialect === 'pwsh' ? acknowledgers.pwsh : acknowledgers.posix;
          run = invoke({
            ...settings,
            script,
            targets,
            args,
            throttle,
            timeoutMs,
            shell,
            convertCrlf,
            sessions: named.pool,
          });
          let seq = 0;
          try {
            for await (const events of run.batches()) {
              batches.set(++seq, events);
              send(socket, { type: 'batch', seq, events } satisfies HolderMessage);
            }
            const results = await run.results;
            send(socket, { type: 'done', results } satisfies HolderMessage);
            run = undefined;
          } finally {
            finished();
          }
          return;
        }
        case 'ack': {
          const events = batches.get(message.seq);
          batches.delete(message.seq);
          if (events) acknowledge(events);
          return;
        }
        case 'answer':
          asks.get(message.id)?.(message.value);
          asks.delete(message.id);
          return;
        case 'cancel':
          run?.cancel();
          return;
        case 'stop':
          send(socket, { type: 'stopped' } satisfies HolderMessage);
          socket.end();
          return end();
      }
    };
  });
  return new Promise<number>(() => undefined); // runs until end()
}

/** Listens on `file`; a socket file nobody answers on (a killed holder's) is replaced. */
async function listenExclusively(server: net.Server, file: string): Promise<boolean> {
  const listen = () =>
    new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once('error', (err) => resolve(err));
      server.listen(file, () => resolve(undefined));
    });
  let err = await listen();
  if (err?.code === 'EADDRINUSE') {
    if (await answers(file)) return false;
    fs.rmSync(file, { force: true });
    err = await listen();
  }
  return !err;
}

function answers(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(file);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------------------------------------
// The CLI side.

/** A connection to a named session's holder, authenticated; undefined when there is none. */
async function connectHolder(name: string): Promise<net.Socket | undefined> {
  const paths = holderPaths(name);
  if (!paths) return undefined;
  let token: string;
  try {
    token = fs.readFileSync(paths.token, 'utf8');
  } catch {
    return undefined;
  }
  return new Promise((resolve) => {
    const socket = net.connect(paths.socket);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      send(socket, { token, type: 'hello' });
      resolve(socket);
    });
    socket.once('error', () => resolve(undefined));
  });
}

/**
 * Starts a holder for the session, detached: it outlives this process and attaches to the
 * session's shells by itself. Started after a direct run, so that run pays nothing for it.
 */
export function startHolder(name: string, idleSeconds?: number): void {
  const cli = process.argv[1];
  if (process.env.REMOTE_INVOKE_HOLDER === '0' || !holderPaths(name) || !cli) return;
  try {
    const child = spawn(process.execPath, [cli, '__holder', name, String(idleSeconds ?? DEFAULT_IDLE_SECONDS)], {
      detached: true,
      stdio: 'ignore',
      env: process.env,
    });
    child.on('error', () => undefined);
    child.unref();
    // A run started before it listens waits for it rather than attaching beside it.
    if (child.pid) fs.writeFileSync(holderPaths(name)!.starting, `${child.pid}\n`, { mode: 0o600 });
  } catch {
    /* no holder: the next run connects directly */
  }
}

/** The session's holder when one is listening (a new one may still be connecting: runs wait); else undefined. */
export async function holderFor(name: string): Promise<net.Socket | undefined> {
  if (process.env.REMOTE_INVOKE_HOLDER === '0') return undefined; // documented opt-out
  const socket = await connectHolder(name);
  if (socket) return socket;
  const starting = holderPaths(name)?.starting;
  const deadline = Date.now() + START_WAIT_MS;
  while (starting && Date.now() < deadline && startingPidAlive(starting)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const late = await connectHolder(name);
    if (late) return late;
  }
  // Too slow to start (a loaded box): this run goes direct, and a holder that came up beside it
  // would serve the next run from the record as it was before this one (its output again). It
  // has not read the record yet (it listens first), so it ends without saving anything.
  if (starting && startingPidAlive(starting)) {
    try {
      process.kill(startingPid(starting), 'SIGKILL');
    } catch {
      /* ended meanwhile */
    }
    fs.rmSync(starting, { force: true });
  }
  return undefined;
}

function startingPid(file: string): number {
  try {
    return Number(fs.readFileSync(file, 'utf8'));
  } catch {
    return 0;
  }
}

function startingPidAlive(file: string): boolean {
  const pid = startingPid(file);
  if (!(pid > 1)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Tells a session's holder, if any, to save its records, let go of the shells and end. */
export async function stopHolder(name: string): Promise<void> {
  const socket = await connectHolder(name);
  if (!socket) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.resume(); // its answer is read (and dropped), so its end is seen
    send(socket, { type: 'stop' });
  });
  // It exits right after answering; wait until its socket file is gone.
  const paths = holderPaths(name);
  for (let i = 0; i < 100 && paths && fs.existsSync(paths.socket); i++) await new Promise((r) => setTimeout(r, 20));
}

function promptMethods(): string[] {
  return canPrompt() ? Object.keys(terminalCallbacks).filter((k) => typeof (terminalCallbacks as Record<string, unknown>)[k] === 'function') : [];
}

function answerAsks(socket: net.Socket, message: HolderMessage): boolean {
  if (message.type !== 'ask') return false;
  const method = (terminalCallbacks as Record<string, (...args: unknown[]) => Promise<unknown>>)[message.method];
  Promise.resolve(method ? method(...message.args) : undefined).then(
    (value) => send(socket, { type: 'answer', id: message.id, value }),
    () => send(socket, { type: 'answer', id: message.id, value: undefined }),
  );
  return true;
}

export function wireRequest(request: InvokeRequest): WireRequest {
  return {
    script: request.script,
    targets: request.targets,
    args: request.args,
    throttle: request.throttle,
    timeoutMs: request.timeoutMs,
    shell: request.shell,
    convertCrlf: request.convertCrlf,
    // The holder's working directory is not the caller's: paths go over resolved.
    sshConfigPath: request.sshConfig?.filePath && path.resolve(request.sshConfig.filePath),
    sshConfigExplicit: request.sshConfigExplicit,
    knownHostsFiles: request.knownHostsFiles?.map((f) => path.resolve(f)),
    strictHostKeyChecking: request.strictHostKeyChecking,
    connectTimeoutMs: request.connectTimeoutMs,
  };
}

/**
 * A run handed to the holder, shaped like invoke()'s: batches as they come, results at the end.
 * `written(batch)` tells the holder a batch is out of this process (its offsets may advance).
 * Hosts without a result when the holder vanishes end Disconnected: their runs go on.
 */
export function runThroughHolder(
  socket: net.Socket,
  request: InvokeRequest,
  sessionName: string,
  signal: AbortSignal,
): InvokeRun & { written(batch: InvokeEvent[]): void; accepted: Promise<boolean> } {
  let accept!: (yes: boolean) => void;
  const accepted = new Promise<boolean>((resolve) => (accept = resolve));
  const queue: InvokeEvent[][] = [];
  const seqOf = new WeakMap<InvokeEvent[], number>();
  let wake: (() => void) | undefined;
  let closed = false;
  let resolveResults!: (results: HostResult[]) => void;
  const results = new Promise<HostResult[]>((resolve) => (resolveResults = resolve));
  const started = Date.now();
  const ended = new Set<string>();
  const push = (events: InvokeEvent[]) => {
    queue.push(events);
    wake?.();
  };
  const finish = (final: HostResult[]) => {
    closed = true;
    resolveResults(final);
    wake?.();
  };
  lines(socket, (raw) => {
    const message = raw as HolderMessage;
    if (answerAsks(socket, message)) return;
    if (message.type === 'accepted') accept(true);
    else if (message.type === 'batch') {
      for (const e of message.events) if (e.type === 'result') ended.add(e.host);
      seqOf.set(message.events, message.seq);
      push(message.events);
    } else if (message.type === 'done') {
      finish(message.results); // the socket stays open for the acknowledgements still to come
    }
  });
  socket.on('close', () => {
    accept(false); // (no effect once accepted)
    if (closed) return;
    // The holder is gone mid-run: what has not ended goes on on the host, for `session receive`.
    const lost: HostResult[] = request.targets
      .filter((host) => !ended.has(host))
      .map((host) => ({
        type: 'result',
        host,
        status: 'Disconnected',
        exitCode: null,
        signal: null,
        durationMs: Date.now() - started,
        error: `the session holder ended during the run; the run may still be going on the host: see it with remote-invoke session receive ${sessionName}`,
      }));
    if (lost.length) push(lost);
    // Results of hosts that did end came as events; with the lost ones, every host has one.
    const byHost = new Map<string, HostResult>();
    for (const batch of queue.concat(delivered)) for (const e of batch) if (e.type === 'result') byHost.set(e.host, e);
    finish(request.targets.map((h) => byHost.get(h)).filter((r): r is HostResult => !!r));
  });
  const delivered: InvokeEvent[][] = [];
  signal.addEventListener('abort', () => send(socket, { type: 'cancel' }), { once: true });
  send(socket, { type: 'run', request: wireRequest(request), prompts: promptMethods() });

  async function* batches(): AsyncGenerator<InvokeEvent[]> {
    for (;;) {
      const next = queue.shift();
      if (next) {
        delivered.push(next);
        yield next;
        continue;
      }
      if (closed) {
        socket.end(); // every batch has been rendered and acknowledged
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  }
  return {
    accepted,
    results,
    // The holder runs plain requests only (see holderCanRun): one batch, never stopped early.
    rollout: results.then(() => ({ batches: [request.targets], stoppedBy: null, stopReason: null })),
    cancel: () => send(socket, { type: 'cancel' }),
    batches,
    [Symbol.asyncIterator]: async function* () {
      for await (const batch of batches()) yield* batch;
    },
    written: (batch) => {
      const seq = seqOf.get(batch);
      if (seq !== undefined) send(socket, { type: 'ack', seq });
    },
  };
}
