/**
 * The language server on its own, over real stdio LSP, on ssh_config files written to a temp
 * directory. HOME points at that directory, so `~/.ssh` (relative Includes, known_hosts, default
 * identities) is the test's own.
 */
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction, CompletionItem, Diagnostic, DocumentSymbol, Hover, Location, MarkupContent, WorkspaceEdit } from 'vscode-languageserver-protocol';
import { LastRunStore } from '../../src/core/state/lastRun';
import { ensureServerBuilt, LspClient } from './lspClient';

const LANG = 'remote-invoke-ssh-config';

/** Applies a WorkspaceEdit's edits for one URI to a text (edits are on distinct ranges). */
function applyEdit(text: string, edit: WorkspaceEdit, uri: string): string {
  const lines = text.split('\n');
  const edits = [...(edit.changes?.[uri] ?? [])].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
  for (const e of edits) {
    assert.strictEqual(e.range.start.line, e.range.end.line, 'single-line edits only');
    const l = lines[e.range.start.line];
    lines[e.range.start.line] = l.slice(0, e.range.start.character) + e.newText + l.slice(e.range.end.character);
  }
  return lines.join('\n');
}

const at = (line: number, character: number) => ({ line, character });
const text = (m: string | MarkupContent) => (typeof m === 'string' ? m : m.value);
const byCode = (ds: Diagnostic[], code: string) => ds.filter((d) => d.code === code);

