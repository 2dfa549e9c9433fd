// Run as root (Ansible's `become`, PowerShell's -RunAsAdministrator): the session shell is
// started under sudo. The sudo password travels only on the channel's stdin, as the first line
// sudo reads (`sudo -S`) — never in argv, the environment or a file on the host. Hosts where
// `sudo -n` works (NOPASSWD) are never asked; a wrong password is tried at most twice per host
// (the user is asked once more per run), so no host is retried into a lockout.

import type { Client } from 'ssh2';
import type { ResolvedHost } from '../inventory/sshConfig';
import type { SharedCredentials } from '../ssh/credentials';
import { HostFailure } from '../types';

export interface BecomeOptions {
  /** The user to become; default root. */
  user?: string;
  /** Only `sudo` is supported (an inventory's ansible_become_method may name another). */
  method?: string;
}

/**
 * Whether (and as whom) a host's runs are raised: the run's own request (--sudo, --become,
 * "Run as root") wins; else the inventory's ansible_become / ansible_become_user for that host.
 * An explicit --become-user beats ansible_become_user; without one the inventory's user is used.
 */
export function becomeFor(requested: BecomeOptions | undefined, host: ResolvedHost): BecomeOptions | undefined {
  const fromInventory = host.become?.enabled ? host.become : undefined;
  if (!requested && !fromInventory) return undefined;
  const user = requested?.user ?? host.become?.user;
  const method = requested ? undefined : fromInventory?.method;
  return { ...(user !== undefined ? { user } : {}), ...(method !== undefined ? { method } : {}) };
}

/** How commands on one host are raised: a prefix for the command, and what to write first on its stdin. */
export interface Elevation {
  user: string;
  /** `sudo … -- ` in front of a command. */
  prefix: string;
  /** The password line sudo -S reads before the command starts ('' when sudo asks for none). */
  stdinFirst: string;
}

/** A user name sudo's -u accepts, with nothing a login shell would expand (`#uid` too). */
export function checkBecomeUser(user: string): string {
  if (!/^(#\d+|[A-Za-z_][A-Za-z0-9_.-]*\$?)$/.test(user)) throw new RangeError(`invalid user to become '${user}'`);
  return user;
}

/** Wraps a command so that it runs as the elevated user; an `exec` for the login shell stays in front (it execs sudo). */
export function elevated(elevation: Elevation, command: string): string {
  const exec = command.startsWith('exec ') ? 'exec ' : '';
  return exec + elevation.prefix + command.slice(exec.length);
}

const PASSWORD_WRONG = /Sorry, try again|incorrect password|Authentication failure/i;
const PASSWORD_NEEDED = /a password is required|a terminal is required/i;

/** Runs `sudo … true` with `input` on stdin: the same check sudo makes before the real command. */
function trySudo(client: Client, prefix: string, input: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    client.exec(`${prefix}true`, (err, channel) => {
      if (err) return reject(err);
      let stderr = '';
      let code: number | null = null;
      channel.resume();
      channel.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      channel.on('exit', (c: number | null) => (code = c));
      channel.on('close', () => resolve({ code, stderr }));
      channel.end(input);
    });
  });
}

/** sudo's own words, on one line. */
function sudoSays(stderr: string): string {
  return stderr.replace(/\s+/g, ' ').trim() || 'sudo failed without a message';
}

/**
 * Finds out how to become `options.user` on a connected host: NOPASSWD, or the password asked
 * once per run (SharedCredentials), checked here so that a wrong one never reaches the session.
 * Throws HostFailure (AuthFailed) with sudo's message when it cannot.
 */
export async function prepareElevation(
  client: Client,
  host: string,
  loginUser: string,
  options: BecomeOptions,
  credentials: SharedCredentials,
): Promise<Elevation> {
  if (options.method !== undefined && options.method !== 'sudo') {
    throw new HostFailure('Failed', `become method '${options.method}' (ansible_become_method) is not supported on ${host}; only sudo is`);
  }
  let user: string;
  try {
    user = checkBecomeUser(options.user ?? 'root');
  } catch (err) {
    throw new HostFailure('Failed', `${(err as Error).message} on ${host} (ansible_become_user)`);
  }
  const noPassword = `sudo -n -u ${user} -- `;
  const probe = await trySudo(client, noPassword, '');
  if (probe.code === 0) return { user, prefix: noPassword, stdinFirst: '' };
  if (!PASSWORD_NEEDED.test(probe.stderr)) throw cannotBecome(host, loginUser, user, probe.stderr);

  const withPassword = `sudo -S -p '' -u ${user} -- `;
  for (let attempt = 0; attempt < 2; attempt++) {
    const password = await credentials.askBecomePassword(host, loginUser, user, attempt);
    if (password === undefined) {
      throw new HostFailure('AuthFailed', `sudo on ${host} needs the password of ${loginUser} to run as ${user}, and none was given`);
    }
    if (/[\r\n]/.test(password)) throw new HostFailure('AuthFailed', 'a sudo password cannot contain a line break');
    const checked = await trySudo(client, withPassword, `${password}\n`);
    if (checked.code === 0) return { user, prefix: withPassword, stdinFirst: `${password}\n` };
    if (!PASSWORD_WRONG.test(checked.stderr) || attempt === 1) throw cannotBecome(host, loginUser, user, checked.stderr);
  }
  throw new Error('unreachable');
}

function cannotBecome(host: string, loginUser: string, user: string, stderr: string): HostFailure {
  const said = sudoSays(stderr);
  if (/not found/i.test(said) && /sudo/.test(said)) return new HostFailure('Failed', `cannot run as ${user} on ${host}: sudo is not installed (${said})`);
  if (PASSWORD_WRONG.test(said)) return new HostFailure('AuthFailed', `sudo on ${host} refused the password of ${loginUser}: ${said}`);
  return new HostFailure('AuthFailed', `${loginUser} may not run commands as ${user} on ${host}: ${said}`);
}
