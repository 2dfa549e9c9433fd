import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import {
  HOST_STATUSES,
  invoke,
  SshConfigFile,
  type HostResult,
  type HostStatus,
  type InvokeEvent,
  type InvokeRequest,
  type StrictHostKeyChecking,
} from '../core';
import { canPrompt, terminalCallbacks } from './prompt';
import { EXIT, UsageError } from './usage';

const OPTIONS = {
  hosts: { type: 'string', short: 'H', multiple: true },
  file: { type: 'string', short: 'f' },
  command: { type: 'string', short: 'c' },
  'ssh-config': { type: 'string', short: 'F' },
  'known-hosts': { type: 'string' },
  'strict-host-key-checking': { type: 'string' },
  throttle: { type: 'string', short: 't' },
  timeout: { type: 'string' },
  'connect-timeout': { type: 'string' },
  shell: { type: 'string' },
  'no-crlf-conversion': { type: 'boolean' },
  'hide-computer-name': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export interface ParsedRun {
  request: InvokeRequest;
  json: boolean;
  hideComputerName: boolean;
}

function positiveNumber(flag: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!value.trim() || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag} needs a positive ${integer ? 'integer' : 'number'}, got '${value}'`);
  }
  return n;
}

function readable(what: string, path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** argv → a validated request; throws UsageError before anything runs. */
export function parseRunArgs(argv: string[]): ParsedRun {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const { values, positionals, tokens } = parsed;
  const terminator = tokens.find((t) => t.kind === 'option-terminator');
  const stray = tokens.find((t) => t.kind === 'positional' && (!terminator || t.index < terminator.index));
  if (stray && stray.kind === 'positional') {
    throw new UsageError(`unexpected argument '${stray.value}' (script arguments go after --)`);
  }
  const args = terminator ? positionals : [];

  const targets = (values.hosts ?? []).flatMap((h) => h.split(',')).map((h) => h.trim()).filter(Boolean);
  if (!targets.length) throw new UsageError('no host given (use -H NAMES)');
  if (values.file !== undefined && values.command !== undefined) throw new UsageError('give either -f FILE or -c TEXT, not both');
  if (values.file === undefined && values.command === undefined) throw new UsageError('no script given (use -f FILE or -c TEXT)');
  const script =
    values.file !== undefined
      ? { text: readable('script file', values.file), fileName: values.file }
      : { text: values.command as string };

  const strict = values['strict-host-key-checking'];
  if (strict !== undefined && !['yes', 'accept-new', 'no'].includes(strict)) {
    throw new UsageError(`--strict-host-key-checking must be yes, accept-new or no, got '${strict}'`);
  }
  const configPath = values['ssh-config'];
  if (configPath !== undefined) readable('ssh_config file', configPath);
  let sshConfig: SshConfigFile;
  try {
    sshConfig = SshConfigFile.load(configPath);
  } catch (err) {
    throw new UsageError(`cannot parse ssh_config: ${(err as Error).message}`);
  }
  const seconds = (flag: 'timeout' | 'connect-timeout') => {
    const s = positiveNumber(flag, values[flag], false);
    return s === undefined ? undefined : Math.round(s * 1000);
  };

  return {
    json: !!values.json,
    hideComputerName: !!values['hide-computer-name'],
    request: {
      script,
      targets,
      args,
      sshConfig,
      knownHostsFiles: values['known-hosts'] !== undefined ? [values['known-hosts']] : undefined,
      strictHostKeyChecking: strict as StrictHostKeyChecking | undefined,
      throttle: positiveNumber('throttle', values.throttle, true),
      timeoutMs: seconds('timeout'),
      connectTimeoutMs: seconds('connect-timeout'),
      shell: values.shell,
      convertCrlf: !values['no-crlf-conversion'],
      callbacks: canPrompt() ? terminalCallbacks : undefined,
    },
  };
}

/** 0 all Completed; 3 if any host could not run the script; else 1 if any script failed. */
export function exitCodeFor(results: HostResult[]): number {
  if (results.some((r) => r.status !== 'Completed' && r.status !== 'Failed')) return EXIT.hostFailed;
  if (results.some((r) => r.status === 'Failed')) return EXIT.scriptFailed;
  return EXIT.ok;
}

function write(stream: NodeJS.WriteStream, text: string): Promise<void> | void {
  if (!stream.write(text)) return new Promise((resolve) => stream.once('drain', resolve));
}

function describe(r: HostResult): string {
  const what =
    r.status === 'Completed' || r.status === 'Failed'
      ? r.signal
        ? `signal ${r.signal}`
        : r.exitCode !== null
          ? `exit ${r.exitCode}`
          : ''
      : '';
  const detail = [what, `${r.durationMs} ms`].filter(Boolean).join(', ');
  return `${r.host}: ${r.status} (${detail})${r.error ? ` — ${r.error}` : ''}`;
}

function summary(results: HostResult[], durationMs: number, exitCode: number) {
  const counts = Object.fromEntries(HOST_STATUSES.map((s) => [s, 0])) as Record<HostStatus, number>;
  for (const r of results) counts[r.status]++;
  return { type: 'summary', total: results.length, ...counts, counts, durationMs, exitCode };
}

export async function runCommand(argv: string[]): Promise<number> {
  const { request, json, hideComputerName } = parseRunArgs(argv);
  const startedAt = Date.now();
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('remote-invoke: cancelling (press Ctrl+C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const run = invoke({ ...request, signal: controller.signal });
  const render = json ? renderJson : renderText(hideComputerName);
  for await (const event of run) await render(event);
  const results = await run.results;
  process.off('SIGINT', onSigint);
  const exitCode = exitCodeFor(results);
  if (json) await write(process.stdout, JSON.stringify(summary(results, Date.now() - startedAt, exitCode)) + '\n');
  else for (const r of results) await write(process.stderr, describe(r) + '\n');
  return exitCode;
}

function renderJson(event: InvokeEvent): Promise<void> | void {
  if (event.type === 'start') return;
  return write(process.stdout, JSON.stringify(event) + '\n');
}

function renderText(hideComputerName: boolean) {
  return (event: InvokeEvent): Promise<void> | void => {
    if (event.type !== 'output') return;
    const text = (hideComputerName ? '' : `${event.host}: `) + event.line + '\n';
    return write(event.stream === 'stderr' ? process.stderr : process.stdout, text);
  };
}
