import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import type { AnyAuthMethod, AuthenticationType, Client, ParsedKey } from 'ssh2';

// ssh2 is loaded on the first connection, not when the engine is: the extension's activation
// and the CLI's --help do not pay for it (esbuild keeps a bundled module's start lazy too).
let ssh2Module: typeof import('ssh2') | undefined;
function ssh2(): typeof import('ssh2') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ssh2Module ??= require('ssh2') as typeof import('ssh2');
  return ssh2Module;
}
import type { ResolvedHost, SshConfigFile } from '../inventory/sshConfig';
import { HostFailure, type InteractionCallbacks, type StrictHostKeyChecking } from '../types';
import { hostConfigProblems } from './configProblems';
import { SharedCredentials } from './credentials';
import {
  fingerprintSha256,
  KnownHosts,
  knownHostsName,
  keyTypeOf,
  preferredHostKeyAlgorithms,
  type KnownHostsVerdict,
} from './knownHosts';

import type { HandshakeGate } from '../invoke/handshakeGate';

export interface ConnectOptions {
  /** TCP connect + key exchange + authentication, not counting time spent waiting for the user. */
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  /** Replaces the known_hosts files ssh_config names (first one is written by accept-new). */
  knownHostsFiles?: string[];
  strictHostKeyChecking?: StrictHostKeyChecking;
  callbacks?: InteractionCallbacks | SharedCredentials;
  signal?: AbortSignal;
  /** Reach the host through this connection (one ProxyJump hop). */
  via?: Client;
  /** ssh-agent socket; default $SSH_AUTH_SOCK, `false` to skip the agent. */
  agent?: string | false;
  /** Forward the local ssh-agent to the host (true/false override ssh_config's ForwardAgent). */
  forwardAgent?: boolean;
  /** Filled in as the connection is set up (Test Connection reads it, also after a failure). */
  report?: ConnectReport;
  /** Limits the handshakes of near hosts (the default throttle, see HandshakeGate). */
  handshakeGate?: HandshakeGate;
}

/** What connecting found out, step by step; fields stay undefined for steps not reached. */
export interface ConnectReport {
  tcpConnectMs?: number;
  hostKey?: { knownHostsName: string; keyType: string; fingerprint: string; verdict: KnownHostsVerdict['kind'] };
  /** The method that succeeded: `agent`, `key <path>`, `password` or `keyboard-interactive`. */
  authMethod?: string;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/** A timer that stops while the engine waits on the user, so a slow typist is not a timeout. */
class PausableDeadline {
  private timer: NodeJS.Timeout | undefined;
  private remaining: number;
  private startedAt = 0;
  constructor(
    ms: number,
    private readonly onExpire: () => void,
  ) {
    this.remaining = ms;
    this.resume();
  }
  pause(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.remaining -= Date.now() - this.startedAt;
  }
  resume(): void {
    if (this.timer) return;
    this.startedAt = Date.now();
    this.timer = setTimeout(this.onExpire, Math.max(0, this.remaining));
  }
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.remaining = Infinity;
  }
}

/** Host-key decision for one offered key, before any authentication is attempted. */
export function decideHostKey(
  verdict: KnownHostsVerdict,
  policy: StrictHostKeyChecking,
  name: string,
  keyBlob: Buffer,
): { accept: true; record: boolean } | { accept: false; error: string } | { accept: 'ask' } {
  const offered = `${keyTypeOf(keyBlob)} ${fingerprintSha256(keyBlob)}`;
  switch (verdict.kind) {
    case 'match':
      return { accept: true, record: false };
    case 'revoked':
      return {
        accept: false,
        error: `host key for ${name} (${offered}) is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}`,
      };
    case 'changed': {
      const known = verdict.known
        .map((e) => `${e.keyType} ${fingerprintSha256(Buffer.from(e.keyBase64, 'base64'))} (${e.file}:${e.line})`)
        .join(', ');
      return {
        accept: false,
        error:
          `REMOTE HOST IDENTIFICATION HAS CHANGED for ${name}: known ${known}, offered ${offered}. ` +
          `Refusing to connect. If the change is expected, remove the old key with: ssh-keygen -R '${name}'`,
      };
    }
    case 'unknown':
      if (policy === 'no') return { accept: true, record: false };
      if (policy === 'accept-new') return { accept: true, record: true };
      if (policy === 'ask') return { accept: 'ask' };
      return {
        accept: false,
        error: `host key for ${name} is not known (${offered}) and StrictHostKeyChecking is yes`,
      };
  }
}

