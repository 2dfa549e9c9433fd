/**
 * `run --session` from a new process reattaches without a status channel first (issue 14, fewer
 * round trips): the attach itself reports a gone or dead shell. A pool made from a saved record
 * stands for the new process; ssh2's exec requests are recorded to show which channels opened.
 * The issue 12 behaviour stays: a shell that really died is replaced by that same run, which
 * says its state was reset; without renewing (a pool's own `open`), the run fails and nothing ran.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import { SessionPool, SshConfigFile, type HostFailure } from '../../src/core';
import type { DurableShellRecord } from '../../src/core/session/durable';
import { startTestBed, type TestBed } from '../support/sshd';
import { reapRemoteShells } from './helpers/durable';
import { collect, isLive, show, waitFor, watchExecs } from './helpers/engine';

/** Which kind of channel each exec request was: attach, status, create, remove or other. */
function kindOf(command: string): string {
  if (command.includes('echo "STATE')) return 'status';
  if (command.includes('cat >>"$d/in"')) return 'attach';
  if (command === '/bin/sh') return 'create'; // the create program goes on its stdin
  if (/kill|rm -rf/.test(command) && command.includes('remote-invoke')) return 'remove';
  return 'other';
}

/** The kinds of the exec requests made while `body` runs. */
async function watchExecKinds<T>(body: () => Promise<T>): Promise<{ value: T; kinds: string[] }> {
  const { value, execs } = await watchExecs(body);
  return { value, kinds: execs.map((e) => kindOf(e.command)) };
}

describe('run --session reattaches without a status channel (real sshd)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let sshConfig: SshConfigFile;
  const pools: SessionPool[] = [];
  before(async () => {
    bed = await startTestBed({ count: 1 });
    sshConfig = SshConfigFile.load(bed.sshConfigPath);
  });
  after(async () => {
    for (const p of pools) await p.closeAll().catch(() => undefined);
    if (bed) reapRemoteShells(bed.homeDir);
    await bed?.stop();
  });

  const newPool = () => {
    const p = new SessionPool({ durable: true });
    pools.push(p);
    return p;
  };
  const run = (pool: SessionPool, text: string) => collect({ script: { text }, targets: ['host1'], sshConfig, sessions: pool });

  /** A durable session with `v=kept`, detached as a CLI process leaves it: its saved record and shell pid. */
  async function detachedSession(): Promise<{ record: DurableShellRecord; pid: number }> {
    const pool = newPool();
    const r = await run(pool, 'v=kept; echo $$');
    assert.strictEqual(r.result('host1').status, 'Completed', show(r));
    const record = JSON.parse(JSON.stringify(pool.session('host1').record)) as DurableShellRecord;
    pool.dispose();
    return { record, pid: Number(r.lines('host1')[0]) };
  }

  /** A new pool from the record, as a new CLI process has it. */
  function reopened(record: DurableShellRecord): SessionPool {
    const pool = newPool();
    pool.session('host1', { record });
    return pool;
  }

  it('a live shell: one attach channel and nothing else; state and shell kept', async () => {
    const { record, pid } = await detachedSession();
    const { value: r, kinds } = await watchExecKinds(() => run(reopened(record), 'echo "v=$v"; echo $$'));
    assert.strictEqual(r.result('host1').status, 'Completed', show(r));
    assert.deepStrictEqual(r.lines('host1'), ['v=kept', String(pid)]);
    assert.deepStrictEqual(kinds, ['attach']);
  });

  it('a killed shell: the attach reports it, the same run opens a new session, runs there and says the state was reset', async () => {
    const { record, pid } = await detachedSession();
    process.kill(pid, 'SIGKILL');
    assert.ok(await waitFor(() => !isLive(pid), 5000, 20));
    const { value: r, kinds } = await watchExecKinds(() => run(reopened(record), 'echo "v=${v-gone}"; echo $$'));
    const result = r.result('host1');
    assert.strictEqual(result.status, 'Completed', show(r));
    const [v, newPid] = r.lines('host1');
    assert.strictEqual(v, 'v=gone');
    assert.notStrictEqual(newPid, String(pid));
    assert.match(result.notice ?? '', /no longer existed \(its shell was killed\).*state was reset/);
    assert.ok(!kinds.includes('status'), kinds.join(','));
    assert.deepStrictEqual(kinds, ['attach', 'remove', 'create', 'attach']);
    assert.ok(await waitFor(() => !fs.existsSync(record.dir), 5000, 20), 'the dead session directory was removed');
  });

  it('a removed session (directory gone): replaced the same way, the notice says why', async () => {
    const { record, pid } = await detachedSession();
    process.kill(pid, 'SIGKILL');
    fs.rmSync(record.dir, { recursive: true, force: true });
    const r = await run(reopened(record), 'echo "v=${v-gone}"');
    assert.strictEqual(r.result('host1').status, 'Completed', show(r));
    assert.deepStrictEqual(r.lines('host1'), ['v=gone']);
    assert.match(r.result('host1').notice ?? '', /no longer existed \(its shell exited, it was removed, or it ended after its idle timeout\)/);
  });

  it('the output a dead shell left after its last run is not taken for the new run\'s', async () => {
    const pool = newPool();
    const first = await run(pool, '(sleep 0.3; echo late-from-old-shell) & echo $$');
    const pid = Number(first.lines('host1')[0]);
    const record = JSON.parse(JSON.stringify(pool.session('host1').record)) as DurableShellRecord;
    pool.dispose();
    await new Promise((resolve) => setTimeout(resolve, 600));
    process.kill(pid, 'SIGKILL');
    assert.ok(await waitFor(() => !isLive(pid), 5000, 20));
    const r = await run(reopened(record), 'echo fresh');
    assert.strictEqual(r.result('host1').status, 'Completed', show(r));
    assert.deepStrictEqual(r.lines('host1'), ['fresh']);
  });

  it('without renewing (a session opened on its own): the run fails, says the session is gone, and nothing ran', async () => {
    const { record, pid } = await detachedSession();
    process.kill(pid, 'SIGKILL');
    const pool = reopened(record);
    const session = pool.session('host1');
    await session.open({ sshConfig });
    const lines: string[] = [];
    const failure = await session
      .run({ text: 'echo ran', fileName: 'x.sh', args: [] }, { line: (_s, l) => (lines.push(l), true), drained: async () => {} }, {})
      .then(
        () => undefined,
        (err: HostFailure) => err,
      );
    assert.ok(failure, 'the run failed');
    assert.strictEqual(failure.status, 'Failed');
    assert.match(failure.message, /no longer exists/);
    assert.deepStrictEqual(lines, []);
  });
});
