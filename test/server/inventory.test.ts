/**
 * The language server on Ansible inventories (INI and YAML) listed in its settings, over real
 * stdio LSP: the fleet's diagnostics at their lines, unknown ansible_* variables with a quick fix,
 * completion, hover through ssh_config, definitions, references, symbols and the run lenses on
 * groups and on ssh_config Tags.
 */
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction, CodeLens, CompletionItem, Diagnostic, DocumentSymbol, Hover, Location, MarkupContent } from 'vscode-languageserver-protocol';
import { ensureServerBuilt, LspClient } from './lspClient';

const SSH_CONFIG = `Host jump
  HostName 127.0.0.20
  Port 2200

Host web01
  HostName 127.0.0.21
  User deploy
  Tag canary

Host db-a
  Tag canary
`;

const INI = `# production
[web]
web[01:12] ansible_user=ops

[web:vars]
ansible_port=2222
ansible_prot=22

[db]
db-[a:c]
empty[5:1]

[prod:children]
web
db
missing

[loop1:children]
loop2

[loop2:children]
loop1

[dups]
web01 ansible_port=2200
web01 ansible_port=2300
`;

const YAML = `all:
  children:
    app:
      hosts:
        app1:
          ansible_host: 127.0.0.31
          ansible_usr: x
        app[2:3]:
      children:
        nothere:
`;

const at = (line: number, character: number) => ({ line, character });
const text = (m: string | MarkupContent) => (typeof m === 'string' ? m : m.value);
const summary = (ds: Diagnostic[]) => ds.map((d) => [d.range.start.line, d.code, text(d.message)]).sort((a, b) => Number(a[0]) - Number(b[0]));

