/**
 * Background jobs (run --as-job) through the CLI against real sshd, one process per command as a
 * user runs them: starting returns at once; the job runs on with no client connected; receive
 * gets what is new each time (--keep does not advance); wait exits like run; stop kills the
 * remote process group; remove deletes the remote spool; list shows each state with exit codes;
 * a host that goes down leaves its child Disconnected until it is back.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { startTestBed, type TestBed } from '../support/sshd';
import {
  cli,
  ensureBuilt,
  gateFunctions,
  linesOf,
  openGate,
  readPid,
  reapRemoteShells,
  waitGone,
  waitReached,
  waitReachedCount,
} from './helpers/durable';
import { delay, descendantsOf, isLive, tmpDir, waitFor } from './helpers/engine';

interface JobJson {
  type: 'job';
  id: string;
  name: string;
  state: string;
  children: { host: string; state: string; exitCode: number | null; error: string | null; finishedAt: string | null }[];
}

describe('background jobs (real sshd, CLI)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let work: string;
  let F: string[];
  let n = 0;

  before(async () => {
    ensureBuilt();
    bed = await startTestBed({ count: 3 });
    bed.stopHost('host3');
    work = tmpDir('jobs');
    F = ['-F', bed.sshConfigPath];
  });
  after(async () => {
    if (bed) reapRemoteShells(bed.homeDir);
    await bed?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** A fresh state directory and gate directory for one test. */
  function fresh(): { st: string; g: string } {
    const st = path.join(work, `state-${++n}`);
    const g = path.join(work, `gates-${n}`);
    fs.mkdirSync(g);
    return { st, g };
  }

  const startJob = async (st: string, args: string[]) => {
    const r = await cli(['run', ...F, '--as-job', ...args], st);
    const id = linesOf(r.stdout)[0];
    return { ...r, id };
  };
  const job = (st: string, ...args: string[]) => cli(['job', ...args, ...F], st);
  const jobRecord = (st: string, id: string) => JSON.parse(fs.readFileSync(path.join(st, 'jobs', `${id}.json`), 'utf8'));
  /** Lines of one host, without the `host: ` prefix. */
  const of = (text: string, host: string) =>
    linesOf(text)
      .filter((l) => l.startsWith(`${host}: `))
      .map((l) => l.slice(host.length + 2));
  const listJson = async (st: string): Promise<JobJson[]> => {
    const r = await job(st, 'list', '--json');
    assert.strictEqual(r.code, 0, r.stderr);
    return linesOf(r.stdout).map((l) => JSON.parse(l) as JobJson);
  };
  /** sshd processes serving a connection to this host right now. */
  const connections = (host: string) => descendantsOf(bed.listenerPid(host));

  it('run --as-job returns at once with the id; the job runs on with no client connected; job receive from new processes gets what is new each time; --keep does not advance', async () => {
    const { st, g } = fresh();
    const script =
      gateFunctions(g) +
      'echo a1; echo a2; echo a-err >&2; echo a3\nreached "a-$$"\ngate b\n' +
      'echo b1; echo b2; echo b3\nreached "b-$$"\ngate c\necho c1\nexit 4';
    const started = await startJob(st, ['-H', 'host1,host2', '--job-name', 'gated', '-c', script]);
    assert.strictEqual(started.code, 0, started.stderr);
    assert.match(started.id, /^\d+$/, started.stdout);
    assert.match(started.stderr, /^host1: Running$/m);
    assert.match(started.stderr, /^host2: Running$/m);
    console.log(`      run --as-job returned in ${started.ms} ms`);

    await waitReachedCount(g, 'a', 2);
    // The CLI is gone: nobody is connected to either host.
    assert.ok(await waitFor(() => connections('host1').length + connections('host2').length === 0, 10_000, 50), 'a connection outlived the CLI');

    const keep1 = await job(st, 'receive', started.id, '--keep');
    const keep2 = await job(st, 'receive', started.id, '--keep');
    const first = await job(st, 'receive', started.id);
    for (const r of [keep1, keep2, first]) {
      assert.strictEqual(r.code, 0, r.stderr);
      for (const host of ['host1', 'host2']) {
        assert.deepStrictEqual(of(r.stdout, host), ['a1', 'a2', 'a3'], r.stdout);
        assert.ok(of(r.stderr, host).includes('a-err'), r.stderr);
      }
      assert.match(r.stderr, /^\d+ gated: Running/m);
      assert.match(r.stderr, /^ {2}host1: Running started /m);
    }
    const nothingNew = await job(st, 'receive', started.id);
    assert.strictEqual(nothingNew.stdout, '', 'a receive repeated lines');
    assert.ok(!nothingNew.stderr.includes('a-err'));

    // More output while no client is connected.
    assert.ok(await waitFor(() => connections('host1').length + connections('host2').length === 0, 10_000, 50));
    openGate(g, 'b');
    await waitReachedCount(g, 'b', 2);
    assert.deepStrictEqual([connections('host1'), connections('host2')], [[], []], 'the job ran on with nobody connected');
    const second = await job(st, 'receive', started.id);
    for (const host of ['host1', 'host2']) assert.deepStrictEqual(of(second.stdout, host), ['b1', 'b2', 'b3']);
    assert.ok(!second.stderr.includes('a-err'));

    openGate(g, 'c');
    const waited = await job(st, 'wait', started.id);
    assert.strictEqual(waited.code, 1, `exit 4 on every host → 1: ${waited.stdout}${waited.stderr}`);
    assert.match(waited.stdout, /^ {2}host1: Failed \(exit 4\)/m);
    assert.match(waited.stdout, /^ {2}host2: Failed \(exit 4\)/m);
    const last = await job(st, 'receive', started.id);
    for (const host of ['host1', 'host2']) assert.deepStrictEqual(of(last.stdout, host), ['c1']);
    assert.match(last.stderr, /^\d+ gated: Failed/m);
  });

  it('job wait exits like run: 0 when every host Completed, 1 when a script failed, 3 when a host could not run it', async () => {
    const { st } = fresh();
    const ok = await startJob(st, ['-H', 'host1,host2', '-c', 'echo fine']);
    const bad = await startJob(st, ['-H', 'host1,host2', '-c', 'echo "$SSH_CONNECTION" | grep -q " 127\\.[0-9]*\\.0\\.1 " && exit 5; echo fine']);
    const down = await startJob(st, ['-H', 'host1,host3', '-c', 'echo fine']);
    assert.deepStrictEqual([ok.code, bad.code], [0, 0], ok.stderr + bad.stderr);
    assert.strictEqual(down.code, 3, 'a host that cannot start its child makes --as-job exit 3');
    assert.match(down.stderr, /^host3: Failed — Unreachable/m);

    const w0 = await job(st, 'wait', ok.id);
    assert.strictEqual(w0.code, 0, w0.stdout + w0.stderr);
    const w1 = await job(st, 'wait', bad.id, '--json');
    assert.strictEqual(w1.code, 1, w1.stdout + w1.stderr);
    const j1 = JSON.parse(linesOf(w1.stdout)[0]) as JobJson;
    assert.strictEqual(j1.state, 'Failed');
    assert.deepStrictEqual(j1.children.map((c) => [c.host, c.state, c.exitCode]), [['host1', 'Failed', 5], ['host2', 'Completed', 0]]);
    const w3 = await job(st, 'wait', down.id);
    assert.strictEqual(w3.code, 3, `like run with an unreachable host: ${w3.stdout}${w3.stderr}`);
    assert.match(w3.stdout, /^ {2}host1: Completed \(exit 0\)/m);
    assert.match(w3.stdout, /^ {2}host3: Failed .*Unreachable/m);
  });

  it('job stop kills the remote process group: the job shell, its foreground and background children, and one that ignores TERM', async () => {
    const { st, g } = fresh();
    const script =
      gateFunctions(g) +
      [
        'echo $$ >"$G/shell.pid"',
        'sleep 300 & echo $! >"$G/bg.pid"',
        `sh -c 'trap "" TERM; echo $$ >"$1/stubborn.pid"; while :; do sleep 1; done' sh "$G" &`,
        `sh -c 'echo $$ >"$1/fg.pid"; exec sleep 301' sh "$G"`,
        'echo not reached',
      ].join('\n');
    const started = await startJob(st, ['-H', 'host1', '-c', script]);
    assert.strictEqual(started.code, 0, started.stderr);
    console.log(`      run --as-job of a 300 s script returned in ${started.ms} ms`);
    assert.ok(started.ms < 15_000, `took ${started.ms} ms`);
    const files = ['shell', 'bg', 'stubborn', 'fg'].map((f) => path.join(g, `${f}.pid`));
    assert.ok(await waitFor(() => files.every((f) => fs.existsSync(f) && fs.readFileSync(f, 'utf8').endsWith('\n')), 20_000), 'the job did not start its processes');
    const pids = files.map(readPid);
    assert.ok(pids.every(isLive));

    const stopped = await job(st, 'stop', started.id);
    assert.strictEqual(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /^ {2}host1: Stopped/m);
    for (const [i, pid] of pids.entries()) assert.ok(await waitGone(pid, 5000), `${path.basename(files[i])} ${pid} still runs`);
    console.log(`      job stop (TERM, then KILL for the one ignoring TERM): ${stopped.ms} ms`);

    const list = await listJson(st);
    assert.deepStrictEqual(list.map((j) => [j.id, j.state]), [[started.id, 'Stopped']]);
    const waited = await job(st, 'wait', started.id);
    assert.strictEqual(waited.code, 3, 'a stopped job did not complete');
    const received = await job(st, 'receive', started.id);
    assert.ok(!received.stdout.includes('not reached'));
  });

  it('job list shows each job Running, Completed, Failed or Stopped, with exit codes', async () => {
    const { st, g } = fresh();
    const done = await startJob(st, ['-H', 'host1', '--job-name', 'done', '-c', 'echo ok']);
    const bad = await startJob(st, ['-H', 'host1,host2', '--job-name', 'bad', '-c', 'exit 6']);
    const busy = await startJob(st, ['-H', 'host2', '--job-name', 'busy', '-c', gateFunctions(g) + 'gate end']);
    const halted = await startJob(st, ['-H', 'host1', '--job-name', 'halted', '-c', 'sleep 300']);
    await job(st, 'stop', halted.id);
    let finished = false;
    for (let i = 0; i < 50 && !finished; i++) {
      const l = await listJson(st);
      finished = l.find((j) => j.name === 'done')?.state === 'Completed' && l.find((j) => j.name === 'bad')?.state === 'Failed';
      if (!finished) await delay(200);
    }
    assert.ok(finished, 'the short jobs did not finish');
    const text = await job(st, 'list');
    assert.strictEqual(text.code, 0, text.stderr);
    const out = text.stdout;
    assert.match(out, new RegExp(`^${done.id} done: Completed — echo ok$`, 'm'));
    assert.match(out, new RegExp(`^${bad.id} bad: Failed — exit 6$`, 'm'));
    assert.match(out, new RegExp(`^${busy.id} busy: Running — `, 'm'));
    assert.match(out, new RegExp(`^${halted.id} halted: Stopped — sleep 300$`, 'm'));
    const children = linesOf(out).filter((l) => l.startsWith('  '));
    assert.ok(children.some((l) => /^ {2}host1: Completed \(exit 0\) started \S+ finished \S+$/.test(l)), out);
    assert.strictEqual(children.filter((l) => /^ {2}host\d: Failed \(exit 6\) started \S+ finished \S+$/.test(l)).length, 2, out);
    assert.ok(children.some((l) => /^ {2}host2: Running started \S+$/.test(l)), out);
    assert.ok(children.some((l) => /^ {2}host1: Stopped started \S+ finished \S+$/.test(l)), out);

    openGate(g, 'end');
    const w = await job(st, 'wait', busy.id);
    assert.strictEqual(w.code, 0, w.stdout + w.stderr);
    const after = await listJson(st);
    assert.deepStrictEqual(after.map((j) => [j.name, j.state]), [['done', 'Completed'], ['bad', 'Failed'], ['busy', 'Completed'], ['halted', 'Stopped']]);
  });

  it('job remove deletes the remote spool directory and the record, also of a running job (whose processes end)', async () => {
    const { st, g } = fresh();
    const finished = await startJob(st, ['-H', 'host1,host2', '-c', 'echo kept in the spool']);
    const running = await startJob(st, ['-H', 'host1', '-c', `sh -c 'echo $$ >"$1"; exec sleep 300' sh '${g}/running.pid'`]);
    const w = await job(st, 'wait', finished.id);
    assert.strictEqual(w.code, 0, w.stdout + w.stderr);
    const dirs = (id: string) => jobRecord(st, id).children.map((c: { shell: { dir: string } }) => c.shell.dir) as string[];
    const finishedDirs = dirs(finished.id);
    const runningDirs = dirs(running.id);
    assert.strictEqual(finishedDirs.length, 2);
    assert.ok([...finishedDirs, ...runningDirs].every((d) => fs.existsSync(path.join(d, 'out'))), 'spools exist before remove');
    assert.ok(await waitFor(() => fs.existsSync(`${g}/running.pid`), 20_000));
    const pid = readPid(`${g}/running.pid`);

    for (const id of [finished.id, running.id]) {
      const r = await job(st, 'remove', id);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`^job ${id} removed$`, 'm'));
      assert.ok(!fs.existsSync(path.join(st, 'jobs', `${id}.json`)), 'the record is gone');
    }
    for (const d of [...finishedDirs, ...runningDirs]) assert.ok(!fs.existsSync(d), `${d} is still there`);
    assert.ok(await waitGone(pid, 5000), 'the removed running job still runs');
    assert.deepStrictEqual(await listJson(st), []);
    const again = await job(st, 'receive', finished.id);
    assert.strictEqual(again.code, 2);
    assert.match(again.stderr, /no job/);
  });

  it('a job whose host goes down shows Disconnected, keeps running, and is found Completed with all its output once the host is back', async () => {
    const { st, g } = fresh();
    const started = await startJob(st, ['-H', 'host2', '-c', gateFunctions(g) + 'echo x1\nreached one\ngate two\necho x2\nreached done']);
    assert.strictEqual(started.code, 0, started.stderr);
    await waitReached(g, 'one');
    bed.stopHost('host2');
    try {
      const list = await listJson(st);
      assert.deepStrictEqual(list.map((j) => [j.state, j.children[0].state]), [['Disconnected', 'Disconnected']]);
      assert.match(list[0].children[0].error ?? '', /ECONNREFUSED|connect/i);
      openGate(g, 'two');
      await waitReached(g, 'done'); // finished while its host's sshd was down
    } finally {
      await bed.restartHost('host2');
    }
    const w = await job(st, 'wait', started.id);
    assert.strictEqual(w.code, 0, w.stdout + w.stderr);
    assert.match(w.stdout, /^ {2}host2: Completed \(exit 0\)/m);
    const r = await job(st, 'receive', started.id);
    assert.deepStrictEqual(of(r.stdout, 'host2'), ['x1', 'x2']);
  });
});
