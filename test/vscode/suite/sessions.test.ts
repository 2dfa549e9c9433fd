import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostResult } from '../../../src/core';
import { api, processGone, testBed, waitFor } from './helpers';

const run = (text: string, hosts = ['host2']) => vscode.commands.executeCommand<HostResult[]>('remoteInvoke.runSelection', { text, hosts });

describe('Sessions view', function () {
  before(async () => {
    await testBed();
    await vscode.commands.executeCommand('remoteInvoke.sessions.focus');
  });

  it('shows a session after a run, with its state: Busy while running, then Opened and idle', async () => {
    const ri = await api();
    await vscode.commands.executeCommand('remoteInvoke.removeSession', 'host2');
    assert.strictEqual(ri.sessions().find((s) => s.host === 'host2'), undefined, 'removed sessions are not listed');

    const pending = run('echo busy now\nsleep 1\n');
    const busy = await waitFor('host2 Busy', () => ri.sessions().find((s) => s.host === 'host2' && s.state === 'Busy'), 15_000);
    assert.match(busy.description, /^Busy · since \d\d:\d\d:\d\d · sh$/);
    assert.strictEqual((await pending)[0].status, 'Completed');

    const opened = await waitFor('host2 Opened', () => ri.sessions().find((s) => s.host === 'host2' && s.state === 'Opened'));
    assert.match(opened.description, /^Opened · idle \d+ s · sh$/);
    assert.strictEqual(opened.contextValue, 'session.opened.durable');
    assert.ok(opened.durable);
    assert.match(opened.tooltip, /ends itself after 4 h with nobody attached/);
    assert.ok(ri.sessionRecord('host2')?.dir, 'a durable session has a remote directory');
  });

  it('Disconnect then Reconnect keeps the session state; the remote shell runs on while disconnected', async () => {
    const ri = await api();
    await run('SESSIONS_VIEW_VAR=kept-across-disconnect\ncd /tmp\n');
    const dir = ri.sessionRecord('host2')!.dir;
    const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));

    await vscode.commands.executeCommand('remoteInvoke.disconnectSession', { host: 'host2' });
    const disconnected = await waitFor('host2 Disconnected', () => ri.sessions().find((s) => s.host === 'host2' && s.state === 'Disconnected'));
    assert.strictEqual(disconnected.contextValue, 'session.disconnected.durable');
    assert.strictEqual(ri.sessionState('host2'), 'disconnected');
    assert.ok(!processGone(pid), 'the remote shell keeps running while disconnected');

    // Refresh asks the host: the session is there, detached, with its idle time as the host counts it.
    await vscode.commands.executeCommand('remoteInvoke.refreshSessions');
    const queried = ri.sessions().find((s) => s.host === 'host2')!;
    assert.strictEqual(queried.state, 'Disconnected');
    assert.match(queried.tooltip, /as the host counts it/);
    assert.ok(queried.idleSeconds !== undefined);

    await vscode.commands.executeCommand('remoteInvoke.reconnectSession', { host: 'host2' });
    await waitFor('host2 Opened again', () => ri.sessions().find((s) => s.host === 'host2' && s.state === 'Opened'));
    assert.strictEqual(ri.sessionRecord('host2')!.dir, dir, 'reattached to the same shell');
    const results = await run('echo "var=${SESSIONS_VIEW_VAR:-lost} pwd=$(pwd) pid=$$"\n');
    assert.strictEqual(results[0].status, 'Completed', results[0].error ?? '');
    assert.strictEqual(ri.run()!.host('host2').output.text(), `var=kept-across-disconnect pwd=/tmp pid=${pid}\n`);
  });

  it('Remove ends the remote shell and removes its files', async () => {
    const ri = await api();
    await run('echo hi\n');
    const dir = ri.sessionRecord('host2')!.dir;
    const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
    assert.ok(fs.existsSync(dir));

    await vscode.commands.executeCommand('remoteInvoke.removeSession', { host: 'host2' });
    assert.strictEqual(ri.sessions().find((s) => s.host === 'host2'), undefined);
    assert.strictEqual(ri.sessionState('host2'), 'none');
    assert.ok(!fs.existsSync(dir), `${dir} removed`);
    await waitFor('the remote shell ended', () => processGone(pid), 5000);

    // The next run opens a new session.
    const results = await run('echo "fresh=${SESSIONS_VIEW_VAR:-unset}"\n');
    assert.strictEqual(ri.run()!.host('host2').output.text(), 'fresh=unset\n', results[0].error ?? '');
    assert.notStrictEqual(ri.sessionRecord('host2')!.dir, dir);
  });

  it('a session whose shell ended on the host shows as Closed after Refresh', async () => {
    const ri = await api();
    await run('echo hi\n');
    const dir = ri.sessionRecord('host2')!.dir;
    await vscode.commands.executeCommand('remoteInvoke.disconnectSession', 'host2');
    // Ended behind our back (as the idle timeout or `session remove` from the CLI would).
    const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
    fs.rmSync(dir, { recursive: true, force: true });
    process.kill(-pid, 'SIGKILL');
    await vscode.commands.executeCommand('remoteInvoke.refreshSessions');
    const closed = await waitFor('host2 Closed', () => ri.sessions().find((s) => s.host === 'host2' && s.state === 'Closed'));
    assert.strictEqual(closed.contextValue, 'session.closed');
    assert.match(closed.tooltip, /no longer exists/);
    // The next run simply opens a new session (no failure for the vanished one).
    const results = await run('echo again\n');
    assert.strictEqual(results[0].status, 'Completed', results[0].error ?? '');
    await waitFor('host2 Opened', () => ri.sessions().find((s) => s.host === 'host2' && s.state === 'Opened'));
  });
});
