// Where each directive of one ssh_config file sits (line and columns), for editors. It runs the
// same parse as the engine (parseConfig in sshConfig.ts, the ssh-config library) and only adds
// positions: the library keeps every separator, blank and line break it consumed, so counting
// line breaks through its nodes in order gives each directive's line without a second parser.
import SSHConfig, { type Directive, type Line, type Section } from 'ssh-config';
import { includedFiles, parseConfig } from './sshConfig';

/** A word of a directive's value and where it is on the line (columns are 0-based, end exclusive). */
export interface OutlineWord {
  text: string;
  start: number;
  end: number;
}

export interface OutlineDirective {
  /** The keyword as written (`HostName`, `hostname`, …). */
  keyword: string;
  /** 0-based line. */
  line: number;
  keywordStart: number;
  keywordEnd: number;
  /** The value as the engine reads it (a ProxyCommand verbatim). */
  value: string;
  /** Where the value starts and ends on the line (the whole rest of the line, comment excluded). */
  valueStart: number;
  valueEnd: number;
  /** The value's words, unquoted, with their columns. */
  words: OutlineWord[];
  /** Index into `sections` of the Host/Match block it belongs to; undefined = before any block. */
  section?: number;
  /**
   * A keyword with nothing after it: the parser then reads the next line as part of this one,
   * so that line is lost to the engine.
   */
  swallowsNextLine?: boolean;
}

export interface OutlineSection {
  kind: 'Host' | 'Match';
  /** The Host/Match line itself. */
  header: OutlineDirective;
  /** Directives inside the block, in file order. */
  body: OutlineDirective[];
  /** Last line that belongs to the block (before the next block or the end of the file). */
  endLine: number;
}

export interface SshConfigOutline {
  /** Every directive, headers included, in file order. */
  directives: OutlineDirective[];
  sections: OutlineSection[];
  /** Set when the engine cannot parse the file; `line` is where. */
  error?: { line: number; message: string };
}

/** Positions of every directive of `text`, one file, Includes not followed. */
export function outlineSshConfig(text: string): SshConfigOutline {
  const lines = text.split(/\r?\n/);
  let parsed: SSHConfig;
  try {
    parsed = parseConfig(text).config;
  } catch (err) {
    return { directives: [], sections: [], error: { line: firstUnparsableLine(lines), message: (err as Error).message } };
  }
  const outline: SshConfigOutline = { directives: [], sections: [] };
  let line = 0;
  const visit = (nodes: Line[], section: number | undefined): void => {
    for (const node of nodes) {
      line += breaks(node.before);
      if (node.type === SSHConfig.DIRECTIVE) {
        const directive = place(node, line, lines[line] ?? '', section);
        outline.directives.push(directive);
        line += breaks(node.param) + breaks(node.separator);
        line += breaks(node.after);
        if ('config' in node && (node as Section).config) {
          outline.sections.push({ kind: /^match$/i.test(node.param) ? 'Match' : 'Host', header: directive, body: [], endLine: line });
          visit((node as Section).config, outline.sections.length - 1);
        }
        continue;
      }
      line += breaks(node.after);
    }
  };
  visit(parsed, undefined);
  for (const d of outline.directives) if (d.section !== undefined && outline.sections[d.section].header !== d) outline.sections[d.section].body.push(d);
  outline.sections.forEach((s, i) => {
    const next = outline.sections[i + 1];
    s.endLine = next ? next.header.line - 1 : Math.max(s.header.line, lines.length - 1);
  });
  return outline;
}

function breaks(s: string | undefined): number {
  let n = 0;
  if (s) for (const c of s) if (c === '\n') n++;
  return n;
}

/** Columns of a directive on its line, found by walking the line text past the keyword and separator. */
function place(node: Directive, lineNumber: number, text: string, section: number | undefined): OutlineDirective {
  const keyword = node.param.split(/\r?\n/)[0];
  const keywordStart = text.length - text.trimStart().length;
  const keywordEnd = keywordStart + keyword.length;
  if (keyword !== node.param) {
    return { keyword, line: lineNumber, keywordStart, keywordEnd, value: '', valueStart: keywordEnd, valueEnd: keywordEnd, words: [], section, swallowsNextLine: true };
  }
  const rest = text.slice(keywordEnd);
  const valueStart = keywordEnd + (rest.length - rest.replace(/^[ \t]*=?[ \t]*/, '').length);
  const valueText = stripComment(text.slice(valueStart));
  const valueEnd = valueStart + valueText.trimEnd().length;
  const isProxyCommand = /^proxycommand$/i.test(node.param);
  const value = isProxyCommand ? valueText.trim() : valueOf(node);
  return {
    keyword: node.param,
    line: lineNumber,
    keywordStart,
    keywordEnd,
    value,
    valueStart,
    valueEnd,
    words: wordsOf(text, valueStart, valueEnd),
    section,
  };
}

function valueOf(node: Directive): string {
  return Array.isArray(node.value) ? node.value.map((v) => v.val).join(' ') : node.value;
}

// A `#` outside quotes ends the value, as the parser has it.
function stripComment(s: string): string {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') quoted = !quoted;
    else if (s[i] === '#' && !quoted && i > 0) return s.slice(0, i);
  }
  return s;
}

function wordsOf(text: string, start: number, end: number): OutlineWord[] {
  const words: OutlineWord[] = [];
  const re = /"([^"]*)"|[^\s"]+/g;
  const slice = text.slice(start, end);
  for (let m = re.exec(slice); m; m = re.exec(slice)) {
    words.push({ text: m[1] ?? m[0], start: start + m.index, end: start + m.index + m[0].length });
  }
  return words;
}

// The library's error names no line; parsing each line alone, with the same parser, finds it.
function firstUnparsableLine(lines: string[]): number {
  const index = lines.findIndex((l) => {
    try {
      parseConfig(l);
      return false;
    } catch {
      return true;
    }
  });
  return Math.max(0, index);
}

/** Each word of an `Include` line and the files it brings in (the engine's own resolution). */
export function includeTargets(directive: OutlineDirective): { word: OutlineWord; files: string[] }[] {
  return directive.words.map((word) => ({ word, files: includedFiles(word.text) }));
}

/** Directives before the first Host/Match line: they apply to every host. */
export function topLevelDirectives(outline: SshConfigOutline): OutlineDirective[] {
  const headers = new Set(outline.sections.map((s) => s.header));
  return outline.directives.filter((d) => d.section === undefined && !headers.has(d));
}

/** Host patterns of a `Host` header that name one host (no wildcard, no negation). */
export function concreteAliases(section: OutlineSection): OutlineWord[] {
  return section.kind === 'Host' ? section.header.words.filter((w) => !/[*?!]/.test(w.text)) : [];
}

/** A block that applies to every host: `Host *` (or `Match all`). */
export function appliesToAllHosts(section: OutlineSection): boolean {
  if (section.kind === 'Host') return section.header.words.some((w) => w.text === '*') && !section.header.words.some((w) => w.text.startsWith('!'));
  return section.header.words.length === 1 && /^all$/i.test(section.header.words[0].text);
}
