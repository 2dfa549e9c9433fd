/**
 * Edits of an Ansible INI inventory that keep the user's file as it is: comments, blank lines,
 * spacing, variables, line endings and the lines' order are kept byte for byte; only the lines
 * an edit is about are inserted or removed. Used by the sidebar's New Group / Add to Group… /
 * Remove from Group.
 *
 * The file is handled as a list of lines, not parsed into a model and printed back (which is what
 * loses comments and layout): an edit finds the `[group]` sections by their header lines and
 * the host lines by their first word, and splices.
 */

export class InventoryEditError extends Error {
  override name = 'InventoryEditError';
}

/** Ansible warns about, and may rewrite, group names that are not identifiers; we refuse them. */
const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_GROUPS = new Set(['all', 'ungrouped']);
// A host line's first word: no whitespace, no comment or assignment characters, no range brackets
// (a name with `[` would be read as a range pattern).
const HOST_NAME = /^[^\s#;=[\]'"\\]+$/;
// Ansible's own section header syntax: `[name]`, `[name:children]`, `[name:vars]`, then an optional comment.
const SECTION = /^\s*\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;

export function validateGroupName(name: string): string | undefined {
  if (!name) return 'a group needs a name';
  if (RESERVED_GROUPS.has(name)) return `'${name}' is a group every inventory has already`;
  if (!GROUP_NAME.test(name)) return `'${name}' is not a valid group name: use letters, digits and '_', not starting with a digit`;
  return undefined;
}

export function validateHostName(name: string): string | undefined {
  if (!name) return 'empty host name';
  if (!HOST_NAME.test(name)) return `'${name}' cannot be written as an inventory host (it has spaces, quotes, brackets or one of # ; =)`;
  return undefined;
}

interface Line {
  /** Without its line ending. */
  text: string;
  /** '\n', '\r\n' or '' (the last line of a file without a final newline). */
  eol: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const re = /([^\n]*?)(\r?\n|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) && m[0].length) {
    lines.push({ text: m[1], eol: m[2] });
    if (!m[2]) break;
  }
  return lines;
}

function join(lines: Line[]): string {
  return lines.map((l) => l.text + l.eol).join('');
}

/** The file's own line ending, for lines we add. */
function eolOf(lines: Line[]): string {
  return lines.find((l) => l.eol)?.eol ?? '\n';
}

interface Section {
  name: string;
  /** undefined for a host section; 'children', 'vars' or another suffix otherwise. */
  kind?: string;
  /** Index of the header line. */
  header: number;
  /** Index one past the section's last line. */
  end: number;
}

function sections(lines: Line[]): Section[] {
  const found: Section[] = [];
  lines.forEach((l, i) => {
    const m = SECTION.exec(l.text);
    if (!m) return;
    if (found.length) found[found.length - 1].end = i;
    found.push({ name: m[1], kind: m[2], header: i, end: lines.length });
  });
  return found;
}

function isEntry(text: string): boolean {
  const t = text.trim();
  return t.length > 0 && !t.startsWith('#') && !t.startsWith(';');
}

/** The host pattern a host line starts with. */
function firstWord(text: string): string {
  return text.trim().split(/\s+/, 1)[0];
}

