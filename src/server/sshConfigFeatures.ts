// The language features for ssh_config documents. Positions come from the engine's parse
// (core/inventory/sshConfigOutline), values are judged with the engine's own readers (Port,
// StrictHostKeyChecking, Include, IdentityFile expansion) and hosts resolved with SshConfigFile.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CompletionItemKind,
  DiagnosticSeverity,
  DiagnosticTag,
  MarkupKind,
  SymbolKind,
  TextEdit,
  type CodeAction,
  type CodeActionParams,
  type CodeLens,
  type CompletionItem,
  type Diagnostic,
  type DocumentSymbol,
  type Hover,
  type Location,
  type Position,
  type Range,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { expandHome, expandTokens, parseHostTarget, parseStrictHostKeyChecking } from '../core/inventory/sshConfig';
import {
  appliesToAllHosts,
  concreteAliases,
  includeTargets,
  outlineSshConfig,
  topLevelDirectives,
  type OutlineDirective,
  type OutlineSection,
  type OutlineWord,
  type SshConfigOutline,
} from '../core/inventory/sshConfigOutline';
import { groupMarkdown, groupNameLocations, groupReferences, runLens } from './groups';
import { hostFacts, hostFactsMarkdown } from './hostFacts';
import { DIAGNOSTIC_SOURCE } from './protocol';
import { misspelt, renameFixes } from './didYouMean';
import { SSH_KEYWORDS, sshKeyword } from './sshKeywords';
import { filePathOf, uriOf, type ConfigFile, type Workspace } from './workspace';


/** Diagnostic codes; the quick fixes key on them. */
export const SSH_CODES = {
  unknownKeyword: 'unknown-keyword',
  badValue: 'bad-value',
  missingValue: 'missing-value',
  missingIdentityFile: 'missing-identity-file',
  includeMatchesNothing: 'include-matches-nothing',
  includeLoop: 'include-loop',
  duplicateHost: 'duplicate-host',
  shadowed: 'shadowed-by-host-star',
  syntax: 'syntax',
} as const;

const NUMERIC: Record<string, [number, number]> = {
  port: [1, 65535],
  connecttimeout: [0, 2 ** 31 - 1],
  connectionattempts: [1, 2 ** 31 - 1],
  serveraliveinterval: [0, 2 ** 31 - 1],
  serveralivecountmax: [0, 2 ** 31 - 1],
  numberofpasswordprompts: [0, 2 ** 31 - 1],
  canonicalizemaxdots: [0, 2 ** 31 - 1],
};

function range(line: number, start: number, end: number): Range {
  return { start: { line, character: start }, end: { line, character: end } };
}

const keywordRange = (d: OutlineDirective) => range(d.line, d.keywordStart, d.keywordEnd);
const valueRange = (d: OutlineDirective) => range(d.line, d.valueStart, Math.max(d.valueEnd, d.valueStart));
const wordRange = (d: OutlineDirective, w: OutlineWord) => range(d.line, w.start, w.end);

export class SshConfigFeatures {
  constructor(private readonly workspace: Workspace) {}

  private fileOf(doc: TextDocument): { file: string; config: ConfigFile } {
    const file = filePathOf(doc.uri) ?? doc.uri;
    this.workspace.opened(doc);
    const config = filePathOf(doc.uri) ? this.workspace.configFile(file) : undefined;
    // Documents that are not files (untitled): the same parse, on the editor's text.
    return { file, config: config ?? { path: file, text: doc.getText(), outline: outlineSshConfig(doc.getText()) } };
  }

  diagnostics(doc: TextDocument): Diagnostic[] {
    const { file, config } = this.fileOf(doc);
    const { outline } = config;
    if (outline.error) {
      const line = outline.error.line;
      const text = doc.getText(range(line, 0, Number.MAX_SAFE_INTEGER));
      return [diagnostic(range(line, 0, text.replace(/\r?\n$/, '').length), DiagnosticSeverity.Error, SSH_CODES.syntax, `ssh_config cannot be read here: ${outline.error.message}`)];
    }
    const out: Diagnostic[] = [];
    const ignored = ignoreUnknownPatterns(outline);
    for (const d of outline.directives) {
      const keyword = sshKeyword(d.keyword);
      if (d.swallowsNextLine) {
        out.push(diagnostic(keywordRange(d), DiagnosticSeverity.Error, SSH_CODES.missingValue, `${d.keyword} has no value: the line after it is read as its value`));
        continue;
      }
      if (!keyword) {
        if (ignored.some((re) => re.test(d.keyword))) continue;
        const known = SSH_KEYWORDS.map((k) => k.name);
        out.push(misspelt(keywordRange(d), DiagnosticSeverity.Error, SSH_CODES.unknownKeyword, `Unknown ssh_config keyword '${d.keyword}'.`, d.keyword, known));
        continue;
      }
      out.push(...this.valueProblems(d, keyword.name, outline, file));
    }
    out.push(...this.duplicateHosts(file, outline), ...shadowedSettings(outline));
    return out;
  }

