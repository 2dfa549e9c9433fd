// Ansible's host pattern language, the same for `-H`, `remote-invoke hosts` and the extension's
// quick pick: `web:&prod:!web3`, `~web0[1-3]`, `web*`, `web[01:05]`, `@servers.txt`, `@failed`.
import * as fs from 'node:fs';
import { expandHostRange, HostRangeError } from './hostRange';

/** A pattern (or one of its terms) that cannot be used: the CLI exits 2 naming it. */
export class PatternError extends Error {
  override name = 'PatternError';
  constructor(
    /** The pattern or term at fault, as the user typed it. */
    readonly pattern: string,
    message: string,
  ) {
    super(message);
  }
}

export type PatternOperator = 'union' | 'intersection' | 'exclusion';

/**
 * How a term selects hosts:
 * - `name`: a host or group name, else a literal `[user@]host[:port]` target (as before patterns);
 * - `wildcard` (`*`, `?`), `regex` (`~…`), `range` (`[a:b]`): match the fleet's hosts and groups;
 * - `file` (`@FILE`): the names in a file, one per line; `failed` (`@failed`): the last run's failures.
 */
export type PatternTermKind = 'name' | 'wildcard' | 'regex' | 'range' | 'file' | 'failed';

export interface PatternTerm {
  operator: PatternOperator;
  kind: PatternTermKind;
  /** Without its operator prefix. */
  text: string;
  /** As typed, with its operator prefix: what an error names. */
  source: string;
}

/** What a pattern is matched against: the fleet's names, in order, and the groups' members. */
export interface PatternScope {
  /** Every host name, in fleet order. */
  hostNames: readonly string[];
  /** Group name → its hosts (descendants included). */
  groupHosts(name: string): readonly string[] | undefined;
  groupNames: readonly string[];
}

export interface PatternOptions {
  /** `@failed`: the hosts that did not complete in the last run (see LastRunStore). */
  failedHosts?: () => string[];
  /** `@FILE`: read a file of names; default fs (UTF-8). */
  readFile?: (file: string) => string;
}

/**
 * Splits a pattern into terms. Ansible's rules: `,` separates terms; so does `:` when there is
 * no `,`, except inside `[…]`. For the targets that worked before patterns, a `:` followed by
 * digits only is a port (`web1:2222`, `user@10.0.0.1:22`), a bare IPv6 address is one term, and
 * so is `[v6]:port`.
 */
export function splitPattern(pattern: string): PatternTerm[] {
  const pieces = splitOutside(pattern, ',').flatMap((piece) => splitColons(piece.trim()));
  return pieces.filter(Boolean).map(term);
}

function term(source: string): PatternTerm {
  let operator: PatternOperator = 'union';
  let text = source;
  if (text.startsWith('&')) {
    operator = 'intersection';
    text = text.slice(1);
  } else if (text.startsWith('!')) {
    operator = 'exclusion';
    text = text.slice(1);
  }
  return { operator, kind: termKind(text), text, source };
}

function termKind(text: string): PatternTermKind {
  if (text === '@failed') return 'failed';
  if (text.startsWith('@')) return 'file';
  if (text.startsWith('~')) return 'regex';
  if (/[*?]/.test(text)) return 'wildcard';
  if (/\[[^\]]*\]/.test(text) && !V6_LITERAL.test(text)) return 'range';
  return 'name';
}

