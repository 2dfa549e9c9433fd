import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { HostResult } from '../../../src/core';
import { api, testBed, waitFor } from './helpers';

describe('Many hosts streaming', function () {
  this.timeout(120_000);

  it('50 hosts × 2000 lines: every panel gets every line, the results view all rows, the extension host stays responsive', async () => {
    const bed = await testBed();
    const ri = await api();
    const original = fs.readFileSync(bed.sshConfigPath, 'utf8');
    // 50 aliases over the two sshd hosts: each alias is its own host (own connection and session).
    const names = Array.from({ length: 50 }, (_, i) => `fan${String(i + 1).padStart(2, '0')}`);
    const extra = names
      .map((n, i) => {
        const h = bed.hosts[i % 2];
        return `Host ${n}\n  HostName ${h.address}\n  Port ${h.port}\n  User ${bed.user}\n  IdentityFile ${bed.clientKeyPath}\n  UserKnownHostsFile ${bed.knownHostsPath}\n  IdentitiesOnly yes\n`;
      })
      .join('\n');
    fs.writeFileSync(bed.sshConfigPath, original + '\n' + extra);
    await waitFor('fan50 in the inventory', () => ri.hosts().some((h) => h.name === 'fan50'), 5000);

    let maxLag = 0;
    const stalls: string[] = [];
    let last = Date.now();
    const started = Date.now();
    const before = ri.outputStats();
    let firstOutput = 0;
    let streamingLag = 0;
    const probe = setInterval(() => {
      const now = Date.now();
      if (!firstOutput && ri.outputText('fan01').includes('line 1 of')) firstOutput = now - started;
      const lag = now - last - 20;
      if (lag > 200) stalls.push(`${lag} ms at +${now - started} ms`);
      maxLag = Math.max(maxLag, lag);
      if (firstOutput) streamingLag = Math.max(streamingLag, lag);
      last = now;
    }, 20);
    try {
      const results = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', {
        text: 'n=$(hostname)\ni=1; while [ $i -le 2000 ]; do echo "line $i of 2000 on $n"; i=$((i+1)); done\n',
        hosts: names,
      });
      const elapsed = Date.now() - started;
      assert.strictEqual(results.filter((r) => r.status === 'Completed').length, 50, JSON.stringify(results.filter((r) => r.status !== 'Completed')));
      for (const n of names) {
        const text = ri.outputText(n);
        assert.match(text, /line 2000 of 2000 on /, n);
        assert.strictEqual(ri.run()!.host(n).output.lineCount, 2000);
      }
      const runId = ri.run()!.id;
      await waitFor('50 completed rows drawn', () => {
        const r = ri.resultsRendered();
        return r?.runId === runId && r.rows.length === 50 && r.rows.every((row) => row.state === 'Completed');
      }, 15_000);
      const after = ri.outputStats();
      const lines = after.lines - before.lines;
      const appends = after.appends - before.appends;
      console.log(
        `      50 hosts × 2000 lines in ${elapsed} ms (first output at +${firstOutput} ms); ${lines} lines in ${appends} channel appends; ` +
          `extension-host stalls > 200 ms: ${stalls.join(', ') || 'none'}`,
      );
      assert.strictEqual(lines, 100_000);
      // Batching: one append per panel (50 hosts and "All hosts") per 100 ms at most, not one per line.
      assert.ok(appends <= 51 * (Math.ceil(elapsed / 100) + 2), `${appends} appends for ${lines} lines`);
      assert.ok(appends < lines / 20, `${appends} appends for ${lines} lines`);
      // Connecting 50 hosts at once keeps the extension host busy (key exchanges); streaming must not.
      assert.ok(streamingLag < 3000, `the extension host stalled for ${streamingLag} ms while output streamed`);
    } finally {
      clearInterval(probe);
      fs.writeFileSync(bed.sshConfigPath, original);
      for (const n of names) await vscode.commands.executeCommand('remoteInvoke.resetSession', n);
    }
  });
});
