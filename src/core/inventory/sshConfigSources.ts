import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SourceRange } from './model';
import { globFiles, resolveIncludePath } from './sshConfig';

/**
 * One directive of an ssh_config, with the file and line it is on and the block it sits in.
 * The ssh-config library resolves values but forgets where they were written; this scan keeps
 * that, so a resolved setting can say which line supplied it (and an editor can jump there).
 */
export interface SshConfigDirective {
  file: string;
  /** Zero-based line; `range` covers the directive's text on that line. */
  line: number;
  range: SourceRange;
  keyword: string;
  /** The arguments as written after the keyword (quotes kept). */
  value: string;
  /**
   * The patterns of the `Host` block it belongs to (`null` before any Host/Match: applies to
   * every host; `'match'`: inside a `Match` block, which is not evaluated here).
   */
  block: string[] | null | 'match';
}

const DIRECTIVE = /^([ \t]*)([A-Za-z][A-Za-z0-9]*)(?:[ \t]*=[ \t]*|[ \t]+)(.*?)[ \t]*$/;

/** Every directive of `file` and of what it `Include`s, in the order OpenSSH reads them. */
export function scanSshConfig(file: string, readFile: (f: string) => string = (f) => fs.readFileSync(f, 'utf8')): SshConfigDirective[] {
  const out: SshConfigDirective[] = [];
  const baseDir = path.join(os.homedir(), '.ssh');
  const visit = (current: string, text: string, enclosing: SshConfigDirective['block'], depth: number) => {
    let block = enclosing;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const m = DIRECTIVE.exec(lines[i]);
      if (!m || m[2].startsWith('#')) continue;
      const [, indent, keyword, value] = m;
      const lower = keyword.toLowerCase();
      if (lower === 'host') block = splitArgs(value);
      else if (lower === 'match') block = 'match';
      const directive: SshConfigDirective = {
        file: current,
        line: i,
        range: { start: { line: i, character: indent.length }, end: { line: i, character: lines[i].trimEnd().length } },
        keyword,
        value,
        block: lower === 'host' || lower === 'match' ? enclosing : block,
      };
      out.push(directive);
      if (lower === 'include' && depth < 16) {
        for (const pattern of splitArgs(value)) {
          for (const included of globFiles(resolveIncludePath(pattern, baseDir))) {
            let includedText: string;
            try {
              includedText = readFile(included);
            } catch {
              continue;
            }
            visit(included, includedText, block, depth + 1);
          }
        }
      }
    }
  };
  let text: string;
  try {
    text = readFile(file);
  } catch {
    return out;
  }
  visit(file, text, null, 0);
  return out;
}

/** `Host`/`Tag` arguments: whitespace-separated, double quotes group. */
export function splitArgs(value: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value))) out.push(m[1] ?? m[2]);
  return out;
}

/** OpenSSH's Host matching: some pattern matches and no negated one does; `*` and `?`, case-insensitive. */
export function hostPatternsMatch(patterns: string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    if (globMatch(negated ? p.slice(1) : p, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

const compiledGlobs = new Map<string, RegExp>();

function globMatch(pattern: string, name: string): boolean {
  let re = compiledGlobs.get(pattern);
  if (!re) {
    re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
    if (compiledGlobs.size > 10_000) compiledGlobs.clear();
    compiledGlobs.set(pattern, re);
  }
  return re.test(name);
}

/** Host patterns without `*`, `?` or `!`: the block applies to exactly these names. */
export function literalPatterns(patterns: string[]): boolean {
  return patterns.every((p) => !/[*?!]/.test(p));
}

/**
 * The directives grouped by block, with the blocks that name hosts literally indexed by name:
 * finding what applies to one of 2,000 hosts looks at its own blocks and the wildcard ones,
 * not at all 2,000.
 */
export class SshConfigIndex {
  private readonly segments: { block: SshConfigDirective['block']; directives: SshConfigDirective[] }[] = [];
  private readonly byName = new Map<string, number[]>();
  private readonly always: number[] = [];

  constructor(readonly directives: SshConfigDirective[]) {
    for (const d of directives) {
      // Host and Match lines open blocks; they are not settings of any host.
      if (/^(host|match)$/i.test(d.keyword)) continue;
      const last = this.segments[this.segments.length - 1];
      if (last && last.block === d.block) last.directives.push(d);
      else this.segments.push({ block: d.block, directives: [d] });
    }
    this.segments.forEach((seg, i) => {
      if (Array.isArray(seg.block) && literalPatterns(seg.block)) {
        for (const name of new Set(seg.block.map((p) => p.toLowerCase()))) {
          const list = this.byName.get(name);
          if (list) list.push(i);
          else this.byName.set(name, [i]);
        }
      } else this.always.push(i);
    });
  }

  /** The directives that apply to `name`, in file order (Match blocks left out: not evaluated). */
  applying(name: string): SshConfigDirective[] {
    const own = this.byName.get(name.toLowerCase()) ?? [];
    const indices = [...this.always, ...own].sort((a, b) => a - b);
    const out: SshConfigDirective[] = [];
    for (const i of indices) {
      const seg = this.segments[i];
      if (seg.block === null || (seg.block !== 'match' && hostPatternsMatch(seg.block, name))) out.push(...seg.directives);
    }
    return out;
  }
}

/** Whether a directive applies to a host named `name` (Match blocks: not known, so no). */
export function appliesTo(directive: SshConfigDirective, name: string): boolean {
  if (directive.block === null) return true;
  if (directive.block === 'match') return false;
  return hostPatternsMatch(directive.block, name);
}

/** The first directive with this keyword that applies to `name`: the one OpenSSH takes its value from. */
export function firstApplying(directives: SshConfigDirective[], name: string, keyword: string): SshConfigDirective | undefined {
  const k = keyword.toLowerCase();
  return directives.find((d) => d.keyword.toLowerCase() === k && appliesTo(d, name));
}