/** `[v6]`, `user@[v6]:port`: an IPv6 address (two colons or more) in brackets is a literal target, not a range. */
const V6_LITERAL = /^([^@]*@)?\[[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*\](:\d+)?$/;
/** A bare IPv6 address: `::1`, `fe80::1`, or all eight groups. */
const V6_BARE = /^([^@]*@)?([0-9A-Fa-f:.]*::[0-9A-Fa-f:.]*|([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4})$/;

function splitOutside(text: string, separator: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '[') depth++;
    else if (text[i] === ']') depth = Math.max(0, depth - 1);
    else if (text[i] === separator && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

function splitColons(piece: string): string[] {
  if (!piece) return [];
  const bare = piece.replace(/^[&!]/, '');
  if (V6_BARE.test(bare) || V6_LITERAL.test(bare)) return [piece];
  if (piece.startsWith('~')) return [piece]; // a regex may hold `:` (e.g. `(?:…)`)
  const parts = splitOutside(piece, ':');
  const out: string[] = [];
  for (const part of parts) {
    const previous = out[out.length - 1];
    if (/^\d+$/.test(part) && previous !== undefined && termKind(previous.replace(/^[&!]/, '')) === 'name' && !/:\d+$/.test(previous)) {
      out[out.length - 1] = `${previous}:${part}`;
    } else out.push(part);
  }
  return out.map((p) => p.trim()).filter(Boolean);
}

/** Python's fnmatch: `*`, `?`, `[seq]`, `[!seq]`; whole-name match. */
function wildcardRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

/**
 * The targets a pattern selects, in order: fleet host names, and (for plain names the fleet does
 * not know) the literal `[user@]host[:port]` as typed. Ansible's evaluation: union terms in
 * order, then every `&` term, then every `!` term; with no union term the start is every host.
 *
 * Throws PatternError when a term that selects from the fleet (group, wildcard, regex, range,
 * `@FILE`, `@failed`) matches nothing, when a file or regex is bad, and when the whole pattern
 * ends up with no host. A plain name the fleet does not know is a literal target, never an error.
 */
export function resolvePattern(pattern: string, scope: PatternScope, options: PatternOptions = {}): string[] {
  const terms = splitPattern(pattern);
  if (!terms.length) throw new PatternError(pattern, `empty host pattern '${pattern}'`);
  const unions = terms.filter((t) => t.operator === 'union');
  const selected: string[] = [];
  const seen = new Set<string>();
  const add = (names: readonly string[]) => {
    for (const n of names) {
      if (!seen.has(n)) {
        seen.add(n);
        selected.push(n);
      }
    }
  };
  if (!unions.length) add(scope.hostNames);
  for (const t of unions) {
    const matched = matchTerm(t, scope, options, true);
    if (!matched.length) throw new PatternError(t.source, `host pattern '${t.source}' matches no host`);
    add(matched);
  }
  let result = selected;
  for (const t of terms.filter((x) => x.operator === 'intersection')) {
    const keep = new Set(matchTerm(t, scope, options, false));
    result = result.filter((n) => keep.has(n));
  }
  for (const t of terms.filter((x) => x.operator === 'exclusion')) {
    const drop = new Set(matchTerm(t, scope, options, false));
    result = result.filter((n) => !drop.has(n));
  }
  if (!result.length) throw new PatternError(pattern, `host pattern '${pattern}' matches no host`);
  return result;
}

/** Hosts of one term; `literal` lets an unknown plain name stand for itself (union terms only). */
function matchTerm(t: PatternTerm, scope: PatternScope, options: PatternOptions, literal: boolean): string[] {
  switch (t.kind) {
    case 'failed':
      return options.failedHosts?.() ?? [];
    case 'file':
      return namesFromFile(t, options).flatMap((name) => matchName(name, scope, literal));
    case 'regex': {
      let re: RegExp;
      try {
        re = new RegExp(t.text.slice(1));
      } catch (err) {
        throw new PatternError(t.source, `host pattern '${t.source}': bad regular expression: ${(err as Error).message}`);
      }
      // Python's re.match: anchored at the start only.
      const anchored = new RegExp(`^(?:${re.source})`, re.flags);
      return matchAll(scope, (name) => anchored.test(name));
    }
    case 'wildcard': {
      const re = wildcardRegExp(t.text);
      return matchAll(scope, (name) => re.test(name));
    }
    case 'range': {
      let names: string[];
      try {
        names = expandHostRange(t.text);
      } catch (err) {
        if (!(err instanceof HostRangeError)) throw err;
        throw new PatternError(t.source, `host pattern ${err.message}`);
      }
      return names.flatMap((name) => matchName(name, scope, false));
    }
    case 'name':
      return matchName(t.text, scope, literal);
  }
}

/** Groups first (their hosts), then hosts, each in fleet order. */
function matchAll(scope: PatternScope, test: (name: string) => boolean): string[] {
  const out = new Set<string>();
  for (const g of scope.groupNames) if (test(g)) for (const h of scope.groupHosts(g) ?? []) out.add(h);
  for (const h of scope.hostNames) if (test(h)) out.add(h);
  const order = new Map(scope.hostNames.map((h, i) => [h, i]));
  return [...out].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
}

function matchName(name: string, scope: PatternScope, literal: boolean): string[] {
  const group = scope.groupHosts(name);
  const isHost = scope.hostNames.includes(name);
  if (group !== undefined) return isHost && !group.includes(name) ? [...group, name] : [...group];
  if (isHost) return [name];
  return literal ? [name] : [];
}

/** `@FILE`: one name per line (Get-Content Servers.txt); blank lines and `#` comments skipped. */
function namesFromFile(t: PatternTerm, options: PatternOptions): string[] {
  const file = t.text.slice(1);
  let text: string;
  try {
    text = (options.readFile ?? ((f: string) => fs.readFileSync(f, 'utf8')))(file);
  } catch (err) {
    throw new PatternError(t.source, `cannot read host file '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/^\uFEFF/, '').trim())
    .filter((l) => l && !l.startsWith('#'));
}
