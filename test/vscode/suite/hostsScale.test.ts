// The Hosts view at 2,000 hosts in 100 groups, in the real extension host and workbench: loading
// the inventory, expanding groups (VS Code's renderer fetches the rows), checking a group, a host
// and everything, and filtering, each timed, while a probe measures how long the extension host's
// event loop was blocked.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, testBed, waitFor } from './helpers';

const GROUPS = 100;
const PER_GROUP = 20;

describe('Hosts view: 2,000 hosts in 100 groups', function () {
  this.timeout(180_000);
  let file: string;

  before(async () => {
    await testBed();
    await vscode.commands.executeCommand('workbench.view.extension.remoteInvoke');
    file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'scale.ini');
    const lines: string[] = ['# 2,000 hosts in 100 racks; every host is also in one of 10 rows'];
    for (let g = 0; g < GROUPS; g++) {
      lines.push('', `[rack${String(g).padStart(2, '0')}]`);
      for (let i = 0; i < PER_GROUP; i++) lines.push(`s${String(g * PER_GROUP + i).padStart(4, '0')} ansible_host=127.0.0.1`);
    }
    for (let r = 0; r < 10; r++) {
      lines.push('', `[row${r}:children]`);
      for (let g = r * 10; g < r * 10 + 10; g++) lines.push(`rack${String(g).padStart(2, '0')}`);
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');
  });

  after(async () => {
    const ri = await api();
    await ri.setCheckedHosts([]);
    await vscode.commands.executeCommand('remoteInvoke.clearHostsFilter');
    await vscode.workspace.getConfiguration('remoteInvoke').update('inventoryFiles', undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(file, { force: true });
    await waitFor('the small host list back', () => ri.hosts().length === 3, 20_000);
  });

  it('loads, expands, checks and filters without a visible stall', async () => {
    const ri = await api();
    const timings: Record<string, number> = {};
    // CPU time of the extension host: what the view's work costs, whatever else the (shared) machine does.
    const cpu: Record<string, number> = {};
    let maxLag = 0;
    let loadLag = 0;
    let last = performance.now();
    const probe = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last - 10);
      last = now;
    }, 10);
    // One sample can take in a garbage collection or other work of the extension host that the
    // view did not cause: an operation that can be undone is measured three times (undone in
    // between, unmeasured), and its cheapest sample counts.
    const time = async (what: string, f: () => unknown, undo?: () => unknown): Promise<void> => {
      for (let sample = 0; sample < (undo ? 3 : 1); sample++) {
        if (sample) await undo!();
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        await f();
        const c = process.cpuUsage(c0);
        timings[what] = Math.min(timings[what] ?? Infinity, Math.round(performance.now() - t0));
        cpu[what] = Math.min(cpu[what] ?? Infinity, Math.round((c.user + c.system) / 1000));
      }
    };
    try {
      const loadStart = performance.now();
      await vscode.workspace.getConfiguration('remoteInvoke').update('inventoryFiles', ['scale.ini'], vscode.ConfigurationTarget.Workspace);
      const roots = await waitFor('the 10 rows of racks', () => {
        const r = ri.hostTree();
        return r.length === 10 + 3 && r[0].name === 'row0' ? r : undefined;
      }, 60_000);
      timings['load inventory + first tree'] = Math.round(performance.now() - loadStart);
      // Let the probe see the load's own stall before the operations are measured.
      await new Promise((r) => setTimeout(r, 100));
      assert.strictEqual(ri.hosts().length, 2000 + 3);
      loadLag = maxLag;
      maxLag = 0;

      // Expanding goes through the workbench: reveal resolves once VS Code has fetched and shown the rows.
      await time('expand row0', () => ri.revealHostRow(roots[0].id));
      const rack = roots[0].children![0];
      await time('expand rack00 (20 hosts)', () => ri.revealHostRow(rack.id));
      await time('expand row9 › rack99', async () => {
        await ri.revealHostRow(roots[9].id);
        await ri.revealHostRow(roots[9].children![9].id);
      });
      const checkBox = (id: string, on: boolean) => () => ri.clickHostCheckboxes([[id, on]], []);
      const command = (id: string, ...args: unknown[]) => () => vscode.commands.executeCommand(id, ...args);
      await time('check rack00 (20 hosts)', checkBox(rack.id, true), checkBox(rack.id, false));
      assert.strictEqual(ri.hosts().filter((h) => h.checked).length, 20);
      await time('check row9 (200 hosts)', checkBox(roots[9].id, true), checkBox(roots[9].id, false));
      await time('uncheck one host', checkBox(rack.children![3].id, false), checkBox(rack.children![3].id, true));
      assert.strictEqual(ri.hosts().filter((h) => h.checked).length, 219);
      await time('Check All (2,003 hosts)', command('remoteInvoke.checkAllHosts'), command('remoteInvoke.uncheckAllHosts'));
      assert.strictEqual(ri.hosts().filter((h) => h.checked).length, 2003);
      await time('Uncheck All', command('remoteInvoke.uncheckAllHosts'), command('remoteInvoke.checkAllHosts'));
      await time('filter "s01" (100 hosts)', command('remoteInvoke.filterHosts', 's01'), command('remoteInvoke.clearHostsFilter'));
      await time('Check All through the filter', command('remoteInvoke.checkAllHosts'), command('remoteInvoke.uncheckAllHosts'));
      assert.strictEqual(ri.hosts().filter((h) => h.checked).length, 100);
      await time('draw the filtered tree (rows)', () => ri.hostTree());
      await time('clear the filter', command('remoteInvoke.clearHostsFilter'), command('remoteInvoke.filterHosts', 's01'));
      await time('draw every row of the tree (2,000 host rows)', () => ri.hostTree());
      // A round trip through the workbench after all of that: it is not still busy drawing.
      await time('expand row5 afterwards', () => ri.revealHostRow(roots[5].id));
    } finally {
      clearInterval(probe);
    }
    const table = Object.entries(timings)
      .map(([k, v]) => `        ${k.padEnd(46)} ${String(v).padStart(5)} ms wall ${cpu[k] === undefined ? '' : `${String(cpu[k]).padStart(5)} ms extension-host CPU`}`)
      .join('\n');
    const load = os.loadavg()[0].toFixed(1);
    console.log(`      2,000 hosts / 110 groups (load average ${load} on ${os.cpus().length} cores):\n${table}\n        longest extension-host stall: ${Math.round(maxLag)} ms (while loading: ${Math.round(loadLag)} ms)`);
    // The view's own work for checking and filtering must not be felt (well under 100 ms of CPU).
    // Wall times depend on how busy the shared machine is: they are reported, and bounded loosely.
    for (const [what, ms] of Object.entries(cpu)) {
      if (what.startsWith('expand') || what.startsWith('draw every')) continue;
      assert.ok(ms < 100, `${what} cost the extension host ${ms} ms of CPU`);
    }
    assert.ok(cpu['draw every row of the tree (2,000 host rows)'] < 500);
    for (const [what, ms] of Object.entries(timings)) if (!what.startsWith('load')) assert.ok(ms < 15_000, `${what} took ${ms} ms`);
    assert.ok(timings['load inventory + first tree'] < 60_000, `loading took ${timings['load inventory + first tree']} ms`);
  });
});
