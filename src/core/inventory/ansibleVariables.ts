// The Ansible connection variables the engine acts on, read into settings. One place decides what
// a value means and what is wrong with it, so the runs, the sidebar and the language server agree.
import { shellSplit } from './iniInventory';
import type { DiagnosticSeverity, InventoryDiagnosticCode, ShellType } from './model';
import { VAULT_VALUE } from './yamlInventory';

/** Passwords written into an inventory: warned about, never used (secrets live in SecretStorage or are asked). */
export const PLAIN_SECRET_VARIABLES = new Set([
  'ansible_become_password',
  'ansible_become_pass',
  'ansible_password',
  'ansible_ssh_pass',
  'ansible_ssh_password',
  'ansible_sudo_pass',
  'ansible_su_pass',
]);

/** The variables the engine reads, and the older spellings Ansible still accepts for them. */
export const CONNECTION_VARIABLES = {
  address: ['ansible_host', 'ansible_ssh_host'],
  port: ['ansible_port', 'ansible_ssh_port'],
  user: ['ansible_user', 'ansible_ssh_user'],
  identityFiles: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
  sshArgs: ['ansible_ssh_common_args', 'ansible_ssh_extra_args'],
  shellType: ['ansible_shell_type'],
  become: ['ansible_become'],
  becomeUser: ['ansible_become_user'],
  becomeMethod: ['ansible_become_method'],
  connection: ['ansible_connection'],
} as const;

export interface VariableProblem {
  code: InventoryDiagnosticCode;
  severity: DiagnosticSeverity;
  message: string;
}

/** What one `-o`/`-J` list of ssh arguments gives the engine. */
export interface SshArgsSettings {
  proxyJump?: string;
  proxyCommand?: string;
  /** Arguments the engine does not act on. */
  ignored: string[];
}

/** `-o ProxyJump=x`, `-oProxyJump=x`, `-o "ProxyJump x"`, `-J x`, `-o ProxyCommand="ssh -W %h:%p b"`. */
export function parseSshArgs(text: string): SshArgsSettings {
  const tokens = shellSplit(text).map((t) => t.text);
  const out: SshArgsSettings = { ignored: [] };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '-J' || (t.startsWith('-J') && t.length > 2)) {
      const value = t === '-J' ? tokens[++i] : t.slice(2);
      if (value !== undefined) out.proxyJump ??= value;
      continue;
    }
    if (t === '-o' || (t.startsWith('-o') && t.length > 2)) {
      const option = t === '-o' ? tokens[++i] : t.slice(2);
      if (option === undefined) {
        out.ignored.push(t);
        continue;
      }
      const m = /^\s*([A-Za-z]+)\s*(?:=|\s)\s*(.*)$/s.exec(option);
      const key = m?.[1].toLowerCase();
      if (key === 'proxyjump') out.proxyJump ??= m![2];
      else if (key === 'proxycommand') out.proxyCommand ??= m![2];
      else out.ignored.push(`-o ${option}`);
      continue;
    }
    out.ignored.push(t);
  }
  return out;
}

/** Ansible's boolean(): yes/on/true/1/y/t (any case) and true/1 are true. */
export function ansibleBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  if (['yes', 'on', 'true', '1', 'y', 't'].includes(v)) return true;
  if (['no', 'off', 'false', '0', 'n', 'f', ''].includes(v)) return false;
  return undefined;
}

/** A value the engine can use, or why not. */
export type Interpreted<T> = { ok: true; value: T } | { ok: false; problem: VariableProblem };

const bad = (message: string, code: InventoryDiagnosticCode = 'bad-value', severity: DiagnosticSeverity = 'warning'): { ok: false; problem: VariableProblem } => ({
  ok: false,
  problem: { code, severity, message },
});

function text(name: string, value: unknown): Interpreted<string> {
  if (value === VAULT_VALUE) return bad(`${name} is vault-encrypted; vault is not supported, so it is ignored`, 'ignored-variable', 'information');
  if (value === null || value === undefined) return bad(`${name} has no value`);
  if (typeof value === 'object') return bad(`${name} must be a single value, not a list or mapping`);
  const s = String(value);
  if (s.includes('{{') || s.includes('{%')) return bad(`${name}: Jinja templates are not evaluated here, so '${s}' is ignored`, 'ignored-variable');
  return { ok: true, value: s };
}

/**
 * Reads one variable the engine acts on. Variables it does not act on return undefined (they
 * stay in the host's `vars` all the same).
 */
export function interpretVariable(name: string, value: unknown): Interpreted<unknown> | undefined {
  if (PLAIN_SECRET_VARIABLES.has(name)) {
    if (value === VAULT_VALUE) return bad(`${name} is vault-encrypted; vault is not supported, so it is ignored`, 'ignored-variable', 'information');
    return bad(
      `${name} is a password in a plain file: it is never used from here. Remove it; Remote Invoke asks for the password once per run (the extension can keep it in its secret storage).`,
      'plain-secret',
    );
  }
  const is = (list: readonly string[]) => list.includes(name);
  if (is(CONNECTION_VARIABLES.address) || is(CONNECTION_VARIABLES.user) || is(CONNECTION_VARIABLES.identityFiles) || is(CONNECTION_VARIABLES.becomeUser) || is(CONNECTION_VARIABLES.becomeMethod)) {
    const t = text(name, value);
    if (t.ok && !t.value.trim()) return bad(`${name} is empty`);
    return t.ok ? { ok: true, value: t.value.trim() } : t;
  }
  if (is(CONNECTION_VARIABLES.port)) {
    const t = text(name, value);
    if (!t.ok) return t;
    const n = Number(t.value);
    if (!/^\d+$/.test(t.value.trim()) || n < 1 || n > 65535) return bad(`${name} must be a port number (1-65535), got '${t.value}'`);
    return { ok: true, value: n };
  }
  if (is(CONNECTION_VARIABLES.sshArgs)) {
    const t = text(name, value);
    if (!t.ok) return t;
    try {
      return { ok: true, value: parseSshArgs(t.value) };
    } catch (err) {
      return bad(`${name}: ${(err as Error).message}`);
    }
  }
  if (is(CONNECTION_VARIABLES.shellType)) {
    const t = text(name, value);
    if (!t.ok) return t;
    const v = t.value.trim().toLowerCase();
    if (v === 'sh' || v === 'powershell') return { ok: true, value: v as ShellType };
    return bad(`${name} must be sh or powershell, got '${t.value}'`);
  }
  if (is(CONNECTION_VARIABLES.become)) {
    const b = ansibleBoolean(value);
    if (b === undefined) return bad(`${name} must be a boolean (true/false, yes/no), got '${String(value)}'`);
    return { ok: true, value: b };
  }
  if (is(CONNECTION_VARIABLES.connection)) {
    const t = text(name, value);
    if (!t.ok) return t;
    const v = t.value.trim();
    if (['ssh', 'smart', 'paramiko', 'ansible.builtin.ssh', 'ansible.builtin.paramiko_ssh', 'paramiko_ssh'].includes(v)) return { ok: true, value: v };
    return bad(`${name}=${v} is ignored: Remote Invoke always connects over SSH`, 'ignored-variable');
  }
  return undefined;
}
