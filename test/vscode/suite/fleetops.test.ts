// Fleet operations in the extension (issue 11): a rolling run that stops on its failure budget
// (Skipped hosts, the batch of each host, why it stopped, in the results view), Test Connection
// (row mark and tooltip, a table in the results view), Run as root, and the settings.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostResult, TestConnectionResult } from '../../../src/core';
import { api, extensionPath, testBed, waitFor } from './helpers';

describe('Fleet operations (issue 11)', function () {
  this.timeout(120_000);
  let restore: (() => void) | undefined;

  before(async () => {
    const bed = await testBed();
    const original = fs.readFileSync(bed.sshConfigPath, 'utf8');
    // roll01..roll12: odd ones on host1, even ones on host2 (where the script fails).
    const blocks = Array.from({ length: 12 }, (_, i) => {
      const h = bed.hosts[i % 2];
      return `Host roll${String(i + 1).padStart(2, '0')}\n  HostName ${h.address}\n  Port ${h.port}\n  User ${bed.user}\n  IdentityFile ${bed.clientKeyPath}\n  UserKnownHostsFile ${bed.knownHostsPath}\n  IdentitiesOnly yes\n`;
    });
    fs.writeFileSync(bed.sshConfigPath, original + '\n' + blocks.join('\n'));
    restore = () => fs.writeFileSync(bed.sshConfigPath, original);
    const ri = await api();
    await waitFor('roll12 in the inventory', () => ri.hosts().some((h) => h.name === 'roll12'), 5000);
  });
  after(() => restore?.());

  it('Rolling run with a budget of 1: stops after the batch where the second failure happened; the rest Skipped; batch and reason shown', async () => {
    const bed = await testBed();
    const ri = await api();
    const hosts = Array.from({ length: 12 }, (_, i) => `roll${String(i + 1).padStart(2, '0')}`);
    const failing = bed.hosts[1].port;
    const results = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.rollingRun', {
      text: `set -- $SSH_CONNECTION\nif [ "$3" = "${bed.hosts[1].address}" ] && [ "$4" = "${failing}" ]; then exit 4; fi\necho ok\n`,
      hosts,
      batch: '1,2',
      maxFailures: '1',
    });
    const states = results.map((r) => r.status);
    // Batches: [roll01] [roll02 roll03] [roll04 roll05] … roll02 and roll04 fail: budget of 1 spent after batch 3.
    assert.deepStrictEqual(states.slice(0, 5), ['Completed', 'Failed', 'Completed', 'Failed', 'Completed'], JSON.stringify(results));
    assert.ok(states.slice(5).every((s) => s === 'Skipped'), JSON.stringify(states));
    assert.deepStrictEqual(results.map((r) => r.batch), [1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7]);
    const run = ri.run()!;
    assert.strictEqual(run.rollout?.stoppedBy, 'max-failures');
    const rendered = await waitFor('the stopped run drawn', () => {
      const r = ri.resultsRendered();
      return r?.runId === run.id && /stopped: 2 hosts failed/.test(r.summary) && r.rows.every((row) => row.state !== 'Running' && row.state !== 'Pending') ? r : undefined;
    }, 15_000);
    assert.strictEqual(rendered.counts.Skipped, 7);
  });

  it('Test Connection: OK and Unreachable rows, a mark and tooltip on the host, a table in the results view', async () => {
    const ri = await api();
    const results = await vscode.commands.executeCommand<TestConnectionResult[]>('remoteInvoke.testConnection', { hosts: ['host1', 'down'] });
    assert.deepStrictEqual(results.map((r) => [r.host, r.status]), [['host1', 'Completed'], ['down', 'Unreachable']]);
    assert.strictEqual(results[0].hostKey?.state, 'known');
    assert.match(results[0].os ?? '', /^Linux/);
    const host1 = await waitFor('host1 marked', () => ri.hosts().find((h) => h.name === 'host1' && /✓ [\d.]+ ms/.test(h.description)));
    assert.match(host1.tooltip, /Test Connection: OK/);
    assert.match(host1.tooltip, /host key: ssh-ed25519 SHA256:\S+ \(known\)/);
    const down = ri.hosts().find((h) => h.name === 'down')!;
    assert.match(down.description, /✗ Unreachable/);
    const run = ri.run()!;
    assert.strictEqual(run.label, 'Test Connection');
    const rendered = await waitFor('the test table drawn', () => {
      const r = ri.resultsRendered();
      return r?.runId === run.id && r.rows.length === 2 && r.rows.every((row) => row.state !== 'Running' && row.state !== 'Pending') ? r : undefined;
    }, 15_000);
    assert.match(rendered.rows.find((r) => r.host === 'host1')!.firstLine, /^reachable: yes, TCP connect/);
  });

  it('Run as root: the run is a root session apart from the user’s own (id -u is 0 there)', async () => {
    const results = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'id -u; RI_ROOT_MARK=1', hosts: ['host1'], runAsRoot: true });
    assert.strictEqual(results[0].status, 'Completed', JSON.stringify(results));
    const ri = await api();
    assert.match(ri.outputText('host1'), /^0$/m);
    const own = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'echo "mark=[$RI_ROOT_MARK]"', hosts: ['host1'] });
    assert.strictEqual(own[0].status, 'Completed');
    assert.match(ri.outputText('host1'), /mark=\[\]/);
  });

  it('contributes Rolling Run, Test Connection, remoteInvoke.runAsRoot and remoteInvoke.forwardAgentHosts', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(extensionPath(), 'package.json'), 'utf8'));
    const commands = pkg.contributes.commands.map((c: { command: string }) => c.command);
    assert.ok(commands.includes('remoteInvoke.rollingRun') && commands.includes('remoteInvoke.testConnection'));
    const registered = await vscode.commands.getCommands(true);
    assert.ok(registered.includes('remoteInvoke.rollingRun') && registered.includes('remoteInvoke.testConnection'));
    const props = pkg.contributes.configuration.properties;
    assert.strictEqual(props['remoteInvoke.runAsRoot'].default, false);
    assert.match(props['remoteInvoke.forwardAgentHosts'].markdownDescription, /caution/);
  });
});
