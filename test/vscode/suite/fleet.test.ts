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
  return `Host ${name}\n  HostName ${address}\n  Port ${port}\n  User ${bed.user}\n  IdentityFile ${bed.clientKeyPath}\n  UserKnownHostsFile ${bed.knownHostsPath}\n  IdentitiesOnly yes\n  ConnectTimeout 30\n`;
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
        // $3 of SSH_CONNECTION: the address the host was reached at
        text: `set -- $SSH_CONNECTION\necho "checked $3"\nif [ "$3" = "${failing.address}" ]; then echo "disk /var 97% full" >&2; (exit 3); fi\n`,
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
      assert.strictEqual(rendered.rows[0].firstLine, `checked ${failing.address}`);
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
    const ri = await api();
    const down = closedPort();
    const config = vscode.workspace.getConfiguration('remoteInvoke');
    // host1 and host2 run; 1,998 more targets (user@address:port, as the CLI takes them) refuse
    // connections: a real run at fleet size that ends in seconds.
    const names = ['host1', 'host2', ...Array.from({ length: 1998 }, (_, i) => `n${String(i + 1).padStart(4, '0')}@127.0.0.1:${down}`)];
    await config.update('throttleLimit', 256, vscode.ConfigurationTarget.Global);
    await config.update('persistentSessions', false, vscode.ConfigurationTarget.Global);
    try {
      const started = Date.now();
      const results = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'echo "up $(uname -s)"\n', hosts: names });
      const runMs = Date.now() - started;
      assert.strictEqual(results.length, 2000);
      assert.deepStrictEqual(results.slice(0, 2).map((r) => [r.host, r.status, r.error]), [['host1', 'Completed', null], ['host2', 'Completed', null]]);
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
          `scroll ${scroll.frames} steps, p95 ${scroll.p95FrameMs.toFixed(1)} ms, mean ${scroll.meanFrameMs.toFixed(1)} ms, slowest ${scroll.maxFrameMs.toFixed(1)} ms`,
      );
      assert.ok(rendered.domRows <= 120, `${rendered.domRows} row elements: the rows are not virtualised`);
      assert.ok(rendered.renderMs < 300, `rendering 2,000 rows took ${rendered.renderMs} ms`);
      assert.ok(scroll.frames >= 60, `${scroll.frames} steps scrolled`);
      // A visible stall is 100 ms or more; the machine is shared, so one odd frame (GC) may be slow.
      assert.ok(scroll.p95FrameMs < 50, `95% of scroll steps within ${scroll.p95FrameMs} ms`);
      assert.ok(scroll.meanFrameMs < 30, `scroll steps took ${scroll.meanFrameMs} ms on average`);
      // Hosts that only failed to connect get no output channel of their own until shown.
      assert.ok(ri.outputPanels().length < 100, `${ri.outputPanels().length} panels`);
    } finally {
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

  it('a run makes one output channel per computer it targets as it starts, named host first, beside "All hosts"', async () => {
    const ri = await api();
    // a target no earlier test used, that never connects: it writes no output line
    const silent = `nochannel@127.0.0.1:${closedPort()}`;
    const run = vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'sleep 2\necho late line\n', hosts: ['host2', silent] });
    try {
      await waitFor('the run started', () => ri.run()?.active && ri.run()!.info.hosts.includes(silent), 10_000);
      const names = ri.outputChannelNames();
      assert.ok(!ri.outputText('host2').includes('late line'), 'checked before host2 wrote anything');
      for (const host of ['host2', silent]) assert.ok(names.includes(`${host} · Remote Invoke`), `${host}'s channel in ${names.join(', ')}`);
      assert.ok(names.includes('All hosts · Remote Invoke'), names.join(', '));
      // The dropdown tells hosts apart: every name distinct, the host first.
      assert.strictEqual(new Set(names).size, names.length);
    } finally {
      await run;
    }
    assert.match(ri.outputText(silent), /■ Unreachable/);
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
    const done = vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'sleep 4\n', hosts: ['host1', 'down'] });
    await waitFor('results open', () => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.label === 'Remote Invoke Results')));
    // The results closed: they are out of sight when the run ends.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await done;
    await waitFor('the announcement', () => ri.lastRunAnnouncement());
    assert.strictEqual(ri.lastRunAnnouncement(), 'script text: 1 Completed, 1 Unreachable');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Add Host writes the new block before Host *, selects the new host and says where it went', async () => {
    const bed = await testBed();
    const ri = await api();
    const before = fs.readFileSync(bed.sshConfigPath, 'utf8');
    const withCatchAll = before + '\n# defaults for every host\nHost *\n  User nobody-by-default\n  Port 2299\n';
    fs.writeFileSync(bed.sshConfigPath, withCatchAll);
    await vscode.commands.executeCommand('workbench.view.extension.remoteInvoke');
    try {
      const alias = await vscode.commands.executeCommand<string>('remoteInvoke.addHost', { spec: 'deploy@10.9.8.7:2200', alias: 'web10' });
      assert.strictEqual(alias, 'web10');
      const after = fs.readFileSync(bed.sshConfigPath, 'utf8');
      const newBlock = after.indexOf('Host web10');
      assert.ok(newBlock > 0 && newBlock < after.indexOf('# defaults for every host'), after);
      assert.ok(after.includes(before), 'the rest of the file is kept');
      // Its own User and Port win over Host *'s: ssh takes the first value it finds.
      const web10 = await waitFor('web10 in the tree', () => ri.hosts().find((h) => h.name === 'web10'));
      assert.ok(web10.tooltip.includes('deploy@10.9.8.7:2200'), web10.tooltip);
      await waitFor('web10 selected', () => ri.selectedHosts().includes('web10'), 5000);
    } finally {
      fs.writeFileSync(bed.sshConfigPath, before);
    }
    await waitFor('web10 gone', () => !ri.hosts().some((h) => h.name === 'web10'), 5000);
  });

  it('an ssh_config value that cannot work (Port abc) is a warning on the host\'s row before any run, and the run says why', async () => {
    const bed = await testBed();
    const ri = await api();
    const restore = await withAliases(`Host web26\n  HostName 127.0.0.1\n  User ${bed.user}\n  Port abc\n`);
    try {
      const row = await waitFor('web26 with a warning', () => ri.hosts().find((h) => h.name === 'web26' && /Port is not a number/.test(h.description)), 5000);
      assert.ok(!row.description.includes('NaN'), row.description);
      assert.match(row.tooltip, /Port is not a number from 1 to 65535/);
      const [result] = await vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text: 'true\n', hosts: ['web26'] });
      assert.strictEqual(result.status, 'Unreachable');
      assert.match(result.error ?? '', /ssh_config for web26 cannot work: Port is not a number/);
      assert.doesNotMatch(result.error ?? '', /RangeError|NaN/);
    } finally {
      restore();
    }
  });

  it('Sessions view: in the Hosts view\'s order; Disconnect All and Remove All from its title bar', async () => {
    const ri = await api();
    // host2 before host1 in time; the view still lists them in ssh_config order
    await vscode.commands.executeCommand('remoteInvoke.runSelection', { text: 'true\n', hosts: ['host2'] });
    await vscode.commands.executeCommand('remoteInvoke.runSelection', { text: 'true\n', hosts: ['host1'] });
    const order = ri.hosts().map((h) => h.name);
    const listed = ri.sessions().map((s) => s.host);
    // hosts no longer in ssh_config (left by earlier tests) come last
    const rank = (h: string) => (order.includes(h) ? order.indexOf(h) : order.length);
    assert.deepStrictEqual(listed, [...listed].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, undefined, { numeric: true })));
    assert.ok(listed.includes('host1') && listed.includes('host2'));
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const titleBar = pkg.contributes.menus['view/title'].filter((m: { when: string }) => /view == remoteInvoke\.sessions/.test(m.when)).map((m: { command: string }) => m.command);
    assert.ok(titleBar.includes('remoteInvoke.disconnectAllSessions') && titleBar.includes('remoteInvoke.removeAllSessions'), titleBar.join());
    await vscode.commands.executeCommand('remoteInvoke.disconnectAllSessions');
    await waitFor('both disconnected', () => ['host1', 'host2'].every((h) => ri.sessionState(h) === 'disconnected'), 10_000);
    await vscode.commands.executeCommand('remoteInvoke.removeAllSessions', { confirm: false });
    await waitFor('no sessions left', () => ri.sessions().length === 0 && ri.sessionState('host1') === 'none', 15_000);
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
    assert.match(byCommand['remoteInvoke.cancelRun'].when!, /^remoteInvoke\.runActive\b/);
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
    // A default on the same key collides unless its when clause excludes ours: ours need a focused
    // editor, so a default that needs the editor unfocused, or the terminal focused, does not.
    const required = (when: string) => when.split('&&').map((t) => t.trim()).filter((t) => /^[\w.]+$/.test(t));
    const excludes = (theirs: string, ours: string) =>
      theirs.split('||').every(
        (alt) =>
          (/editorTextFocus/.test(ours) && /!editorFocus|!editorTextFocus|(^|[^!\w])terminalFocus/.test(alt)) ||
          required(alt).some((key) => ours.includes(`!${key}`)),
      );
    for (const b of bindings) {
      const clashes = defaults.filter((d) => d.key === b.key && !d.command.startsWith('remoteInvoke.') && !excludes(d.when, b.when!));
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
    // Welcome views render links, nothing else of Markdown: no backticks or asterisks to show literally.
    for (const w of pkg.contributes.viewsWelcome) assert.ok(!/[`*]/.test(w.contents), `${w.view}: ${w.contents}`);
    for (const [name, setting] of Object.entries<{ scope?: string; description?: string; markdownDescription?: string }>(pkg.contributes.configuration.properties)) {
      assert.ok(!setting.scope || !/^machine/.test(setting.scope), `${name} is ${setting.scope}-scoped: not in the User tab of a remote window`);
      assert.ok(setting.description || setting.markdownDescription, `${name} has a description`);
    }
  });
});
