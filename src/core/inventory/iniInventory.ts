// Ansible's INI inventory format, parsed by hand. Why not an INI library: this is not INI. Host
// lines are shell-quoted (`web1 ansible_port=2222 x="a b"  # note`), keys repeat, sections are
// `[group]`, `[group:children]` and `[group:vars]` with Ansible's own rules, values are Python
// literals, and the language server needs the line and column of every host, group, child and
// variable — which INI libraries throw away. The subset is small (one pass over lines, a tiny
// shlex), so it is written here, following ansible/plugins/inventory/ini.py line for line in meaning.
import { expandHostRange, HostRangeError } from './hostRange';
import type {
  GroupDeclaration,
  HostDeclaration,
  InventoryDiagnostic,
  InventoryDiagnosticCode,
  InventoryDocument,
  SourceRange,
  VariableDeclaration,
} from './model';

/** Ansible's section header: a name without spaces, `:` or `]`, then an optional `:type`, then an optional comment. */
const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
/** Ansible's group names in `[x:children]`. */
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

export function parseIniInventory(text: string, file: string): InventoryDocument {
  const groups: GroupDeclaration[] = [];
  const diagnostics: InventoryDiagnostic[] = [];
  const lines = text.split(/\r?\n/);
  let current: GroupDeclaration | undefined;
  let lastContentLine = 0;

  const report = (line: number, startChar: number, endChar: number, code: InventoryDiagnosticCode, message: string, severity: InventoryDiagnostic['severity'] = 'error') =>
    diagnostics.push({ file, range: span(line, startChar, endChar), severity, code, message });
  const closeSection = () => {
    if (current) current.range.end = { line: lastContentLine, character: lines[lastContentLine].length };
  };

  for (let lineNo = 0; lineNo < lines.length; lineNo++) {
    const raw = lines[lineNo];
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (!line || line[0] === '#' || line[0] === ';') continue;

    const header = SECTION.exec(line);
    if (header) {
      closeSection();
      const [, name, type] = header;
      const kind = (type ?? 'hosts') as GroupDeclaration['kind'];
      if (!['hosts', 'children', 'vars'].includes(kind)) {
        report(lineNo, indent, indent + line.length, 'syntax', `section [${name}:${type}] has unknown type '${type}' (use hosts, children or vars)`);
      }
      current = {
        name,
        kind: ['hosts', 'children', 'vars'].includes(kind) ? kind : 'hosts',
        nameRange: span(lineNo, indent + 1, indent + 1 + name.length),
        range: { start: { line: lineNo, character: indent }, end: { line: lineNo, character: raw.length } },
        hosts: [],
        children: [],
        vars: [],
      };
      groups.push(current);
      lastContentLine = lineNo;
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      report(lineNo, indent, indent + line.length, 'syntax', `invalid section '${line}': no spaces, and only [name], [name:children] or [name:vars]`);
      continue;
    }
    lastContentLine = lineNo;
    if (!current) {
      // Host lines before any section belong to `ungrouped`, as in Ansible.
      current = {
        name: 'ungrouped',
        kind: 'hosts',
        nameRange: span(lineNo, indent, indent),
        range: { start: { line: lineNo, character: indent }, end: { line: lineNo, character: raw.length } },
        hosts: [],
        children: [],
        vars: [],
      };
      groups.push(current);
    }

    if (current.kind === 'hosts') {
      const host = parseHostLine(raw, lineNo, (s, e, code, message, severity) => report(lineNo, s, e, code, message, severity));
      if (host) current.hosts.push(host);
    } else if (current.kind === 'children') {
      const m = GROUP_NAME.exec(line);
      if (m) current.children.push({ name: m[1], range: span(lineNo, indent, indent + m[1].length) });
      else report(lineNo, indent, indent + line.length, 'syntax', `expected a group name in [${current.name}:children], got '${line}'`);
    } else {
      const variable = parseVarsLine(raw, lineNo);
      if (variable) current.vars.push(variable);
      else report(lineNo, indent, indent + line.length, 'syntax', `expected name=value in [${current.name}:vars], got '${line}'`);
    }
  }
  closeSection();
  return { file, format: 'ini', groups, diagnostics };
}

type Reporter = (startChar: number, endChar: number, code: InventoryDiagnosticCode, message: string, severity?: InventoryDiagnostic['severity']) => void;