  private valueProblems(d: OutlineDirective, name: string, outline: SshConfigOutline, file: string): Diagnostic[] {
    const lower = name.toLowerCase();
    const keyword = sshKeyword(name)!;
    if (!d.words.length) {
      return [diagnostic(keywordRange(d), DiagnosticSeverity.Error, SSH_CODES.missingValue, `${name} needs a value`)];
    }
    const first = d.words[0].text;
    const bounds = NUMERIC[lower];
    if (bounds) {
      const n = Number(first);
      if (!/^\d+$/.test(first) || n < bounds[0] || n > bounds[1]) {
        const what = lower === 'port' ? 'a port number from 1 to 65535' : `a whole number${bounds[0] > 0 ? ` from ${bounds[0]}` : ''}`;
        return [diagnostic(valueRange(d), DiagnosticSeverity.Error, SSH_CODES.badValue, `${name} must be ${what}, not '${first}'`)];
      }
      return [];
    }
    if (lower === 'stricthostkeychecking') {
      // The engine's own reading of the value: what it refuses, a run would treat as the default.
      if (parseStrictHostKeyChecking(first) === undefined) {
        return [diagnostic(valueRange(d), DiagnosticSeverity.Error, SSH_CODES.badValue, `StrictHostKeyChecking must be yes, no, ask or accept-new (off also means no), not '${first}'`)];
      }
      return [];
    }
    if (keyword.closed && keyword.values.length) {
      const allowed = keyword.values.map((v) => v.toLowerCase());
      if (allowed.includes('yes')) allowed.push('true', 'false');
      if (!allowed.includes(first.toLowerCase())) {
        return [diagnostic(valueRange(d), DiagnosticSeverity.Error, SSH_CODES.badValue, `${name} must be one of ${keyword.values.join(', ')}, not '${first}'`)];
      }
      return [];
    }
    if (lower === 'identityfile') return this.identityFileProblems(d, outline, file);
    if (lower === 'include') {
      return includeTargets(d).flatMap((t) => {
        if (!t.files.length) return [diagnostic(wordRange(d, t.word), DiagnosticSeverity.Warning, SSH_CODES.includeMatchesNothing, `Include '${t.word.text}' matches no file`)];
        const loop = t.files.find((f) => this.workspace.configTree(path.resolve(f)).some((c) => c.path === file));
        if (!loop) return [];
        const message = `Include loop: ${path.basename(loop)} leads back to this file; ssh refuses the config ("Too many recursive configuration includes"), and so do the runs`;
        return [diagnostic(wordRange(d, t.word), DiagnosticSeverity.Error, SSH_CODES.includeLoop, message)];
      });
    }
    return [];
  }

  // The path as a run expands it (~, %d, %u, and %h/%n/%r/%p from the block's first alias).
  private identityFileProblems(d: OutlineDirective, outline: SshConfigOutline, file: string): Diagnostic[] {
    const value = d.value.replace(/^"|"$/g, '');
    if (value.toLowerCase() === 'none') return [];
    const section = d.section !== undefined ? outline.sections[d.section] : undefined;
    const alias = section ? concreteAliases(section)[0]?.text : undefined;
    const hostDependent = /%[hnrpCLlikj]/.test(value);
    if (hostDependent && !alias) return [];
    let expanded = value;
    if (alias) {
      const host = this.safeResolve(this.workspace.rootOf(file), alias);
      expanded = expandTokens(value, host?.hostName ?? alias, host?.user ?? '', host?.port ?? 22, alias);
    } else {
      expanded = expandTokens(value, '', '', 22);
    }
    expanded = expandHome(expanded);
    if (fs.existsSync(expanded)) return [];
    return [diagnostic(valueRange(d), DiagnosticSeverity.Warning, SSH_CODES.missingIdentityFile, `IdentityFile ${expanded} does not exist`)];
  }

  private safeResolve(root: string, alias: string) {
    try {
      return this.workspace.engineConfig(root).resolve(alias);
    } catch {
      return undefined;
    }
  }

