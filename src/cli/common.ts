import * as fs from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  defaultStateDir,
  loadFleet,
  PatternError,
  selectTargets,
  SshConfigFile,
  type ConnectionSettings,
  type Fleet,
  type InventoryDiagnostic,
  type StrictHostKeyChecking,
} from '../core';
import { isGone } from './brokenPipe';
import { canPrompt, terminalCallbacks } from './prompt';
import { UsageError } from './usage';

/** Flags every command that connects accepts. */
export const CONNECTION_OPTIONS = {
  hosts: { type: 'string', short: 'H', multiple: true },
  'ssh-config': { type: 'string', short: 'F' },
  'known-hosts': { type: 'string' },
  'strict-host-key-checking': { type: 'string' },
  'connect-timeout': { type: 'string' },
  json: { type: 'boolean' },
  inventory: { type: 'string', short: 'i', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** parseArgs with our error style; positionals before `--` are returned apart from those after. */
export function parseCommandArgs(argv: string[], options: ParseArgsConfig['options']) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const terminator = parsed.tokens.find((t) => t.kind === 'option-terminator');
  const before: string[] = [];
  const after: string[] = [];
  for (const t of parsed.tokens) {
    if (t.kind !== 'positional') continue;
    (terminator && t.index > terminator.index ? after : before).push(t.value);
  }
  return { values: parsed.values as Values, before, after, hasTerminator: !!terminator };
}

export function positiveNumber(flag: string, value: unknown, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const n = Number(text);
  if (!text.trim() || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag} needs a positive ${integer ? 'integer' : 'number'}, got '${text}'`);
  }
  return n;
}

export function readable(what: string, path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * `-H` values (joined with `,`) resolved by the pattern language over the fleet: ssh_config
 * aliases and Tag groups plus the `-i` inventories. Plain names the fleet does not know stay
 * literal `[user@]host[:port]` targets, as before patterns; a term that selects from the fleet
 * and matches nothing is a usage error naming it.
 */
export function hostList(values: Values): string[] {
  const pattern = ((values.hosts as string[] | undefined) ?? []).join(',');
  if (!pattern.replace(/[,\s]/g, '')) return [];
  return selectHosts(pattern, fleetFor(values));
}

export function selectHosts(pattern: string, fleet: Fleet): string[] {
  try {
    return selectTargets(pattern, fleet, stateDir());
  } catch (err) {
    if (err instanceof PatternError) throw new UsageError(err.message);
    throw err;
  }
}

const fleets = new WeakMap<Values, Fleet>();

/**
 * ssh_config (-F) and the inventories (-i, repeatable), read once per command. An unreadable file
 * or an error Ansible would refuse the inventory for is a usage error; warnings go to stderr.
 */
export function fleetFor(values: Values): Fleet {
  const cached = fleets.get(values);
  if (cached) return cached;
  const configPath = values['ssh-config'] as string | undefined;
  if (configPath !== undefined) readable('ssh_config file', configPath);
  const inventoryFiles = (values.inventory as string[] | undefined) ?? [];
  for (const file of inventoryFiles) readable('inventory file', file);
  let sshConfig: SshConfigFile;
  try {
    sshConfig = SshConfigFile.load(configPath);
  } catch (err) {
    throw new UsageError(`cannot parse ssh_config: ${(err as Error).message}`);
  }
  const fleet = loadFleet({ sshConfig, inventoryFiles });
  const error = fleet.diagnostics.find((d) => d.severity === 'error');
  if (error) throw new UsageError(describeDiagnostic(error));
  for (const d of fleet.diagnostics) if (d.severity === 'warning') process.stderr.write(`remote-invoke: warning: ${describeDiagnostic(d)}\n`);
  fleets.set(values, fleet);
  return fleet;
}

/** `file:line:column: message`, one-based like compilers print it. */
export function describeDiagnostic(d: InventoryDiagnostic): string {
  return `${d.file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message}`;
}

export function secondsToMs(flag: string, value: unknown): number | undefined {
  const s = positiveNumber(flag, value, false);
  return s === undefined ? undefined : Math.round(s * 1000);
}

/** -F, --known-hosts, --strict-host-key-checking, --connect-timeout → settings, validated. */
export function connectionSettings(values: Values): ConnectionSettings {
  const strict = values['strict-host-key-checking'] as string | undefined;
  if (strict !== undefined && !['yes', 'accept-new', 'no'].includes(strict)) {
    throw new UsageError(`--strict-host-key-checking must be yes, accept-new or no, got '${strict}'`);
  }
  const sshConfig = fleetFor(values).sshConfig;
  const knownHosts = values['known-hosts'] as string | undefined;
  return {
    sshConfig,
    // -i as much as -F: the hosts resolve as given now, not as a session or job record pinned them.
    sshConfigExplicit: values['ssh-config'] !== undefined || ((values.inventory as string[] | undefined) ?? []).length > 0,
    knownHostsFiles: knownHosts !== undefined ? [knownHosts] : undefined,
    strictHostKeyChecking: strict as StrictHostKeyChecking | undefined,
    connectTimeoutMs: secondsToMs('connect-timeout', values['connect-timeout']),
    callbacks: canPrompt() ? terminalCallbacks : undefined,
  };
}

export function stateDir(): string {
  return defaultStateDir();
}

/** Writes with backpressure; a stream that has closed (a reader that went away) takes nothing. */
export function write(stream: NodeJS.WriteStream, text: string): Promise<void> | void {
  if (isGone(stream)) return;
  if (!stream.write(text)) return untilWritable(stream);
}

/** 'drain', or 'close' for a stream that will never drain: a waiter must not outlive its stream. */
function untilWritable(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/**
 * For producers that cannot wait (a callback per line): text queues here while the stream is
 * full, behind one 'drain' listener, instead of one listener per line.
 */
export function queuedWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let waiting = false;
  let pending = '';
  const flush = () => {
    waiting = false;
    const text = pending;
    pending = '';
    if (text) put(text);
  };
  const put = (text: string) => {
    if (isGone(stream)) return;
    if (waiting) pending += text;
    else if (!stream.write(text)) {
      waiting = true;
      stream.once('drain', flush);
    }
  };
  return put;
}

/** Resolves once everything written to `stream` so far has left this process: true, or false if it could not. */
export function flushed(stream: NodeJS.WritableStream): Promise<boolean> {
  if (isGone(stream)) return Promise.resolve(false);
  return new Promise((resolve) => stream.write('', (err) => resolve(!err && !isGone(stream))));
}

/** Resolves once `text` has left this process (handed to the OS), not merely been queued. */
export function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (isGone(stream)) return Promise.resolve();
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

/** A name for a session or job: safe as a file name in the state directory. */
export function checkName(kind: string, name: string | undefined): string {
  if (!name) throw new UsageError(`no ${kind} name given`);
  if (!/^[\w.-]+$/.test(name)) throw new UsageError(`invalid ${kind} name '${name}' (use letters, digits, '.', '_' or '-')`);
  return name;
}