function parseHostLine(raw: string, lineNo: number, report: Reporter): HostDeclaration | undefined {
  let tokens: Token[];
  try {
    tokens = shellSplit(raw);
  } catch (err) {
    report(0, raw.length, 'syntax', `cannot parse host line: ${(err as Error).message}`);
    return undefined;
  }
  if (!tokens.length) return undefined;
  const [first, ...rest] = tokens;
  const address = splitPort(first.text);
  if (first.text.endsWith(':') && address.port === undefined) {
    report(first.start, first.end, 'syntax', `host '${first.text}' ends in ':', which is reserved for a port`);
    return undefined;
  }
  let names: string[] = [];
  try {
    names = expandHostRange(address.pattern);
    if (!names.length) report(first.start, first.end, 'empty-range', `host range '${address.pattern}' expands to no host`, 'warning');
  } catch (err) {
    if (!(err instanceof HostRangeError)) throw err;
    report(first.start, first.end, 'bad-range', err.message);
  }
  const vars: VariableDeclaration[] = [];
  for (const token of rest) {
    const rawEq = raw.slice(token.start, token.end).indexOf('=');
    const eq = token.text.indexOf('=');
    if (eq <= 0 || rawEq <= 0) {
      report(token.start, token.end, 'syntax', `expected name=value after the host, got '${token.text}'`);
      continue;
    }
    vars.push({
      name: token.text.slice(0, eq),
      value: pythonLiteral(token.text.slice(eq + 1)),
      range: span(lineNo, token.start, token.end),
      nameRange: span(lineNo, token.start, token.start + rawEq),
      valueRange: span(lineNo, token.start + rawEq + 1, token.end),
    });
  }
  return { pattern: address.pattern, names, port: address.port, range: span(lineNo, first.start, first.end), vars };
}

function parseVarsLine(raw: string, lineNo: number): VariableDeclaration | undefined {
  const eq = raw.indexOf('=');
  if (eq < 0) return undefined;
  const name = raw.slice(0, eq).trim();
  if (!name) return undefined;
  const nameStart = raw.indexOf(name);
  const valueText = raw.slice(eq + 1).trim();
  const valueStart = valueText ? raw.indexOf(valueText, eq + 1) : raw.length;
  return {
    name,
    value: pythonLiteral(valueText),
    range: span(lineNo, nameStart, valueStart + valueText.length),
    nameRange: span(lineNo, nameStart, nameStart + name.length),
    valueRange: span(lineNo, valueStart, valueStart + valueText.length),
  };
}

/**
 * `host:port` → port; the colons of a range (`web[01:20]`) and of a bare IPv6 address are not a
 * port separator; `[v6]:port` is.
 */
export function splitPort(text: string): { pattern: string; port?: number } {
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(text);
  if (v6 && v6[1].includes(':')) return { pattern: v6[1], port: v6[2] !== undefined ? Number(v6[2]) : undefined };
  const outside: number[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '[') depth++;
    else if (text[i] === ']') depth = Math.max(0, depth - 1);
    else if (text[i] === ':' && depth === 0) outside.push(i);
  }
  if (outside.length === 1) {
    const port = text.slice(outside[0] + 1);
    if (/^\d+$/.test(port)) return { pattern: text.slice(0, outside[0]), port: Number(port) };
  }
  return { pattern: text };
}

/**
 * What Python's ast.literal_eval makes of an INI value, for the values inventories hold: numbers,
 * True/False/None, quoted strings. Anything else stays the string it is (as in Ansible).
 */
export function pythonLiteral(text: string): unknown {
  const t = text.replace(/\s+#.*$/, '').trim();
  if (/^[-+]?\d+$/.test(t)) return Number(t);
  if (/^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (t === 'None') return null;
  const quoted = /^(['"])((?:\\.|(?!\1).)*)\1$/.exec(t);
  if (quoted) return quoted[2].replace(/\\(.)/g, '$1');
  return text;
}

interface Token {
  /** With quotes and escapes removed, as shlex gives it. */
  text: string;
  /** Character offsets of the raw token in the line. */
  start: number;
  end: number;
}

/** Python's shlex.split(line, comments=True) in POSIX mode, keeping where each token was. */
export function shellSplit(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length || line[i] === '#') break;
    const start = i;
    let text = '';
    while (i < line.length && !/\s/.test(line[i])) {
      const c = line[i];
      if (c === '#') break;
      if (c === '\\') {
        if (i + 1 < line.length) text += line[i + 1];
        i += 2;
      } else if (c === "'") {
        const close = line.indexOf("'", i + 1);
        if (close < 0) throw new Error('no closing quotation');
        text += line.slice(i + 1, close);
        i = close + 1;
      } else if (c === '"') {
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
          text += line[i++];
        }
        if (i >= line.length) throw new Error('no closing quotation');
        i++;
      } else {
        text += c;
        i++;
      }
    }
    tokens.push({ text, start, end: i });
    if (line[i] === '#') break;
  }
  return tokens;
}

export function span(line: number, start: number, end: number): SourceRange {
  return { start: { line, character: start }, end: { line, character: end } };
}