function identityAttempts(host: ResolvedHost): string[] {
  return [...new Set(host.identityFiles)].filter(isFile);
}

function isFile(f: string): boolean {
  try {
    return fs.statSync(f).isFile();
  } catch {
    return false;
  }
}

/** OpenSSH's NumberOfPasswordPrompts default: a wrong password is asked for again, twice. */
export const PASSWORD_ATTEMPTS = 3;

/** "key ~/.ssh/a, password ×3; identity files not found: ~/.ssh/id_rsa" — what a refused login tried. */
export function describeAuthAttempts(tried: string[], identityFiles: string[]): string {
  const counts = new Map<string, number>();
  for (const t of tried) counts.set(t, (counts.get(t) ?? 0) + 1);
  const attempts = [...counts].map(([t, n]) => (n > 1 ? `${t} ×${n}` : t)).join(', ') || 'nothing available';
  const missing = [...new Set(identityFiles)].filter((f) => !isFile(f));
  return `tried: ${attempts}${missing.length ? `; identity files not found: ${missing.join(', ')}` : ''}`;
}

/**
 * ssh2 writes each packet in pieces (AES-GCM: length, body, tag), and with Nagle off each piece
 * leaves as a TCP segment of its own: three segments, three syscalls here and three wake-ups of
 * the server per packet. Writes made in one tick are corked and leave together (one writev).
 */
function coalesceWrites(sock: net.Socket): void {
  const write = sock.write.bind(sock) as (...args: unknown[]) => boolean;
  let corked = false;
  sock.write = ((...args: unknown[]) => {
    if (!corked && !sock.destroyed) {
      corked = true;
      sock.cork();
      process.nextTick(() => {
        corked = false;
        sock.uncork();
      });
    }
    return write(...args);
  }) as typeof sock.write;
}

/**
 * Opens an authenticated ssh2 connection. Resolves to the client, or rejects with a
 * HostFailure whose status says which stage failed.
 */
