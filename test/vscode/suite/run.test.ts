import * as assert from 'node:assert';
import * as vscode from 'vscode';
import type { HostResult } from '../../../src/core';
import { api, testBed, waitFor, workspaceFile } from './helpers';

describe('Run on hosts', function () {
  before(async () => {
    await testBed();
  });

  it('runFile on two hosts fills both output panels and the results view', async () => {
    const ri = await api();
    const results = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runFile', {
      file: workspaceFile('hello.sh'),
      hosts: ['host1', 'host2'],
    });
    assert.deepStrictEqual(results.map((r) => [r.host, r.status, r.exitCode]), [['host1', 'Completed', 0], ['host2', 'Completed', 0]]);
    for (const host of ['host1', 'host2']) {
      const text = ri.outputText(host);
      assert.match(text, /▶ \d\d:\d\d:\d\d {2}hello\.sh {2}\[run \d+, 2 hosts\]/, text);
      assert.match(text, /hello from .* as /, text);
      assert.match(text, /■ Completed · exit 0 · \d/, text);
    }
    const runId = ri.run()!.id;
    const rendered = await waitFor('results view showing both hosts completed', () => {
      const r = ri.resultsRendered();
      return r && r.runId === runId && r.rows.length === 2 && r.rows.every((row) => row.state === 'Completed') ? r : undefined;
    });
    assert.deepStrictEqual(rendered.rows.map((r) => r.host), ['host1', 'host2']);
    assert.match(rendered.rows[0].firstLine, /^hello from /);
  });

  it('passes arguments intact: spaces, quotes, globs, dollar signs, empty strings', async () => {
    const ri = await api();
    const args = ['one', 'two words', "it's", '$HOME', '*', '', 'a"b', 'tab\there', 'ünïcödé'];
    const results = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runFile', {
      file: workspaceFile('args.sh'),
      hosts: ['host1', 'host2'],
      args,
    });
    assert.deepStrictEqual(results.map((r) => r.status), ['Completed', 'Completed']);
    const run = ri.run()!;
    for (const host of ['host1', 'host2']) {
      const lines = run.host(host).output.text().trimEnd().split('\n');
      assert.match(lines[0], new RegExp(`^args on .*: ${args.length}$`));
      assert.deepStrictEqual(lines.slice(1), args.map((a) => `[${a}]`));
    }
  });

  it('runSelection runs text on two hosts', async () => {
    const ri = await api();
    const results = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', {
      text: 'echo "selected: $((6 * 7))"\n',
      hosts: ['host1', 'host2'],
    });
    assert.deepStrictEqual(results.map((r) => r.status), ['Completed', 'Completed']);
    for (const host of ['host1', 'host2']) assert.match(ri.outputText(host), /selected: 42\n/);
  });

  it('reports an unreachable host without stopping the others', async () => {
    const ri = await api();
    const results = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runFile', {
      file: workspaceFile('hello.sh'),
      hosts: ['host1', 'down', 'host2'],
    });
    assert.deepStrictEqual(results.map((r) => [r.host, r.status]), [['host1', 'Completed'], ['down', 'Unreachable'], ['host2', 'Completed']]);
    assert.ok(results[1].error, 'the unreachable host says why');
    assert.match(ri.outputText('down'), /■ Unreachable · /);
    const runId = ri.run()!.id;
    await waitFor('results view with the unreachable row', () => {
      const r = ri.resultsRendered();
      return r?.runId === runId && r.rows.find((row) => row.host === 'down')?.state === 'Unreachable';
    });
  });

  it('keeps state across runs in the persistent session, until the session is reset', async () => {
    const ri = await api();
    const run = (text: string) => vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text, hosts: ['host1', 'host2'] });
    await run('REMOTE_INVOKE_COUNTER=41\ncd /tmp\nbump() { REMOTE_INVOKE_COUNTER=$((REMOTE_INVOKE_COUNTER + 1)); }\n');
    assert.strictEqual(ri.sessionState('host1'), 'connected');
    const second = await run('bump\necho "counter=$REMOTE_INVOKE_COUNTER pwd=$(pwd)"\n');
    assert.deepStrictEqual(second.map((r) => r.status), ['Completed', 'Completed']);
    for (const host of ['host1', 'host2']) {
      assert.deepStrictEqual(ri.run()!.host(host).output.text(), 'counter=42 pwd=/tmp\n');
    }
    await vscode.commands.executeCommand('remoteInvoke.resetSession', 'host1');
    assert.strictEqual(ri.sessionState('host1'), 'none');
    await run('echo "counter=${REMOTE_INVOKE_COUNTER:-unset}"\n');
    assert.strictEqual(ri.run()!.host('host1').output.text(), 'counter=unset\n');
    assert.strictEqual(ri.run()!.host('host2').output.text(), 'counter=42\n');
  });

  it('serves each host\'s full output as a read-only document', async () => {
    const ri = await api();
    await vscode.commands.executeCommand('remoteInvoke.runSelection', { text: 'for i in 1 2 3; do echo "line $i"; done\n', hosts: ['host1', 'host2'] });
    const doc = await vscode.workspace.openTextDocument(ri.outputUri('host2'));
    assert.strictEqual(doc.getText(), 'line 1\nline 2\nline 3\n');
    assert.strictEqual(doc.uri.scheme, 'remote-invoke-output');
  });
});

describe('Durable sessions', function () {
  it('survive a dropped connection: the next run reattaches to the same shell', async () => {
    const bed = await testBed();
    const ri = await api();
    const run = (text: string) => vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text, hosts: ['host1'] });
    await vscode.commands.executeCommand('remoteInvoke.resetSession', 'host1');
    await run('REMOTE_INVOKE_DURABLE=still-here\n');
    bed.killConnections('host1');
    await waitFor('host1 noticed the dropped link', () => ri.sessionState('host1') !== 'connected', 10_000);
    const results = await run('echo "value=${REMOTE_INVOKE_DURABLE:-lost}"\n');
    assert.strictEqual(results[0].status, 'Completed', results[0].error ?? '');
    assert.strictEqual(ri.run()!.host('host1').output.text(), 'value=still-here\n');
  });
});
