import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import SSHConfig from 'ssh-config';
import type { StrictHostKeyChecking } from '../types';

/** Everything the engine needs to reach one host, after ssh_config and `[user@]host[:port]` are applied. */
export interface ResolvedHost {
  /** The name the user gave (alias), used to label output. */
  name: string;
  hostName: string;
  port: number;
  user: string;
  identityFiles: string[];
  identitiesOnly: boolean;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: StrictHostKeyChecking;
  hashKnownHosts: boolean;
  hostKeyAlias?: string;
  connectTimeoutMs?: number;
  serverAliveIntervalMs?: number;
  proxyJump?: string;
  /** ProxyCommand with its tokens expanded: its stdin and stdout carry the connection. */
  proxyCommand?: string;
  /**
   * ForwardAgent: false (the default), true (the agent of $SSH_AUTH_SOCK), or the agent socket
   * to forward (a path, or `$VAR` already read from the environment).
   */
  forwardAgent: boolean | string;
  /** From an inventory's ansible_shell_type; undefined = not said (a POSIX shell). */
  shellType?: 'sh' | 'powershell';
  /** From an inventory's ansible_become*; undefined = not said. */
  become?: { enabled: boolean; user?: string; method?: string };
}

/**
 * Settings that win over ssh_config for one name: an Ansible inventory's variables
 * (ansible_host, ansible_port, …). A `user@host:port` typed as the target still wins over them.
 */
export interface HostOverrides {
  hostName?: string;
  port?: number;
  user?: string;
  /** Tried before ssh_config's IdentityFiles (like `ssh -i`). */
  identityFiles?: string[];
  /** Replaces ssh_config's ProxyJump and ProxyCommand (a command-line `-o` is read first). */
  proxyJump?: string;
  /** Verbatim, `%` tokens unexpanded; replaces ssh_config's ProxyJump and ProxyCommand. */
  proxyCommand?: string;
  shellType?: 'sh' | 'powershell';
  become?: { enabled: boolean; user?: string; method?: string };
}

export interface HostTarget {
  /** Alias or host part as typed. */
  host: string;
  user?: string;
  port?: number;
}

/** `[user@]host[:port]`, with `[v6addr]:port` for IPv6. */
export function parseHostTarget(spec: string): HostTarget {
  let rest = spec.trim();
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at > 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    rest = bracketed[1];
    if (bracketed[2]) port = Number(bracketed[2]);
  } else {
    const m = /^([^:]+):(\d+)$/.exec(rest);
    if (m) {
      rest = m[1];
      port = Number(m[2]);
    }
  }
  return { host: rest, user, port };
}

export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}

export function defaultSshConfigPath(): string {
  return path.join(os.homedir(), '.ssh', 'config');
}

// OpenSSH expands Include globs itself; ssh-config parses but does not follow them, so they are
// spliced in here before parsing. Only `*` and `?` globbing in the last path component is
// supported, which is what Include lines use in practice.
function expandIncludes(text: string, baseDir: string, depth: number, readFile: ReadFile = readFileFromDisk, chain: string[] = []): string {
  if (depth > 16) return text;
  return text.replace(/^[ \t]*Include[ \t=]+(.+)$/gim, (_line, spec: string) =>
    spec
      .trim()
      .split(/\s+/)
      .flatMap((pattern) => globFiles(resolveIncludePath(pattern.replace(/^"|"$/g, ''), baseDir)))
      .map((file) => {
        // A file that includes itself would be spliced in 2^16 times by two such lines; OpenSSH
        // refuses the config ("Too many recursive configuration includes"), and so does this.
        if (chain.includes(path.resolve(file))) throw new IncludeLoopError([...chain, path.resolve(file)]);
        try {
          return expandIncludes(readFile(file), baseDir, depth + 1, readFile, [...chain, path.resolve(file)]);
        } catch (err) {
          if (err instanceof IncludeLoopError) throw err;
          return '';
        }
      })
      .join('\n'),
  );
}

/** An Include that leads back to a file being read. */
export class IncludeLoopError extends Error {
  override name = 'IncludeLoopError';
  constructor(readonly files: string[]) {
    super(`Include loop: ${files.join(' includes ')}`);
  }
}