describe('language server: Ansible inventories over stdio LSP', function () {
  this.timeout(90_000);
  let dir: string;
  let client: LspClient;
  let files: { ssh: string; ini: string; yaml: string };
  let uris: { ssh: string; ini: string; yaml: string };

  before(async () => {
    ensureServerBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-lsp-inv-'));
    files = { ssh: path.join(dir, 'ssh_config'), ini: path.join(dir, 'hosts.ini'), yaml: path.join(dir, 'hosts.yml') };
    fs.writeFileSync(files.ssh, SSH_CONFIG);
    fs.writeFileSync(files.ini, INI);
    fs.writeFileSync(files.yaml, YAML);
    fs.mkdirSync(path.join(dir, '.ssh'));
    client = await LspClient.start({ sshConfigFile: files.ssh, inventoryFiles: [files.ini, files.yaml], stateDir: path.join(dir, 'state') }, { HOME: dir });
    uris = {
      ssh: await client.open(files.ssh, 'remote-invoke-ssh-config'),
      ini: await client.open(files.ini, 'ini'),
      yaml: await client.open(files.yaml, 'yaml'),
    };
  });
  after(async () => {
    if (client) assert.strictEqual(await client.stop(), 0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('INI: undefined child group, cycle, empty range, conflicting duplicate host, unknown ansible_* variable', async () => {
    const diagnostics = await client.diagnosticsOf(uris.ini);
    assert.deepStrictEqual(summary(diagnostics), [
      [6, 'unknown-variable', "Unknown Ansible variable 'ansible_prot'. Did you mean 'ansible_port'?"],
      [10, 'empty-range', "host range 'empty[5:1]' expands to no host"],
      [15, 'undefined-group', "[prod:children] names group 'missing', which is not defined"],
      [21, 'group-cycle', "group 'loop1' cannot be a child of 'loop2': 'loop2' is already inside 'loop1'"],
      [25, 'duplicate-host', "host 'web01' has ansible_port 2300 here but 2200 in group 'dups'; the later one wins"],
    ]);
  });

  it('unknown ansible_* variable: the quick fix renames it, and the warning goes', async () => {
    const diagnostics = await client.diagnosticsOf(uris.ini);
    const unknown = diagnostics.find((d) => d.code === 'unknown-variable')!;
    assert.deepStrictEqual(unknown.range, { start: at(6, 0), end: at(6, 12) });
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: uris.ini }, range: unknown.range, context: { diagnostics: [unknown] } });
    const fix = actions.find((a) => a.isPreferred)!;
    assert.strictEqual(fix.title, "Change to 'ansible_port'");
    const [edit] = fix.edit!.changes![uris.ini];
    const lines = INI.split('\n');
    lines[6] = lines[6].slice(0, edit.range.start.character) + edit.newText + lines[6].slice(edit.range.end.character);
    await client.change(uris.ini, lines.join('\n'));
    const after = await client.diagnosticsOf(uris.ini);
    assert.ok(!after.some((d) => d.code === 'unknown-variable'), JSON.stringify(after));
    await client.change(uris.ini, INI);
    await client.diagnosticsOf(uris.ini, (ds) => ds.some((d) => d.code === 'unknown-variable'));
  });

  it('YAML: unknown ansible_* variable at its key', async () => {
    const diagnostics = await client.diagnosticsOf(uris.yaml);
    assert.deepStrictEqual(summary(diagnostics), [[6, 'unknown-variable', "Unknown Ansible variable 'ansible_usr'. Did you mean 'ansible_user'?"]]);
    assert.deepStrictEqual(diagnostics[0].range, { start: at(6, 10), end: at(6, 21) });
  });

  it('code lens: "Run active file on web (12 hosts)" on each group, and on each ssh_config Tag', async () => {
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: uris.ini } });
    assert.deepStrictEqual(
      lenses.map((l) => [l.range.start.line, l.command?.title]),
      [
        [1, 'Run active file on web (12 hosts)'],
        [8, 'Run active file on db (3 hosts)'],
        [12, 'Run active file on prod (15 hosts)'],
        [17, 'Run active file on loop1 (0 hosts)'],
        [20, 'Run active file on loop2 (0 hosts)'],
        [23, 'Run active file on dups (1 host)'],
      ],
    );
    const web = lenses[0].command!;
    assert.strictEqual(web.command, 'remoteInvoke.runActiveFileOnHosts');
    assert.deepStrictEqual(web.arguments, [{ group: 'web', hosts: Array.from({ length: 12 }, (_, i) => `web${String(i + 1).padStart(2, '0')}`) }]);

    const yamlLenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: uris.yaml } });
    assert.deepStrictEqual(yamlLenses.map((l) => l.command?.title), ['Run active file on all (19 hosts)', 'Run active file on app (3 hosts)', 'Run active file on nothere (0 hosts)']);

    const tagLenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: uris.ssh } });
    assert.deepStrictEqual(
      tagLenses.map((l) => [l.range.start.line, l.command?.title, l.command?.arguments]),
      [[7, 'Run active file on canary (2 hosts)', [{ group: 'canary', hosts: ['web01', 'db-a'] }]]],
    );
  });

  it('completion: host names on a host line, groups under children, variables after a host', async () => {
    const edited = INI.replace('[dups]\n', '[dups]\nwe\nweb05 ans\n').replace('missing\n', 'missing\nd\n');
    await client.change(uris.ini, edited);
    const lines = edited.split('\n');
    const hostLine = lines.indexOf('we');
    const hosts = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: uris.ini }, position: at(hostLine, 2) });
    const jump = hosts.find((h) => h.label === 'jump');
    assert.ok(jump, hosts.map((h) => h.label).join(','));
    assert.strictEqual(jump.detail, `${os.userInfo().username}@127.0.0.20:2200`);
    assert.ok(hosts.some((h) => h.label === 'web12') && hosts.some((h) => h.label === 'app1'));

    const vars = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: uris.ini }, position: at(hostLine + 1, 9) });
    const port = vars.find((v) => v.label === 'ansible_port')!;
    assert.ok(port, vars.map((v) => v.label).join(','));
    assert.strictEqual(port.textEdit && 'newText' in port.textEdit ? port.textEdit.newText : undefined, 'ansible_port=');

    const groups = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: uris.ini }, position: at(lines.indexOf('d'), 1) });
    const labels = groups.map((g) => g.label);
    for (const g of ['web', 'db', 'canary', 'app']) assert.ok(labels.includes(g), labels.join(','));
    await client.change(uris.ini, INI);

    // ssh_config: a Tag line offers the fleet's groups.
    await client.change(uris.ssh, SSH_CONFIG.replace('  Tag canary\n\nHost db-a', '  Tag canary \n\nHost db-a'));
    const tags = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: uris.ssh }, position: at(7, 13) });
    const tagLabels = tags.map((t) => t.label);
    for (const g of ['web', 'prod', 'app', 'canary']) assert.ok(tagLabels.includes(g), tagLabels.join(','));
    assert.ok(!tagLabels.includes('all'));
    await client.change(uris.ssh, SSH_CONFIG);

    const yamlEdited = YAML.replace('        nothere:\n', '        nothere:\n        we\n');
    await client.change(uris.yaml, yamlEdited);
    const yamlGroups = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri: uris.yaml }, position: at(10, 10) });
    assert.ok(yamlGroups.some((g) => g.label === 'web'), yamlGroups.map((g) => g.label).join(','));
    await client.change(uris.yaml, YAML);
  });

  it('hover: an inventory host shows its effective settings and where each came from; a group its hosts', async () => {
    const host = await client.request<Hover>('textDocument/hover', { textDocument: { uri: uris.ini }, position: at(24, 2) });
    const value = text(host.contents as MarkupContent);
    assert.match(value, /\*\*web01\*\* → `ops@127\.0\.0\.21:2300`/);
    assert.match(value, /\| address \| `127\.0\.0\.21` — HostName in ssh_config:6 \|/);
    assert.match(value, /\| user \| `ops` — ansible_user in hosts\.ini:3 \|/);
    assert.match(value, /\| groups \| `canary`, `dups`, `prod`, `web` \|/);

    const group = await client.request<Hover>('textDocument/hover', { textDocument: { uri: uris.ini }, position: at(12, 2) });
    assert.match(text(group.contents as MarkupContent), /^\*\*prod\*\* — 15 hosts\n\n`web01`, `db-a`, /);

    const range = await client.request<Hover>('textDocument/hover', { textDocument: { uri: uris.ini }, position: at(9, 2) });
    assert.match(text(range.contents as MarkupContent), /\*\*db-\[a:c\]\*\* — 3 hosts\n\n`db-a`, `db-b`, `db-c`/);
  });

  it('go to definition: a child group to its section, a host to its ssh_config Host block', async () => {
    const web = await client.request<Location[]>('textDocument/definition', { textDocument: { uri: uris.ini }, position: at(13, 1) });
    assert.deepStrictEqual(web.map((l) => [l.uri, l.range.start.line, l.range.start.character]), [[uris.ini, 1, 1]]);
    const host = await client.request<Location[]>('textDocument/definition', { textDocument: { uri: uris.ini }, position: at(24, 2) });
    assert.ok(host.some((l) => l.uri === pathToFileURL(files.ssh).href && l.range.start.line === 4), JSON.stringify(host));
  });

  it('find references: a group in its header, in children lists and in ssh_config Tag lines', async () => {
    const refs = await client.request<Location[]>('textDocument/references', { textDocument: { uri: uris.ini }, position: at(1, 2), context: { includeDeclaration: true } });
    assert.deepStrictEqual(
      refs.map((l) => [path.basename(new URL(l.uri).pathname), l.range.start.line]),
      [
        ['hosts.ini', 1],
        ['hosts.ini', 4],
        ['hosts.ini', 13],
      ],
    );
    const canary = await client.request<Location[]>('textDocument/references', { textDocument: { uri: uris.ssh }, position: at(7, 7), context: { includeDeclaration: true } });
    assert.deepStrictEqual(
      canary.map((l) => [l.range.start.line, l.range.start.character, l.range.end.character]),
      [
        [7, 6, 12],
        [10, 6, 12],
      ],
    );
  });

  it('document symbols: the groups, with their hosts', async () => {
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: uris.ini } });
    assert.deepStrictEqual(
      symbols.map((s) => s.name),
      ['web', 'web:vars', 'db', 'prod:children', 'loop1:children', 'loop2:children', 'dups'],
    );
    assert.deepStrictEqual(
      symbols[0].children!.map((c) => [c.name, c.detail]),
      [['web[01:12]', '12 hosts']],
    );
  });
});
