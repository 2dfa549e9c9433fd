// What the server knows beyond one document: its settings, the open documents (whose unsaved text
// wins over the disk), and which ssh_config tree a file belongs to. Files are read through the
// engine's own loaders, handed a reader that prefers the editor's text.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { loadFleet, type Fleet } from '../core/inventory/fleet';
import { defaultSshConfigPath, expandHome, SshConfigFile } from '../core/inventory/sshConfig';
import { LastRunStore, type LastRunRecord } from '../core/state/lastRun';
import { defaultStateDir } from '../core/state/stateStore';
import { includeTargets, outlineSshConfig, type OutlineSection, type SshConfigOutline } from '../core/inventory/sshConfigOutline';
import type { ServerSettings } from './protocol';

export interface ConfigFile {
  path: string;
  text: string;
  outline: SshConfigOutline;
}

export class Workspace {
  private settings: ServerSettings = {};
  private readonly open = new Map<string, TextDocument>();
  private readonly outlines = new Map<string, { text: string; outline: SshConfigOutline }>();

  private readonly fleets = new Map<string, { at: number; fleet: Fleet }>();
  private readonly engineConfigs = new Map<string, { at: number; config: SshConfigFile }>();

  configure(settings: ServerSettings | undefined): void {
    this.settings = { ...settings };
    this.changed();
  }

  /** An open document or a setting changed: what was derived from them is read again. */
  changed(): void {
    this.fleets.clear();
    this.engineConfigs.clear();
  }

  /** The record of the last finished run (CLI or extension), as `@failed` reads it. */
  lastRun(): LastRunRecord | undefined {
    return new LastRunStore(this.settings.stateDir || defaultStateDir()).read();
  }

  /**
   * The fleet as a run sees it: the ssh_config tree of `root` (the configured one by default) and
   * the inventories, resolved by the engine's loadFleet with the editor's unsaved text. Reused
   * until something changes, and for at most a second (files edited outside the editor).
   */
  fleet(root = this.sshConfigPath): Fleet {
    const cached = this.fleets.get(root);
    if (cached && Date.now() - cached.at < 1000) return cached.fleet;
    const fleet = loadFleet({ sshConfig: this.engineConfig(root), inventoryFiles: this.inventoryPaths, readFile: this.readFile });
    this.fleets.set(root, { at: Date.now(), fleet });
    return fleet;
  }

  /** Absolute path of the configured ssh_config (the engine's default when none is set). */
  get sshConfigPath(): string {
    const configured = this.settings.sshConfigFile?.trim();
    return configured ? path.resolve(expandHome(configured)) : defaultSshConfigPath();
  }

  get inventoryPaths(): string[] {
    return (this.settings.inventoryFiles ?? []).map((f) => path.resolve(expandHome(f)));
  }

  opened(doc: TextDocument): void {
    const file = filePathOf(doc.uri);
    if (file && this.open.get(file) !== doc) {
      this.open.set(file, doc);
      this.changed();
    }
  }

  closed(uri: string): void {
    const file = filePathOf(uri);
    if (file) this.open.delete(file);
    this.changed();
  }

  /** A file's text: the editor's, when it is open there, else the disk's. Throws when neither. */
  readonly readFile = (file: string): string => {
    const doc = this.open.get(path.resolve(file));
    return doc ? doc.getText() : fs.readFileSync(file, 'utf8');
  };

  /** One ssh_config file with positions; undefined when it cannot be read. */
  configFile(file: string): ConfigFile | undefined {
    let text: string;
    try {
      text = this.readFile(file);
    } catch {
      return undefined;
    }
    let cached = this.outlines.get(file);
    if (!cached || cached.text !== text) {
      cached = { text, outline: outlineSshConfig(text) };
      this.outlines.set(file, cached);
    }
    return { path: file, text, outline: cached.outline };
  }

  /** A root ssh_config and every file its Includes bring in, in the order the engine reads them. */
  configTree(root: string): ConfigFile[] {
    const files: ConfigFile[] = [];
    const seen = new Set<string>();
    const visit = (file: string, depth: number): void => {
      if (seen.has(file) || depth > 16) return;
      seen.add(file);
      const config = this.configFile(file);
      if (!config) return;
      files.push(config);
      for (const d of config.outline.directives) {
        if (d.keyword.toLowerCase() !== 'include') continue;
        for (const target of includeTargets(d)) for (const f of target.files) visit(path.resolve(f), depth + 1);
      }
    };
    visit(root, 0);
    return files;
  }

  /**
   * Every Host/Match block of a tree in the order ssh reads them: an Include's files at the
   * Include line. "First" (first value, first definition) means first in this order.
   */
  sectionsInReadingOrder(root: string): { file: string; section: OutlineSection }[] {
    const out: { file: string; section: OutlineSection }[] = [];
    // A file that includes itself (directly or not) is read once per Include by ssh, up to its
    // depth limit; here the cycle is cut, and a budget bounds diamonds of Includes.
    const including: string[] = [];
    let budget = 256;
    const visit = (file: string): void => {
      const config = this.configFile(file);
      if (!config || including.includes(file) || including.length > 16 || budget-- <= 0) return;
      including.push(file);
      let next = 0;
      for (const d of config.outline.directives) {
        while (next < config.outline.sections.length && config.outline.sections[next].header.line <= d.line) out.push({ file, section: config.outline.sections[next++] });
        if (d.keyword.toLowerCase() === 'include') for (const t of includeTargets(d)) for (const f of t.files) visit(path.resolve(f));
      }
      while (next < config.outline.sections.length) out.push({ file, section: config.outline.sections[next++] });
      including.pop();
    };
    visit(root);
    return out;
  }

  /** Every word of every `Tag` line of a tree: where ssh_config names groups. */
  tagWords(root: string): { file: string; word: string; range: Range }[] {
    return this.configTree(root).flatMap((f) =>
      f.outline.directives
        .filter((d) => d.keyword.toLowerCase() === 'tag')
        .flatMap((d) => d.words.map((w) => ({ file: f.path, word: w.text, range: { start: { line: d.line, character: w.start }, end: { line: d.line, character: w.end } } }))),
    );
  }

  /**
   * The ssh_config tree a file belongs to: the configured one when the file is it or one of its
   * Includes, else the file on its own (another user's config opened for editing).
   */
  rootOf(file: string): string {
    const configured = this.sshConfigPath;
    if (this.configTree(configured).some((f) => f.path === file)) return configured;
    return file;
  }

  /** The engine's view of a tree, read as the runs read it (with the editor's unsaved text). */
  engineConfig(root: string): SshConfigFile {
    const cached = this.engineConfigs.get(root);
    if (cached && Date.now() - cached.at < 1000) return cached.config;
    let text = '';
    try {
      text = this.readFile(root);
    } catch {
      /* an absent config is an empty one, as for the runs */
    }
    const config = SshConfigFile.fromText(text, this.readFile, root);
    this.engineConfigs.set(root, { at: Date.now(), config });
    return config;
  }
}

export function filePathOf(uri: string): string | undefined {
  return uri.startsWith('file:') ? path.resolve(fileURLToPath(uri)) : undefined;
}

export function uriOf(file: string): string {
  return pathToFileURL(file).href;
}
