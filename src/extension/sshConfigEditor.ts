// Text-level edits of an ssh_config file: add a Host block, find one, remove one. The file is the
// user's, so an edit touches only the block in question and leaves every other byte as it was
// (ssh-config's stringify normalises whitespace and comments, so it only renders new blocks here).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import SSHConfig from 'ssh-config';
import { splitCommandLine } from './commandLine';

/** What the user typed in Add Host: `user@host[:port]` or an `ssh …` command line. */
export interface HostSpec {
  host: string;
  user?: string;
  port?: number;
  identityFile?: string;
  proxyJump?: string;
  /** `-o Key=Value` options from an ssh command line. */
  options: [string, string][];
}

/** Parses `user@host[:port]`, `[v6]:port` or `ssh [-p port] [-l user] [-i key] [-J jump] [-o K=V] [user@]host`. */
export function parseHostSpec(input: string): HostSpec {
  const words = splitCommandLine(input.trim());
  if (!words.length) throw new Error('enter user@host[:port] or an ssh command');
  const spec: HostSpec = { host: '', options: [] };
  let target: string | undefined;
  if (words[0] === 'ssh' || words[0].endsWith('/ssh')) {
    const takesValue = new Set('bBcDEeFIiJLlmOopQRSWw'.split(''));
    for (let i = 1; i < words.length; i++) {
      const w = words[i];
      if (w.startsWith('-') && w.length > 1 && !target) {
        const flag = w[1];
        if (!takesValue.has(flag)) continue; // -v, -A, -4 …: not recorded
        const value = w.length > 2 ? w.slice(2) : words[++i];
        if (value === undefined) throw new Error(`${w} needs a value`);
        if (flag === 'p') spec.port = parsePort(value);
        else if (flag === 'l') spec.user = value;
        else if (flag === 'i') spec.identityFile = value;
        else if (flag === 'J') spec.proxyJump = value;
        else if (flag === 'o') {
          const m = /^\s*(\w+)\s*[= ]\s*(.+)$/.exec(value);
          if (!m) throw new Error(`cannot read -o ${value}`);
          spec.options.push([m[1], m[2].trim()]);
        }
      } else if (!target) {
        target = w;
      } else {
        throw new Error('a remote command is not part of a host; enter just the connection');
      }
    }
    if (!target) throw new Error('the ssh command names no host');
  } else {
    if (words.length > 1) throw new Error('enter one user@host[:port]');
    target = words[0];
  }
  if (target.startsWith('ssh://')) {
    const url = new URL(target);
    spec.host = url.hostname.replace(/^\[|\]$/g, '');
    if (url.username) spec.user = decodeURIComponent(url.username);
    if (url.port) spec.port = parsePort(url.port);
    return spec;
  }
  const at = target.lastIndexOf('@');
  if (at > 0) {
    spec.user = target.slice(0, at);
    target = target.slice(at + 1);
  }
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(target);
  const hostPort = /^([^:]+):(\d+)$/.exec(target);
  if (bracketed) {
    spec.host = bracketed[1];
    if (bracketed[2]) spec.port = parsePort(bracketed[2]);
  } else if (hostPort) {
    spec.host = hostPort[1];
    spec.port = parsePort(hostPort[2]);
  } else {
    spec.host = target;
  }
  if (!spec.host || /[\s@]/.test(spec.host)) throw new Error(`"${spec.host}" is not a host name or address`);
  return spec;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`"${text}" is not a port`);
  return port;
}

