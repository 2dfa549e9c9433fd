import * as assert from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostResult } from '../../../src/core';
import { api, testBed, waitFor, workspaceFile } from './helpers';

const HAVE_PWSH = spawnSync('pwsh', ['-NoLogo', '-NoProfile', '-NonInteractive', '-c', 'exit 0'], { stdio: 'ignore', timeout: 60_000 }).status === 0;

describe('PowerShell in the extension', function () {
  this.timeout(180_000);
  before(async function () {
    if (!HAVE_PWSH) {
      console.log('    (skipped: pwsh is not installed; scripts/setup.sh installs it)');
      this.skip();
    }
    await testBed();
  });

  it('a .ps1 run twice on two hosts: the second run sees the first run\'s variable; the results view\'s Objects tab shows both hosts\' rows', async () => {
    const ri = await api();
    const runFile = () =>
      vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runFile', { file: workspaceFile('count-runs.ps1'), hosts: ['host1', 'host2'] });
    const first = await runFile();
    assert.deepStrictEqual(first.map((r) => r.status), ['Completed', 'Completed'], JSON.stringify(first));
    const second = await runFile();
    assert.deepStrictEqual(second.map((r) => r.status), ['Completed', 'Completed'], JSON.stringify(second));
    const runId = ri.run()!.id;
    // The Objects table is a tab of the results view, not a panel of its own.
    await vscode.commands.executeCommand('remoteInvoke.showObjects');
    assert.ok(!vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => /^Objects/.test(t.label))), 'no separate Objects panel');
    const table = await waitFor(
      'the Objects table with both hosts of the second run',
      () => {
        const r = ri.objectsRendered();
        return r && r.runId === runId && r.total === 2 && r.visible ? r : undefined;
      },
      30_000,
    );
    assert.deepStrictEqual(table.columns, ['PSComputerName', 'Runs', 'Culture']);
    assert.deepStrictEqual(table.rows.map((row) => [row[0], row[1]]).sort(), [
      ['host1', '2'],
      ['host2', '2'],
    ]);
    ri.setObjectsView({ sort: { column: 'PSComputerName', descending: true } });
    const sorted = await waitFor('sorted descending', () => {
      const r = ri.objectsRendered();
      return r?.sort?.descending ? r : undefined;
    });
    assert.deepStrictEqual(sorted.rows.map((row) => row[0]), ['host2', 'host1']);
    ri.setObjectsView({ filter: 'host1' });
    const filtered = await waitFor('filtered to host1', () => {
      const r = ri.objectsRendered();
      return r?.filter === 'host1' ? r : undefined;
    });
    assert.strictEqual(filtered.shown, 1);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-objects-'));
    await vscode.commands.executeCommand('remoteInvoke.exportObjects', 'csv', vscode.Uri.file(path.join(dir, 'o.csv')));
    const csv = fs.readFileSync(path.join(dir, 'o.csv'), 'utf8').trim().split(/\r\n/);
    assert.strictEqual(csv[0], 'PSComputerName,Runs,Culture');
    assert.deepStrictEqual(csv.slice(1).map((l) => l.split(',').slice(0, 2).join(',')).sort(), ['host1,2', 'host2,2']);
    await vscode.commands.executeCommand('remoteInvoke.exportObjects', 'json', vscode.Uri.file(path.join(dir, 'o.json')));
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'o.json'), 'utf8')) as { PSComputerName: string; Runs: number }[];
    assert.deepStrictEqual(json.map((o) => [o.PSComputerName, o.Runs]).sort(), [
      ['host1', 2],
      ['host2', 2],
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.strictEqual(ri.resultsViewState().tab, 'objects');
    ri.setResultsView({ tab: 'hosts' });
  });

  it('the Sessions view lists PowerShell sessions beside POSIX ones, the shell named in the description; Remove ends only that one', async () => {
    const ri = await api();
    // host1 has a PowerShell session from the .ps1 runs above; a POSIX run gives it its sh session too.
    await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runFile', { file: workspaceFile('count-runs.ps1'), hosts: ['host1'] });
    const runsBefore = (ri.run()!.objects[0].value as { Runs: number }).Runs;
    await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'true\n', hosts: ['host1'] });
    const rows = await waitFor('host1\'s two sessions', () => {
      const mine = ri.sessions().filter((s) => s.host === 'host1');
      return mine.length === 2 && mine.every((s) => s.state === 'Opened') ? mine : undefined;
    }, 15_000);
    assert.deepStrictEqual(rows.map((r) => r.kind), ['posix', 'pwsh'], 'the POSIX session first, then PowerShell');
    assert.match(rows[0].description, /^Opened · idle \d+ s · sh$/);
    assert.match(rows[1].description, /^Opened · idle \d+ s · pwsh$/);
    assert.match(rows[1].tooltip, /PowerShell session \(pwsh\)/);
    assert.ok(rows[1].durable);

    // Disconnect and Remove act on the row they are given.
    await vscode.commands.executeCommand('remoteInvoke.disconnectSession', { host: 'host1', kind: 'pwsh' });
    await waitFor('the pwsh session disconnected', () => ri.sessions().find((s) => s.host === 'host1' && s.kind === 'pwsh' && s.state === 'Disconnected'), 10_000);
    assert.strictEqual(ri.sessionState('host1'), 'connected', 'the POSIX session stays connected');
    // The next .ps1 run reattaches to it: its variables are still there.
    const [again] = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runFile', { file: workspaceFile('count-runs.ps1'), hosts: ['host1'] });
    assert.strictEqual(again.status, 'Completed', JSON.stringify(again));
    assert.strictEqual((ri.run()!.objects[0].value as { Runs: number }).Runs, runsBefore + 1, 'the reattached session kept $runs');
    await vscode.commands.executeCommand('remoteInvoke.removeSession', { host: 'host1', kind: 'pwsh' });
    await waitFor('the pwsh row gone', () => !ri.sessions().some((s) => s.host === 'host1' && s.kind === 'pwsh'), 15_000);
    assert.ok(ri.sessions().some((s) => s.host === 'host1' && s.kind === 'posix' && s.state === 'Opened'), 'the POSIX session is still listed');
  });
});