export function connect(host: ResolvedHost, options: ConnectOptions = {}): Promise<Client> {
  const credentials =
    options.callbacks instanceof SharedCredentials ? options.callbacks : new SharedCredentials(options.callbacks);
  const knownHostsFiles = options.knownHostsFiles ?? [...host.userKnownHostsFiles, ...host.globalKnownHostsFiles];
  const knownHosts = KnownHosts.load(knownHostsFiles, options.knownHostsFiles?.[0] ?? host.userKnownHostsFiles[0]);
  // OpenSSH looks a HostKeyAlias up as it is, without [ ]:port
  const khName = host.hostKeyAlias ?? knownHostsName(host.hostName, host.port);
  const policy = options.strictHostKeyChecking ?? host.strictHostKeyChecking;
  const where = `${host.user}@${host.hostName}:${host.port}`;

  const problems = hostConfigProblems(host);
  if (problems.length) return Promise.reject(new HostFailure('Unreachable', `ssh_config for ${host.name} cannot work: ${problems.join('; ')}`));

  return new Promise<Client>((resolve, reject) => {
    const client = new (ssh2().Client)();
    // A ProxyJump hop already carries the connection; ProxyCommand applies to a direct one.
    const proxy = host.proxyCommand && !options.via ? new ProxyCommand(host.proxyCommand) : undefined;
    if (proxy) client.once('close', () => proxy.stop());
    let settled = false;
    let hostKeyError: string | undefined;
    const tried: string[] = [];
    let socket: Duplex | undefined;
    let releaseSlot = () => {};

    const fail = (failure: HostFailure) => {
      if (settled) return;
      settled = true;
      releaseSlot();
      deadline.clear();
      options.signal?.removeEventListener('abort', onAbort);
      client.end();
      client.destroy();
      // ssh2 does not always destroy a socket it was handed (e.g. a server that never sends its
      // banner); a socket left open keeps the process alive and leaks a descriptor.
      socket?.destroy();
      proxy?.stop();
      reject(failure);
    };
    const timeoutMs = options.connectTimeoutMs ?? host.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const deadline = new PausableDeadline(timeoutMs, () =>
      fail(new HostFailure('Unreachable', `connection to ${where} timed out after ${timeoutMs / 1000} s`)),
    );
    const unreachable = (why: string) => {
      if (!proxy) return fail(new HostFailure('Unreachable', why));
      // What the proxy printed on its way out says why; wait (briefly) until it has said it.
      proxy.ended().then(() => fail(new HostFailure('Unreachable', `${why} (${proxy.explain()})`)));
    };
    const onAbort = () => fail(new HostFailure('Cancelled', 'cancelled while connecting'));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const askUser = async <T>(ask: () => Promise<T>): Promise<T> => {
      deadline.pause();
      try {
        return await ask();
      } finally {
        deadline.resume();
      }
    };

    const forwarded = forwardedAgent(host, options);
    const startOver = (sock: Duplex) => {
      socket = sock;
      client.connect({
        ...(forwarded ? { agent: forwarded, agentForward: true } : {}),
        sock,
        username: host.user,
        readyTimeout: 2 ** 31 - 1, // our PausableDeadline is the timeout
        keepaliveInterval: options.keepaliveIntervalMs ?? host.serverAliveIntervalMs ?? 15_000,
        keepaliveCountMax: 3,
        algorithms: { serverHostKey: preferredHostKeyAlgorithms(knownHosts.knownKeyTypes(khName)) as never },
        hostVerifier,
        authHandler: authHandler as never,
        // Our ssh2 patch (patches/ssh2+*.patch, applied by patch-package on install): a key
        // signs at once instead of first asking whether the server would take it
        // (USERAUTH_PK_OK), one round trip less per connection. An unpatched ssh2 ignores it.
        ...({ signWithoutQuery: true } as object),
      });
    };
    const openSocket = () => {
      if (proxy) return startOver(proxy.socket);
      if (options.via) {
        // ProxyJump: a direct-tcpip channel through the jump host carries this connection.
        return options.via.forwardOut('127.0.0.1', 0, host.hostName, host.port, (err, stream) => {
          if (err) return fail(new HostFailure('Unreachable', `cannot reach ${host.hostName}:${host.port} through the jump host: ${err.message}`));
          startOver(stream);
        });
      }
      const connectStarted = Date.now();
      const sock = net.connect({ host: host.hostName, port: host.port });
      const tcpStarted = Date.now();
      if (options.report) sock.once('connect', () => ((options.report as ConnectReport).tcpConnectMs = Date.now() - tcpStarted));
      sock.setNoDelay(true); // ssh2 leaves Nagle on, which costs ~40 ms per exchange
      coalesceWrites(sock);
      // A host across a network has its own CPU: its handshake need not wait for a slot.
      sock.once('connect', () => {
        if (options.handshakeGate?.isFar(Date.now() - connectStarted)) releaseSlot();
      });
      sock.on('error', (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
            ? `cannot resolve host name ${host.hostName}`
            : `cannot connect to ${host.hostName}:${host.port}: ${err.code ?? err.message}`;
        fail(new HostFailure('Unreachable', why));
      });
      startOver(sock);
    };

    const hostVerifier = (keyBlob: Buffer, verify: (ok: boolean) => void) => {
      const verdict = knownHosts.check(khName, keyBlob);
      if (options.report) {
        options.report.hostKey = { knownHostsName: khName, keyType: keyTypeOf(keyBlob), fingerprint: fingerprintSha256(keyBlob), verdict: verdict.kind };
      }
      const decision = decideHostKey(verdict, policy, khName, keyBlob);
      if (decision.accept === true) {
        if (decision.record) knownHosts.record(khName, keyBlob, host.hashKnownHosts);
        return verify(true);
      }
      if (decision.accept === false) {
        hostKeyError = decision.error;
        return verify(false);
      }
      const info = { host: host.name, knownHostsName: khName, keyType: keyTypeOf(keyBlob), fingerprint: fingerprintSha256(keyBlob) };
      if (!credentials.canAskHostKey) {
        hostKeyError = `host key for ${khName} is not known (${info.keyType} ${info.fingerprint}) and there is no way to ask whether to trust it`;
        return verify(false);
      }
      // Waiting on a person costs no CPU here: the slot goes to the next host, so that every host
      // of a large run reaches its key question while the review is still gathering.
      releaseSlot();
      askUser(() => credentials.confirmHostKey(info)).then((answer) => {
        if (answer === 'reject' || typeof answer === 'object') {
          const why = typeof answer === 'object' ? `: ${answer.refused}` : '';
          hostKeyError = `host key for ${khName} (${info.keyType} ${info.fingerprint}) was not accepted${why}`;
          return verify(false);
        }
        if (answer === 'remember') knownHosts.record(khName, keyBlob, host.hashKnownHosts);
        verify(true);
      });
    };

    const pending = buildAuthSequence(host, options, credentials, askUser, tried);
    const authHandler = (methodsLeft: AuthenticationType[] | null, _partial: boolean, next: (m: AnyAuthMethod | false) => void) => {
      pending(methodsLeft).then(next, () => next(false));
    };

    client.on('ready', () => {
      if (settled) return;
      settled = true;
      if (options.report) options.report.authMethod = tried.at(-1);
      releaseSlot();
      deadline.clear();
      options.signal?.removeEventListener('abort', onAbort);
      resolve(client);
    });
    client.on('error', (err: Error & { level?: string }) => {
      // An unusable agent (a stale SSH_AUTH_SOCK): ssh2 reports it and goes on to the next method.
      if (err.level === 'agent') return;
      if (hostKeyError) return fail(new HostFailure('HostKeyRejected', hostKeyError));
      if (err.level === 'client-authentication') {
        return fail(
          new HostFailure('AuthFailed', `permission denied for ${where} (${describeAuthAttempts(tried, host.identityFiles)})`),
        );
      }
      unreachable(`${where}: ${err.message}`);
    });
    client.on('close', () => {
      if (hostKeyError) return fail(new HostFailure('HostKeyRejected', hostKeyError));
      // A server that hangs up while we authenticate (MaxAuthTries, a PAM error) is refusing us, not unreachable.
      if (tried.length) {
        return fail(new HostFailure('AuthFailed', `${where} closed the connection during authentication (${describeAuthAttempts(tried, host.identityFiles)})`));
      }
      unreachable(`${where}: connection closed during set-up`);
    });

    const gate = options.handshakeGate;
    if (!gate) return openSocket();
    // Time spent waiting for a slot is not the host's to answer for.
    deadline.pause();
    gate.acquire(options.signal).then(
      (release) => {
        releaseSlot = release;
        if (settled) return release();
        deadline.resume();
        openSocket();
      },
      () => undefined, // cancelled: onAbort has failed the attempt
    );
  });
}