  // An alias named by two Host lines: ssh takes each setting from the first block that sets it.
  private duplicateHosts(file: string, outline: SshConfigOutline): Diagnostic[] {
    const first = new Map<string, { file: string; section: OutlineSection; word: OutlineWord }>();
    const ordered = this.workspace.sectionsInReadingOrder(this.workspace.rootOf(file));
    // A file the tree does not reach yet (unsaved, or outside it) still checks itself.
    if (!ordered.some((o) => o.file === file)) ordered.push(...outline.sections.map((section) => ({ file, section })));
    const out: Diagnostic[] = [];
    for (const { file: where, section } of ordered) {
      for (const w of concreteAliases(section)) {
        const earlier = first.get(w.text);
        if (!earlier) {
          first.set(w.text, { file: where, section, word: w });
          continue;
        }
        if (where !== file) continue;
        const place = earlier.file === file ? `line ${earlier.section.header.line + 1}` : `${path.basename(earlier.file)} line ${earlier.section.header.line + 1}`;
        out.push({
          ...diagnostic(wordRange(section.header, w), DiagnosticSeverity.Warning, SSH_CODES.duplicateHost, `Host '${w.text}' is already defined at ${place}: ssh takes each setting from the first block that sets it`),
          relatedInformation: [{ location: { uri: uriOf(earlier.file), range: wordRange(earlier.section.header, earlier.word) }, message: `first Host ${w.text}` }],
        });
      }
    }
    return out;
  }

  codeActions(doc: TextDocument, params: CodeActionParams): CodeAction[] {
    return renameFixes(doc, params, [SSH_CODES.unknownKeyword]);
  }

  completion(doc: TextDocument, position: Position): CompletionItem[] {
    const line = doc.getText(range(position.line, 0, position.character));
    const m = /^(\s*)(\S*)$/.exec(line);
    if (m) {
      // Still on the keyword: every keyword, with the manual's text.
      const replace = range(position.line, m[1].length, position.character);
      return SSH_KEYWORDS.map((k) => ({
        label: k.name,
        kind: CompletionItemKind.Property,
        documentation: { kind: MarkupKind.Markdown, value: k.doc },
        textEdit: TextEdit.replace(replace, `${k.name} `),
        command: k.values.length || k.name === 'ProxyJump' ? { title: 'values', command: 'editor.action.triggerSuggest' } : undefined,
      }));
    }
    const v = /^\s*(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!v) return [];
    const keyword = sshKeyword(v[1]);
    if (!keyword) return [];
    const typed = /[^\s,]*$/.exec(v[2])![0];
    const replace = range(position.line, position.character - typed.length, position.character);
    const items: CompletionItem[] = keyword.values.map((value) => ({
      label: value,
      kind: CompletionItemKind.EnumMember,
      textEdit: TextEdit.replace(replace, value),
      documentation: { kind: MarkupKind.Markdown, value: keyword.doc },
    }));
    if (keyword.name === 'ProxyJump') items.push(...this.aliasItems(doc, replace));
    if (keyword.name === 'Tag') items.push(...this.groupItems(doc, replace));
    return items;
  }

  /** The fleet's groups (inventory groups and other Tags), for a Tag line. */
  private groupItems(doc: TextDocument, replace: Range): CompletionItem[] {
    const fleet = this.workspace.fleet(this.workspace.rootOf(this.fileOf(doc).file));
    return fleet.groupNames
      .filter((g) => g !== 'all' && g !== 'ungrouped')
      .map((g) => ({ label: g, kind: CompletionItemKind.Module, detail: `${fleet.groupHosts(g)?.length ?? 0} hosts`, textEdit: TextEdit.replace(replace, g) }));
  }

  /** Host aliases of the document's tree, each with its effective settings. */
  private aliasItems(doc: TextDocument, replace: Range): CompletionItem[] {
    const { file } = this.fileOf(doc);
    const root = this.workspace.rootOf(file);
    const aliases = new Set<string>();
    for (const f of this.workspace.configTree(root)) for (const s of f.outline.sections) for (const w of concreteAliases(s)) aliases.add(w.text);
    return [...aliases].map((alias) => {
      let detail: string | undefined;
      try {
        const r = this.workspace.engineConfig(root).resolve(alias);
        detail = `${r.user}@${r.hostName}:${r.port}`;
      } catch {
        /* shown without detail */
      }
      return { label: alias, kind: CompletionItemKind.Reference, detail, textEdit: TextEdit.replace(replace, alias) };
    });
  }

