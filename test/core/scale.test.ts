/**
 * Scale against real sshd: 100 MB of output through the event stream with bounded client
 * memory, and one run on 100 loopback hosts. Numbers are printed for the report.
 */
import * as assert from 'assert';
import { execFile } from 'child_process';
import * as path from 'path';
import { SessionPool, SshConfigFile } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { collect, show } from './helpers/engine';

const MB = 1024 * 1024;
const PROBE = path.join(__dirname, 'helpers', 'bigOutput.ts');

interface ProbeResult {
  status: string;
  error: string | null;
  lines: number;
  received: number;
  wrong: number;
  stderr: number;
  ms: number;
  baselineRss: number;
  peakRss: number;
  maxRss: number;
}

function probe(bed: TestBed, bytes: number, slowEvery = 0): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-r', 'tsx/cjs', PROBE, bed.sshConfigPath, 'host1', String(bytes), String(slowEvery)],
      { cwd: path.join(__dirname, '..', '..'), timeout: 120_000, maxBuffer: MB },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`probe failed: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').pop() as string));
      },
    );
  });
}

describe('scale (real sshd)', function () {
  this.timeout(180_000);

  describe('100 MB of output', () => {
    let bed: TestBed;
    before(async () => {
      bed = await startTestBed({ count: 1 });
    });
    after(async () => bed?.stop());

    it('is delivered line by line through the event stream with client RSS below 250 MB', async () => {
      const bytes = 100_000_000;
      const r = await probe(bed, bytes);
      const peak = Math.max(r.peakRss, r.maxRss);
      console.log(
        `      100 MB: ${r.lines} lines in ${r.ms} ms (${(bytes / MB / (r.ms / 1000)).toFixed(0)} MB/s); ` +
          `RSS baseline ${(r.baselineRss / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB`,
      );
      assert.strictEqual(r.status, 'Completed', r.error ?? '');
      assert.strictEqual(r.received, bytes, 'every byte arrives');
      assert.strictEqual(r.lines, bytes / 100);
      assert.strictEqual(r.wrong, 0);
      assert.ok(peak < 250 * MB, `peak RSS ${(peak / MB).toFixed(0)} MB`);
    });

    it('a slow consumer applies backpressure: memory stays bounded', async () => {
      const bytes = 20_000_000;
      const r = await probe(bed, bytes, 2000);
      const peak = Math.max(r.peakRss, r.maxRss);
      console.log(`      20 MB to a slow consumer: ${r.ms} ms; RSS peak ${(peak / MB).toFixed(0)} MB (baseline ${(r.baselineRss / MB).toFixed(0)} MB)`);
      assert.strictEqual(r.status, 'Completed', r.error ?? '');
      assert.strictEqual(r.received, bytes);
      assert.ok(peak - r.baselineRss < 100 * MB, `grew by ${((peak - r.baselineRss) / MB).toFixed(0)} MB`);
    });
  });

  describe('100 loopback hosts', () => {
    let bed: TestBed;
    let started: number;
    before(async () => {
      const t = Date.now();
      bed = await startTestBed({ count: 100 });
      started = Date.now() - t;
    });
    after(async () => bed?.stop());

    it('one run completes on all 100', async () => {
      const sshConfig = SshConfigFile.load(bed.sshConfigPath);
      const targets = bed.hosts.map((h) => h.name);
      const c = await collect({ script: { text: 'echo "ok $1"' }, targets, args: ['go'], sshConfig });
      const bad = c.results.filter((r) => r.status !== 'Completed');
      console.log(`      100 hosts (bed started in ${started} ms): one-shot run in ${c.elapsedMs} ms`);
      assert.deepStrictEqual(bad, [], show(bad));
      for (const h of targets) assert.deepStrictEqual(c.lines(h), ['ok go']);
    });

    it('in persistent sessions: the second run reuses the 100 open shells', async () => {
      const sshConfig = SshConfigFile.load(bed.sshConfigPath);
      const targets = bed.hosts.map((h) => h.name);
      const pool = new SessionPool();
      try {
        const first = await collect({ script: { text: 'n=1; echo $$' }, targets, sshConfig, sessions: pool, throttle: 100 });
        assert.deepStrictEqual(first.results.filter((r) => r.status !== 'Completed'), []);
        const second = await collect({ script: { text: 'echo "n=$n"; echo $$' }, targets, sshConfig, sessions: pool, throttle: 100 });
        console.log(`      100 sessions: open+run ${first.elapsedMs} ms, next run on open sessions ${second.elapsedMs} ms`);
        for (const h of targets) assert.deepStrictEqual(second.lines(h), ['n=1', first.lines(h)[0]]);
      } finally {
        await pool.closeAll();
      }
    });
  });
});
