import { testConnection, type TestConnectionResult } from '../core';
import { CONNECTION_OPTIONS, connectionSettings, hostList, parseCommandArgs, positiveNumber, write } from './common';
import { EXIT, UsageError } from './usage';

export const TEST_OPTIONS = {
  ...CONNECTION_OPTIONS,
  throttle: { type: 'string', short: 't' },
} as const;

const yesNo = (v: boolean | null) => (v === null ? '?' : v ? 'yes' : 'no');

/** One host's report as indented lines, for people. */
export function describeTest(r: TestConnectionResult): string {
  const key = r.hostKey ? `${r.hostKey.keyType} ${r.hostKey.fingerprint} (${r.hostKey.state})` : '—';
  const lines = [
    `${r.host}: ${r.ok ? 'OK' : r.status}${r.error ? ` — ${r.error}` : ''}`,
    `  reachable   ${r.reachable ? `yes, TCP connect ${r.tcpConnectMs ?? '?'} ms` : 'no'}`,
    `  host key    ${key}`,
    `  auth        ${r.authMethod ?? '—'}`,
  ];
  if (r.ok) {
    lines.push(
      `  round trip  ${r.roundTripMs} ms (no-op)`,
      `  shell       ${r.loginShell ?? '?'}`,
      `  os          ${r.os ?? '?'}`,
      `  pwsh        ${yesNo(r.pwsh)}`,
      `  durable     ${r.durable ? 'yes' : `no (missing: ${r.durableMissing.join(', ')})`}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** `remote-invoke test -H PATTERN [--json]`: exit 0 when every host is fine, 3 otherwise. */
export async function testCommand(argv: string[]): Promise<number> {
  const { values, before, hasTerminator } = parseCommandArgs(argv, TEST_OPTIONS);
  if (before.length || hasTerminator) throw new UsageError(`unexpected argument '${before[0] ?? '--'}' (test runs nothing)`);
  const targets = hostList(values);
  if (!targets.length) throw new UsageError('no host given (use -H NAMES)');
  const settings = connectionSettings(values);
  const json = !!values.json;
  const startedAt = Date.now();
  const results = await testConnection({ ...settings, targets, throttle: positiveNumber('throttle', values.throttle, true) });
  const exitCode = results.every((r) => r.ok) ? EXIT.ok : EXIT.hostFailed;
  if (json) {
    const ok = results.filter((r) => r.ok).length;
    const lines = results.map((r) => JSON.stringify(r));
    lines.push(JSON.stringify({ type: 'summary', total: results.length, ok, failed: results.length - ok, durationMs: Date.now() - startedAt, exitCode }));
    await write(process.stdout, lines.join('\n') + '\n');
  } else {
    await write(process.stdout, results.map(describeTest).join(''));
    const unknown = results.filter((r) => r.hostKey?.state === 'unknown' && !r.ok);
    if (unknown.length) {
      await write(
        process.stderr,
        `remote-invoke: ${unknown.length} host key${unknown.length === 1 ? ' is' : 's are'} not known; check the fingerprints above, ` +
          `then connect once with --strict-host-key-checking accept-new (or add them to known_hosts)\n`,
      );
    }
  }
  return exitCode;
}