describe('language server: ssh_config over stdio LSP', function () {
  this.timeout(90_000);
  let home: string;
  let ssh: string;
  let client: LspClient;
  let configPath: string;

  before(() => {
    ensureServerBuilt();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-lsp-'));
    ssh = path.join(home, '.ssh');
    fs.mkdirSync(path.join(ssh, 'config.d'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(ssh, 'id_web'), 'not really a key\n', { mode: 0o600 });
    fs.writeFileSync(path.join(ssh, 'config.d', 'db.conf'), 'Host db1\n  HostName 127.0.0.12\n  User dba\n');
    // A known key for web1's address, so its hover says so.
    fs.writeFileSync(path.join(ssh, 'known_hosts'), '[127.0.0.11]:2201 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n');
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  beforeEach(async () => {
    configPath = path.join(ssh, 'config');
    client = await LspClient.start({ sshConfigFile: configPath, stateDir: path.join(home, 'state') }, { HOME: home });
  });
  afterEach(async () => {
    const code = await client.stop();
    assert.strictEqual(code, 0, `server exit code (stderr: ${client.stderr.join('')})`);
  });

  const CONFIG = [
    /* 0 */ 'Include config.d/*.conf nothing-here/*.conf',
    /* 1 */ '',
    /* 2 */ 'Host *',
    /* 3 */ '  User ops',
    /* 4 */ '  ServerAliveInterval 30',
    /* 5 */ '',
    /* 6 */ 'Host web1 web-one',
    /* 7 */ '  HostNme 127.0.0.11',
    /* 8 */ '  Port 2201',
    /* 9 */ '  User admin',
    /* 10 */ '  IdentityFile ~/.ssh/id_web',
    /* 11 */ '',
    /* 12 */ 'Host web2',
    /* 13 */ '  HostName 127.0.0.13',
    /* 14 */ '  Port abc',
    /* 15 */ '  StrictHostKeyChecking maybe',
    /* 16 */ '  IdentityFile ~/.ssh/id_missing',
    /* 17 */ '  ProxyJump web1,db1',
    /* 18 */ '',
    /* 19 */ 'Host web1',
    /* 20 */ '  Port 2202',
    '',
  ].join('\n');

  async function openConfig(text = CONFIG): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
    fs.writeFileSync(configPath, text);
    const uri = await client.open(configPath, LANG);
    return { uri, diagnostics: await client.diagnosticsOf(uri) };
  }

  it('unknown keyword: an error with "did you mean", and a quick fix that makes it go away', async () => {
    const { uri, diagnostics } = await openConfig();
    const [unknown] = byCode(diagnostics, 'unknown-keyword');
    assert.ok(unknown, JSON.stringify(diagnostics));
    assert.strictEqual(unknown.severity, 1);
    assert.match(text(unknown.message), /Unknown ssh_config keyword 'HostNme'\. Did you mean 'HostName'\?/);
    assert.deepStrictEqual(unknown.range, { start: at(7, 2), end: at(7, 9) });

    const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: unknown.range, context: { diagnostics: [unknown] } });
    const fix = actions.find((a) => a.isPreferred);
    assert.ok(fix, JSON.stringify(actions));
    assert.strictEqual(fix.title, "Change to 'HostName'");
    assert.strictEqual(fix.kind, 'quickfix');
    const fixed = applyEdit(CONFIG, fix.edit!, uri);
    assert.strictEqual(fixed.split('\n')[7], '  HostName 127.0.0.11');

    await client.change(uri, fixed);
    const after = await client.diagnosticsOf(uri);
    assert.deepStrictEqual(byCode(after, 'unknown-keyword'), []);
  });

  it('bad values: Port abc, StrictHostKeyChecking maybe, a missing IdentityFile (an existing one is fine)', async () => {
    const { diagnostics } = await openConfig();
    const bad = byCode(diagnostics, 'bad-value');
    assert.deepStrictEqual(
      bad.map((d) => [d.range.start.line, d.message]),
      [
        [14, "Port must be a port number from 1 to 65535, not 'abc'"],
        [15, "StrictHostKeyChecking must be yes, no, ask or accept-new (off also means no), not 'maybe'"],
      ],
    );
    const missing = byCode(diagnostics, 'missing-identity-file');
    assert.deepStrictEqual(
      missing.map((d) => [d.range.start.line, d.message]),
      [[16, `IdentityFile ${path.join(ssh, 'id_missing')} does not exist`]],
    );
  });

  it('Include: a pattern that matches nothing is flagged, one that matches is not', async () => {
    const { diagnostics } = await openConfig();
    const include = byCode(diagnostics, 'include-matches-nothing');
    assert.deepStrictEqual(
      include.map((d) => [d.message, d.range]),
      [["Include 'nothing-here/*.conf' matches no file", { start: at(0, 24), end: at(0, 43) }]],
    );
  });

  it('duplicate Host, and a setting shadowed by an earlier Host * block', async () => {
    const { diagnostics } = await openConfig();
    const dup = byCode(diagnostics, 'duplicate-host');
    assert.strictEqual(dup.length, 1, JSON.stringify(diagnostics));
    assert.deepStrictEqual(dup[0].range, { start: at(19, 5), end: at(19, 9) });
    assert.match(text(dup[0].message), /Host 'web1' is already defined at line 7/);
    assert.strictEqual(dup[0].relatedInformation?.[0].location.range.start.line, 6);

    const shadowed = byCode(diagnostics, 'shadowed-by-host-star');
    assert.deepStrictEqual(
      shadowed.map((d) => d.range.start.line),
      [9],
      'User admin in web1 comes after Host * sets User; Port and HostName are not set there',
    );
    assert.match(text(shadowed[0].message), /User here has no effect: line 4 in 'Host \*' \(line 3\) sets it first, and ssh takes the first value/);
  });

  it('an Include that leads back to the file is an error, as ssh and the runs refuse such a config', async () => {
    const loop = path.join(ssh, 'config.d', 'loop.conf');
    fs.writeFileSync(loop, 'Include ~/.ssh/config\n');
    try {
      const { diagnostics } = await openConfig('Include config.d/loop.conf\nHost a\n  Port 22\n');
      assert.deepStrictEqual(
        diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]),
        [['include-loop', 0, 8]],
      );
      assert.match(text(diagnostics[0].message), /Include loop: loop\.conf leads back to this file/);
    } finally {
      fs.rmSync(loop);
    }
  });

  it('a file the engine cannot parse gets one error on the line that breaks it', async () => {
    const { diagnostics } = await openConfig('Host a\n  HostName 127.0.0.1\n  ProxyJump "unterminated\nHost b\n');
    assert.strictEqual(diagnostics.length, 1, JSON.stringify(diagnostics));
    assert.strictEqual(diagnostics[0].code, 'syntax');
    assert.strictEqual(diagnostics[0].range.start.line, 2);
  });

  it('without settings and on an unsaved (untitled) buffer, as another editor may send it', async () => {
    const bare = await LspClient.start(undefined, { HOME: home });
    try {
      const uri = 'untitled:Untitled-1';
      await bare.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'ssh_config', version: 1, text: 'Host x\n  Prot 22\n' } });
      const diagnostics = await bare.diagnosticsOf(uri);
      assert.deepStrictEqual(diagnostics.map((d) => text(d.message)), ["Unknown ssh_config keyword 'Prot'. Did you mean 'Port'?"]);
    } finally {
      assert.strictEqual(await bare.stop(), 0);
    }
  });

  it('a correct config has no diagnostics', async () => {
    const { diagnostics } = await openConfig('Host *\n  ServerAliveInterval 15\n\nHost a\n  HostName 127.0.0.1\n  Port 2222\n  StrictHostKeyChecking accept-new\n  IdentityFile ~/.ssh/id_web\n  Tag web prod\n');
    assert.deepStrictEqual(diagnostics, []);
  });

  it('completion: keywords with their documentation, the values a keyword allows, aliases after ProxyJump', async () => {
    const text = 'Include config.d/*.conf\nHost web1\n  HostName 127.0.0.11\nHost db9\n  Stri\n  StrictHostKeyChecking \n  ProxyJump \n';
    const { uri } = await openConfig(text);
    const keywords = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position: at(4, 6) });
    const strict = keywords.find((k) => k.label === 'StrictHostKeyChecking');
    assert.ok(strict, keywords.map((k) => k.label).join(','));
    assert.match((strict.documentation as MarkupContent).value, /known_hosts/);
    assert.ok(keywords.length > 90, `${keywords.length} keywords`);

    const values = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position: at(5, 24) });
    assert.deepStrictEqual(values.map((v) => v.label), ['yes', 'no', 'ask', 'accept-new', 'off']);

    const hops = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position: at(6, 12) });
    const labels = hops.map((h) => h.label);
    assert.ok(labels.includes('web1') && labels.includes('db1') && labels.includes('none'), labels.join(','));
    assert.strictEqual(hops.find((h) => h.label === 'web1')?.detail, `${os.userInfo().username}@127.0.0.11:22`);
  });

  it('hover: a keyword shows its documentation; an alias its effective settings, jump chain and known_hosts state', async () => {
    const { uri } = await openConfig();
    const keyword = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: at(8, 3) });
    assert.match((keyword.contents as MarkupContent).value, /^\*\*Port\*\*\n\nSpecifies the port number/);

    const web1 = (await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: at(6, 6) })).contents as MarkupContent;
    // ssh takes the first value: User comes from Host *, the rest from the web1 block.
    assert.match(web1.value, /\*\*web1\*\* → `ops@web1:2201`/, 'HostNme is a typo, so the address is the alias itself');
    // Each setting says where it came from (file:line, 1-based).
    assert.match(web1.value, /\| address \| `web1` — default \|/);
    assert.match(web1.value, /\| user \| `ops` — User in config:4 \|/);
    assert.match(web1.value, /\| port \| `2201` — Port in config:9 \|/);
    assert.ok(web1.value.includes(`| identity file | \`${path.join(ssh, 'id_web')}\` — IdentityFile in config:11 |`), web1.value);
    assert.match(web1.value, /\| jump chain \| direct \|/);
    assert.match(web1.value, /\| groups \| `ungrouped` \|/);
    assert.match(web1.value, /\| host key \| not in known_hosts yet \|/);
    assert.match(web1.value, /\| last run \| not in the last run \|/);

    const hop = (await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: at(17, 18) })).contents as MarkupContent;
    assert.match(hop.value, /\*\*db1\*\* → `dba@127.0.0.12:22`/);

    // The last run, as the CLI and the extension record it for @failed.
    new LastRunStore(path.join(home, 'state')).record([
      { host: 'web2', status: 'Unreachable' },
      { host: 'db1', status: 'Completed' },
    ]);
    const web2 = (await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: at(12, 6) })).contents as MarkupContent;
    assert.match(web2.value, /\| last run \| Unreachable \(20\d\d-/);
    assert.match(web2.value, /\| jump chain \| `ops@web1:2201` → `dba@127.0.0.12:22` → `web2` — ProxyJump in config:18 \|/);

    // Fix the typo: web1's address becomes 127.0.0.11, whose key known_hosts holds.
    await client.change(uri, CONFIG.replace('HostNme', 'HostName'));
    const fixed = (await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: at(6, 6) })).contents as MarkupContent;
    assert.match(fixed.value, /\| host key \| in known_hosts \(`\[127\.0\.0\.11\]:2201`\) \|/);
  });

  it('go to definition: a ProxyJump alias to its Host block (also in an Included file), an Include to its files', async () => {
    const { uri } = await openConfig();
    const web1 = await client.request<Location[]>('textDocument/definition', { textDocument: { uri }, position: at(17, 13) });
    assert.deepStrictEqual(
      web1.map((l) => [l.uri, l.range.start.line]),
      [
        [uri, 6],
        [uri, 19],
      ],
    );
    const db1 = await client.request<Location[]>('textDocument/definition', { textDocument: { uri }, position: at(17, 18) });
    const dbFile = path.join(ssh, 'config.d', 'db.conf');
    assert.deepStrictEqual(db1.map((l) => [l.uri, l.range.start.line]), [[pathToFileURL(dbFile).href, 0]]);
    const include = await client.request<Location[]>('textDocument/definition', { textDocument: { uri }, position: at(0, 12) });
    assert.deepStrictEqual(include.map((l) => l.uri), [pathToFileURL(dbFile).href]);
  });

  it('document symbols: one per Host block, with its settings as children', async () => {
    const { uri } = await openConfig();
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    assert.deepStrictEqual(
      symbols.map((s) => [s.name, s.range.start.line, s.range.end.line]),
      [
        ['Include', 0, 0],
        ['Host *', 2, 5],
        ['Host web1 web-one', 6, 11],
        ['Host web2', 12, 18],
        ['Host web1', 19, 21],
      ],
    );
    assert.deepStrictEqual(
      symbols[3].children!.map((c) => `${c.name} ${c.detail}`),
      ['HostName 127.0.0.13', 'Port abc', 'StrictHostKeyChecking maybe', 'IdentityFile ~/.ssh/id_missing', 'ProxyJump web1,db1'],
    );
  });

  it('an Included file is read where its Include stands: a Host it names first makes the later one the duplicate', async () => {
    const { uri: root } = await openConfig();
    const included = path.join(ssh, 'config.d', 'db.conf');
    const uri = await client.open(included, LANG, 'Host db1 web2\n  HostName 127.0.0.12\n');
    assert.deepStrictEqual(await client.diagnosticsOf(uri), [], 'db.conf is read before the rest of config (Include is its first line)');
    const rootDiagnostics = await client.diagnosticsOf(root, (ds) => byCode(ds, 'duplicate-host').length === 2);
    const web2 = byCode(rootDiagnostics, 'duplicate-host').find((d) => d.range.start.line === 12);
    assert.ok(web2, JSON.stringify(rootDiagnostics));
    assert.match(text(web2.message), /Host 'web2' is already defined at db\.conf line 1/);
    assert.strictEqual(web2.relatedInformation?.[0].location.uri, pathToFileURL(included).href);
  });
});
