import * as assert from 'node:assert';
import * as vscode from 'vscode';
import type { HostResult } from '../../../src/core';
import { restoreRun, RunRecord, saveRun } from '../../../src/extension/results';
import { api, testBed, waitFor } from './helpers';

describe('Results, comparison, cancel, terminal', function () {
  before(async () => {
    await testBed();
  });

  it('a finished run survives a window reload as saved: states, results, both streams, first lines and a bounded tail', () => {
    const script = { text: 'echo hi\n', fileName: 'x.sh', title: 'x.sh', kind: 'file' as const, uri: vscode.Uri.file('/tmp/x.sh') };
    const run = new RunRecord(7, { title: 'x.sh', kind: 'file', file: script.uri, args: ['a b'], hosts: ['h1', 'h2', 'h3'], script }, 1 << 20);
    const h1 = run.host('h1');
    h1.output.append('stdout', 'one');
    h1.output.append('stderr', 'warn');
    Object.assign(h1, { state: 'Completed', result: { type: 'result', host: 'h1', status: 'Completed', exitCode: 0, signal: null, durationMs: 5, error: null } });
    const h2 = run.host('h2');
    for (let i = 0; i < 5000; i++) h2.output.append('stdout', `line ${i} ${'x'.repeat(40)}`);
    Object.assign(h2, { state: 'Failed', result: { type: 'result', host: 'h2', status: 'Failed', exitCode: 2, signal: null, durationMs: 9, error: null } });
    Object.assign(run.host('h3'), { state: 'Unreachable', result: { type: 'result', host: 'h3', status: 'Unreachable', exitCode: null, signal: null, durationMs: 1, error: 'cannot connect' } });
    run.endedAt = new Date();

    const again = restoreRun(JSON.parse(JSON.stringify(saveRun(run))), 1 << 20); // as workspaceState keeps it
    try {
      assert.deepStrictEqual([again.id, again.label, again.active, again.info.file?.fsPath, again.info.script.text], [7, "x.sh 'a b'", false, '/tmp/x.sh', 'echo hi\n']);
      assert.strictEqual(again.startedAt.getTime(), run.startedAt.getTime());
      assert.deepStrictEqual([...again.hosts.values()].map((h) => [h.host, h.state, h.result?.exitCode, h.result?.error]), [
        ['h1', 'Completed', 0, null],
        ['h2', 'Failed', 2, null],
        ['h3', 'Unreachable', null, 'cannot connect'],
      ]);
      assert.deepStrictEqual(again.host('h1').output.tail(), [{ stream: 'stdout', line: 'one' }, { stream: 'stderr', line: 'warn' }]);
      const text = again.host('h2').output.text();
      assert.deepStrictEqual(again.host('h2').firstLines(2), [`line 0 ${'x'.repeat(40)}`, `line 1 ${'x'.repeat(40)}`]);
      assert.match(text, /… \d+ lines not kept across the window reload …/);
      assert.ok(text.endsWith(`line 4999 ${'x'.repeat(40)}\n`));
      assert.ok(text.length < 80 * 1024, `${text.length} bytes kept`);
    } finally {
      run.dispose();
      again.dispose();
    }
  });

  it('groups hosts whose output is identical', async () => {
    const ri = await api();
    await vscode.commands.executeCommand('remoteInvoke.runSelection', { text: 'echo same everywhere\n', hosts: ['host1', 'host2', 'down'] });
    const runId = ri.run()!.id;
    ri.setResultsGrouped(true);
    try {
      const rendered = await waitFor('grouped results', () => {
        const r = ri.resultsRendered();
        return r?.runId === runId && r.grouped ? r : undefined;
      });
      assert.deepStrictEqual(
        rendered.groups.map((g) => [g.label, g.hosts]),
        // failed and unreachable hosts first
        [['down', ['down']], ['2 hosts, same output', ['host1', 'host2']]],
      );
    } finally {
      ri.setResultsGrouped(false);
    }
  });

  it('compares two hosts\' outputs in the diff editor', async () => {
    const ri = await api();
    await vscode.commands.executeCommand('remoteInvoke.runSelection', { text: 'echo common\necho "only on $(uname -n)-$$"\n', hosts: ['host1', 'host2'] });
    await ri.compareOutputs('host1', 'host2');
    const tab = await waitFor('a diff tab', () => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t?.input instanceof vscode.TabInputTextDiff ? t : undefined;
    });
    const input = tab.input as vscode.TabInputTextDiff;
    assert.strictEqual(input.original.toString(), ri.outputUri('host1').toString());
    assert.strictEqual(input.modified.toString(), ri.outputUri('host2').toString());
    assert.match(tab.label, /host1 ↔ host2/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('cancels a run: the remote processes stop and the hosts end Cancelled', async () => {
    const ri = await api();
    const started = Date.now();
    const pending = vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'echo started\nsleep 30\necho not reached\n', hosts: ['host1', 'host2'] });
    await waitFor('both hosts started', () => ri.outputText('host1').endsWith('started\n') && ri.outputText('host2').endsWith('started\n'), 15_000);
    await vscode.commands.executeCommand('remoteInvoke.cancelRun');
    const results = await pending;
    assert.deepStrictEqual(results.map((r) => r.status), ['Cancelled', 'Cancelled']);
    assert.ok(Date.now() - started < 15_000, 'did not wait for the sleep');
    assert.doesNotMatch(ri.outputText('host1'), /not reached/);
    // The sessions survive a cancelled run.
    const next = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'echo after cancel\n', hosts: ['host1', 'host2'] });
    assert.deepStrictEqual(next.map((r) => r.status), ['Completed', 'Completed']);
  });

  it('opens an interactive terminal on a host', async () => {
    const ri = await api();
    await vscode.commands.executeCommand('remoteInvoke.resetSession', 'host2');
    const opened = new Promise<vscode.Terminal>((resolve) => {
      const sub = vscode.window.onDidOpenTerminal((t) => {
        if (t.name === 'Remote Invoke: host2') {
          sub.dispose();
          resolve(t);
        }
      });
    });
    await vscode.commands.executeCommand('remoteInvoke.openTerminal', 'host2');
    const terminal = await opened;
    await waitFor('host2 session open', () => ri.sessionState('host2') === 'connected', 15_000);
    const closed = new Promise<vscode.Terminal>((resolve) => {
      const sub = vscode.window.onDidCloseTerminal((t) => {
        if (t === terminal) {
          sub.dispose();
          resolve(t);
        }
      });
    });
    terminal.sendText('exit 7');
    const ended = await Promise.race([closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000))]);
    assert.ok(ended, 'the terminal closes when the remote shell exits');
    assert.strictEqual(ended.exitStatus?.code, 7);
  });
});
