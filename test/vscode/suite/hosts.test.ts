import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { api, testBed, waitFor } from './helpers';

describe('Hosts view', function () {
  before(async () => {
    await testBed();
    await vscode.commands.executeCommand('workbench.view.extension.remoteInvoke');
  });

  it('lists the ssh_config hosts with their resolved user@host:port', async () => {
    const bed = await testBed();
    const ri = await api();
    const hosts = await waitFor('three hosts', () => (ri.hosts().length === 3 ? ri.hosts() : undefined));
    assert.deepStrictEqual(hosts.map((h) => h.name), ['host1', 'host2', 'down']);
    const h1 = bed.hosts[0];
    assert.ok(hosts[0].tooltip.includes(`${bed.user}@${h1.address}:${h1.port}`), hosts[0].tooltip);
    assert.ok(hosts[0].description.includes(`${bed.user}@${h1.address}:${h1.port}`), hosts[0].description);
    assert.strictEqual(hosts[0].state, 'none');
    assert.strictEqual(hosts[0].checked, false);
  });

  it('checkboxes are remembered as the run targets', async () => {
    const ri = await api();
    await ri.setCheckedHosts(['host2']);
    assert.deepStrictEqual(ri.hosts().filter((h) => h.checked).map((h) => h.name), ['host2']);
    await ri.setCheckedHosts([]);
  });

  it('Add Host appends a Host block and leaves the rest of the file untouched; Remove Host takes it out again', async () => {
    const bed = await testBed();
    const ri = await api();
    const before = fs.readFileSync(bed.sshConfigPath, 'utf8');
    const alias = await vscode.commands.executeCommand<string>('remoteInvoke.addHost', { spec: 'ssh -p 2200 deploy@10.9.8.7', alias: 'web9' });
    assert.strictEqual(alias, 'web9');
    const after = fs.readFileSync(bed.sshConfigPath, 'utf8');
    assert.ok(after.startsWith(before), 'existing content is kept byte for byte');
    assert.match(after.slice(before.length), /^\n?Host web9\n  HostName 10\.9\.8\.7\n  User deploy\n  Port 2200\n$/);
    const web9 = await waitFor('web9 in the tree', () => ri.hosts().find((h) => h.name === 'web9'));
    assert.ok(web9.tooltip.includes('deploy@10.9.8.7:2200'));

    const removed = await vscode.commands.executeCommand<boolean>('remoteInvoke.removeHost', { name: 'web9', confirm: false });
    assert.strictEqual(removed, true);
    assert.strictEqual(fs.readFileSync(bed.sshConfigPath, 'utf8'), before);
    await waitFor('web9 gone', () => !ri.hosts().some((h) => h.name === 'web9'));
  });

  it('refreshes when the ssh_config file changes on disk', async () => {
    const bed = await testBed();
    const ri = await api();
    const before = fs.readFileSync(bed.sshConfigPath, 'utf8');
    fs.writeFileSync(bed.sshConfigPath, before + '\nHost outside-edit\n  HostName 10.1.1.1\n');
    try {
      await waitFor('outside-edit in the tree', () => ri.hosts().some((h) => h.name === 'outside-edit'), 5000);
    } finally {
      fs.writeFileSync(bed.sshConfigPath, before);
    }
    await waitFor('outside-edit gone', () => !ri.hosts().some((h) => h.name === 'outside-edit'), 5000);
  });
});
