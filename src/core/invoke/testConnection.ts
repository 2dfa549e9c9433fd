// Test Connection (PowerShell's Test-Connection, the SSH way): for each host, how far a
// connection gets and what the host offers a session. It runs no user code: one no-op for the
// round trip, and one fixed probe that only reads (`uname`, `command -v`).

import type { Client } from 'ssh2';
import { SshConfigFile } from '../inventory/sshConfig';
import { execCommand } from '../session/durable';
import { connectByName, type ConnectReport } from '../ssh/connect';
import { SharedCredentials } from '../ssh/credentials';
import { HostFailure, type HostKeyInfo, type HostStatus, type InteractionCallbacks } from '../types';
import { DEFAULT_THROTTLE, throttled } from './invoke';
import type { ConnectionSettings } from './request';

export interface TestConnectionRequest extends ConnectionSettings {
  targets: string[];
  throttle?: number;
  signal?: AbortSignal;
  /**
   * Unknown keys the user has reviewed and accepted (by SHA256 fingerprint), for a test run
   * again after the review: 'remember' also records the key in known_hosts. Any other unknown
   * key is still refused; the policy must let unknown keys be asked about (`ask`).
   */
  acceptedKeys?: ReadonlyMap<string, 'once' | 'remember'>;
}

export interface TestHostKey extends HostKeyInfo {
  /** `known` (matches known_hosts), `unknown`, `changed` or `revoked`. */
  state: 'known' | 'unknown' | 'changed' | 'revoked';
}

/** One host's report. `status` is `Completed` when it is fine, else the host status that stopped it. */
export interface TestConnectionResult {
  type: 'test';
  host: string;
  status: HostStatus;
  ok: boolean;
  /** The TCP connection was made (host and port answer). */
  reachable: boolean;
  tcpConnectMs: number | null;
  hostKey: TestHostKey | null;
  /** `agent`, `key <path>`, `password` or `keyboard-interactive`. */
  authMethod: string | null;
  /** A no-op command's round trip on the open connection. */
  roundTripMs: number | null;
  loginShell: string | null;
  os: string | null;
  pwsh: boolean | null;
  /** mkfifo, setsid or nohup, and tail are all there. */
  durable: boolean | null;
  /** The tools durable sessions need that the host lacks. */
  durableMissing: string[];
  durationMs: number;
  error: string | null;
}

const DURABLE_TOOLS = ['mkfifo', 'setsid', 'nohup', 'tail'];

/**
 * The probe, as one exec command that any login shell (sh, csh, fish, rc) hands to /bin/sh
 * untouched: single-quoted, without `!`, backslashes or newlines.
 */
export const PROBE_COMMAND =
  `/bin/sh -c 'echo "RI_SHELL $SHELL"; echo "RI_OS $(uname -sr 2>/dev/null)"; ` +
  `for c in pwsh ${DURABLE_TOOLS.join(' ')}; do if command -v $c >/dev/null 2>&1; then echo "RI_HAS $c"; fi; done'`;

/** Windows' OpenSSH hands the command to cmd.exe (or PowerShell): `ver` works in both. */
const WINDOWS_PROBE = 'cmd /c ver & where pwsh';

export function parseProbe(text: string): Pick<TestConnectionResult, 'loginShell' | 'os' | 'pwsh' | 'durable' | 'durableMissing'> | undefined {
  if (!/^RI_OS /m.test(text)) return undefined;
  const has = new Set([...text.matchAll(/^RI_HAS (\S+)$/gm)].map((m) => m[1]));
  const missing = ['mkfifo', 'tail'].filter((t) => !has.has(t));
  if (!has.has('setsid') && !has.has('nohup')) missing.push('setsid or nohup');
  return {
    loginShell: /^RI_SHELL (.*)$/m.exec(text)?.[1].trim() || null,
    os: /^RI_OS (.*)$/m.exec(text)?.[1].trim() || null,
    pwsh: has.has('pwsh'),
    durable: missing.length === 0,
    durableMissing: missing,
  };
}

