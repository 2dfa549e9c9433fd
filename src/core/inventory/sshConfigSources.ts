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

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
  return re.test(name);
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
