// A host's effective settings as a run would use them, for hovers: the engine's resolution
// (ssh_config, then inventory variables), its ProxyJump hops the way connectByName takes them,
// and whether known_hosts already holds a key for it.
import * as fs from 'node:fs';
import { KnownHosts, knownHostsName } from '../core/ssh/knownHosts';
import type { ResolvedHost, SshConfigFile } from '../core/inventory/sshConfig';

export interface HostFacts {
  name: string;
  resolved: ResolvedHost;
  hops: ResolvedHost[];
  groups: string[];
  knownHostKey: boolean;
  /** Where each setting came from, when the resolver says. */
  sources?: Record<string, string>;
  lastRun?: string;
}

export function hostFacts(
  config: SshConfigFile,
  name: string,
  extra: { resolved?: ResolvedHost; groups?: string[]; sources?: Record<string, string>; lastRun?: string } = {},
): HostFacts {
  const resolved = extra.resolved ?? config.resolve(name);
  const hops = (resolved.proxyJump ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .map((hop) => config.resolve(hop));
  return { name, resolved, hops, groups: extra.groups ?? [], knownHostKey: hasKnownKey(resolved), sources: extra.sources, lastRun: extra.lastRun };
}

function hasKnownKey(host: ResolvedHost): boolean {
  const known = KnownHosts.load([...host.userKnownHostsFiles, ...host.globalKnownHostsFiles]);
  return known.knownKeyTypes(knownHostsName(host.hostKeyAlias ?? host.hostName, host.port)).length > 0;
}

const address = (h: ResolvedHost) => `${h.user}@${h.hostName}:${h.port}`;

export function hostFactsMarkdown(facts: HostFacts): string {
  const r = facts.resolved;
  const source = (key: string) => (facts.sources?.[key] ? ` *(${facts.sources[key]})*` : '');
  const identities = r.identityFiles.filter((f) => fs.existsSync(f));
  const rows = [
    `**${facts.name}** → \`${address(r)}\``,
    '',
    `| | |`,
    `|---|---|`,
    `| address | \`${r.hostName}\`${source('hostName')} |`,
    `| user | \`${r.user}\`${source('user')} |`,
    `| port | \`${r.port}\`${source('port')} |`,
    `| identity file | ${identities.length ? identities.map((f) => `\`${f}\``).join(', ') : r.identityFiles.length ? `none of ${r.identityFiles.map((f) => `\`${f}\``).join(', ')} exists` : 'none'}${source('identityFiles')} |`,
    `| jump chain | ${facts.hops.length ? [...facts.hops.map(address), facts.name].map((h) => `\`${h}\``).join(' → ') : 'direct'} |`,
    `| groups | ${facts.groups.length ? facts.groups.map((g) => `\`${g}\``).join(', ') : 'none'} |`,
    `| host key | ${facts.knownHostKey ? `in known_hosts (\`${knownHostsName(r.hostKeyAlias ?? r.hostName, r.port)}\`)` : 'not in known_hosts yet'} |`,
    `| last run | ${facts.lastRun ?? 'never run'} |`,
  ];
  if (r.proxyCommand) rows.push(`| ProxyCommand | \`${r.proxyCommand.replace(/\|/g, '\\|')}\` |`);
  return rows.join('\n');
}