/** Reads a file the config names; the language server passes one that prefers unsaved editor text. */
export type ReadFile = (file: string) => string;
const readFileFromDisk: ReadFile = (file) => fs.readFileSync(file, 'utf8');

/** Where relative `Include` paths start, as OpenSSH has it for a user's config. */
export function includeBaseDir(): string {
  return path.join(os.homedir(), '.ssh');
}

/** The files one `Include` pattern (a single word of the line) brings in, in the order they are read. */
export function includedFiles(pattern: string): string[] {
  return globFiles(resolveIncludePath(pattern.replace(/^"|"$/g, ''), includeBaseDir()));
}

export function resolveIncludePath(pattern: string, baseDir: string): string {
  const expanded = expandHome(pattern);
  return path.isAbsolute(expanded) ? expanded : path.join(baseDir, expanded);
}

export function globFiles(pattern: string): string[] {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (!/[*?]/.test(base)) return fs.existsSync(pattern) ? [pattern] : [];
  const re = new RegExp('^' + base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => re.test(f))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/**
 * OpenSSH hands a ProxyCommand to the shell as the rest of its line, verbatim; the ssh-config
 * parser would re-tokenise it (and move quotes). Each value is swapped for a placeholder before
 * parsing and swapped back when a host is resolved.
 */
const PROXY_COMMAND_LINE = /^([ \t]*ProxyCommand)([ \t]*=[ \t]*|[ \t]+)(.*?)[ \t\r]*$/gim;
const PROXY_COMMAND_PLACEHOLDER = /^__ri_proxy_command_(\d+)$/;

export function parseConfig(text: string): { config: SSHConfig; proxyCommands: string[] } {
  const proxyCommands: string[] = [];
  const protectedText = text.replace(PROXY_COMMAND_LINE, (_line, key: string, _sep: string, value: string) => {
    proxyCommands.push(value);
    return `${key} __ri_proxy_command_${proxyCommands.length - 1}`;
  });
  return { config: SSHConfig.parse(protectedText), proxyCommands };
}

interface ComputeCache {
  computed: Map<string, Record<string, string | string[]>>;
  /** Host blocks naming hosts literally, by lower-case name; every other line's index. */
  sections?: { literal: Map<string, number[]>; always: number[] };
}

/** A parsed ssh_config (with Includes followed), read once and queried per host. */
export class SshConfigFile {
  private readonly config: SSHConfig;
  private readonly proxyCommands: string[];

  private constructor(
    readonly filePath: string | undefined,
    parsed: { config: SSHConfig; proxyCommands: string[] },
    private readonly overrides?: (name: string) => HostOverrides | undefined,
    /** What ssh_config says per name, shared with the copies withOverrides() makes (overrides apply after). */
    private readonly cache: ComputeCache = { computed: new Map() },
  ) {
    ({ config: this.config, proxyCommands: this.proxyCommands } = parsed);
  }

  /**
   * The same ssh_config with per-name settings on top (an inventory's variables): what a run
   * over an inventory hands the engine as its `sshConfig`, so jump hosts resolve the same way.
   */
  withOverrides(overrides: (name: string) => HostOverrides | undefined): SshConfigFile {
    return new SshConfigFile(this.filePath, { config: this.config, proxyCommands: this.proxyCommands }, overrides, this.cache);
  }

  /** `Tag` values that apply to a name (OpenSSH 9.4+; the first Tag line wins, each word a group). */
  tags(name: string): string[] {
    const c = this.computeRaw(name, undefined);
    const v = c.tag;
    if (v === undefined) return [];
    const first = Array.isArray(v) ? v[0] : v;
    return first.split(/\s+/).filter(Boolean);
  }

  static load(filePath?: string): SshConfigFile {
    const resolved = filePath ? expandHome(filePath) : defaultSshConfigPath();
    let text = '';
    try {
      text = fs.readFileSync(resolved, 'utf8');
    } catch (err) {
      // An explicitly named file must exist; the default one may be absent.
      if (filePath) throw err;
    }
    const baseDir = path.join(os.homedir(), '.ssh');
    return new SshConfigFile(resolved, parseConfig(expandIncludes(text, baseDir, 0, undefined, [path.resolve(resolved)])));
  }

  /** `readFile` reads the Included files (default: from disk). */
  static fromText(text: string, readFile?: ReadFile, filePath?: string): SshConfigFile {
    return new SshConfigFile(filePath, parseConfig(expandIncludes(text, path.join(os.homedir(), '.ssh'), 0, readFile, filePath ? [path.resolve(filePath)] : [])));
  }

  /** Concrete Host aliases (no wildcards or negations), in file order. */
  hostAliases(): string[] {
    const seen = new Set<string>();
    for (const line of this.config) {
      if (line.type !== SSHConfig.DIRECTIVE || line.param.toLowerCase() !== 'host') continue;
      const values = Array.isArray(line.value) ? line.value.map((v) => v.val) : line.value.split(/\s+/);
      for (const v of values) if (v && !/[*?!]/.test(v)) seen.add(v);
    }
    return [...seen];
  }

  private readonly resolved = new Map<string, ResolvedHost>();

  /** Answers these names with these resolutions (a record's hosts as they resolved back then). */
  pin(hosts: ResolvedHost[]): this {
    for (const host of hosts) this.resolved.set(host.name, { ...host });
    return this;
  }

  /** ssh_config applied to a name (computed once per name: a fan-out resolves hundreds). */
  resolve(spec: string): ResolvedHost {
    let host = this.resolved.get(spec);
    if (!host) {
      host = this.compute(spec);
      this.resolved.set(spec, host);
    }
    return { ...host };
  }

  private compute(spec: string): ResolvedHost {
    const target = parseHostTarget(spec);
    const c = this.computeRaw(target.host, target.user);
    const one = (k: string): string | undefined => {
      const v = c[k];
      return Array.isArray(v) ? v[0] : v;
    };
    const many = (k: string): string[] => {
      const v = c[k];
      if (v === undefined) return [];
      return (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(/\s+/)).filter(Boolean);
    };
    const o = this.overrides?.(target.host) ?? {};
    const hostName = o.hostName ?? expandTokens(one('hostname') ?? target.host, target.host, '', 0);
    const port = target.port ?? o.port ?? Number(one('port') ?? 22);
    const user = target.user ?? o.user ?? one('user') ?? localUserName();
    const tokens = (p: string) => expandHome(expandTokens(p, hostName, user, port, target.host));
    const identityFiles = [...(o.identityFiles ?? []).map(expandHome), ...many('identityfile').map(tokens)];
    const knownHosts = many('userknownhostsfile').map(tokens);
    const seconds = (k: string) => (one(k) !== undefined ? Number(one(k)) * 1000 : undefined);
    const overridesProxy = o.proxyJump !== undefined || o.proxyCommand !== undefined;
    const proxyCommand = overridesProxy ? o.proxyCommand : this.rawProxyCommand(one('proxycommand'));
    const proxyJump = overridesProxy ? o.proxyJump : one('proxyjump');
    return {
      name: spec,
      hostName,
      port,
      user,
      identityFiles: identityFiles.length ? identityFiles : defaultIdentityFiles(),
      identitiesOnly: yes(one('identitiesonly')),
      userKnownHostsFiles: knownHosts.length
        ? knownHosts
        : [path.join(os.homedir(), '.ssh', 'known_hosts'), path.join(os.homedir(), '.ssh', 'known_hosts2')],
      globalKnownHostsFiles: many('globalknownhostsfile').length
        ? many('globalknownhostsfile').map(tokens)
        : ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
      strictHostKeyChecking: parseStrictHostKeyChecking(one('stricthostkeychecking')) ?? 'ask',
      hashKnownHosts: yes(one('hashknownhosts')),
      hostKeyAlias: one('hostkeyalias'),
      connectTimeoutMs: seconds('connecttimeout'),
      serverAliveIntervalMs: seconds('serveraliveinterval'),
      proxyJump: proxyJump && proxyJump !== 'none' ? proxyJump : undefined,
      proxyCommand: proxyCommand && proxyCommand !== 'none' ? expandTokens(proxyCommand, hostName, user, port, target.host) : undefined,
      forwardAgent: parseForwardAgent(one('forwardagent'), tokens),
      ...(o.shellType ? { shellType: o.shellType } : {}),
      ...(o.become ? { become: o.become } : {}),
    };
  }


  /**
   * ssh-config's compute() walks every Host block for every name (2,000 hosts, 2,000 blocks:
   * millions of pattern matches). It is given only the lines that can apply: everything but the
   * Host blocks naming other hosts literally. Same lines, same order, same answer.
   */
  private computeRaw(host: string, user: string | undefined): Record<string, string | string[]> {
    const key = `${host}\0${user ?? ''}`;
    let c = this.cache.computed.get(key);
    if (!c) {
      c = this.relevantLines(host).compute({ Host: host, User: user }, { ignoreCase: true, matchExec: false });
      this.cache.computed.set(key, c);
    }
    return c;
  }

  private relevantLines(host: string): SSHConfig {
    if (!this.cache.sections) {
      const literal = new Map<string, number[]>();
      const always: number[] = [];
      // A canonicalised name is matched again under its new name: no shortcut then.
      const canonicalises = /^[ \t]*CanonicalizeHostName[ \t=]+(yes|always)/im.test(this.config.toString());
      this.config.forEach((line, i) => {
        if (!canonicalises && line.type === SSHConfig.DIRECTIVE && line.param.toLowerCase() === 'host') {
          const names = (Array.isArray(line.value) ? line.value.map((v) => v.val) : line.value.split(/[\s,]+/)).filter(Boolean);
          if (names.length && names.every((n) => !/[*?!]/.test(n))) {
            for (const n of new Set(names.map((x) => x.toLowerCase()))) literal.set(n, [...(literal.get(n) ?? []), i]);
            return;
          }
        }
        always.push(i);
      });
      this.cache.sections = { literal, always };
    }
    const { literal, always } = this.cache.sections;
    const own = literal.get(host.toLowerCase()) ?? [];
    const lines = SSHConfig.parse('');
    for (const i of [...always, ...own].sort((a, b) => a - b)) lines.push(this.config[i]);
    return lines;
  }

  /** The verbatim ProxyCommand behind a placeholder the parser returned. */
  private rawProxyCommand(placeholder: string | undefined): string | undefined {
    const match = placeholder ? PROXY_COMMAND_PLACEHOLDER.exec(placeholder) : null;
    return match ? this.proxyCommands[Number(match[1])] : undefined;
  }
}

/** ForwardAgent yes|no|PATH|$VAR, as OpenSSH reads it. */
function parseForwardAgent(v: string | undefined, tokens: (p: string) => string): boolean | string {
  if (v === undefined || /^(no|false)$/i.test(v)) return false;
  if (/^(yes|true)$/i.test(v)) return true;
  if (v.startsWith('$')) return process.env[v.slice(1)] || false;
  return tokens(v);
}

function yes(v: string | undefined): boolean {
  return v !== undefined && /^(yes|true)$/i.test(v);
}

export function parseStrictHostKeyChecking(v: string | undefined): StrictHostKeyChecking | undefined {
  if (v === undefined) return undefined;
  const s = v.toLowerCase();
  if (s === 'yes' || s === 'true') return 'yes';
  if (s === 'no' || s === 'off' || s === 'false') return 'no';
  if (s === 'accept-new') return 'accept-new';
  if (s === 'ask') return 'ask';
  return undefined;
}

function defaultIdentityFiles(): string[] {
  const dir = path.join(os.homedir(), '.ssh');
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => path.join(dir, f));
}

/** The ssh_config `%` tokens that make sense without a live connection. */
export function expandTokens(value: string, host: string, user: string, port: number, alias = host): string {
  return value.replace(/%([%hdurpln])/g, (_m, t: string) => {
    switch (t) {
      case '%':
        return '%';
      case 'n':
        return alias;
      case 'h':
        return host;
      case 'd':
        return os.homedir();
      case 'u':
        return localUserName();
      case 'r':
        return user;
      case 'p':
        return String(port);
      case 'l':
        return os.hostname();
      default:
        return _m;
    }
  });
}

let cachedUserName: string | undefined;

/** The local user (os.userInfo() is a system call; a fleet of 2,000 hosts asks 4,000 times). */
function localUserName(): string {
  cachedUserName ??= os.userInfo().username;
  return cachedUserName;
}
