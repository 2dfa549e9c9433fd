// A host's effective settings as a run would use them, for hovers: the fleet's resolution
// (ssh_config, then inventory variables, each setting with where it came from), its ProxyJump
// hops as connectByName takes them, whether known_hosts already holds a key for it, and how it
// ended in the last run (the record `@failed` reads).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Fleet } from '../core/inventory/fleet';
import type { FleetHost, Provenance } from '../core/inventory/model';
import type { ResolvedHost } from '../core/inventory/sshConfig';
import { KnownHosts, knownHostsName } from '../core/ssh/knownHosts';
import type { LastRunRecord } from '../core/state/lastRun';

export interface HostFacts {
  host: FleetHost;
  resolved: ResolvedHost;
  hops: ResolvedHost[];
  knownHostKey: boolean;
  lastRun?: { status: string; finishedAt: string };
}

export function hostFacts(fleet: Fleet, name: string, lastRun: LastRunRecord | undefined): HostFacts {
  const host = fleet.describe(name);
  const resolved = fleet.resolve(name);
  const hops = host.jumpChain.map((hop) => fleet.resolve(hop));
  const status = lastRun?.hosts.find((h) => h.host === name)?.status;
  return {
    host,
    resolved,
    hops,
    knownHostKey: hasKnownKey(resolved),
    lastRun: status && lastRun ? { status, finishedAt: lastRun.finishedAt } : undefined,
  };
}

function hasKnownKey(host: ResolvedHost): boolean {
  const known = KnownHosts.load([...host.userKnownHostsFiles, ...host.globalKnownHostsFiles]);
  return known.knownKeyTypes(knownHostsName(host.hostKeyAlias ?? host.hostName, host.port)).length > 0;
}

const address = (h: ResolvedHost) => `${h.user}@${h.hostName}:${h.port}`;
const code = (s: string) => `\`${s.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;

function origin(p: Provenance | undefined): string {
  if (!p) return '';
  const where = p.file ? `${path.basename(p.file)}${p.range ? `:${p.range.start.line + 1}` : ''}` : '';
  switch (p.kind) {
    case 'sshConfig':
      return ` — ${p.key ?? 'ssh_config'}${where ? ` in ${where}` : ''}`;
    case 'inventory':
      return ` — ${p.key ?? 'inventory'}${p.scope && p.scope !== 'host' ? ` of group ${p.scope}` : ''}${where ? ` in ${where}` : ''}`;
    case 'target':
      return ' — typed in the target';
    default:
      return ' — default';
  }
}

export function hostFactsMarkdown(facts: HostFacts): string {
  const { host, resolved: r } = facts;
  const p = host.provenance;
  const identities = r.identityFiles.filter((f) => fs.existsSync(f));
  const identity = identities.length
    ? identities.map(code).join(', ')
    : r.identityFiles.length
      ? `none of ${r.identityFiles.map(code).join(', ')} exists`
      : 'none';
  const rows = [
    `**${host.name}** → ${code(address(r))}`,
    '',
    '| | |',
    '|---|---|',
    `| address | ${code(r.hostName)}${origin(p.address)} |`,
    `| user | ${code(r.user)}${origin(p.user)} |`,
    `| port | ${code(String(r.port))}${origin(p.port)} |`,
    `| identity file | ${identity}${origin(p.identityFiles)} |`,
    `| jump chain | ${facts.hops.length ? [...facts.hops.map(address), host.name].map(code).join(' → ') + origin(p.jumpChain) : 'direct'} |`,
    `| groups | ${host.groups.length ? host.groups.map(code).join(', ') : 'none'} |`,
    `| host key | ${facts.knownHostKey ? `in known_hosts (${code(knownHostsName(r.hostKeyAlias ?? r.hostName, r.port))})` : 'not in known_hosts yet'} |`,
    `| last run | ${facts.lastRun ? `${facts.lastRun.status} (${facts.lastRun.finishedAt})` : 'not in the last run'} |`,
  ];
  if (r.proxyCommand) rows.push(`| ProxyCommand | ${code(r.proxyCommand)} |`);
  return rows.join('\n');
}
