// The Hosts view at fleet scale, in the real extension host: groups from an Ansible INI inventory
// and ssh_config Tag lines, tri-state group checkboxes, multi-select checking, Check All through
// the filter, group edits written byte for byte, last results and Select Failed after a real run,
// and the timing of a 2,000-host tree.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostResult } from '../../../src/core';
import type { HostTreeRow } from '../../../src/extension/hostsView';
import { api, testBed, waitFor } from './helpers';

const config = () => vscode.workspace.getConfiguration('remoteInvoke');
const folder = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

function find(rows: HostTreeRow[], pathOf: string[]): HostTreeRow {
  let level = rows;
  let row: HostTreeRow | undefined;
  for (const name of pathOf) {
    row = level.find((r) => r.name === name);
    if (!row) throw new Error(`no row ${pathOf.join(' › ')} (at ${name}; have ${level.map((r) => r.name).join(', ')})`);
    level = row.children ?? [];
  }
  return row!;
}

async function setInventories(files: string[] | undefined): Promise<void> {
  await config().update('inventoryFiles', files, vscode.ConfigurationTarget.Workspace);
}

describe('Hosts view: groups', function () {
  this.timeout(120_000);
  let inventory: string;
  let originalConfig: string;

  before(async () => {
    const bed = await testBed();
    await vscode.commands.executeCommand('workbench.view.extension.remoteInvoke');
    originalConfig = fs.readFileSync(bed.sshConfigPath, 'utf8');
    // ssh_config Tag: host2 is in `tagged` (OpenSSH 9.4+ syntax; ssh itself ignores it for connecting).
    fs.writeFileSync(bed.sshConfigPath, originalConfig.replace(/^Host host2$/m, 'Host host2\n  Tag tagged'));
    inventory = path.join(folder(), 'fleet.ini');
    fs.writeFileSync(
      inventory,
      [
        '# the test fleet',
        '[web]',
        'host1',
        'host2',
        '',
        '[db]',
        'host1   # host1 is in web and in db',
        '',
        '[dc:children]',
        'web',
        'db',
        '',
      ].join('\n'),
    );
    await setInventories(['fleet.ini']);
  });

  after(async () => {
    const ri = await api();
    await ri.setCheckedHosts([]);
    await vscode.commands.executeCommand('remoteInvoke.clearHostsFilter');
    await setInventories(undefined);
    fs.writeFileSync((await testBed()).sshConfigPath, originalConfig);
    fs.rmSync(inventory, { force: true });
    fs.rmSync(path.join(folder(), '.vscode/remote-invoke-inventory.ini'), { force: true });
    await waitFor('the plain host list back', () => ri.hostTree().every((r) => r.kind === 'host') && ri.hosts().length === 3, 10_000);
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('remoteInvoke.clearHostsFilter');
  });

  it('shows groups as nodes (children under parents, Tag groups too); a host in two groups is under both; ungrouped hosts stay listed', async () => {
    const ri = await api();
    const rows = await waitFor('groups in the tree', () => (ri.hostTree().some((r) => r.name === 'dc') ? ri.hostTree() : undefined));
    assert.deepStrictEqual(
      rows.map((r) => `${r.kind}:${r.name}`),
      ['group:dc', 'group:tagged', 'host:down'],
    );
    assert.deepStrictEqual(find(rows, ['dc']).children!.map((r) => r.name), ['web', 'db']);
    assert.deepStrictEqual(find(rows, ['dc', 'web']).children!.map((r) => r.name), ['host1', 'host2']);
    assert.deepStrictEqual(find(rows, ['dc', 'db']).children!.map((r) => r.name), ['host1']);
    assert.deepStrictEqual(find(rows, ['tagged']).children!.map((r) => r.name), ['host2']);
    assert.strictEqual(find(rows, ['dc']).description, '2 hosts');
    // The flat list still names every host once, with its groups.
    assert.deepStrictEqual(ri.hosts().map((h) => h.name), ['host1', 'host2', 'down']);
    assert.deepStrictEqual(ri.hosts()[0].groups, ['web', 'db']);
  });

  it('tri-state: checking a group checks its hosts; a partly checked group says so; one checked state per host', async () => {
    const ri = await api();
    await ri.setCheckedHosts([]);
    const db = find(ri.hostTree(), ['dc', 'db']);
    await ri.clickHostCheckboxes([[db.id, true]], []);
    let rows = ri.hostTree();
    assert.deepStrictEqual(ri.hosts().filter((h) => h.checked).map((h) => h.name), ['host1']);
    // host1 is checked under web too: web is partly checked, db fully, dc partly.
    assert.strictEqual(find(rows, ['dc', 'web', 'host1']).checked, true);
    assert.strictEqual(find(rows, ['dc', 'db']).checked, true);
    const web = find(rows, ['dc', 'web']);
    assert.strictEqual(web.checked, false);
    assert.strictEqual(web.partial, true);
    assert.match(web.description, /1 of 2 hosts checked/);
    assert.strictEqual(find(rows, ['dc']).partial, true);
    // Clicking the partly checked group's box checks all of it.
    await ri.clickHostCheckboxes([[web.id, true]], []);
    rows = ri.hostTree();
    assert.strictEqual(find(rows, ['dc']).checked, true);
    assert.strictEqual(find(rows, ['dc']).partial, false);
    assert.strictEqual(find(rows, ['tagged']).checked, true, 'host2 checked through web shows in its Tag group too');
    // Unchecking host1 where it appears under db unchecks it under web as well.
    await ri.clickHostCheckboxes([[find(rows, ['dc', 'db', 'host1']).id, false]], []);
    rows = ri.hostTree();
    assert.strictEqual(find(rows, ['dc', 'web', 'host1']).checked, false);
    assert.strictEqual(find(rows, ['dc', 'db']).checked, false);
    assert.strictEqual(find(rows, ['dc', 'db']).partial, false);
    assert.deepStrictEqual(ri.hosts().filter((h) => h.checked).map((h) => h.name), ['host2']);
  });

  it('checking one row of a multi-selection checks every selected row; a row outside the selection only itself', async () => {
    const ri = await api();
    await ri.setCheckedHosts([]);
    const rows = ri.hostTree();
    const selection = [find(rows, ['dc', 'web', 'host1']).id, find(rows, ['tagged', 'host2']).id, find(rows, ['down']).id];
    await ri.clickHostCheckboxes([[selection[1], true]], selection);
    assert.deepStrictEqual(ri.hosts().filter((h) => h.checked).map((h) => h.name), ['host1', 'host2', 'down']);
    await ri.clickHostCheckboxes([[find(rows, ['down']).id, false]], [selection[0], selection[1]]);
    assert.deepStrictEqual(ri.hosts().filter((h) => h.checked).map((h) => h.name), ['host1', 'host2']);
    await ri.clickHostCheckboxes([[selection[0], false]], selection);
    assert.deepStrictEqual(ri.hosts().filter((h) => h.checked).map((h) => h.name), []);
  });

  it('Check All and Uncheck All act on what the filter shows', async () => {
    const ri = await api();
    await ri.setCheckedHosts(['down']);
    await vscode.commands.executeCommand('remoteInvoke.filterHosts', 'host');
    assert.strictEqual(ri.hostsFilter(), 'host');
    const shown = ri.hostTree();
    assert.ok(!shown.some((r) => r.name === 'down'), 'down is filtered out');
    await vscode.commands.executeCommand('remoteInvoke.checkAllHosts');
    assert.deepStrictEqual(ri.hosts().filter((h) => h.checked).map((h) => h.name), ['host1', 'host2', 'down']);
    await vscode.commands.executeCommand('remoteInvoke.filterHosts', 'tagged');
    assert.deepStrictEqual(ri.hostTree().map((r) => r.name), ['tagged']);
    await vscode.commands.executeCommand('remoteInvoke.uncheckAllHosts');
    assert.deepStrictEqual(ri.hosts().filter((h) => h.checked).map((h) => h.name), ['host1', 'down']);
    // A filter on a host name shows only that host under its groups; Check All leaves the rest alone.
    await ri.setCheckedHosts([]);
    await vscode.commands.executeCommand('remoteInvoke.filterHosts', 'host2');
    assert.deepStrictEqual(find(ri.hostTree(), ['dc', 'web']).children!.map((r) => r.name), ['host2']);
    await vscode.commands.executeCommand('remoteInvoke.checkAllHosts');
    assert.deepStrictEqual(ri.hosts().filter((h) => h.checked).map((h) => h.name), ['host2']);
    // A target pattern, as -H takes it: web and not db.
    await ri.setCheckedHosts([]);
    await vscode.commands.executeCommand('remoteInvoke.filterHosts', 'web:!db');
    assert.deepStrictEqual(find(ri.hostTree(), ['dc', 'web']).children!.map((r) => r.name), ['host2']);
    await vscode.commands.executeCommand('remoteInvoke.checkAllHosts');
    assert.deepStrictEqual(ri.hosts().filter((h) => h.checked).map((h) => h.name), ['host2']);
    await vscode.commands.executeCommand('remoteInvoke.clearHostsFilter');
    assert.strictEqual(ri.hostsFilter(), '');
    assert.ok(ri.hostTree().some((r) => r.name === 'down'));
    await vscode.commands.executeCommand('remoteInvoke.checkAllHosts');
    assert.deepStrictEqual(ri.hosts().filter((h) => h.checked).map((h) => h.name), ['host1', 'host2', 'down']);
    await ri.setCheckedHosts([]);
  });

  it('New Group, Add to Group and Remove from Group edit the INI file only on the lines they change', async () => {
    const ri = await api();
    const before = fs.readFileSync(inventory, 'utf8');
    // With one INI inventory configured the choice is that file; the rows come as the tree menu passes them.
    const rows = ri.hostTree();
    const down = find(rows, ['down']);
    await vscode.commands.executeCommand('remoteInvoke.addToGroup', { group: 'db', hosts: ['down'], file: inventory });
    assert.strictEqual(fs.readFileSync(inventory, 'utf8'), before.replace('host1   # host1 is in web and in db\n', 'host1   # host1 is in web and in db\ndown\n'));
    const downInDb = await waitFor('down under db', () => {
      const db = find(ri.hostTree(), ['dc', 'db']);
      return db.children!.find((r) => r.name === 'down');
    });
    assert.ok(!ri.hostTree().some((r) => r.name === 'down'), 'no longer ungrouped');
    // Remove from Group on the row under db (clicked row + selection, as the context menu passes them).
    const node = { kind: 'host', name: 'down', id: downInDb.id, parent: { kind: 'group', group: 'db', id: downInDb.id.replace(/\/h:down$/, '') } };
    const changed = await vscode.commands.executeCommand<string[]>('remoteInvoke.removeFromGroup', node, [node]);
    assert.deepStrictEqual(changed, [inventory]);
    assert.strictEqual(fs.readFileSync(inventory, 'utf8'), before, 'byte for byte the original file');
    await waitFor('down ungrouped again', () => ri.hostTree().some((r) => r.name === 'down'));
    assert.ok(down);

    await vscode.commands.executeCommand('remoteInvoke.newGroup', { group: 'canary', hosts: ['host2'], file: inventory });
    assert.strictEqual(fs.readFileSync(inventory, 'utf8'), before + '\n[canary]\nhost2\n');
    await waitFor('canary in the tree', () => ri.hostTree().find((r) => r.name === 'canary')?.children?.some((c) => c.name === 'host2'));
    await vscode.commands.executeCommand('remoteInvoke.removeFromGroup', { group: 'canary', hosts: ['host2'] });
    assert.strictEqual(fs.readFileSync(inventory, 'utf8'), before + '\n[canary]\n');
    fs.writeFileSync(inventory, before);
    // Bad names are refused with the reason; the file is not touched.
    await assert.rejects(() => Promise.resolve(vscode.commands.executeCommand('remoteInvoke.newGroup', { group: 'web servers', file: inventory })), /not a valid group name/);
    await assert.rejects(() => Promise.resolve(vscode.commands.executeCommand('remoteInvoke.newGroup', { group: 'web', file: inventory })), /already/);
    assert.strictEqual(fs.readFileSync(inventory, 'utf8'), before);
  });

  it('the first group made without an INI inventory goes to .vscode/remote-invoke-inventory.ini, which is then read', async () => {
    const ri = await api();
    await setInventories(undefined);
    await waitFor('no inventory groups', () => !ri.hostTree().some((r) => r.name === 'dc'));
    const file = await vscode.commands.executeCommand<string>('remoteInvoke.newGroup', { group: 'mine', hosts: ['host1', 'down'] });
    const expected = path.join(folder(), '.vscode/remote-invoke-inventory.ini');
    assert.strictEqual(file, expected);
    assert.strictEqual(fs.readFileSync(expected, 'utf8'), '[mine]\nhost1\ndown\n');
    assert.deepStrictEqual(config().inspect('inventoryFiles')?.workspaceValue, ['.vscode/remote-invoke-inventory.ini']);
    await waitFor('mine in the tree', () => ri.hostTree().find((r) => r.name === 'mine')?.children?.length === 2);
    await setInventories(['fleet.ini']);
    await waitFor('dc back', () => ri.hostTree().some((r) => r.name === 'dc'));
  });

  it('each host row shows where its settings came from (ssh_config, inventory variables)', async () => {
    const bed = await testBed();
    const ri = await api();
    const before = fs.readFileSync(inventory, 'utf8');
    // An inventory variable overrides the alias's ssh_config User (the run would log in as nobody-here).
    fs.writeFileSync(inventory, before + '\n[web:vars]\nansible_user=nobody-here\n');
    try {
      const host1 = await waitFor('host1 with the inventory user', () => ri.hosts().find((h) => h.name === 'host1' && h.description.includes('nobody-here@')));
      assert.match(host1.tooltip, /\| user \| `nobody-here` \| ansible_user in fleet\.ini:\d+ \(group web\) \|/, host1.tooltip);
      assert.match(host1.tooltip, /\| port \| `\d+` \| ssh_config Port, /, host1.tooltip);
      assert.match(host1.tooltip, /Groups: .*web/, host1.tooltip);
      const down = ri.hosts().find((h) => h.name === 'down')!;
      assert.match(down.tooltip, /\| user \| `[^`]+` \| default \|/, down.tooltip);
      assert.ok(bed);
    } finally {
      fs.writeFileSync(inventory, before);
      await waitFor('host1 back to its own user', () => !ri.hosts().find((h) => h.name === 'host1')!.description.includes('nobody-here'));
    }
  });

  it('after a real run: each row shows its last result, failures are decorated, Select Failed checks them; the run names its targets by group', async () => {
    const bed = await testBed();
    const ri = await api();
    await ri.setCheckedHosts([]);
    const h2 = bed.hosts[1];
    // host2 fails (its last command exits 3), host1 completes, down is unreachable.
    let results: HostResult[] = [];
    try {
      results = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', {
        text: `set -- $SSH_CONNECTION\nif [ "$3:$4" = "${h2.address}:${h2.port}" ]; then sh -c 'exit 3'; else echo ok; fi\n`,
        hosts: ['host1', 'host2', 'down'],
      });
    } finally {
      for (const h of ['host1', 'host2']) await vscode.commands.executeCommand('remoteInvoke.resetSession', h);
    }
    assert.deepStrictEqual(results.map((r) => [r.host, r.status]), [['host1', 'Completed'], ['host2', 'Failed'], ['down', 'Unreachable']], JSON.stringify(results));
    assert.strictEqual(ri.run()!.info.targets, '3 hosts: web (2), down');
    assert.strictEqual(ri.run()!.labelWithTargets, 'script text on 3 hosts: web (2), down');
    const rows = await waitFor('last results drawn', () => {
      const hosts = ri.hosts();
      return hosts.every((h) => h.lastResult !== 'never run') ? hosts : undefined;
    });
    assert.deepStrictEqual(rows.map((h) => [h.name, h.lastResult]), [['host1', 'Completed'], ['host2', 'Failed (exit 3)'], ['down', 'Unreachable']]);
    assert.match(rows[1].description, /^Failed \(exit 3\) · /);
    assert.match(rows[2].description, /^Unreachable/);
    assert.deepStrictEqual(ri.hostDecoration('host2'), { badge: 'F', color: 'list.errorForeground' });
    assert.deepStrictEqual(ri.hostDecoration('down'), { badge: 'U', color: 'list.warningForeground' });
    assert.strictEqual(ri.hostDecoration('host1'), undefined);
    assert.strictEqual(find(ri.hostTree(), ['dc']).description, '2 hosts · 1 not completed');

    await vscode.commands.executeCommand('remoteInvoke.selectFailedHosts');
    assert.deepStrictEqual(ri.hosts().filter((h) => h.checked).map((h) => h.name), ['host2', 'down']);
    // The same record the CLI's @failed reads.
    const record = JSON.parse(fs.readFileSync(path.join(ri.stateDir(), 'last-run', 'last.json'), 'utf8'));
    assert.deepStrictEqual(record.hosts.filter((h: { status: string }) => h.status !== 'Completed').map((h: { host: string }) => h.host), ['host2', 'down']);
    await ri.setCheckedHosts([]);
  });
});
