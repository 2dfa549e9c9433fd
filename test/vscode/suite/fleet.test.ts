// The extension at fleet scale (issue 13): the results view's order, filter and counts on a
// 60-host run with failures, its render and scroll time at 2,000 hosts, live durations, a run
// queued behind another on the same session, output blocks that never interleave, and the
// contributions a VS Code user expects (keybindings, walkthrough, settings).
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostResult } from '../../../src/core';
import { api, EXTENSION_ID, extensionPath, testBed, waitFor } from './helpers';

const collator = new Intl.Collator(undefined, { numeric: true });

/** Adds Host blocks to the bed's ssh_config for `names`, each on `port` of the bed's address; returns a restore function. */
async function withAliases(blocks: string): Promise<() => void> {
  const bed = await testBed();
  const original = fs.readFileSync(bed.sshConfigPath, 'utf8');
  fs.writeFileSync(bed.sshConfigPath, original + '\n' + blocks);
  return () => fs.writeFileSync(bed.sshConfigPath, original);
}

async function aliasBlock(name: string, address: string, port: number): Promise<string> {
  const bed = await testBed();
  return `Host ${name}\n  HostName ${address}\n  Port ${port}\n  User ${bed.user}\n  IdentityFile ${bed.clientKeyPath}\n  UserKnownHostsFile ${bed.knownHostsPath}\n  IdentitiesOnly yes\n  ConnectTimeout 5\n`;
}

function closedPort(): number {
  // the bed's `down` entry: a port nothing listens on
  const text = fs.readFileSync(vscode.workspace.getConfiguration('remoteInvoke').get<string>('sshConfigFile')!, 'utf8');
  return Number(/Host down\n\s+HostName 127\.0\.0\.1\n\s+Port (\d+)/.exec(text)![1]);
}

