// Ansible's YAML inventory format (and YAML/JSON vars files), read with the `yaml` package's
// Document API so every group, host and variable keeps its line and column.
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { expandHostRange, HostRangeError } from './hostRange';
import { splitPort } from './iniInventory';
import type { GroupDeclaration, HostDeclaration, InventoryDiagnostic, InventoryDiagnosticCode, InventoryDocument, SourceRange, VariableDeclaration } from './model';

/** A value tagged `!vault`: encrypted, so neither usable here nor a plain secret. */
export const VAULT_VALUE = Symbol('vault');

interface Context {
  file: string;
  lines: LineCounter;
  diagnostics: InventoryDiagnostic[];
}

function rangeOf(ctx: Context, node: { range?: [number, number, number] | null } | null | undefined, fallback?: SourceRange): SourceRange {
  if (!node?.range) return fallback ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return { start: position(ctx, node.range[0]), end: position(ctx, node.range[1]) };
}

function position(ctx: Context, offset: number) {
  const p = ctx.lines.linePos(offset);
  return { line: Math.max(0, p.line - 1), character: Math.max(0, p.col - 1) };
}

function report(ctx: Context, range: SourceRange, code: InventoryDiagnosticCode, message: string, severity: InventoryDiagnostic['severity'] = 'error') {
  ctx.diagnostics.push({ file: ctx.file, range, severity, code, message });
}

function parse(text: string, file: string): { ctx: Context; root: Node | null } {
  const lines = new LineCounter();
  // YAML 1.1, as Ansible reads it (PyYAML): `yes`/`no`/`on`/`off` are booleans there.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, version: '1.1' });
  const ctx: Context = { file, lines, diagnostics: [] };
  for (const e of doc.errors) {
    const at = position(ctx, e.pos[0]);
    report(ctx, { start: at, end: position(ctx, e.pos[1]) }, 'syntax', e.message.split('\n')[0]);
  }
  return { ctx, root: doc.contents as Node | null };
}

function keyText(pair: Pair): string {
  // As PyYAML reads keys: `on`/`yes` become the boolean true (Ansible then names it "true"),
  // but `y` and `n` stay names; anything else is the name as written.
  if (isScalar(pair.key)) {
    const { source, value } = pair.key;
    if (typeof value === 'boolean' && !(typeof source === 'string' && /^[yYnN]$/.test(source))) return String(value);
    return typeof source === 'string' ? source : String(value ?? '');
  }
  return String(pair.key ?? '');
}

/**
 * What PyYAML (Ansible's reader) makes of a value: YAML 1.1, except that a plain `y`, `Y`, `n`
 * or `N` stays a string there.
 */
function plainValue(node: Node | null): unknown {
  if (node === null || node === undefined) return null;
  if (isScalar(node) && node.type === 'PLAIN' && typeof node.source === 'string' && /^[yYnN]$/.test(node.source)) return node.source;
  return typeof node === 'object' && 'toJSON' in node ? node.toJSON() : node;
}

function pairRange(ctx: Context, pair: Pair): SourceRange {
  const key = rangeOf(ctx, pair.key as Node);
  const value = pair.value as Node | null;
  return value?.range ? { start: key.start, end: position(ctx, value.range[1]) } : key;
}

export function parseYamlInventory(text: string, file: string): InventoryDocument {
  const { ctx, root } = parse(text, file);
  const groups: GroupDeclaration[] = [];
  if (root === null || (isScalar(root) && root.value === null)) return { file, format: 'yaml', groups, diagnostics: ctx.diagnostics };
  if (!isMap(root)) {
    report(ctx, rangeOf(ctx, root), 'syntax', 'a YAML inventory is a mapping of group names (e.g. `all:`) at the top');
    return { file, format: 'yaml', groups, diagnostics: ctx.diagnostics };
  }
  for (const pair of root.items) readGroup(ctx, pair, undefined, groups);
  return { file, format: 'yaml', groups, diagnostics: ctx.diagnostics };
}