  hover(doc: TextDocument, position: Position): Hover | undefined {
    const { file, config } = this.fileOf(doc);
    const hit = directiveAt(config.outline, position);
    if (!hit) return undefined;
    const { directive: d, word } = hit;
    if (!word) {
      const keyword = sshKeyword(d.keyword);
      return keyword ? { contents: { kind: MarkupKind.Markdown, value: `**${keyword.name}**\n\n${keyword.doc}` }, range: keywordRange(d) } : undefined;
    }
    const lower = d.keyword.toLowerCase();
    if (lower === 'tag') {
      const fleet = this.workspace.fleet(this.workspace.rootOf(file));
      return { contents: { kind: MarkupKind.Markdown, value: groupMarkdown(fleet, word.text) }, range: wordRange(d, word) };
    }
    if (lower === 'include') {
      const files = includeTargets(d).find((t) => t.word === word)?.files ?? [];
      const list = files.length ? files.map((f) => `- \`${f}\``).join('\n') : 'matches no file';
      return { contents: { kind: MarkupKind.Markdown, value: `**Include** \`${word.text}\`\n\n${list}` }, range: wordRange(d, word) };
    }
    const alias = this.aliasAt(d, word);
    if (!alias) return undefined;
    const root = this.workspace.rootOf(file);
    try {
      const facts = hostFacts(this.workspace.fleet(root), alias, this.workspace.lastRun());
      return { contents: { kind: MarkupKind.Markdown, value: hostFactsMarkdown(facts) }, range: wordRange(d, word) };
    } catch (err) {
      return { contents: { kind: MarkupKind.Markdown, value: `**${alias}**: ${(err as Error).message}` }, range: wordRange(d, word) };
    }
  }

  /** The host a word names: a concrete alias of a Host line, or a ProxyJump hop (`user@` and `:port` dropped). */
  private aliasAt(d: OutlineDirective, word: OutlineWord): string | undefined {
    const lower = d.keyword.toLowerCase();
    if (lower === 'host') return /[*?!]/.test(word.text) ? undefined : word.text;
    if (lower === 'proxyjump' && word.text !== 'none') return hopAt(word.text).host;
    return undefined;
  }

  definition(doc: TextDocument, position: Position): Location[] {
    const { file, config } = this.fileOf(doc);
    const hit = directiveAt(config.outline, position);
    if (!hit?.word) return [];
    const { directive: d, word } = hit;
    const lower = d.keyword.toLowerCase();
    if (lower === 'include') {
      return (includeTargets(d).find((t) => t.word === word)?.files ?? []).map((f) => ({ uri: uriOf(path.resolve(f)), range: range(0, 0, 0) }));
    }
    if (lower === 'tag') return groupNameLocations(this.workspace.fleet(this.workspace.rootOf(file)), word.text);
    if (lower !== 'proxyjump') return [];
    const hop = hopAt(word.text).host;
    return this.hostBlocks(this.workspace.rootOf(file), hop);
  }

  /** The Host lines that name an alias exactly, across the tree. */
  hostBlocks(root: string, alias: string): Location[] {
    const out: Location[] = [];
    for (const f of this.workspace.configTree(root)) {
      for (const s of f.outline.sections) {
        const w = concreteAliases(s).find((a) => a.text === alias);
        if (w) out.push({ uri: uriOf(f.path), range: wordRange(s.header, w) });
      }
    }
    return out;
  }

  symbols(doc: TextDocument): DocumentSymbol[] {
    const { config } = this.fileOf(doc);
    const { outline } = config;
    const lines = doc.getText().split(/\r?\n/);
    const property = (d: OutlineDirective): DocumentSymbol => ({
      name: d.keyword,
      detail: d.value,
      kind: SymbolKind.Property,
      range: range(d.line, d.keywordStart, lines[d.line]?.length ?? d.valueEnd),
      selectionRange: keywordRange(d),
    });
    const top = topLevelDirectives(outline).map(property);
    const blocks = outline.sections.map(
      (s): DocumentSymbol => ({
        name: `${s.kind} ${s.header.value}`,
        detail: s.body.find((d) => d.keyword.toLowerCase() === 'hostname')?.value,
        kind: s.kind === 'Host' ? SymbolKind.Namespace : SymbolKind.Event,
        range: { start: { line: s.header.line, character: 0 }, end: { line: s.endLine, character: lines[s.endLine]?.length ?? 0 } },
        selectionRange: valueRange(s.header),
        children: s.body.map(property),
      }),
    );
    return [...top, ...blocks];
  }

