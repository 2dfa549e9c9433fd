// The language client inside the real extension host: an ssh_config with a typo gets the server's
// diagnostic and its quick fix applies; the configured ssh_config gets the extension's language;
// an inventory's code lens runs the active script on the group's hosts.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostResult } from '../../../src/core';
import { api, testBed, waitFor, workspaceFile } from './helpers';

const LANGUAGE = 'remote-invoke-ssh-config';

describe('Language server (ssh_config and inventories)', function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    await api();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-lsp-ext-'));
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('remoteInvoke').update('inventoryFiles', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an ssh_config with a typo: the diagnostic says "did you mean", and its quick fix repairs the line', async () => {
    const file = path.join(dir, '.ssh', 'config');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'Host web1\n  HostNme 127.0.0.1\n  Port 2222\n');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    assert.strictEqual(doc.languageId, LANGUAGE, '**/.ssh/config is an ssh_config');

    const diagnostic = await waitFor(
      'the unknown-keyword diagnostic',
      () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.source === 'remote-invoke' && String(typeof d.code === 'object' ? d.code.value : d.code) === 'unknown-keyword'),
      60_000,
    );
    assert.strictEqual(diagnostic.message, "Unknown ssh_config keyword 'HostNme'. Did you mean 'HostName'?");
    assert.strictEqual(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    assert.deepStrictEqual([diagnostic.range.start.line, diagnostic.range.start.character, diagnostic.range.end.character], [1, 2, 9]);

    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === "Change to 'HostName'");
    assert.ok(fix?.edit, `quick fixes: ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.strictEqual(doc.lineAt(1).text, '  HostName 127.0.0.1');
    await waitFor('the diagnostic to go away', () => !vscode.languages.getDiagnostics(doc.uri).some((d) => d.source === 'remote-invoke'), 30_000);
    await doc.save();
  });

  it('hover on a keyword shows the ssh_config(5) documentation', async () => {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path.join(dir, '.ssh', 'config'))!;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(2, 3));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(text, /Specifies the port number to connect on the remote host/);
  });

  it('the configured ssh_config file (anywhere) is opened as ssh_config', async () => {
    const bed = await testBed();
    await vscode.workspace.openTextDocument(vscode.Uri.file(bed.sshConfigPath));
    // Its name says nothing (a test bed's `ssh_config`): the client sets the language because the setting names it.
    await waitFor('the ssh_config language on the configured file', () => vscode.workspace.textDocuments.some((d) => d.uri.fsPath === bed.sshConfigPath && d.languageId === LANGUAGE), 10_000);
  });

  it('an inventory listed in remoteInvoke.inventoryFiles: its group lens runs the active file on the group', async () => {
    await testBed();
    const ri = await api();
    const inventory = path.join(dir, 'fleet.ini');
    fs.writeFileSync(inventory, '[pair]\nhost1\nhost2\n\n[web:children]\npair\nmissing\n');
    await vscode.workspace.getConfiguration('remoteInvoke').update('inventoryFiles', [inventory], vscode.ConfigurationTarget.Global);

    const script = await vscode.workspace.openTextDocument(workspaceFile('hello.sh'));
    await vscode.window.showTextDocument(script);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(inventory));
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.Beside);

    const undefinedGroup = await waitFor(
      'the undefined-group diagnostic in the inventory',
      () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.message.includes("names group 'missing'")),
      60_000,
    );
    assert.strictEqual(undefinedGroup.range.start.line, 6);

    const lenses = await waitFor(
      'the group lenses',
      async () => {
        const got = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
        return got?.length ? got : undefined;
      },
      30_000,
    );
    assert.deepStrictEqual(
      lenses.map((l) => l.command?.title),
      ['Run active file on pair (2 hosts)', 'Run active file on web (2 hosts)'],
    );
    const lens = lenses[0].command!;
    const results = await vscode.commands.executeCommand<HostResult[]>(lens.command, ...(lens.arguments ?? []));
    assert.deepStrictEqual(
      results.map((r) => [r.host, r.status]),
      [
        ['host1', 'Completed'],
        ['host2', 'Completed'],
      ],
    );
    assert.match(ri.outputText('host1'), /hello\.sh/);
  });
});
