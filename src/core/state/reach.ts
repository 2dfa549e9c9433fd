import * as fs from 'node:fs';
import { SshConfigFile, type ResolvedHost } from '../inventory/sshConfig';
import type { ConnectionSettings } from '../invoke/request';
import type { StrictHostKeyChecking } from '../types';

/**
 * How a session's or job's hosts were reached when the record was made, so that later commands
 * (`job receive 1`, the Jobs view, `session remove`) reach the same hosts without the flags:
 * the ssh_config path, the known_hosts override and policy, and each host (and ProxyJump hop)
 * as it resolved. No secret is part of it. A host key is still verified on every connection.
 */
export interface ReachRecord {
  sshConfigPath?: string;
  knownHostsFiles?: string[];
  strictHostKeyChecking?: StrictHostKeyChecking;
  hosts: Record<string, ResolvedHost>;
}

/** The reach of `names` under `settings`, added to what `previous` already holds. */
export function captureReach(settings: ConnectionSettings, names: string[], previous?: ReachRecord): ReachRecord {
  const sshConfig = settings.sshConfig ?? SshConfigFile.load();
  const hosts = { ...previous?.hosts };
  const add = (name: string) => {
    if (hosts[name]) return;
    let resolved: ResolvedHost;
    try {
      resolved = sshConfig.resolve(name);
    } catch {
      return; // a name that does not resolve fails on its own when it is reached
    }
    hosts[name] = resolved;
    for (const hop of resolved.proxyJump?.split(',') ?? []) if (hop.trim()) add(hop.trim());
  };
  names.forEach(add);
  return {
    sshConfigPath: sshConfig.filePath ?? previous?.sshConfigPath,
    knownHostsFiles: settings.knownHostsFiles ?? previous?.knownHostsFiles,
    strictHostKeyChecking: settings.strictHostKeyChecking ?? previous?.strictHostKeyChecking,
    hosts,
  };
}

/**
 * Settings for reaching a record's hosts again: what the record remembers, except where the
 * caller was given something explicitly (a flag given later overrides the record).
 */
export function reachSettings<T extends ConnectionSettings>(settings: T, reach: ReachRecord | undefined): T {
  if (!reach) return settings;
  return {
    ...settings,
    sshConfig: settings.sshConfigExplicit ? settings.sshConfig : pinnedConfig(reach),
    knownHostsFiles: settings.knownHostsFiles ?? reach.knownHostsFiles,
    strictHostKeyChecking: settings.strictHostKeyChecking ?? reach.strictHostKeyChecking,
  };
}

/** The record's ssh_config (when still there) with its hosts pinned to how they resolved. */
function pinnedConfig(reach: ReachRecord): SshConfigFile {
  let config: SshConfigFile;
  try {
    config = reach.sshConfigPath && fs.existsSync(reach.sshConfigPath) ? SshConfigFile.load(reach.sshConfigPath) : SshConfigFile.fromText('');
  } catch {
    config = SshConfigFile.fromText('');
  }
  return config.pin(Object.values(reach.hosts));
}
