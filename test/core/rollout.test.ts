/**
 * Rolling runs against 20 real sshd hosts: --batch 1,5,25% (Ansible `serial`: a batch starts
 * only when the previous one has ended), --max-failures N / N% (no new host once more than
 * that have failed; the rest end Skipped), in the engine and through the CLI (exit 3, a
 * `result` line per Skipped host, `batches` and `stoppedBy` in the summary).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { invoke, parseBatchSpec, parseFailureBudget, planBatches, SshConfigFile, type InvokeEvent } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { cli, ensureBuilt, linesOf } from './helpers/durable';
import { bedRequest, collect, show, tmpDir } from './helpers/engine';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `host${i + 1}`);

describe('rolling runs: batch plan and failure budget (pure)', () => {
  it('1,5,25% over 20 hosts: 1, 5, then 5 at a time (25% of 20), the last batch what is left', () => {
    const plan = planBatches(hosts(20), parseBatchSpec('1,5,25%'));
    assert.deepStrictEqual(plan.map((b) => b.length), [1, 5, 5, 5, 4]);
    assert.deepStrictEqual(plan.flat(), hosts(20), 'every host once, in target order');
  });

  it('a percentage rounds down but never below one host; a count larger than what is left takes the rest', () => {
    assert.deepStrictEqual(planBatches(hosts(3), parseBatchSpec('10%')).map((b) => b.length), [1, 1, 1]);
    assert.deepStrictEqual(planBatches(hosts(7), parseBatchSpec('2,50%')).map((b) => b.length), [2, 3, 2]);
    assert.deepStrictEqual(planBatches(hosts(4), parseBatchSpec('10')).map((b) => b.length), [4]);
    assert.deepStrictEqual(planBatches(hosts(5), undefined).map((b) => b.length), [5]);
  });

  it('bad sizes and budgets are refused with a message naming the entry', () => {
    for (const bad of ['', ',', '1,,2', '0', '-1', 'a', '1.5', '150%', '5%x', ' ']) {
      assert.throws(() => parseBatchSpec(bad), (e: Error) => e instanceof RangeError && e.message.includes('--batch'), bad);
    }
    for (const bad of ['', '-1', 'x', '1,2', '101%', '2.5']) {
      assert.throws(() => parseFailureBudget(bad), (e: Error) => e instanceof RangeError && e.message.includes('--max-failures'), bad);
    }
    assert.deepStrictEqual(parseFailureBudget('0'), { hosts: 0 });
    assert.deepStrictEqual(parseFailureBudget('10%'), { percent: 10 });
  });
});

describe('rolling runs (20 real sshd hosts)', function () {
  this.timeout(120_000);
  let bed: TestBed;
  let work: string;
  const all = hosts(20);

  before(async () => {
    ensureBuilt();
    bed = await startTestBed({ count: 20 });
    work = tmpDir('rollout');
  });
  after(async () => {
    await bed?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** A script that exits 1 on the named hosts (told apart by the server address in $SSH_CONNECTION). */
  const failOn = (names: string[]) => {
    const addresses = names.map((n) => {
      const h = bed.hosts.find((x) => x.name === n)!;
      return `*" ${h.address} ${h.port}"`;
    });
    return addresses.length ? `case "$SSH_CONNECTION" in ${addresses.join('|')}) exit 1;; esac; echo ok` : 'echo ok';
  };

  it('--batch 1,5,25%: batches of 1, 5, 5, 5, 4; no host of a batch starts before the previous batch has ended', async () => {
    const order: InvokeEvent[] = [];
    const c = await collect(bedRequest(bed, { script: { text: 'sleep 0.2; echo ok' }, targets: all, batch: parseBatchSpec('1,5,25%') }), (e) =>
      order.push(e),
    );
    assert.ok(c.results.every((r) => r.status === 'Completed'), show(c));
    const expected = [1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5];
    assert.deepStrictEqual(c.results.map((r) => r.batch), expected);
    for (const [i, e] of order.entries()) {
      if (e.type !== 'start') continue;
      assert.strictEqual(e.batch, expected[all.indexOf(e.host)], `start event of ${e.host} names its batch`);
      // Everything of earlier batches has ended before this start; nothing of later batches has begun.
      const before = order.slice(0, i);
      for (const h of all.filter((_, k) => expected[k] < e.batch!)) {
        assert.ok(before.some((x) => x.type === 'result' && x.host === h), `${h} (batch ${expected[all.indexOf(h)]}) ended before ${e.host} (batch ${e.batch}) started`);
      }
      for (const h of all.filter((_, k) => expected[k] > e.batch!)) {
        assert.ok(!before.some((x) => x.host === h), `${h} had not begun when ${e.host} started`);
      }
    }
    // Hosts within a batch do run at once: batch 2's five sleeps overlap.
    const starts = order.filter((e) => e.type === 'start' && e.batch === 2).map((e) => order.indexOf(e));
    const firstEnd = order.findIndex((e) => e.type === 'result' && e.batch === 2);
    assert.ok(starts.every((s) => s < firstEnd), 'all of batch 2 started before any of it ended');
    const rollout = await (async () => {
      const run = invoke(bedRequest(bed, { script: { text: 'true' }, targets: all.slice(0, 3), batch: parseBatchSpec('2') }));
      await run.results;
      return run.rollout;
    })();
    assert.deepStrictEqual(rollout.batches, [['host1', 'host2'], ['host3']]);
    assert.strictEqual(rollout.stoppedBy, null);
  });

  it('--max-failures 2 without --batch stops the throttled fan-out once a third host fails; the rest are Skipped', async () => {
    const run = invoke(
      bedRequest(bed, { script: { text: failOn(['host2', 'host4', 'host6', 'host8']) }, targets: all, throttle: 1, maxFailures: parseFailureBudget('2') }),
    );
    const events: InvokeEvent[] = [];
    for await (const e of run) events.push(e);
    const results = await run.results;
    const statuses = results.map((r) => r.status);
    assert.deepStrictEqual(statuses.slice(0, 6), ['Completed', 'Failed', 'Completed', 'Failed', 'Completed', 'Failed'], show(results));
    assert.ok(statuses.slice(6).every((s) => s === 'Skipped'), show(results));
    for (const r of results.slice(6)) {
      assert.match(r.error ?? '', /not started: 3 hosts failed or could not run, more than the failure budget of 2/);
      assert.ok(!events.some((e) => e.type === 'start' && e.host === r.host), `${r.host} never started`);
      assert.ok(events.some((e) => e.type === 'result' && e.host === r.host && e.status === 'Skipped'), `${r.host} has a result event`);
    }
    const rollout = await run.rollout;
    assert.strictEqual(rollout.stoppedBy, 'max-failures');
    assert.match(rollout.stopReason ?? '', /3 hosts failed .*; 14 hosts were not started/);
  });

  it('an unreachable host spends the budget too (--max-failures 0); a host already in flight finishes', async () => {
    const config = fs.readFileSync(bed.sshConfigPath, 'utf8') + `\nHost dead1\n  HostName 127.0.0.1\n  Port 1\n`;
    const configPath = path.join(work, 'ssh_config');
    fs.writeFileSync(configPath, config);
    const c = await collect({
      sshConfig: SshConfigFile.load(configPath),
      script: { text: 'sleep 0.5; echo ok' },
      targets: ['dead1', 'host1', 'host2', 'host3', 'host4'],
      throttle: 2,
      maxFailures: parseFailureBudget('0'),
    });
    assert.strictEqual(c.result('dead1').status, 'Unreachable');
    // host1 was in flight when the budget was spent: it runs to the end.
    assert.strictEqual(c.result('host1').status, 'Completed', show(c));
    assert.deepStrictEqual(['host2', 'host3', 'host4'].map((h) => c.result(h).status), ['Skipped', 'Skipped', 'Skipped'], show(c));
  });

  it('CLI: --batch 5 --max-failures 2 stops a 20-host run after its first batch; exit 3, Skipped result lines, batches and stoppedBy', async () => {
    const r = await cli(
      ['run', '-F', bed.sshConfigPath, '-H', all.join(','), '--batch', '5', '--max-failures', '2', '--json', '-c', failOn(['host1', 'host2', 'host3'])],
      work,
    );
    assert.strictEqual(r.code, 3, r.stderr);
    const lines = linesOf(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    const results = lines.filter((l) => l.type === 'result');
    assert.strictEqual(results.length, 20);
    const byHost = new Map(results.map((l) => [l.host as string, l]));
    assert.deepStrictEqual(['host1', 'host2', 'host3', 'host4', 'host5'].map((h) => byHost.get(h)!.status), ['Failed', 'Failed', 'Failed', 'Completed', 'Completed']);
    for (const h of all.slice(5)) {
      const line = byHost.get(h)!;
      assert.strictEqual(line.status, 'Skipped', h);
      assert.strictEqual(line.batch, Math.floor(all.indexOf(h) / 5) + 1);
    }
    const summary = lines.at(-1)!;
    assert.strictEqual(summary.type, 'summary');
    assert.strictEqual(summary.Skipped, 15);
    assert.strictEqual(summary.exitCode, 3);
    assert.deepStrictEqual(summary.batches, [all.slice(0, 5), all.slice(5, 10), all.slice(10, 15), all.slice(15)]);
    assert.strictEqual(summary.stoppedBy, 'max-failures');
  });

  it('CLI: --max-failures 10% allows 2 of 20; text mode says why the run stopped', async () => {
    const r = await cli(['run', '-F', bed.sshConfigPath, '-H', all.join(','), '-t', '1', '--max-failures', '10%', '-c', failOn(['host1', 'host2', 'host3'])], work);
    assert.strictEqual(r.code, 3, r.stderr);
    assert.match(r.stderr, /host4: Skipped/);
    assert.match(r.stderr, /stopped: 3 hosts failed or could not run, more than the failure budget of 10% \(--max-failures\); 17 hosts were not started/);
    const ok = await cli(['run', '-F', bed.sshConfigPath, '-H', all.slice(0, 4).join(','), '--max-failures', '1', '--json', '-c', failOn(['host1'])], work);
    assert.strictEqual(ok.code, 1, 'one failure is within a budget of 1: the run finishes, exit 1 for the failed script');
    const summary = JSON.parse(linesOf(ok.stdout).at(-1)!);
    assert.strictEqual(summary.stoppedBy, null);
    assert.strictEqual(summary.Skipped, 0);
  });

  it('CLI: bad --batch / --max-failures values exit 2 with one line naming the problem, running nothing', async () => {
    for (const [flag, value] of [['--batch', '0'], ['--batch', '1,,5'], ['--batch', '200%'], ['--max-failures', 'x'], ['--max-failures', '-2']]) {
      const r = await cli(['run', '-F', bed.sshConfigPath, '-H', 'host1', flag, value, '-c', 'touch /tmp/ri-rollout-ran'], work);
      assert.strictEqual(r.code, 2, `${flag} ${value}: ${r.stderr}`);
      assert.strictEqual(linesOf(r.stderr).length, 1, r.stderr);
      assert.ok(r.stderr.includes(flag), r.stderr);
      assert.strictEqual(r.stdout, '');
    }
    assert.ok(!fs.existsSync('/tmp/ri-rollout-ran'));
  });
});