/** A Host alias: one ssh_config pattern without wildcards or negation. */
export function validateAlias(alias: string): string | undefined {
  if (!alias.trim()) return 'enter a name for the host';
  if (/\s/.test(alias)) return 'the name cannot contain spaces';
  if (/[*?!,#"]/.test(alias)) return 'the name cannot contain * ? ! , # or quotes';
  return undefined;
}

/** The name suggested for a new host: its host name's first label, or the address as is. */
export function suggestAlias(spec: HostSpec): string {
  if (/^[\d.]+$/.test(spec.host) || spec.host.includes(':')) return spec.host;
  return spec.host.split('.')[0];
}

/** The Host block for a new host, rendered by ssh-config. */
export function renderHostBlock(alias: string, spec: HostSpec): string {
  const config = SSHConfig.parse('');
  const section: Record<string, string> = { Host: alias, HostName: spec.host };
  if (spec.user) section.User = spec.user;
  if (spec.port && spec.port !== 22) section.Port = String(spec.port);
  if (spec.identityFile) section.IdentityFile = spec.identityFile;
  if (spec.proxyJump) section.ProxyJump = spec.proxyJump;
  for (const [k, v] of spec.options) section[k] = v;
  config.append(section);
  return SSHConfig.stringify(config);
}

/** `text` with `block` appended after one blank line; the existing text is kept byte for byte. */
export function appendBlock(text: string, block: string): string {
  if (!text.trim()) return text + block;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let sep = text.endsWith('\n') ? '' : eol;
  if (!/\n\s*\n$/.test(text + sep)) sep += eol;
  return text + sep + (eol === '\r\n' ? block.replace(/\n/g, '\r\n') : block);
}

const HOST_LINE = /^[ \t]*(host|match)(?:[ \t]*=[ \t]*|[ \t]+)(.*)$/i;

/** `Host *` (or `Host * !x`) and `Match all`: blocks that apply to every host. */
function isCatchAll(keyword: string, rest: string): boolean {
  const patterns = hostPatterns(rest);
  return keyword.toLowerCase() === 'host' ? patterns.includes('*') : patterns.length === 1 && patterns[0].toLowerCase() === 'all';
}

/**
 * `text` with `block` added where it takes effect: before the first catch-all block (`Host *`,
 * `Match all`) and the comment lines directly above it — ssh uses the first value it finds, so
 * a block after `Host *` would lose to it — or else at the end. The rest is kept byte for byte.
 * `line` is the 0-based line the new block starts on.
 */
export function insertHostBlock(text: string, block: string): { text: string; line: number; beforeCatchAll: string | undefined } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  let at = lines.findIndex((l) => {
    const m = HOST_LINE.exec(l);
    return !!m && isCatchAll(m[1], m[2]);
  });
  if (at < 0) {
    const appended = appendBlock(text, block);
    return { text: appended, line: appended.slice(0, appended.length - block.length).split(/\r?\n/).length - 1, beforeCatchAll: undefined };
  }
  const catchAll = lines[at].trim();
  while (at > 0 && /^[ \t]*#/.test(lines[at - 1])) at--;
  const body = (eol === '\r\n' ? block.replace(/\n/g, '\r\n') : block).replace(/(\r?\n)*$/, '');
  const needsBlankBefore = at > 0 && lines[at - 1].trim() !== '';
  const inserted = [...(needsBlankBefore ? [''] : []), ...body.split(/\r?\n/), ''];
  const out = [...lines.slice(0, at), ...inserted, ...lines.slice(at)];
  return { text: out.join(eol), line: at + (needsBlankBefore ? 1 : 0), beforeCatchAll: catchAll };
}

export interface HostBlock {
  /** 0-based line of the `Host` line. */
  line: number;
  /** The patterns on that `Host` line. */
  patterns: string[];
}

function hostPatterns(rest: string): string[] {
  return rest
    .replace(/[ \t]#.*$/, '')
    .trim()
    .split(/[ \t]+/)
    .map((p) => p.replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);
}

/** Host blocks in `text` (this file only) whose patterns include `alias` literally. */
export function findHostBlocks(text: string, alias: string): HostBlock[] {
  const lines = text.split(/\r?\n/);
  const found: HostBlock[] = [];
  lines.forEach((l, i) => {
    const m = HOST_LINE.exec(l);
    if (m && m[1].toLowerCase() === 'host') {
      const patterns = hostPatterns(m[2]);
      if (patterns.some((p) => p.toLowerCase() === alias.toLowerCase())) found.push({ line: i, patterns });
    }
  });
  return found;
}

export type RemoveOutcome = { removed: true; text: string } | { removed: false; reason: string; line?: number };

/**
 * Removes the Host block of `alias` when that can be done cleanly: exactly one block names it,
 * and it names nothing else. The comment lines directly above the block go with it; the blank
 * line separating its neighbours stays.
 */
export function removeHostBlock(text: string, alias: string): RemoveOutcome {
  const blocks = findHostBlocks(text, alias);
  if (blocks.length === 0) return { removed: false, reason: `no Host block for ${alias} in this file` };
  if (blocks.length > 1) return { removed: false, reason: `${blocks.length} Host blocks name ${alias}`, line: blocks[0].line };
  const [block] = blocks;
  if (block.patterns.length > 1) {
    return { removed: false, reason: `its Host line also names ${block.patterns.filter((p) => p !== alias).join(' ')}`, line: block.line };
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  let next = block.line + 1;
  while (next < lines.length && !HOST_LINE.test(lines[next])) next++;
  // The block ends at its last directive: blank and comment lines after it introduce what follows.
  let last = next - 1;
  while (last > block.line && /^[ \t]*(#.*)?$/.test(lines[last])) last--;
  // …except indented comments right under it, which are part of its body.
  while (last + 1 < next && /^[ \t]+#/.test(lines[last + 1])) last++;
  // Comment lines directly above the Host line describe it and go with it.
  let start = block.line;
  while (start > 0 && /^[ \t]*#/.test(lines[start - 1])) start--;
  const before = lines.slice(0, start);
  const after = lines.slice(last + 1);
  while (after.length && after[0].trim() === '') after.shift();
  if (before.length && before[before.length - 1].trim() !== '' && after.some((l) => l.trim() !== '')) before.push('');
  let result = [...before, ...after].join(eol);
  if (/\n$/.test(text) && result && !result.endsWith('\n')) result += eol;
  return { removed: true, text: result };
}

function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  return p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

/** The files an ssh_config pulls in with `Include`, in order (relative paths are under ~/.ssh, as OpenSSH does for user configs). */
function includedFiles(text: string): string[] {
  const files: string[] = [];
  for (const m of text.matchAll(/^[ \t]*Include[ \t=]+(.+)$/gim)) {
    for (const raw of m[1].trim().split(/[ \t]+/)) {
      const pattern = expandHome(raw.replace(/^"|"$/g, ''));
      const abs = path.isAbsolute(pattern) ? pattern : path.join(os.homedir(), '.ssh', pattern);
      const dir = path.dirname(abs);
      const base = path.basename(abs);
      if (!/[*?]/.test(base)) {
        files.push(abs);
        continue;
      }
      const re = new RegExp('^' + base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
      try {
        files.push(...fs.readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => path.join(dir, f)));
      } catch {
        /* no such directory */
      }
    }
  }
  return files;
}

/** Where `alias` is defined: the config file itself first, then its Includes. */
export function locateHost(configFile: string, alias: string, depth = 0): { file: string; line: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(configFile, 'utf8');
  } catch {
    return undefined;
  }
  const [block] = findHostBlocks(text, alias);
  if (block) return { file: configFile, line: block.line };
  if (depth > 8) return undefined;
  for (const inc of includedFiles(text)) {
    const found = locateHost(inc, alias, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** The config file and every file it includes (for watching). */
export function configFiles(configFile: string, depth = 0): string[] {
  let text = '';
  try {
    text = fs.readFileSync(configFile, 'utf8');
  } catch {
    return [configFile];
  }
  if (depth > 8) return [configFile];
  return [configFile, ...includedFiles(text).flatMap((f) => configFiles(f, depth + 1))];
}