describe('Fleet scale (issue 13)', function () {
  this.timeout(180_000);

  before(async () => {
    await testBed();
  });

  afterEach(async () => {
    (await api()).setResultsView({ sort: { key: 'status', dir: 'asc' }, filter: [], grouped: false });
  });

  it('60 hosts with failures: failed and unreachable first, counts, one filter for failures, sort by every column', async () => {
    const bed = await testBed();
    const ri = await api();
    const [ok, failing] = bed.hosts;
    const down = closedPort();
    // 40 on host1 complete, 12 on host2 fail (the script looks at the port it reached), 8 unreachable.
    const names = Array.from({ length: 60 }, (_, i) => `fleet${String(i + 1).padStart(2, '0')}`);
    const targets = names.map((_, i) => (i < 40 ? ok : i < 52 ? failing : { address: '127.0.0.1', port: down }));
    const restore = await withAliases((await Promise.all(names.map((n, i) => aliasBlock(n, targets[i].address, targets[i].port)))).join('\n'));
    try {
      await waitFor('fleet60 in the inventory', () => ri.hosts().some((h) => h.name === 'fleet60'), 5000);
      const results = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', {
        text: `set -- $SSH_CONNECTION\necho "checked port $4"\nif [ "$4" = "${failing.port}" ]; then echo "disk /var 97% full" >&2; exit 3; fi\n`,
        hosts: names,
      });
      const by = (s: string) => results.filter((r) => r.status === s).length;
      assert.deepStrictEqual([by('Completed'), by('Failed'), by('Unreachable')], [40, 12, 8], JSON.stringify(results.filter((r) => r.status !== 'Completed')));
      const runId = ri.run()!.id;

      const rendered = await waitFor('60 rows drawn', () => {
        const r = ri.resultsRendered();
        return r?.runId === runId && r.total === 60 && r.rows.every((row) => row.state !== 'Running' && row.state !== 'Pending') ? r : undefined;
      }, 15_000);
      assert.deepStrictEqual(rendered.counts, { Completed: 40, Failed: 12, Unreachable: 8 });
      assert.strictEqual(rendered.countsText, 'Failed 12 · Unreachable 8 · Completed 40');
      // Default order: Failed, then Unreachable, then Completed; by name within each.
      const expected = [...names.slice(40, 52), ...names.slice(52), ...names.slice(0, 40)];
      assert.deepStrictEqual(rendered.rows.map((r) => r.host), expected);
      assert.strictEqual(rendered.rows[0].firstLine, `checked port ${failing.port}`);
      assert.match(rendered.summary, /60\/60 done/);
      // Virtualised even at 60: only the rows in sight (and a margin) are elements.
      assert.ok(rendered.domRows < 60, `${rendered.domRows} row elements for 60 rows`);

      ri.setResultsView({ filter: ['Failed', 'Unreachable'] });
      const failures = await waitFor('only failures', () => {
        const r = ri.resultsRendered();
        return r?.filter.length === 2 ? r : undefined;
      });
      assert.deepStrictEqual(failures.rows.map((r) => r.host), [...names.slice(40, 52), ...names.slice(52)]);
      assert.deepStrictEqual(failures.counts, { Completed: 40, Failed: 12, Unreachable: 8 }, 'the counts stay those of the whole run');

      ri.setResultsView({ filter: [], sort: { key: 'host', dir: 'desc' } });
      const byHost = await waitFor('sorted by host, descending', () => {
        const r = ri.resultsRendered();
        return r?.sort.key === 'host' && r.filter.length === 0 ? r : undefined;
      });
      assert.deepStrictEqual(byHost.rows.map((r) => r.host), [...names].sort(collator.compare).reverse());

      ri.setResultsView({ sort: { key: 'exit', dir: 'desc' } });
      const byExit = await waitFor('sorted by exit code', () => (ri.resultsRendered()?.sort.key === 'exit' ? ri.resultsRendered() : undefined));
      // descending: no exit code (unreachable) last when ascending, so first here; then 3, then 0
      assert.deepStrictEqual([...new Set(byExit.rows.map((r) => r.exitCode))], ['', '3', '0']);

      ri.setResultsView({ sort: { key: 'duration', dir: 'asc' } });
      const byDuration = await waitFor('sorted by duration', () => (ri.resultsRendered()?.sort.key === 'duration' ? ri.resultsRendered() : undefined));
      const durations = byDuration.rows.map((r) => r.durationMs ?? -1);
      assert.deepStrictEqual(durations, [...durations].sort((a, b) => a - b));
      // The view's state is kept for the workspace (it survives a reload).
      assert.deepStrictEqual(ri.resultsViewState().sort, { key: 'duration', dir: 'asc' });
    } finally {
      restore();
      for (const n of names.slice(0, 52)) await vscode.commands.executeCommand('remoteInvoke.resetSession', n);
    }
  });

  it('2,000 hosts: the results view renders and scrolls without a stall (virtualised rows)', async () => {
    const bed = await testBed();
    const ri = await api();
    const down = closedPort();
    const config = vscode.workspace.getConfiguration('remoteInvoke');
    const names = Array.from({ length: 2000 }, (_, i) => `big${String(i + 1).padStart(4, '0')}`);
    // 20 real hosts, the rest refuse connections: a real run at fleet size that ends in seconds.
    const restore = await withAliases((await Promise.all(names.map((n, i) => (i < 20 ? aliasBlock(n, bed.hosts[i % 2].address, bed.hosts[i % 2].port) : aliasBlock(n, '127.0.0.1', down))))).join('\n'));
    await config.update('throttleLimit', 256, vscode.ConfigurationTarget.Global);
    await config.update('persistentSessions', false, vscode.ConfigurationTarget.Global);
    try {
      await waitFor('big2000 in the inventory', () => ri.hosts().some((h) => h.name === 'big2000'), 10_000);
      const started = Date.now();
      const results = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'echo "up $(uname -s)"\n', hosts: names });
      const runMs = Date.now() - started;
      assert.strictEqual(results.length, 2000);
      assert.strictEqual(results.filter((r) => r.status === 'Completed').length, 20);
      const runId = ri.run()!.id;
      // A fresh full render of the finished run (sort change = sort, filter, layout, draw).
      ri.setResultsView({ sort: { key: 'host', dir: 'asc' } });
      const rendered = await waitFor('2,000 rows', () => {
        const r = ri.resultsRendered();
        return r?.runId === runId && r.total === 2000 && r.sort.key === 'host' && r.rows.every((row) => row.state !== 'Running') ? r : undefined;
      }, 30_000);
      assert.strictEqual(rendered.rows.length, 2000);
      const scroll = await ri.measureResultsScroll();
      console.log(
        `      2,000 hosts: run ${runMs} ms; render ${rendered.renderMs.toFixed(1)} ms with ${rendered.domRows} row elements; ` +
          `scroll ${scroll.frames} pages, slowest ${scroll.maxFrameMs.toFixed(1)} ms, mean ${scroll.meanFrameMs.toFixed(1)} ms`,
      );
      assert.ok(rendered.domRows <= 120, `${rendered.domRows} row elements: the rows are not virtualised`);
      assert.ok(rendered.renderMs < 300, `rendering 2,000 rows took ${rendered.renderMs} ms`);
      assert.ok(scroll.frames >= 20, `${scroll.frames} pages scrolled`);
      assert.ok(scroll.maxFrameMs < 50, `the slowest scroll frame took ${scroll.maxFrameMs} ms`);
    } finally {
      restore();
      await config.update('throttleLimit', undefined, vscode.ConfigurationTarget.Global);
      await config.update('persistentSessions', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a running host\'s duration counts up; the status bar and summary show the elapsed time', async () => {
    const ri = await api();
    const run = vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'echo started\nsleep 5\necho done\n', hosts: ['host1'] });
    try {
      await waitFor('the elapsed time in the status bar', () => / \d+:\d\d$/.test(ri.runStatusText()), 10_000);
      assert.match(ri.runStatusText(), /script text 0\/1/);
      const first = await waitFor('host1 running with output', () => {
        const r = ri.resultsRendered();
        const row = r?.rows.find((x) => x.host === 'host1');
        return row?.state === 'Running' && row.firstLine === 'started' && row.durationMs !== null ? { ms: row.durationMs, runId: r!.runId } : undefined;
      }, 15_000);
      const later = await waitFor('a larger duration', () => {
        const r = ri.resultsRendered();
        const row = r?.runId === first.runId ? r.rows.find((x) => x.host === 'host1') : undefined;
        return row?.state === 'Running' && row.durationMs! >= first.ms + 900 ? row.durationMs : undefined;
      }, 5000);
      assert.ok(later > first.ms);
      assert.match(ri.resultsRendered()!.summary, /\d+:\d\d elapsed/);
    } finally {
      await run;
    }
    // After the run, the status bar keeps its outcome.
    await waitFor('the outcome in the status bar', () => /script text: 1 Completed/.test(ri.runStatusText()));
  });

  it('a run on a busy session says "queued behind run N", and starts when that run ends', async () => {
    const ri = await api();
    const first = vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'echo first\nsleep 2\n', hosts: ['host1'] });
    await waitFor('the first run running', () => ri.run()?.host('host1').state === 'Running', 15_000);
    const firstId = ri.run()!.id;
    const second = vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'echo second\n', hosts: ['host1'] });
    const secondId = await waitFor('the second run', () => (ri.run()!.id !== firstId ? ri.run()!.id : undefined));
    const queued = await waitFor('queued row drawn', () => {
      const r = ri.resultsRendered();
      const row = r?.runId === secondId ? r.rows[0] : undefined;
      return row?.state === 'Queued' ? row : undefined;
    }, 10_000);
    assert.strictEqual(queued.queuedBehind, firstId);
    assert.strictEqual(ri.run(secondId)!.host('host1').queuedBehind, firstId);
    const [a] = await first;
    const [b] = await second;
    assert.deepStrictEqual([a.status, b.status], ['Completed', 'Completed']);
    const firstEnded = ri.run(firstId)!.endedAt!.getTime();
    assert.ok(ri.run(secondId)!.host('host1').startedAt! >= firstEnded - 50, 'the second run started when the first ended');
  });

  it('overlapping runs never interleave in a host\'s output panel; "All hosts" has host-prefixed lines', async () => {
    const ri = await api();
    const config = vscode.workspace.getConfiguration('remoteInvoke');
    // Without sessions both runs stream at the same time: the panel must still show two blocks.
    await config.update('persistentSessions', false, vscode.ConfigurationTarget.Global);
    try {
      const before = ri.outputText('host2').length;
      const a = vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'for i in 1 2 3 4; do echo "alpha $i"; sleep 0.3; done\n', hosts: ['host2'] });
      await waitFor('alpha streaming', () => ri.outputText('host2').slice(before).includes('alpha 1'), 15_000);
      const b = vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'for i in 1 2 3; do echo "beta $i"; sleep 0.2; done\n', hosts: ['host2'] });
      const [ra, rb] = [await a, await b];
      assert.deepStrictEqual([ra[0].status, rb[0].status], ['Completed', 'Completed']);
      await waitFor('both blocks written', () => (ri.outputText('host2').slice(before).match(/■ Completed/g) ?? []).length === 2);
      const lines = ri.outputText('host2').slice(before).split('\n').filter(Boolean);
      const kinds = lines.map((l) => (l.startsWith('▶') ? 'header' : l.startsWith('■') ? 'status' : l.split(' ')[0]));
      assert.deepStrictEqual(kinds, ['header', 'alpha', 'alpha', 'alpha', 'alpha', 'status', 'header', 'beta', 'beta', 'beta', 'status'], lines.join('\n'));
      const all = ri.allHostsOutputText();
      assert.match(all, /\[host2\] alpha 4\n/);
      assert.match(all, /\[host2\] beta 3\n/);
      assert.ok(ri.outputPanels().includes('host2'));
    } finally {
      await config.update('persistentSessions', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('output documents use the remote-invoke-output language, and open in the results\' group when there is no room beside', async () => {
    const ri = await api();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('remoteInvoke.runSelection', { text: 'echo out\necho err >&2\n', hosts: ['host1', 'host2'] });
    await waitFor('results drawn', () => ri.resultsRendered()?.runId === ri.run()!.id);
    await ri.compareOutputs('host1', 'host2');
    const docs = vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'remote-invoke-output');
    assert.ok(docs.length >= 2);
    for (const d of docs) assert.strictEqual(d.languageId, 'remote-invoke-output', d.uri.toString());
    const width = ri.resultsRendered()!.width;
    // One group, and a results tab narrower than two editors: the diff opens in the same group.
    if (width < 1100) assert.strictEqual(vscode.window.tabGroups.all.length, 1, `results ${width}px wide`);
    else assert.strictEqual(vscode.window.tabGroups.all.length, 2, `results ${width}px wide`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a run that ends out of sight is announced: "x: 1 Completed, 1 Unreachable"', async () => {
    const ri = await api();
    const done = vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'sleep 1\n', hosts: ['host1', 'down'] });
    await waitFor('results open', () => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.label === 'Remote Invoke Results')));
    // The results closed: they are out of sight when the run ends.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await done;
    await waitFor('the announcement', () => ri.lastRunAnnouncement());
    assert.strictEqual(ri.lastRunAnnouncement(), 'script text: 1 Completed, 1 Unreachable');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('keybindings: registered for existing commands, with when clauses, not colliding with VS Code\'s defaults', async () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const bindings: { command: string; key: string; mac?: string; when?: string }[] = pkg.contributes.keybindings;
    const byCommand = Object.fromEntries(bindings.map((b) => [b.command, b]));
    assert.strictEqual(byCommand['remoteInvoke.runFile'].key, 'ctrl+alt+r');
    assert.strictEqual(byCommand['remoteInvoke.runFile'].mac, 'cmd+alt+r');
    assert.strictEqual(byCommand['remoteInvoke.runSelection'].key, 'ctrl+alt+e');
    assert.match(byCommand['remoteInvoke.runSelection'].when!, /editorHasSelection/);
    assert.strictEqual(byCommand['remoteInvoke.cancelRun'].key, 'ctrl+alt+.');
    assert.strictEqual(byCommand['remoteInvoke.cancelRun'].when, 'remoteInvoke.runActive');
    assert.ok(byCommand['remoteInvoke.showResults']);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const b of bindings) {
      assert.ok(b.when, `${b.command} has a when clause`);
      assert.ok(registered.has(b.command), `${b.command} is registered`);
    }
    // Cancel Runs is in the palette only while a run is active.
    const palette = pkg.contributes.menus.commandPalette.find((m: { command: string }) => m.command === 'remoteInvoke.cancelRun');
    assert.strictEqual(palette.when, 'remoteInvoke.runActive');
    // VS Code's own default keybindings, as it lists them.
    await vscode.commands.executeCommand('workbench.action.openDefaultKeybindingsFile');
    const doc = await waitFor('the default keybindings', () => {
      const d = vscode.window.activeTextEditor?.document;
      return d && /keybindings\.json$/.test(d.uri.path) ? d : undefined;
    }, 10_000);
    const defaults = [...doc.getText().matchAll(/\{\s*"key":\s*"([^"]+)",\s*"command":\s*"([^"]+)"(?:,\s*"when":\s*"((?:[^"\\]|\\.)*)")?/g)].map((m) => ({ key: m[1], command: m[2], when: m[3] ?? '' }));
    assert.ok(defaults.length > 200, `${defaults.length} default keybindings read`);
    // A default on the same key collides unless its when clause excludes ours (ours need a focused editor).
    const excludes = (theirs: string, ours: string) => /editorTextFocus/.test(ours) && /!editorFocus|!editorTextFocus/.test(theirs);
    for (const b of bindings) {
      const clashes = defaults.filter((d) => d.key === b.key && !excludes(d.when, b.when!));
      assert.deepStrictEqual(clashes, [], `${b.key} (${b.command}) collides with VS Code's defaults`);
    }
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('a walkthrough: six steps, each with a command button and an image', async () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const [walkthrough] = pkg.contributes.walkthroughs;
    assert.strictEqual(walkthrough.id, 'remoteInvoke.start');
    const steps: { id: string; title: string; description: string; media: { image: string; altText: string } }[] = walkthrough.steps;
    assert.deepStrictEqual(steps.map((s) => s.id), ['addHosts', 'testConnection', 'runFile', 'readResults', 'useSession', 'startJob']);
    for (const s of steps) {
      assert.match(s.description, /\[[^\]]+\]\(command:remoteInvoke\.\w+\)/, `${s.id} has a command button`);
      assert.ok(fs.existsSync(path.join(extensionPath(), s.media.image)), `${s.id}: ${s.media.image}`);
      assert.ok(s.media.altText);
    }
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#remoteInvoke.start`, false);
    await waitFor('the walkthrough tab', () => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => /welcome|walkthrough/i.test(t.label))), 10_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('first open: Hosts view gets most of the height, Sessions and Jobs collapsed; welcome texts without backticks; every setting in the User tab', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const [hosts, sessions, jobs] = pkg.contributes.views.remoteInvoke;
    assert.ok(hosts.initialSize > sessions.initialSize && hosts.initialSize > jobs.initialSize);
    assert.deepStrictEqual([sessions.visibility, jobs.visibility], ['collapsed', 'collapsed']);
    for (const w of pkg.contributes.viewsWelcome) assert.ok(!w.contents.includes('`'), `${w.view}: ${w.contents}`);
    for (const [name, setting] of Object.entries<{ scope?: string; description?: string; markdownDescription?: string }>(pkg.contributes.configuration.properties)) {
      assert.ok(!setting.scope || !/^machine/.test(setting.scope), `${name} is ${setting.scope}-scoped: not in the User tab of a remote window`);
      assert.ok(setting.description || setting.markdownDescription, `${name} has a description`);
    }
  });
});