function readGroup(ctx: Context, pair: Pair, parent: string | undefined, out: GroupDeclaration[]): void {
  const name = keyText(pair);
  const nameRange = rangeOf(ctx, pair.key as Node);
  const group: GroupDeclaration = { name, kind: 'yaml', nameRange, range: pairRange(ctx, pair), hosts: [], children: [], vars: [], parent };
  out.push(group);
  const body = pair.value as Node | null;
  if (body === null || body === undefined || (isScalar(body) && body.value === null)) return;
  if (!isMap(body)) {
    report(ctx, rangeOf(ctx, body), 'syntax', `group '${name}' must be a mapping with hosts, children or vars`);
    return;
  }
  for (const item of body.items) {
    const key = keyText(item);
    const value = item.value as Node | null;
    const empty = value === null || value === undefined || (isScalar(value) && value.value === null);
    if (key === 'hosts') {
      if (empty) continue;
      if (!isMap(value)) report(ctx, rangeOf(ctx, value), 'syntax', `'hosts' of group '${name}' must be a mapping of host names`);
      else for (const h of value.items) group.hosts.push(readHost(ctx, h));
    } else if (key === 'children') {
      if (empty) continue;
      if (!isMap(value)) {
        report(ctx, rangeOf(ctx, value), 'syntax', `'children' of group '${name}' must be a mapping of group names`);
        continue;
      }
      for (const child of value.items) {
        group.children.push({ name: keyText(child), range: rangeOf(ctx, child.key as Node) });
        readGroup(ctx, child, name, out);
      }
    } else if (key === 'vars') {
      if (empty) continue;
      if (!isMap(value)) report(ctx, rangeOf(ctx, value), 'syntax', `'vars' of group '${name}' must be a mapping`);
      else group.vars.push(...readVars(ctx, value));
    } else {
      report(ctx, rangeOf(ctx, item.key as Node), 'syntax', `unexpected key '${key}' in group '${name}': only hosts, children and vars are allowed`, 'warning');
    }
  }
}

function readHost(ctx: Context, pair: Pair): HostDeclaration {
  const text = keyText(pair);
  const range = rangeOf(ctx, pair.key as Node);
  const { pattern, port } = splitPort(text);
  let names: string[] = [];
  try {
    names = expandHostRange(pattern);
    if (!names.length) report(ctx, range, 'empty-range', `host range '${pattern}' expands to no host`, 'warning');
  } catch (err) {
    if (!(err instanceof HostRangeError)) throw err;
    report(ctx, range, 'bad-range', err.message);
  }
  const value = pair.value as Node | null;
  let vars: VariableDeclaration[] = [];
  if (value && isMap(value)) vars = readVars(ctx, value);
  else if (value && !(isScalar(value) && value.value === null)) report(ctx, rangeOf(ctx, value), 'syntax', `host '${text}' must be followed by a mapping of variables or nothing`);
  return { pattern, names, port, range, vars };
}

function readVars(ctx: Context, map: YAMLMap): VariableDeclaration[] {
  const out: VariableDeclaration[] = [];
  for (const item of map.items) {
    if (!isPair(item)) continue;
    const value = item.value as Node | null;
    const nameRange = rangeOf(ctx, item.key as Node);
    out.push({
      name: keyText(item),
      value: value && (value as { tag?: string }).tag === '!vault' ? VAULT_VALUE : plainValue(value),
      range: pairRange(ctx, item),
      nameRange,
      valueRange: value?.range ? rangeOf(ctx, value) : { start: nameRange.end, end: nameRange.end },
    });
  }
  return out;
}

/** A `group_vars/…` or `host_vars/…` file: a mapping of variables (YAML or JSON). */
export function parseVarsFile(text: string, file: string): { vars: VariableDeclaration[]; diagnostics: InventoryDiagnostic[] } {
  const { ctx, root } = parse(text, file);
  if (root === null || (isScalar(root) && root.value === null)) return { vars: [], diagnostics: ctx.diagnostics };
  if (!isMap(root)) {
    report(ctx, rangeOf(ctx, root), 'syntax', 'a vars file is a mapping of variable names to values');
    return { vars: [], diagnostics: ctx.diagnostics };
  }
  return { vars: readVars(ctx, root), diagnostics: ctx.diagnostics };
}
