// The fleet model: hosts and groups read from ssh_config and Ansible inventories, with where each
// piece came from. Three consumers share it: the CLI (targets, `hosts`), the sidebar (groups,
// provenance) and the language server (diagnostics, definitions, symbols), so every parsed piece
// keeps its source range.

/** Zero-based, like LSP's Position: `character` counts UTF-16 code units, as JavaScript strings do. */
export interface SourcePosition {
  line: number;
  character: number;
}

/** End exclusive, like LSP's Range. */
export interface SourceRange {
  start: SourcePosition;
  end: SourcePosition;
}

/** A range in a named file. */
export interface SourceLocation {
  file: string;
  range: SourceRange;
}

export type DiagnosticSeverity = 'error' | 'warning' | 'information';

/** Stable codes, so the language server can attach quick fixes and tests can check the kind. */
export type InventoryDiagnosticCode =
  | 'syntax' // a line or node the format does not allow
  | 'bad-range' // a host range Ansible would refuse (`[1:]`, `[01:5]`, `[b:a]`)
  | 'empty-range' // a range that expands to no host (`[5:1]`)
  | 'undefined-group' // a `children` entry or `:vars` section naming a group that is never defined
  | 'group-cycle' // a group that is (indirectly) its own child
  | 'plain-secret' // ansible_become_password and friends in a plain file: ignored
  | 'ignored-variable' // an ansible_* variable the engine does not act on (or a part of one)
  | 'bad-value' // ansible_port abc, ansible_shell_type cmd, …
  | 'unreadable' // a file that could not be read
  | 'duplicate-host'; // the same host given conflicting values for one variable in one file

export interface InventoryDiagnostic {
  file: string;
  range: SourceRange;
  severity: DiagnosticSeverity;
  code: InventoryDiagnosticCode;
  message: string;
}

/** A variable as written: `ansible_port=2222` on a host line, a `[g:vars]` line, a YAML key. */
export interface VariableDeclaration {
  name: string;
  /** INI values: strings, except inline host values Ansible reads as Python literals (numbers, True/False). YAML: what the YAML says. */
  value: unknown;
  /** The whole `name=value` / `name: value`. */
  range: SourceRange;
  nameRange: SourceRange;
  valueRange: SourceRange;
}

/** One host line (INI) or key under `hosts:` (YAML). A range pattern declares many hosts. */
export interface HostDeclaration {
  /** As written, with any range: `web[01:20].example.com`. Without a `:port` suffix. */
  pattern: string;
  /** The hosts it declares, after range expansion (empty if the range is bad or empty). */
  names: string[];
  /** `host:2222` shorthand for ansible_port. */
  port?: number;
  /** The pattern (and port) text. */
  range: SourceRange;
  /** Inline variables (INI `k=v` after the host, YAML mapping under the host). */
  vars: VariableDeclaration[];
}

/** A reference to a group by name, e.g. a line of `[web:children]` or a key under `children:`. */
export interface GroupReference {
  name: string;
  range: SourceRange;
}

/**
 * One place a group is declared. INI: a section `[web]`, `[web:children]` or `[web:vars]` (a group
 * can have all three). YAML: one mapping `web:` (a group can appear under several parents).
 */
export interface GroupDeclaration {
  name: string;
  kind: 'hosts' | 'children' | 'vars' | 'yaml';
  /** The name in the header / key: where go-to-definition lands. */
  nameRange: SourceRange;
  /** Header through the last line of the section / block: the outline symbol's extent. */
  range: SourceRange;
  hosts: HostDeclaration[];
  children: GroupReference[];
  vars: VariableDeclaration[];
  /** The group this block sits under in YAML (`children:` of …); undefined at the top or in INI. */
  parent?: string;
}

/** A parsed inventory file (INI or YAML), positions kept, nothing resolved yet. */
export interface InventoryDocument {
  file: string;
  format: 'ini' | 'yaml';
  groups: GroupDeclaration[];
  diagnostics: InventoryDiagnostic[];
}