/**
 * ProxyCommand as OpenSSH runs it (`sh -c 'exec <command>'`): the command's stdin and stdout are
 * the connection, its stderr is kept (the tail) to explain a failure.
 */
class ProxyCommand {
  readonly socket: Duplex;
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';
  private exit: string | undefined;
  private readonly closed: Promise<void>;

  constructor(private readonly command: string) {
    this.child = spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-400)));
    this.closed = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.exit = `could not be started: ${err.message}`;
        resolve();
      });
      this.child.once('close', (code, signal) => {
        this.exit ??= signal ? `was killed by ${signal}` : `exited with code ${code}`;
        resolve();
      });
    });
    this.socket = Duplex.from({ readable: this.child.stdout, writable: this.child.stdin });
    this.socket.on('error', () => undefined); // the proxy's end shows as the connection closing
  }

  /** Resolves once the command has ended, or after a second if it has not. */
  ended(): Promise<void> {
    return Promise.race([this.closed, new Promise<void>((resolve) => setTimeout(resolve, 1000).unref())]);
  }

  explain(): string {
    const said = this.stderr.trim().split('\n').pop();
    return `ProxyCommand \`${this.command}\` ${this.exit ?? 'closed its output'}${said ? `: ${said}` : ''}`;
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }
}

/**
 * The agent socket to forward, when forwarding is on (the flag, else ssh_config's ForwardAgent)
 * and there is an agent to forward; OpenSSH too forwards nothing when there is none.
 */
export function forwardedAgent(host: ResolvedHost, options: Pick<ConnectOptions, 'forwardAgent' | 'agent'>): string | undefined {
  const setting = options.forwardAgent ?? host.forwardAgent;
  if (!setting) return undefined;
  if (typeof setting === 'string' && options.forwardAgent === undefined) return setting;
  const socket = options.agent === false ? undefined : (options.agent ?? process.env.SSH_AUTH_SOCK);
  return socket || (typeof host.forwardAgent === 'string' ? host.forwardAgent : undefined);
}

/** OpenSSH's warning (ssh_config(5), ForwardAgent), shown wherever forwarding is on. */
export const AGENT_FORWARDING_WARNING =
  'Agent forwarding should be enabled with caution. Users with the ability to bypass file permissions on the remote host ' +
  "(for the agent's Unix-domain socket) can access the local agent through the forwarded connection. An attacker cannot " +
  'obtain key material from the agent, however they can perform operations on the keys that enable them to authenticate ' +
  'using the identities loaded into the agent.';

/**
 * Resolves a name through ssh_config and connects, hopping through its ProxyJump chain first
 * (each hop verified and authenticated like any host). The hops close with the connection.
 */