/**
 * Callbacks that may ask for passwords but never for a host key: unknown keys are reported, then
 * reviewed together; only keys already accepted in that review are taken.
 */
function withoutHostKeyQuestions(callbacks: InteractionCallbacks | undefined, accepted?: ReadonlyMap<string, 'once' | 'remember'>): InteractionCallbacks {
  const { confirmHostKey: _ignored, ...rest } = callbacks ?? {};
  if (!accepted?.size) return rest;
  return { ...rest, confirmHostKey: async (info) => accepted.get(info.fingerprint) ?? 'reject' };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

async function probeHost(client: Client): Promise<ReturnType<typeof parseProbe> & { roundTripMs: number }> {
  const noop = await timed(() => execCommand(client, 'exit 0'));
  const posix = await execCommand(client, PROBE_COMMAND);
  const parsed = parseProbe(posix.stdout);
  if (parsed) return { ...parsed, roundTripMs: round(noop.ms) };
  const windows = await execCommand(client, WINDOWS_PROBE);
  const version = /Microsoft Windows \[Version ([^\]]+)\]/.exec(windows.stdout)?.[1];
  return {
    loginShell: version ? 'cmd.exe' : null,
    os: version ? `Windows ${version}` : null,
    pwsh: version ? /pwsh(\.exe)?\s*$/im.test(windows.stdout) : null,
    durable: false,
    durableMissing: version ? ['a POSIX shell'] : ['unknown (the probe did not run)'],
    roundTripMs: round(noop.ms),
  };
}

async function testHost(name: string, request: TestConnectionRequest, sshConfig: SshConfigFile, credentials: SharedCredentials): Promise<TestConnectionResult> {
  const started = Date.now();
  const report: ConnectReport = {};
  const base = (): TestConnectionResult => ({
    type: 'test',
    host: name,
    status: 'Completed',
    ok: true,
    reachable: report.tcpConnectMs !== undefined || report.hostKey !== undefined,
    tcpConnectMs: report.tcpConnectMs ?? null,
    hostKey: report.hostKey
      ? {
          host: name,
          knownHostsName: report.hostKey.knownHostsName,
          keyType: report.hostKey.keyType,
          fingerprint: report.hostKey.fingerprint,
          state: report.hostKey.verdict === 'match' ? 'known' : report.hostKey.verdict,
        }
      : null,
    authMethod: report.authMethod ?? null,
    roundTripMs: null,
    loginShell: null,
    os: null,
    pwsh: null,
    durable: null,
    durableMissing: [],
    durationMs: 0,
    error: null,
  });
  let client: Client | undefined;
  try {
    client = await connectByName(sshConfig, name, {
      connectTimeoutMs: request.connectTimeoutMs,
      knownHostsFiles: request.knownHostsFiles,
      strictHostKeyChecking: request.strictHostKeyChecking,
      callbacks: credentials,
      signal: request.signal,
      report,
    });
    const probed = await probeHost(client);
    return { ...base(), ...probed, durationMs: Date.now() - started };
  } catch (err) {
    const failure = err instanceof HostFailure ? err : new HostFailure('Failed', (err as Error).message);
    return { ...base(), status: failure.status, ok: false, error: failure.message, durationMs: Date.now() - started };
  } finally {
    client?.end();
  }
}

/** Tests every target at once (throttled); results in target order. */
export async function testConnection(request: TestConnectionRequest): Promise<TestConnectionResult[]> {
  let sshConfig = request.sshConfig;
  try {
    sshConfig ??= SshConfigFile.load();
  } catch {
    sshConfig = SshConfigFile.fromText('');
  }
  const config = sshConfig;
  const credentials = new SharedCredentials(withoutHostKeyQuestions(request.callbacks, request.acceptedKeys));
  const targets = [...new Set(request.targets)];
  return throttled(targets, request.throttle ?? DEFAULT_THROTTLE, (host) => testHost(host, request, config, credentials));
}
