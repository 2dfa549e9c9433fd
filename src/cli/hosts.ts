import * as path from 'node:path';
import { AGENT_FORWARDING_WARNING, FLEET_SETTINGS, type Fleet, type FleetHost, type FleetSetting, type Provenance } from '../core';
import { CONNECTION_OPTIONS, fleetFor, parseCommandArgs, selectHosts, write } from './common';
import { EXIT, UsageError } from './usage';

export const HOSTS_OPTIONS = {
  hosts: CONNECTION_OPTIONS.hosts,
  inventory: CONNECTION_OPTIONS.inventory,
  'ssh-config': CONNECTION_OPTIONS['ssh-config'],
  json: CONNECTION_OPTIONS.json,
  help: CONNECTION_OPTIONS.help,
} as const;

/**
 * `remote-invoke hosts [PATTERN] [--json]`: what a pattern resolves to, and why — the dry run of
 * `-H`. Names the fleet does not know are listed as literal targets, resolved through ssh_config.
 */
export async function hostsCommand(argv: string[]): Promise<number> {
  const { values, before } = parseCommandArgs(argv, HOSTS_OPTIONS);
  if (before.length > 1) throw new UsageError(`unexpected argument '${before[1]}' (give one PATTERN; join names with ',' or ':')`);
  const fleet = fleetFor(values);
  // `hosts PATTERN` or, as on run, `hosts -H PATTERN` (both: their union).
  const given = [...before, ...((values.hosts as string[] | undefined) ?? [])];
  const pattern = given.length ? given.join(',') : undefined;
  let names: string[];
  if (pattern === undefined) {
    names = [...fleet.hostNames];
    if (!names.length) throw new UsageError('no hosts: ssh_config has no Host entries and no inventory was given (use -i FILE)');
  } else names = selectHosts(pattern, fleet);
  const rows = names.map((name) => hostView(fleet, name));
  if (values.json) {
    await write(process.stdout, rows.map((r) => JSON.stringify(r) + '\n').join(''));
  } else {
    await write(process.stdout, table(rows));
    const forwarding = rows.filter((r) => r.forwardAgent);
    if (forwarding.length) {
      await write(process.stdout, `\nAgent forwarding is on for ${forwarding.map((r) => r.name).join(', ')} (ForwardAgent). ${AGENT_FORWARDING_WARNING}\n`);
    }
  }
  return EXIT.ok;
}

interface SourceView {
  kind: Provenance['kind'];
  file?: string;
  /** One-based, as editors and compilers show lines. */
  line?: number;
  column?: number;
  key?: string;
  scope?: string;
}

interface HostView {
  type: 'host';
  name: string;
  address: string;
  port: number;
  user: string;
  groups: string[];
  identityFiles: string[];
  jumpChain: string[];
  proxyCommand?: string;
  shellType: string;
  become: FleetHost['become'];
  /** ssh_config's ForwardAgent is on for this host: runs forward the local ssh-agent (see forwardAgentWarning). */
  forwardAgent: boolean;
  /** OpenSSH's warning about trusting the host's root, when forwardAgent is on. */
  forwardAgentWarning?: string;
  /** Not a fleet host's name as given: a `[user@]host[:port]` target (resolved through ssh_config and, for a known host part, the inventory). */
  literal: boolean;
  sources: Record<FleetSetting, SourceView>;
}

function hostView(fleet: Fleet, name: string): HostView {
  const host = fleet.describe(name);
  return {
    type: 'host',
    name,
    address: host.address,
    port: host.port,
    user: host.user,
    groups: host.groups,
    identityFiles: host.identityFiles,
    jumpChain: host.jumpChain,
    ...(host.proxyCommand ? { proxyCommand: host.proxyCommand } : {}),
    shellType: host.shellType,
    become: host.become,
    ...agentForwarding(fleet, name),
    literal: !fleet.host(name),
    sources: Object.fromEntries(FLEET_SETTINGS.map((s) => [s, sourceView(host.provenance[s])])) as Record<FleetSetting, SourceView>,
  };
}

function agentForwarding(fleet: Fleet, name: string): Pick<HostView, 'forwardAgent' | 'forwardAgentWarning'> {
  let on = false;
  try {
    on = !!fleet.sshConfig.resolve(name).forwardAgent;
  } catch {
    /* a name ssh_config cannot read: nothing is forwarded to it */
  }
  return on ? { forwardAgent: true, forwardAgentWarning: AGENT_FORWARDING_WARNING } : { forwardAgent: false };
}

function sourceView(p: Provenance): SourceView {
  return {
    kind: p.kind,
    ...(p.file ? { file: p.file } : {}),
    ...(p.range ? { line: p.range.start.line + 1, column: p.range.start.character + 1 } : {}),
    ...(p.key ? { key: p.key } : {}),
    ...(p.scope ? { scope: p.scope } : {}),
  };
}

/** `hosts.ini:12 ansible_port [prod]` — short enough for a table cell. */
function describeSource(s: SourceView): string {
  if (s.kind === 'target') return 'typed';
  if (s.kind === 'default') return 'default';
  const where = s.file ? `${path.basename(s.file)}${s.line ? `:${s.line}` : ''}` : 'ssh_config';
  const scope = s.scope && s.scope !== 'host' ? ` [${s.scope}]` : '';
  return `${where} ${s.key ?? ''}${scope}`.trim();
}

const SHOWN_SOURCES: FleetSetting[] = ['address', 'port', 'user', 'identityFiles', 'jumpChain', 'proxyCommand', 'shellType', 'become', 'becomeUser'];

function table(rows: HostView[]): string {
  const header = ['NAME', 'ADDRESS', 'PORT', 'USER', 'GROUPS', 'SETTINGS FROM'];
  const cells = rows.map((r) => [
    r.name,
    r.address,
    String(r.port),
    r.user,
    r.groups.join(',') || '-',
    (r.literal && !r.groups.length ? 'literal target; ' : '') +
      (SHOWN_SOURCES.filter((s) => r.sources[s].kind !== 'default')
          .map((s) => `${s}: ${describeSource(r.sources[s])}`)
          .join('; ') || 'defaults'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]))).join('  ') + '\n';
  return line(header) + cells.map(line).join('');
}
