// The fleet: every host and group from ssh_config and Ansible inventories, resolved with Ansible's
// variable precedence on top of ssh_config, each setting remembering where it came from.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONNECTION_VARIABLES, interpretVariable, PLAIN_SECRET_VARIABLES, type SshArgsSettings } from './ansibleVariables';
import { parseIniInventory } from './iniInventory';
import {
  FLEET_SETTINGS,
  type FleetGroup,
  type FleetHost,
  type FleetSetting,
  type InventoryDiagnostic,
  type InventoryDocument,
  type LoadFleetOptions,
  type Provenance,
  type SourceLocation,
  type VariableDeclaration,
  type VarsFile,
} from './model';
import { parseHostTarget, SshConfigFile, type HostOverrides, type ResolvedHost } from './sshConfig';
import { scanSshConfig, splitArgs, SshConfigIndex, type SshConfigDirective } from './sshConfigSources';
import { parseVarsFile, parseYamlInventory, VAULT_VALUE } from './yamlInventory';

const readUtf8 = (f: string) => fs.readFileSync(f, 'utf8');

/** `.yml`/`.yaml`/`.json` are YAML; other names are INI unless their first line is plainly YAML (`---`, `all:`). */
export function inventoryFormat(file: string, text: string): 'ini' | 'yaml' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.yml' || ext === '.yaml' || ext === '.json') return 'yaml';
  if (ext === '.ini' || ext === '.cfg') return 'ini';
  const first = text.split(/\r?\n/).find((l) => l.trim() && !/^\s*[#;]/.test(l));
  return first !== undefined && (/^---\s*$/.test(first) || /^[^\s\[=:][^=]*:\s*(#.*)?$/.test(first) || /^\s*\{/.test(first)) ? 'yaml' : 'ini';
}

/** Parses one inventory file's text, INI or YAML, keeping positions. */
export function parseInventory(text: string, file: string): InventoryDocument {
  return inventoryFormat(file, text) === 'yaml' ? parseYamlInventory(text, file) : parseIniInventory(text, file);
}

/**
 * `group_vars/` and `host_vars/` beside an inventory file: `NAME`, `NAME.yml`, `NAME.yaml`,
 * `NAME.json`, or a directory `NAME/` whose files are read in name order (later ones win).
 */
export function loadVarsDirectories(inventoryFile: string, readFile: (f: string) => string = readUtf8): VarsFile[] {
  const out: VarsFile[] = [];
  const base = path.dirname(path.resolve(inventoryFile));
  for (const [dirName, kind] of [
    ['group_vars', 'group'],
    ['host_vars', 'host'],
  ] as const) {
    const dir = path.join(base, dirName);
    for (const entry of listDir(dir)) {
      if (entry.startsWith('.')) continue;
      const full = path.join(dir, entry);
      if (isDirectory(full)) {
        for (const file of walkFiles(full)) out.push(readVars(file, entry, kind, readFile));
      } else {
        const ext = path.extname(entry).toLowerCase();
        if (ext && !['.yml', '.yaml', '.json'].includes(ext)) continue;
        out.push(readVars(full, ext ? entry.slice(0, -ext.length) : entry, kind, readFile));
      }
    }
  }
  return out;
}

function readVars(file: string, target: string, kind: 'group' | 'host', readFile: (f: string) => string): VarsFile {
  try {
    return { file, target, kind, ...parseVarsFile(readFile(file), file) };
  } catch (err) {
    const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return { file, target, kind, vars: [], diagnostics: [{ file, range, severity: 'error', code: 'unreadable', message: `cannot read ${file}: ${(err as Error).message}` }] };
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function walkFiles(dir: string): string[] {
  return listDir(dir)
    .filter((e) => !e.startsWith('.'))
    .flatMap((e) => {
      const full = path.join(dir, e);
      if (isDirectory(full)) return walkFiles(full);
      const ext = path.extname(e).toLowerCase();
      return !ext || ['.yml', '.yaml', '.json'].includes(ext) ? [full] : [];
    });
}

/** Variables of one scope from one place, in the order they are applied. */
interface VarLayer {
  vars: VariableDeclaration[];
  file: string;
  /** `host` or the group's name. */
  scope: string;
}

interface GroupNode {
  name: string;
  directHosts: string[];
  children: string[];
  parents: string[];
  declarations: SourceLocation[];
  /** Declared by a section/block of its own (not only referenced as a child or by `:vars`). */
  declared: boolean;
  origins: Set<'inventory' | 'sshConfigTag'>;
  inventoryVars: VarLayer[];
  varsFiles: VarLayer[];
}

interface HostNode {
  name: string;
  declarations: SourceLocation[];
  inventoryVars: VarLayer[];
  varsFiles: VarLayer[];
  inSshConfig: boolean;
}

interface MergedVariable {
  value: unknown;
  provenance: Provenance;
}

/** Every host and group the user has described, resolved. Built by loadFleet; read-only after. */
export class Fleet {
  private readonly hostsByName = new Map<string, FleetHost>();
  private readonly groupsByName = new Map<string, FleetGroup>();
  /** For the pattern language (a PatternScope): every host name, in fleet order. */
  readonly hostNames: readonly string[];
  readonly groupNames: readonly string[];

  constructor(
    readonly hosts: FleetHost[],
    readonly groups: FleetGroup[],
    readonly diagnostics: InventoryDiagnostic[],
    readonly documents: InventoryDocument[],
    readonly varsFiles: VarsFile[],
    /** ssh_config with the inventories' settings on top: hand it to the engine as `sshConfig`. */
    readonly sshConfig: SshConfigFile,
    /** The ssh_config directives with their files and lines (Includes followed), indexed by host. */
    readonly sshConfigIndex: SshConfigIndex,
  ) {
    for (const h of hosts) this.hostsByName.set(h.name, h);
    for (const g of groups) this.groupsByName.set(g.name, g);
    this.hostNames = hosts.map((h) => h.name);
    this.groupNames = groups.map((g) => g.name);
  }


  groupHosts(name: string): readonly string[] | undefined {
    return this.groupsByName.get(name)?.hosts;
  }

  /** The ssh_config directives with their files and lines, in reading order. */
  get sshConfigDirectives(): SshConfigDirective[] {
    return this.sshConfigIndex.directives;
  }

  host(name: string): FleetHost | undefined {
    return this.hostsByName.get(name);
  }

  group(name: string): FleetGroup | undefined {
    return this.groupsByName.get(name);
  }

  /**
   * A fleet host, or for a name the fleet does not know (a literal `[user@]host[:port]` target)
   * what ssh_config makes of it, with the same provenance: what `hosts` and a hover show.
   */
  describe(spec: string): FleetHost {
    const known = this.hostsByName.get(spec);
    if (known) return known;
    const target = parseHostTarget(spec);
    const base = this.hostsByName.get(target.host);
    return {
      ...describeResolved(spec, this.resolve(spec), this.sshConfigIndex, {}),
      groups: base?.groups ?? [],
      vars: base?.vars ?? {},
      declarations: base?.declarations ?? [],
      inSshConfig: base?.inSshConfig ?? false,
      ...(base ? { provenance: { ...base.provenance, ...(target.port !== undefined ? { port: { kind: 'target' } } : {}), ...(target.user !== undefined ? { user: { kind: 'target' } } : {}) } } : {}),
    };
  }

  /** What the engine connects to for a name or `[user@]host[:port]` (an unknown name resolves through ssh_config alone). */
  resolve(spec: string): ResolvedHost {
    return this.sshConfig.resolve(spec);
  }
}

/**
 * Reads ssh_config (with its `Tag`s) and the inventories (with `group_vars/`, `host_vars/`) into one
 * fleet. Problems in the files become diagnostics, never exceptions; only an explicitly named
 * ssh_config that cannot be read throws (as SshConfigFile.load does).
 */
export function loadFleet(options: LoadFleetOptions = {}): Fleet {
  const readFile = options.readFile ?? readUtf8;
  const baseConfig = options.sshConfig ?? SshConfigFile.load(options.sshConfigPath);
  const directives = baseConfig.filePath ? scanSshConfig(baseConfig.filePath, readFile) : [];
  const diagnostics: InventoryDiagnostic[] = [];
  const documents: InventoryDocument[] = [];
  for (const file of options.inventoryFiles ?? []) {
    try {
      documents.push(parseInventory(readFile(file), file));
    } catch (err) {
      const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
      const message = `cannot read inventory ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      documents.push({ file, format: 'ini', groups: [], diagnostics: [{ file, range, severity: 'error', code: 'unreadable', message }] });
    }
  }
  const seenDirs = new Set<string>();
  const varsFiles: VarsFile[] = [];
  for (const doc of documents) {
    const dir = path.dirname(path.resolve(doc.file));
    if (seenDirs.has(dir)) continue;
    seenDirs.add(dir);
    varsFiles.push(...loadVarsDirectories(doc.file, readFile));
  }

  const sshIndex = new SshConfigIndex(directives);
  const hostLines = new Map<string, SourceLocation[]>();
  for (const d of directives) {
    if (d.keyword.toLowerCase() !== 'host') continue;
    for (const p of new Set(splitArgs(d.value).map((x) => x.toLowerCase()))) hostLines.set(p, [...(hostLines.get(p) ?? []), { file: d.file, range: d.range }]);
  }
  const graph = new FleetGraph();
  for (const alias of baseConfig.hostAliases()) {
    const host = graph.host(alias);
    host.inSshConfig = true;
    host.declarations.push(...(hostLines.get(alias.toLowerCase()) ?? []));
  }
  for (const doc of documents) {
    diagnostics.push(...doc.diagnostics);
    graph.addDocument(doc, diagnostics);
  }
  graph.checkDeclared(documents, diagnostics);
  for (const vf of varsFiles) {
    diagnostics.push(...vf.diagnostics);
    const layer = { vars: vf.vars, file: vf.file, scope: vf.kind === 'host' ? 'host' : vf.target };
    // Ansible reads a vars file only for a group or host the inventory has.
    if (vf.kind === 'group' && graph.groups.has(vf.target)) graph.groups.get(vf.target)!.varsFiles.push(layer);
    if (vf.kind === 'host' && graph.hosts.has(vf.target)) graph.hosts.get(vf.target)!.varsFiles.push(layer);
  }
  for (const layerOwner of [...graph.groups.values(), ...graph.hosts.values()]) {
    for (const layer of [...layerOwner.inventoryVars, ...layerOwner.varsFiles]) checkVariables(layer, diagnostics);
  }
  checkDuplicateHosts(documents, diagnostics);

  // ssh_config `Tag`: each word a group (OpenSSH applies Tag by Host blocks, so inventory hosts can be tagged too).
  for (const host of graph.hosts.values()) {
    for (const tag of baseConfig.tags(host.name)) {
      const group = graph.group(tag);
      group.origins.add('sshConfigTag');
      group.declared = true;
      if (!group.directHosts.includes(host.name)) group.directHosts.push(host.name);
      const line = sshIndex.applying(host.name).find((d) => d.keyword.toLowerCase() === 'tag');
      if (line && !group.declarations.some((d) => d.file === line.file && d.range.start.line === line.line)) {
        group.declarations.push({ file: line.file, range: line.range });
      }
    }
  }
  graph.finish();

  const merged = new Map<string, Map<string, MergedVariable>>();
  for (const host of graph.hosts.values()) merged.set(host.name, graph.mergedVariables(host));
  const overrides = new Map<string, HostOverrides>();
  for (const [name, vars] of merged) overrides.set(name, hostOverrides(vars));
  const sshConfig = baseConfig.withOverrides((name) => overrides.get(name));

  const hosts: FleetHost[] = [...graph.hosts.values()].map((node) =>
    fleetHost(node, graph, merged.get(node.name)!, sshConfig.resolve(node.name), sshIndex),
  );
  const groups: FleetGroup[] = [...graph.groups.values()].map((g) => ({
    name: g.name,
    hosts: graph.hostsOf(g.name),
    directHosts: [...g.directHosts],
    children: [...g.children],
    parents: [...g.parents],
    vars: graph.groupVariables(g),
    declarations: g.declarations,
    origins: [...g.origins],
  }));
  return new Fleet(hosts, groups, diagnostics, documents, varsFiles, sshConfig, sshIndex);
}

/** Groups, hosts and their edges, with Ansible's rules for `all`, `ungrouped` and depth. */
class FleetGraph {
  readonly groups = new Map<string, GroupNode>();
  readonly hosts = new Map<string, HostNode>();
  private readonly childRefs: { parent: string; child: string; location: SourceLocation }[] = [];
  private readonly varsRefs: { group: string; location: SourceLocation }[] = [];
  private depthCache = new Map<string, number>();

  constructor() {
    this.group('all').declared = true;
    this.group('ungrouped').declared = true;
  }

  group(name: string): GroupNode {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, directHosts: [], children: [], parents: [], declarations: [], declared: false, origins: new Set(), inventoryVars: [], varsFiles: [] };
      this.groups.set(name, g);
    }
    return g;
  }

  host(name: string): HostNode {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, declarations: [], inventoryVars: [], varsFiles: [], inSshConfig: false };
      this.hosts.set(name, h);
    }
    return h;
  }

  addDocument(doc: InventoryDocument, diagnostics: InventoryDiagnostic[]): void {
    for (const decl of doc.groups) {
      const group = this.group(decl.name);
      group.origins.add('inventory');
      group.declarations.push({ file: doc.file, range: decl.range });
      if (decl.kind === 'vars') this.varsRefs.push({ group: decl.name, location: { file: doc.file, range: decl.nameRange } });
      else group.declared = true;
      for (const h of decl.hosts) {
        const portVar: VariableDeclaration[] =
          h.port !== undefined ? [{ name: 'ansible_port', value: h.port, range: h.range, nameRange: h.range, valueRange: h.range }] : [];
        for (const name of h.names) {
          const host = this.host(name);
          host.declarations.push({ file: doc.file, range: h.range });
          if (!group.directHosts.includes(name)) group.directHosts.push(name);
          if (portVar.length || h.vars.length) host.inventoryVars.push({ vars: [...portVar, ...h.vars], file: doc.file, scope: 'host' });
        }
      }
      for (const child of decl.children) {
        const location = { file: doc.file, range: child.range };
        this.childRefs.push({ parent: decl.name, child: child.name, location });
        this.link(decl.name, child.name, location, diagnostics);
      }
      if (decl.vars.length) group.inventoryVars.push({ vars: decl.vars, file: doc.file, scope: decl.name });
    }
  }

  private link(parent: string, child: string, location: SourceLocation, diagnostics: InventoryDiagnostic[]): void {
    const p = this.group(parent);
    const c = this.group(child);
    if (p.children.includes(child)) return;
    if (parent === child || this.reaches(child, parent)) {
      diagnostics.push({ ...location, severity: 'error', code: 'group-cycle', message: `group '${child}' cannot be a child of '${parent}': '${parent}' is already inside '${child}'` });
      return;
    }
    p.children.push(child);
    c.parents.push(parent);
  }

  private reaches(from: string, to: string): boolean {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
      const g = stack.pop()!;
      if (g === to) return true;
      if (seen.has(g)) continue;
      seen.add(g);
      stack.push(...(this.groups.get(g)?.children ?? []));
    }
    return false;
  }

  /** INI: a child or a `:vars` section must name a group defined somewhere (Ansible refuses the file otherwise). */
  checkDeclared(_documents: InventoryDocument[], diagnostics: InventoryDiagnostic[]): void {
    for (const ref of this.childRefs) {
      if (!this.group(ref.child).declared) {
        diagnostics.push({ ...ref.location, severity: 'error', code: 'undefined-group', message: `[${ref.parent}:children] names group '${ref.child}', which is not defined` });
      }
    }
    for (const ref of this.varsRefs) {
      if (!this.group(ref.group).declared) {
        diagnostics.push({ ...ref.location, severity: 'error', code: 'undefined-group', message: `[${ref.group}:vars] is for group '${ref.group}', which is not defined` });
      }
    }
  }

  /** Top groups become children of `all`; hosts in no group go to `ungrouped`. */
  finish(): void {
    const all = this.group('all');
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && !g.parents.length) {
        g.parents.push('all');
        all.children.push(g.name);
      }
    }
    const grouped = new Set<string>();
    for (const g of this.groups.values()) if (g.name !== 'all' && g.name !== 'ungrouped') for (const h of g.directHosts) grouped.add(h);
    const ungrouped = this.group('ungrouped');
    for (const h of this.hosts.keys()) if (!grouped.has(h) && !ungrouped.directHosts.includes(h)) ungrouped.directHosts.push(h);
    ungrouped.directHosts = ungrouped.directHosts.filter((h) => !grouped.has(h));
    all.directHosts = [];
    this.depthCache = new Map();
  }

  depth(name: string): number {
    const cached = this.depthCache.get(name);
    if (cached !== undefined) return cached;
    this.depthCache.set(name, 0);
    const g = this.groups.get(name);
    const d = name === 'all' || !g ? 0 : Math.max(0, ...g.parents.map((p) => this.depth(p) + 1));
    this.depthCache.set(name, d);
    return d;
  }

  /** Every group a host is in, `all` included. */
  groupsOf(host: string): string[] {
    const out = new Set<string>(['all']);
    const stack = [...this.groups.values()].filter((g) => g.directHosts.includes(host)).map((g) => g.name);
    while (stack.length) {
      const g = stack.pop()!;
      if (out.has(g)) continue;
      out.add(g);
      stack.push(...(this.groups.get(g)?.parents ?? []));
    }
    return [...out];
  }

  /** Hosts of a group and its descendants, in host order. */
  hostsOf(name: string): string[] {
    if (name === 'all') return [...this.hosts.keys()];
    const members = new Set<string>();
    const seen = new Set<string>();
    const stack = [name];
    while (stack.length) {
      const g = this.groups.get(stack.pop()!);
      if (!g || seen.has(g.name)) continue;
      seen.add(g.name);
      for (const h of g.directHosts) members.add(h);
      stack.push(...g.children);
    }
    return [...this.hosts.keys()].filter((h) => members.has(h));
  }

  /** Ansible's sort_groups: by depth, then ansible_group_priority, then name. */
  private sortGroups(names: string[]): GroupNode[] {
    const priority = (g: GroupNode) => {
      const v = [...g.inventoryVars, ...g.varsFiles].flatMap((l) => l.vars).filter((d) => d.name === 'ansible_group_priority').pop()?.value;
      const n = Number(v);
      return Number.isFinite(n) ? n : 1;
    };
    return names
      .map((n) => this.groups.get(n)!)
      .sort((a, b) => this.depth(a.name) - this.depth(b.name) || priority(a) - priority(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Ansible's order (vars/manager.py, DEFAULT VARIABLE_PRECEDENCE): `all`'s inventory variables,
   * then every other group's, in sorted order; then group_vars/all, then the other groups'
   * group_vars files in the same order (so any group_vars file beats any inventory group
   * variable); then the host's inventory variables; then host_vars. Later wins.
   */
  mergedVariables(host: HostNode): Map<string, MergedVariable> {
    const out = new Map<string, MergedVariable>();
    const apply = (layers: VarLayer[]) => {
      for (const layer of layers) {
        for (const v of layer.vars) {
          if (!usableVariable(v, layer)) continue;
          out.set(v.name, { value: v.value, provenance: { kind: 'inventory', file: layer.file, range: v.range, key: v.name, scope: layer.scope } });
        }
      }
    };
    const all = this.group('all');
    const others = this.sortGroups(this.groupsOf(host.name).filter((g) => g !== 'all'));
    apply(all.inventoryVars);
    for (const g of others) apply(g.inventoryVars);
    apply(all.varsFiles);
    for (const g of others) apply(g.varsFiles);
    apply(host.inventoryVars);
    apply(host.varsFiles);
    return out;
  }

  groupVariables(group: GroupNode): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const layer of [...group.inventoryVars, ...group.varsFiles]) {
      for (const v of layer.vars) if (usableVariable(v, layer)) out[v.name] = v.value;
    }
    return out;
  }
}

/**
 * Secrets and vault values are never kept; `ansible_group_priority` orders groups and, as in
 * Ansible, is not a variable of their hosts.
 */
function usableVariable(v: VariableDeclaration, layer: VarLayer): boolean {
  if (PLAIN_SECRET_VARIABLES.has(v.name) || v.value === VAULT_VALUE) return false;
  return !(v.name === 'ansible_group_priority' && layer.scope !== 'host');
}

/** Diagnostics for the variables of one layer, found once per declaration (not once per host). */
function checkVariables(layer: VarLayer, diagnostics: InventoryDiagnostic[]): void {
  for (const v of layer.vars) {
    const result = interpretVariable(v.name, v.value);
    if (result && !result.ok) {
      const range = result.problem.code === 'plain-secret' ? v.range : v.valueRange;
      if (!diagnostics.some((d) => d.file === layer.file && d.code === result.problem.code && sameRange(d.range, range))) {
        diagnostics.push({ file: layer.file, range, ...result.problem });
      }
    } else if (result?.ok && CONNECTION_VARIABLES.sshArgs.includes(v.name as never)) {
      const ignored = (result.value as SshArgsSettings).ignored;
      if (ignored.length && !diagnostics.some((d) => d.file === layer.file && sameRange(d.range, v.valueRange))) {
        diagnostics.push({
          file: layer.file,
          range: v.valueRange,
          severity: 'information',
          code: 'ignored-variable',
          message: `${v.name}: only -o ProxyJump=, -o ProxyCommand= and -J are used; ignored: ${ignored.join(' ')}`,
        });
      }
    }
  }
}

function sameRange(a: { start: { line: number; character: number }; end: { line: number; character: number } }, b: typeof a): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

/** One file giving the same host two different values for one variable: Ansible keeps the last, silently. */
function checkDuplicateHosts(documents: InventoryDocument[], diagnostics: InventoryDiagnostic[]): void {
  for (const doc of documents) {
    const seen = new Map<string, { value: string; group: string }>();
    for (const g of doc.groups) {
      for (const h of g.hosts) {
        const vars = h.port !== undefined ? [{ name: 'ansible_port', value: h.port, valueRange: h.range }, ...h.vars] : h.vars;
        for (const v of vars) {
          for (const name of h.names) {
            const key = `${name}\0${v.name}`;
            const value = JSON.stringify(v.value);
            const earlier = seen.get(key);
            if (earlier && earlier.value !== value) {
              diagnostics.push({
                file: doc.file,
                range: v.valueRange,
                severity: 'warning',
                code: 'duplicate-host',
                message: `host '${name}' has ${v.name} ${value} here but ${earlier.value} in group '${earlier.group}'; the later one wins`,
              });
            }
            seen.set(key, { value, group: g.name });
          }
        }
      }
    }
  }
}

function usable<T>(vars: Map<string, MergedVariable>, names: readonly string[]): { value: T; provenance: Provenance } | undefined {
  // The first spelling Ansible prefers wins over older ones when both are set.
  for (const name of names) {
    const v = vars.get(name);
    if (!v) continue;
    const r = interpretVariable(name, v.value);
    if (r?.ok) return { value: r.value as T, provenance: v.provenance };
  }
  return undefined;
}

function hostOverrides(vars: Map<string, MergedVariable>): HostOverrides {
  const args = sshArgs(vars);
  const become = usable<boolean>(vars, CONNECTION_VARIABLES.become);
  const becomeUser = usable<string>(vars, CONNECTION_VARIABLES.becomeUser);
  const becomeMethod = usable<string>(vars, CONNECTION_VARIABLES.becomeMethod);
  const key = usable<string>(vars, CONNECTION_VARIABLES.identityFiles);
  return {
    hostName: usable<string>(vars, CONNECTION_VARIABLES.address)?.value,
    port: usable<number>(vars, CONNECTION_VARIABLES.port)?.value,
    user: usable<string>(vars, CONNECTION_VARIABLES.user)?.value,
    identityFiles: key ? [key.value] : undefined,
    proxyJump: args.proxyJump?.value,
    proxyCommand: args.proxyJump ? undefined : args.proxyCommand?.value,
    shellType: usable<'sh' | 'powershell'>(vars, CONNECTION_VARIABLES.shellType)?.value,
    become:
      become || becomeUser || becomeMethod
        ? { enabled: become?.value ?? false, ...(becomeUser ? { user: becomeUser.value } : {}), ...(becomeMethod ? { method: becomeMethod.value } : {}) }
        : undefined,
  };
}

/** ProxyJump/ProxyCommand from ansible_ssh_common_args, then ansible_ssh_extra_args (ssh keeps the first). */
function sshArgs(vars: Map<string, MergedVariable>): { proxyJump?: { value: string; provenance: Provenance }; proxyCommand?: { value: string; provenance: Provenance } } {
  const out: ReturnType<typeof sshArgs> = {};
  for (const name of CONNECTION_VARIABLES.sshArgs) {
    const found = usable<SshArgsSettings>(vars, [name]);
    if (!found) continue;
    if (found.value.proxyJump !== undefined) out.proxyJump ??= { value: found.value.proxyJump, provenance: found.provenance };
    if (found.value.proxyCommand !== undefined) out.proxyCommand ??= { value: found.value.proxyCommand, provenance: found.provenance };
  }
  return out;
}

const SSH_KEYWORD: Partial<Record<FleetSetting, string>> = {
  address: 'HostName',
  port: 'Port',
  user: 'User',
  identityFiles: 'IdentityFile',
  jumpChain: 'ProxyJump',
  proxyCommand: 'ProxyCommand',
};

function fleetHost(node: HostNode, graph: FleetGraph, vars: Map<string, MergedVariable>, resolved: ResolvedHost, sshIndex: SshConfigIndex): FleetHost {
  const args = sshArgs(vars);
  const fromInventory: Partial<Record<FleetSetting, Provenance | undefined>> = {
    address: usable(vars, CONNECTION_VARIABLES.address)?.provenance,
    port: usable(vars, CONNECTION_VARIABLES.port)?.provenance,
    user: usable(vars, CONNECTION_VARIABLES.user)?.provenance,
    identityFiles: usable(vars, CONNECTION_VARIABLES.identityFiles)?.provenance,
    jumpChain: args.proxyJump?.provenance,
    proxyCommand: args.proxyCommand && !args.proxyJump ? args.proxyCommand.provenance : undefined,
    shellType: usable(vars, CONNECTION_VARIABLES.shellType)?.provenance,
    become: usable(vars, CONNECTION_VARIABLES.become)?.provenance,
    becomeUser: usable(vars, CONNECTION_VARIABLES.becomeUser)?.provenance,
    becomeMethod: usable(vars, CONNECTION_VARIABLES.becomeMethod)?.provenance,
  };
  const groups = graph.groupsOf(node.name).filter((g) => g !== 'all');
  return {
    ...describeResolved(node.name, resolved, sshIndex, fromInventory),
    groups: groups.sort(),
    vars: Object.fromEntries([...vars].map(([k, v]) => [k, v.value])),
    declarations: node.declarations,
    inSshConfig: node.inSshConfig,
  };
}

/** A resolved host's settings and where each came from: the inventory, an ssh_config line, the typed target, or a default. */
function describeResolved(
  spec: string,
  resolved: ResolvedHost,
  sshIndex: SshConfigIndex,
  fromInventory: Partial<Record<FleetSetting, Provenance | undefined>>,
): Omit<FleetHost, 'groups' | 'vars' | 'declarations' | 'inSshConfig'> {
  const target = parseHostTarget(spec);
  const typed: Partial<Record<FleetSetting, boolean>> = { port: target.port !== undefined, user: target.user !== undefined };
  const present: Record<FleetSetting, boolean> = {
    address: true,
    port: true,
    user: true,
    identityFiles: true,
    jumpChain: !!resolved.proxyJump,
    proxyCommand: !!resolved.proxyCommand,
    shellType: true,
    become: true,
    becomeUser: true,
    becomeMethod: true,
  };
  const provenance = {} as Record<FleetSetting, Provenance>;
  const applying = sshIndex.applying(target.host);
  for (const setting of FLEET_SETTINGS) {
    const keyword = SSH_KEYWORD[setting]?.toLowerCase();
    const line = keyword ? applying.find((d) => d.keyword.toLowerCase() === keyword) : undefined;
    provenance[setting] = typed[setting]
      ? { kind: 'target' }
      : (fromInventory[setting] ??
        (line && present[setting] ? { kind: 'sshConfig', file: line.file, range: line.range, key: line.keyword } : { kind: 'default' }));
  }
  return {
    name: spec,
    address: resolved.hostName,
    port: resolved.port,
    user: resolved.user,
    identityFiles: resolved.identityFiles,
    jumpChain: resolved.proxyJump ? resolved.proxyJump.split(',').map((h) => h.trim()).filter(Boolean) : [],
    ...(resolved.proxyCommand ? { proxyCommand: resolved.proxyCommand } : {}),
    shellType: resolved.shellType ?? 'sh',
    become: resolved.become ?? { enabled: false },
    provenance,
  };
}
