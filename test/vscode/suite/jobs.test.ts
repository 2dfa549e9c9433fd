import * as assert from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobRecord } from '../../../src/core';
import { api, extensionPath, processGone, testBed, waitFor, workspaceFile } from './helpers';

const jobOf = async (id: string) => (await api()).jobs().find((j) => j.id === id);

/** The shared job record as the engine stored it (remote directories included). */
function storedJob(stateDir: string, id: string): JobRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(stateDir, 'jobs', `${id}.json`), 'utf8')) as JobRecord;
  } catch {
    return undefined;
  }
}

async function documentText(uri: vscode.Uri): Promise<vscode.TextDocument> {
  return vscode.workspace.openTextDocument(uri);
}

describe('Jobs view', function () {
  this.timeout(90_000);

  before(async () => {
    await testBed();
    // Visible: the view refreshes running jobs only while it is shown.
    await vscode.commands.executeCommand('remoteInvoke.jobs.focus');
  });

  it('Run File as Job returns at once; the job shows Running, then Completed with its exit code; Receive shows the output as it arrives', async () => {
    const ri = await api();
    const started = Date.now();
    const job = await vscode.commands.executeCommand<JobRecord>('remoteInvoke.runFileAsJob', {
      file: workspaceFile('slow-job.sh'),
      hosts: ['host1', 'host2'],
      args: ['one'],
      name: 'slow',
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 4000, `returned after ${elapsed} ms, before the 5 s script ended`);
    assert.strictEqual(job.name, 'slow');
    assert.deepStrictEqual(job.children.map((c) => [c.host, c.state]), [['host1', 'Running'], ['host2', 'Running']]);

    const shown = await waitFor('the job in the Jobs view', () => jobOf(job.id));
    assert.strictEqual(shown.name, 'slow');
    assert.strictEqual(shown.state, 'Running');
    assert.match(shown.description, /^Running · slow-job\.sh · \d\d:\d\d:\d\d$/);
    assert.deepStrictEqual(shown.children.map((c) => [c.host, c.state]), [['host1', 'Running'], ['host2', 'Running']]);
    assert.match(shown.children[0].description, /^Running · since \d\d:\d\d:\d\d$/);
    assert.strictEqual(shown.contextValue, 'job.running');

    // Receive while it runs: what it printed so far, then the rest as it comes.
    const uri = await vscode.commands.executeCommand<vscode.Uri>('remoteInvoke.receiveJob', { jobId: job.id });
    assert.strictEqual(uri.scheme, 'remote-invoke-job');
    const doc = await documentText(uri);
    assert.match(doc.getText(), /── host1 · Running · since .*──\njob started on .* with one argument\n/);
    assert.doesNotMatch(doc.getText(), /job done/);
    await waitFor('the rest of the output in the open document', () => (doc.getText().match(/job done/g) ?? []).length === 2, 20_000);
    assert.match(doc.getText(), /job started on .* with one argument\nhalfway\njob done\n/);
    const hostDoc = await documentText(await vscode.commands.executeCommand<vscode.Uri>('remoteInvoke.receiveJob', { jobId: job.id, host: 'host2', show: false }));
    assert.match(hostDoc.getText(), /^job started on .* with one argument\nhalfway\njob done\n$/);

    const done = await waitFor('Completed in the Jobs view', async () => {
      const j = await jobOf(job.id);
      return j?.state === 'Completed' ? j : undefined;
    }, 20_000);
    assert.deepStrictEqual(done.children.map((c) => [c.host, c.state, c.exitCode]), [['host1', 'Completed', 0], ['host2', 'Completed', 0]]);
    assert.match(done.children[0].description, /^Completed · exit 0 · \d/);
    assert.strictEqual(done.contextValue, 'job.completed');
    await waitFor('polling stops once the job has ended', async () => !(await api()).receivingJobs().includes(job.id), 10_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a failing script ends its child Failed with its exit code', async () => {
    const job = await vscode.commands.executeCommand<JobRecord>('remoteInvoke.runSelectionAsJob', {
      text: 'echo "about to fail"\nexit 7\n',
      hosts: ['host1'],
    });
    assert.match(job.name, /^Job\d+$/);
    const failed = await waitFor('Failed', async () => {
      const j = await jobOf(job.id);
      return j?.state === 'Failed' ? j : undefined;
    }, 20_000);
    assert.deepStrictEqual(failed.children.map((c) => [c.state, c.exitCode]), [['Failed', 7]]);
  });

  it('a job gets the run\'s variables (remembered for the script, as a run gets them): environment NAME for a shell script', async () => {
    const job = await vscode.commands.executeCommand<JobRecord>('remoteInvoke.runSelectionAsJob', {
      text: 'echo "greeting=$JOB_GREETING"\n',
      hosts: ['host1'],
      vars: { JOB_GREETING: "it's $HOME `here`" },
    });
    await waitFor('Completed', async () => ((await jobOf(job.id))?.state === 'Completed' ? true : undefined), 20_000);
    const doc = await documentText(await vscode.commands.executeCommand<vscode.Uri>('remoteInvoke.receiveJob', { jobId: job.id, host: 'host1', show: false }));
    assert.strictEqual(doc.getText(), "greeting=it's $HOME `here`\n");
  });

  it('Stop kills the remote process group', async () => {
    const ri = await api();
    const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ri-job-')), 'sleep.pid');
    const job = await vscode.commands.executeCommand<JobRecord>('remoteInvoke.runSelectionAsJob', {
      text: 'sleep 300 &\necho $! > "$1"\necho sleeping\nwait\n',
      hosts: ['host1'],
      args: [pidFile],
      name: 'sleeper',
    });
    const pid = Number(await waitFor('the pid file', () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim(), 15_000));
    assert.ok(!processGone(pid), 'the job\'s process runs');
    await waitFor('Running in the view', async () => (await jobOf(job.id))?.state === 'Running');

    await vscode.commands.executeCommand('remoteInvoke.stopJob', { jobId: job.id });
    const stopped = await waitFor('Stopped', async () => {
      const j = await jobOf(job.id);
      return j?.state === 'Stopped' ? j : undefined;
    });
    assert.strictEqual(stopped.children[0].state, 'Stopped');
    assert.strictEqual(stopped.contextValue, 'job.stopped', 'no Stop action on a stopped job');
    await waitFor(`process ${pid} gone`, () => processGone(pid), 10_000);
    // It stays Stopped: a later refresh does not turn it into Failed.
    await vscode.commands.executeCommand('remoteInvoke.refreshJobs');
    assert.strictEqual((await jobOf(job.id))?.state, 'Stopped');
    fs.rmSync(path.dirname(pidFile), { recursive: true, force: true });
    void ri;
  });

  it('Remove deletes the job: its record and its files on the hosts', async () => {
    const ri = await api();
    const job = await vscode.commands.executeCommand<JobRecord>('remoteInvoke.runSelectionAsJob', { text: 'echo short\n', hosts: ['host1', 'host2'], name: 'to-remove' });
    await waitFor('Completed', async () => (await jobOf(job.id))?.state === 'Completed', 20_000);
    const stored = storedJob(ri.stateDir(), job.id)!;
    const dirs = stored.children.map((c) => c.shell!.dir);
    for (const d of dirs) assert.ok(fs.existsSync(d), `${d} kept until removed`);

    await vscode.commands.executeCommand('remoteInvoke.removeJob', { jobId: job.id });
    assert.strictEqual(await jobOf(job.id), undefined);
    assert.strictEqual(storedJob(ri.stateDir(), job.id), undefined);
    for (const d of dirs) assert.ok(!fs.existsSync(d), `${d} removed`);
  });

  it('a job started with the CLI appears in the Jobs view and can be received', async () => {
    const bed = await testBed();
    const ri = await api();
    const cli = path.join(extensionPath(), 'bin/remote-invoke.js');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [cli, 'run', '--as-job', '--job-name', 'from-cli', '-F', bed.sshConfigPath, '-H', 'host1,host2', '-c', 'echo "cli job on $(uname -n)"; sleep 2; echo "cli job done"'],
        { env: { ...process.env, REMOTE_INVOKE_STATE_DIR: ri.stateDir(), ELECTRON_RUN_AS_NODE: '1' }, timeout: 30_000 },
        (err, out, errText) => (err ? reject(new Error(`${err.message}\n${errText}`)) : resolve(out)),
      ),
    );
    const id = /\b(\d+)\b/.exec(stdout)?.[1];
    assert.ok(id, `the CLI printed the job id: ${stdout}`);
    const listed = await waitFor('the CLI job in the view', async () => (await jobOf(id!)) ?? undefined);
    assert.strictEqual(listed.name, 'from-cli');
    assert.deepStrictEqual(listed.children.map((c) => c.host), ['host1', 'host2']);
    // The view's own refresh (visible, a job running) finds it Completed.
    await waitFor('the CLI job Completed', async () => (await jobOf(id!))?.state === 'Completed', 20_000);
    const doc = await documentText(await vscode.commands.executeCommand<vscode.Uri>('remoteInvoke.receiveJob', { jobId: id, show: false }));
    assert.match(doc.getText(), /── host1 · Completed · exit 0 · .*──\ncli job on .*\ncli job done\n/);
    await vscode.commands.executeCommand('remoteInvoke.removeJob', id);
  });
});
