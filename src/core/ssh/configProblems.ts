import type { ResolvedHost } from '../inventory/sshConfig';

/**
 * ssh_config values that cannot work for this host, each with its reason: found before any run
 * (the Hosts view shows them as a warning on the host's row) and refused before connecting, so a
 * `Port abc` is "Port is not a number from 1 to 65535", not `host:NaN` and a Node range error.
 */
export function hostConfigProblems(host: ResolvedHost): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(host.port) || host.port < 1 || host.port > 65535) {
    problems.push(`Port is not a number from 1 to 65535${Number.isNaN(host.port) ? '' : ` (${host.port})`}`);
  }
  if (!host.hostName.trim()) problems.push('HostName is empty');
  const seconds = (what: string, ms: number | undefined) => {
    if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0)) problems.push(`${what} is not a number of seconds`);
  };
  seconds('ConnectTimeout', host.connectTimeoutMs);
  seconds('ServerAliveInterval', host.serverAliveIntervalMs);
  return problems;
}