/** Variables from a `group_vars/NAME…` or `host_vars/NAME…` file or directory entry. */
export interface VarsFile {
  file: string;
  /** group or host name */
  target: string;
  kind: 'group' | 'host';
  vars: VariableDeclaration[];
  diagnostics: InventoryDiagnostic[];
}

/** Which settings of a host carry provenance. */
export type FleetSetting = 'address' | 'port' | 'user' | 'identityFiles' | 'jumpChain' | 'proxyCommand' | 'shellType' | 'become' | 'becomeUser' | 'becomeMethod';

export const FLEET_SETTINGS: readonly FleetSetting[] = [
  'address',
  'port',
  'user',
  'identityFiles',
  'jumpChain',
  'proxyCommand',
  'shellType',
  'become',
  'becomeUser',
  'becomeMethod',
];

/** Where one setting's value came from. */
export interface Provenance {
  /** `sshConfig`: a directive; `inventory`: an Ansible variable; `default`: nobody set it; `target`: typed as `user@host:port`. */
  kind: 'sshConfig' | 'inventory' | 'default' | 'target';
  file?: string;
  range?: SourceRange;
  /** The directive or variable: `Port`, `ansible_port`, `ansible_ssh_common_args`. */
  key?: string;
  /** For inventory variables: `host`, or the group whose variables supplied it. */
  scope?: string;
}

export type ShellType = 'sh' | 'powershell';

export interface BecomeSettings {
  /** ansible_become: run as another user (sudo). */
  enabled: boolean;
  /** ansible_become_user; undefined = root. */
  user?: string;
  /** ansible_become_method; undefined = sudo. */
  method?: string;
}

/** One host of the fleet, resolved: what the engine will connect to, and why. */
export interface FleetHost {
  /** The inventory name / ssh_config alias: what `-H` and output labels use. */
  name: string;
  /** HostName / ansible_host. */
  address: string;
  port: number;
  user: string;
  identityFiles: string[];
  /** ProxyJump hops in order, each a name resolved again through the fleet. */
  jumpChain: string[];
  proxyCommand?: string;
  shellType: ShellType;
  become: BecomeSettings;
  /** Every group the host is in, ancestors included, sorted; `all` left out; `ungrouped` when it is in no other. */
  groups: string[];
  /** Merged inventory variables (Ansible precedence), secrets removed. */
  vars: Record<string, unknown>;
  /** Where the host is declared: ssh_config `Host` lines and inventory host lines, in reading order. */
  declarations: SourceLocation[];
  /** Where each setting came from. Every FleetSetting has an entry. */
  provenance: Record<FleetSetting, Provenance>;
  /** ssh_config has a `Host` entry naming it exactly. */
  inSshConfig: boolean;
}

export interface FleetGroup {
  name: string;
  /** Every host in the group or in its descendants, in fleet order. */
  hosts: string[];
  /** Hosts listed in the group itself. */
  directHosts: string[];
  children: string[];
  parents: string[];
  /** The group's own variables (group_vars and inventory, merged). */
  vars: Record<string, unknown>;
  /** Inventory sections/blocks, and ssh_config `Tag` lines, that declare it. */
  declarations: SourceLocation[];
  /** Where the group came from: Ansible inventory, ssh_config `Tag`, or both. */
  origins: ('inventory' | 'sshConfigTag')[];
}

export interface LoadFleetOptions {
  /** The ssh_config (Includes followed); default ~/.ssh/config. Ignored when `sshConfig` is given. */
  sshConfigPath?: string;
  /** An already-parsed ssh_config (from SshConfigFile.load/fromText). */
  sshConfig?: import('./sshConfig').SshConfigFile;
  /** Ansible inventories, INI or YAML (by extension `.yml`/`.yaml`/`.json`, else by content). */
  inventoryFiles?: string[];
  /** Read a file's text (the language server passes unsaved editor buffers); default fs. */
  readFile?: (file: string) => string;
}
