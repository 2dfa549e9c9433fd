// The results view's Objects tab (issue 9) for POSIX runs: stdout lines that are JSON objects
// (jq -c, json.dumps) become rows of one grid across hosts, with PSComputerName; the grid sorts
// by any column (numbers as numbers), filters, exports what it shows, and stays virtualised at
// thousands of objects.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import type { HostResult } from '../../../src/core';
import { api, testBed, waitFor } from './helpers';

describe('Objects tab of the results view (POSIX JSON lines)', function () {
  this.timeout(120_000);

  before(async () => {
    await testBed();
  });

  after(async () => {
    (await api()).setResultsView({ tab: 'hosts' });
  });

  it('2 hosts × 3,000 JSON lines: one grid with PSComputerName, numeric sort, filter, bounded row elements', async () => {
    const ri = await api();
    const results = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', {
      // one line that is not an object, one JSON array (not an object), then 3,000 objects
      text: 'echo "plain text"\necho "[1,2]"\ni=1; while [ $i -le 3000 ]; do printf \'{"i":%d,"name":"item %d","odd":%d}\\n\' $i $i $((i % 2)); i=$((i+1)); done\n',
      hosts: ['host1', 'host2'],
    });
    assert.deepStrictEqual(results.map((r) => r.status), ['Completed', 'Completed'], JSON.stringify(results));
    const runId = ri.run()!.id;
    assert.strictEqual(ri.run()!.objects.length, 6000);
    await vscode.commands.executeCommand('remoteInvoke.showObjects');
    const table = await waitFor('6,000 objects drawn on the Objects tab', () => {
      const r = ri.objectsRendered();
      return r?.runId === runId && r.total === 6000 && r.visible ? r : undefined;
    }, 30_000);
    assert.deepStrictEqual(table.columns, ['PSComputerName', 'i', 'name', 'odd']);
    assert.ok(table.domRows > 0 && table.domRows < 150, `${table.domRows} row elements for 6,000 objects: not virtualised`);

    ri.setObjectsView({ sort: { column: 'i', descending: true } });
    const sorted = await waitFor('sorted by i, descending', () => {
      const r = ri.objectsRendered();
      return r?.sort?.column === 'i' && r.sort.descending ? r : undefined;
    });
    // numbers sort as numbers: 3000 before 999
    assert.deepStrictEqual(sorted.rows.slice(0, 2).map((row) => row[1]), ['3000', '3000']);
    assert.deepStrictEqual(sorted.rows.slice(0, 2).map((row) => row[0]).sort(), ['host1', 'host2']);

    ri.setObjectsView({ filter: 'item 2999' });
    const filtered = await waitFor('filtered', () => {
      const r = ri.objectsRendered();
      return r?.filter === 'item 2999' ? r : undefined;
    });
    assert.strictEqual(filtered.shown, 2);
    assert.deepStrictEqual(filtered.rows.map((row) => row.slice(1)), [['2999', 'item 2999', '1'], ['2999', 'item 2999', '1']]);

    ri.setObjectsView({ sort: { column: 'PSComputerName', descending: false }, filter: 'host2' });
    const byHost = await waitFor('host2 only', () => {
      const r = ri.objectsRendered();
      return r?.filter === 'host2' && r.sort?.column === 'PSComputerName' ? r : undefined;
    });
    assert.strictEqual(byHost.shown, 3000);
    ri.setObjectsView({ sort: null, filter: '' });
  });

  it('a run without objects: the per-host table shows, with no Objects table for it', async () => {
    const ri = await api();
    await vscode.commands.executeCommand('remoteInvoke.runSelection', { text: 'echo no objects here\n', hosts: ['host1'] });
    const runId = ri.run()!.id;
    assert.strictEqual(ri.run()!.objects.length, 0);
    const drawn = await waitFor('the run drawn', () => (ri.resultsRendered()?.runId === runId ? ri.resultsRendered() : undefined));
    assert.ok(drawn.domRows > 0, 'the hosts table is what shows');
    assert.notStrictEqual(ri.objectsRendered()?.runId, runId);
  });
});