/** True when a range pattern such as `web[01:20].example.com` may stand for the host. */
function rangeMayMatch(pattern: string, host: string): boolean {
  if (!pattern.includes('[')) return false;
  const re = pattern
    .split(/(\[[^\]]*\])/)
    .map((part) => (part.startsWith('[') ? '[A-Za-z0-9]+' : part.replace(/[.*+?^${}()|\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`).test(host);
}

function hostSections(lines: Line[], group: string): Section[] {
  return sections(lines).filter((s) => s.name === group && s.kind === undefined);
}

/** Whether the text has a `[group]` (or `[group:children]`/`[group:vars]`) section. */
export function iniHasGroup(text: string, group: string): boolean {
  return sections(splitLines(text)).some((s) => s.name === group);
}

/** The host words listed directly in `[group]` sections (ranges as written). */
export function iniGroupHosts(text: string, group: string): string[] {
  const lines = splitLines(text);
  return hostSections(lines, group).flatMap((s) =>
    lines
      .slice(s.header + 1, s.end)
      .filter((l) => isEntry(l.text))
      .map((l) => firstWord(l.text)),
  );
}

/** Appends a section at the end, after a blank line; the existing text is kept as it is. */
function appendSection(text: string, header: string, body: string[]): string {
  const lines = splitLines(text);
  const eol = eolOf(lines);
  let out = text;
  if (out.length && !out.endsWith('\n')) out += eol;
  // One blank line between the last section and the new one, unless there is one already.
  if (out.length && !/(^|\n)[ \t]*\r?\n$/.test(out)) out += eol;
  return out + [header, ...body].map((l) => l + eol).join('');
}

/** New Group: an empty `[group]` section at the end of the file. */
export function iniAddGroup(text: string, group: string): string {
  const invalid = validateGroupName(group);
  if (invalid) throw new InventoryEditError(invalid);
  if (iniHasGroup(text, group)) throw new InventoryEditError(`group '${group}' is already in this inventory`);
  return appendSection(text, `[${group}]`, []);
}

export interface AddHostsOutcome {
  text: string;
  added: string[];
  /** Already listed in the group's section (as a plain name). */
  already: string[];
}

/**
 * Add to Group: each host gets its own line at the end of the group's host lines (after the last
 * host line of its last `[group]` section, before any comments and blank lines that follow).
 * A group that is not in the file gets a new section at the end.
 */
export function iniAddHosts(text: string, group: string, hosts: readonly string[]): AddHostsOutcome {
  const invalid = validateGroupName(group);
  if (invalid) throw new InventoryEditError(invalid);
  for (const h of hosts) {
    const bad = validateHostName(h);
    if (bad) throw new InventoryEditError(bad);
  }
  const present = new Set(iniGroupHosts(text, group));
  const added = [...new Set(hosts)].filter((h) => !present.has(h));
  const already = [...new Set(hosts)].filter((h) => present.has(h));
  if (!added.length) return { text, added, already };
  const lines = splitLines(text);
  const target = hostSections(lines, group).pop();
  if (!target) return { text: appendSection(text, `[${group}]`, added), added, already };
  let at = target.header;
  for (let i = target.header + 1; i < target.end; i++) if (isEntry(lines[i].text)) at = i;
  const eol = eolOf(lines);
  // The line we insert after may be the file's last, without a newline: it gets one.
  if (!lines[at].eol) lines[at] = { ...lines[at], eol };
  lines.splice(at + 1, 0, ...added.map((h) => ({ text: h, eol })));
  return { text: join(lines), added, already };
}

export interface RemoveHostsOutcome {
  text: string;
  removed: string[];
  /** Not listed directly in the group in this file. */
  notFound: string[];
  /** Covered by a range line such as `web[01:20]`, which cannot lose one host without rewriting it. */
  inRanges: { host: string; pattern: string; line: number }[];
}

/** Remove from Group: deletes the host's lines from every `[group]` section; nothing else changes. */
export function iniRemoveHosts(text: string, group: string, hosts: readonly string[]): RemoveHostsOutcome {
  const lines = splitLines(text);
  const wanted = new Set(hosts);
  const drop = new Set<number>();
  const removed = new Set<string>();
  const inRanges: RemoveHostsOutcome['inRanges'] = [];
  for (const s of hostSections(lines, group)) {
    for (let i = s.header + 1; i < s.end; i++) {
      if (!isEntry(lines[i].text)) continue;
      const word = firstWord(lines[i].text);
      if (wanted.has(word)) {
        drop.add(i);
        removed.add(word);
      } else {
        for (const h of wanted) if (rangeMayMatch(word, h)) inRanges.push({ host: h, pattern: word, line: i });
      }
    }
  }
  return {
    text: join(lines.filter((_, i) => !drop.has(i))),
    removed: hosts.filter((h) => removed.has(h)),
    notFound: hosts.filter((h) => !removed.has(h) && !inRanges.some((r) => r.host === h)),
    inRanges: inRanges.filter((r) => !removed.has(r.host)),
  };
}