  /** "Run active file on web (12 hosts)" on the first Tag word naming each group in this file. */
  codeLenses(doc: TextDocument): CodeLens[] {
    const { file, config } = this.fileOf(doc);
    const fleet = this.workspace.fleet(this.workspace.rootOf(file));
    const seen = new Set<string>();
    return tagWordsOf(config.outline)
      .filter(({ word }) => !seen.has(word.text) && !!seen.add(word.text))
      .map(({ directive, word }) => runLens(word.text, fleet.groupHosts(word.text) ?? [], wordRange(directive, word)));
  }

  /** A Tag word names a group: where else it is named (inventory sections, children, other Tags). */
  references(doc: TextDocument, position: Position, includeDeclaration: boolean): Location[] {
    const { file, config } = this.fileOf(doc);
    const tag = tagAt(config.outline, position);
    if (!tag) return [];
    return groupReferences(this.workspace, this.workspace.fleet(this.workspace.rootOf(file)), tag, includeDeclaration);
  }
}

function tagWordsOf(outline: SshConfigOutline): { directive: OutlineDirective; word: OutlineWord }[] {
  return outline.directives.filter((d) => d.keyword.toLowerCase() === 'tag').flatMap((directive) => directive.words.map((word) => ({ directive, word })));
}

function tagAt(outline: SshConfigOutline, p: Position): string | undefined {
  return tagWordsOf(outline).find(({ directive, word }) => directive.line === p.line && p.character >= word.start && p.character <= word.end)?.word.text;
}

function diagnostic(r: Range, severity: DiagnosticSeverity, code: string, message: string): Diagnostic {
  return { range: r, severity, code, source: DIAGNOSTIC_SOURCE, message };
}

// `IgnoreUnknown` patterns: keywords ssh would otherwise reject.
function ignoreUnknownPatterns(outline: SshConfigOutline): RegExp[] {
  return outline.directives
    .filter((d) => d.keyword.toLowerCase() === 'ignoreunknown')
    .flatMap((d) => d.value.split(/[\s,]+/))
    .filter(Boolean)
    .map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i'));
}

/**
 * A setting in a Host block that an earlier all-hosts block (or a line before any block) already
 * sets: ssh takes the first value it obtains, so this one never applies.
 */
function shadowedSettings(outline: SshConfigOutline): Diagnostic[] {
  const out: Diagnostic[] = [];
  // Lines before the first block apply to every host, like `Host *`; they always come first.
  const setForAll = new Map<string, { line: number; where: string }>();
  for (const d of topLevelDirectives(outline)) {
    const k = d.keyword.toLowerCase();
    if (!setForAll.has(k)) setForAll.set(k, { line: d.line, where: 'before any Host block' });
  }
  for (const section of outline.sections) {
    if (appliesToAllHosts(section)) {
      for (const d of section.body) {
        const k = d.keyword.toLowerCase();
        if (!setForAll.has(k)) setForAll.set(k, { line: d.line, where: `in '${section.kind} ${section.header.value}' (line ${section.header.line + 1})` });
      }
      continue;
    }
    for (const d of section.body) {
      const k = d.keyword.toLowerCase();
      const keyword = sshKeyword(k);
      const prior = setForAll.get(k);
      if (!keyword || keyword.cumulative || !prior) continue;
      out.push({
        ...diagnostic(keywordRange(d), DiagnosticSeverity.Warning, SSH_CODES.shadowed, `${keyword.name} here has no effect: line ${prior.line + 1} ${prior.where} sets it first, and ssh takes the first value. Move this Host block above it, or set ${keyword.name} there.`),
        tags: [DiagnosticTag.Unnecessary],
      });
    }
  }
  return out;
}

/** The directive at a position, and the value word under it (none when on the keyword). */
function directiveAt(outline: SshConfigOutline, p: Position): { directive: OutlineDirective; word?: OutlineWord } | undefined {
  const d = outline.directives.find((x) => x.line === p.line);
  if (!d) return undefined;
  if (p.character >= d.keywordStart && p.character <= d.keywordEnd) return { directive: d };
  const word = d.words.find((w) => p.character >= w.start && p.character <= w.end);
  if (!word) return undefined;
  if (d.keyword.toLowerCase() === 'proxyjump') {
    // One word may hold several hops: `a,b,c`. Narrow it to the hop under the cursor.
    let offset = word.start;
    for (const hop of word.text.split(',')) {
      const end = offset + hop.length;
      if (p.character >= offset && p.character <= end) return { directive: d, word: { text: hop, start: offset, end } };
      offset = end + 1;
    }
  }
  return { directive: d, word };
}

/** A ProxyJump hop, `[user@]host[:port]` or `ssh://…`, read as the engine reads targets. */
function hopAt(text: string): { host: string } {
  return parseHostTarget(text.replace(/^ssh:\/\//, ''));
}