export async function connectByName(sshConfig: SshConfigFile, name: string, options: ConnectOptions = {}): Promise<Client> {
  const host = sshConfig.resolve(name);
  const hops = host.proxyJump ? host.proxyJump.split(',').map((h) => h.trim()).filter(Boolean) : [];
  const opened: Client[] = [];
  try {
    let via = options.via;
    for (const hop of hops) {
      // A jump host forwards the agent only when its own ForwardAgent says so, as with OpenSSH's ProxyJump.
      via = await connect({ ...sshConfig.resolve(hop), proxyJump: undefined }, { ...options, via, forwardAgent: undefined });
      opened.push(via);
    }
    const client = await connect(host, { ...options, via });
    client.once('close', () => opened.reverse().forEach((c) => c.end()));
    return client;
  } catch (err) {
    opened.reverse().forEach((c) => c.end());
    throw err;
  }
}

type AskUser = <T>(ask: () => Promise<T>) => Promise<T>;

/** ssh-agent → identity files (asking for passphrases) → password → keyboard-interactive. */
function buildAuthSequence(
  host: ResolvedHost,
  options: ConnectOptions,
  credentials: SharedCredentials,
  askUser: AskUser,
  tried: string[],
): (methodsLeft: AuthenticationType[] | null) => Promise<AnyAuthMethod | false> {
  const username = host.user;
  const agent = options.agent === false ? undefined : (options.agent ?? process.env.SSH_AUTH_SOCK);
  type Step = { method: AuthenticationType; make: () => Promise<AnyAuthMethod | undefined> };
  const steps: Step[] = [];
  if (agent && !host.identitiesOnly) {
    steps.push({ method: 'publickey', make: async () => (tried.push('agent'), { type: 'agent', username, agent }) });
  }
  for (const file of identityAttempts(host)) {
    steps.push({
      method: 'publickey',
      make: async () => {
        const key = await loadPrivateKey(file, credentials, askUser);
        if (!key) return undefined;
        tried.push(`key ${file}`);
        return { type: 'publickey', username, key };
      },
    });
  }
  let passwordGivenUp = false;
  for (let attempt = 0; attempt < PASSWORD_ATTEMPTS; attempt++) {
    steps.push({
      method: 'password',
      make: async () => {
        if (passwordGivenUp) return undefined;
        const password = await askUser(() =>
          credentials.askPassword(host.name, username, `Password for ${username}@${host.hostName}:`, attempt),
        );
        // No answer (the user cancelled): not asked again on this connection.
        if (password === undefined) return (passwordGivenUp = true), undefined;
        tried.push('password');
        return { type: 'password', username, password };
      },
    });
  }
  steps.push({
    method: 'keyboard-interactive',
    make: async () => {
      // SharedCredentials is always present; what matters is whether anyone can answer.
      if (!credentials.canAskKeyboardInteractive) return undefined;
      tried.push('keyboard-interactive');
      return {
        type: 'keyboard-interactive',
        username,
        prompt: (_name, _instructions, _lang, prompts, finish) => {
          if (!prompts.length) return finish([]);
          askUser(() =>
            credentials.askKeyboardInteractive(host.name, username, prompts.map((p) => ({ prompt: p.prompt, echo: !!p.echo }))),
          ).then((answers) =>
            // sshd drops the connection on a wrong number of replies; empty answers just fail this method
            finish(answers?.length === prompts.length ? answers : prompts.map(() => '')),
          );
        },
      };
    },
  });

  let index = 0;
  return async (methodsLeft) => {
    while (index < steps.length) {
      const step = steps[index++];
      if (methodsLeft && !methodsLeft.includes(step.method)) continue;
      const method = await step.make();
      if (method) return method;
    }
    return false;
  };
}

async function loadPrivateKey(file: string, credentials: SharedCredentials, askUser: AskUser): Promise<ParsedKey | undefined> {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const plain = ssh2().utils.parseKey(data);
  if (!(plain instanceof Error)) return Array.isArray(plain) ? plain[0] : plain;
  if (!/encrypted|passphrase/i.test(plain.message)) return undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const passphrase = await askUser(() => credentials.askPassphrase(file, attempt));
    if (passphrase === undefined) return undefined;
    const parsed = ssh2().utils.parseKey(data, passphrase);
    if (!(parsed instanceof Error)) return Array.isArray(parsed) ? parsed[0] : parsed;
  }
  return undefined;
}
