import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { SessionPool, SshConfigFile } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { collect, show } from './helpers/engine';

describe('durable spool stays bounded (real sshd)', () => {
  let bed: TestBed;
  before(async () => (bed = await startTestBed({ count: 1 })));
  after(async () => bed?.stop());

  it('received output is trimmed from the host between runs; every run still gets all of its lines', async () => {
    const pool = new SessionPool({ durable: true, spoolLimitBytes: 4096 });
    const sshConfig = SshConfigFile.load(bed.sshConfigPath);
    const script = 'i=0; while [ $i -lt 200 ]; do echo "run $1 line $i"; i=$((i+1)); done; echo "err $1" >&2; n=$((${n:-0}+1)); echo "n=$n"';
    try {
      for (let run = 1; run <= 5; run++) {
        const c = await collect({ sshConfig, sessions: pool, script: { text: script }, args: [String(run)], targets: ['host1'] });
        assert.strictEqual(c.result('host1').status, 'Completed', show(c));
        const expected = [...Array.from({ length: 200 }, (_, i) => `run ${run} line ${i}`), `n=${run}`];
        assert.deepStrictEqual(c.lines('host1'), expected, `run ${run}: all lines, once, in order; state kept`);
        assert.deepStrictEqual(c.lines('host1', 'stderr'), [`err ${run}`]);
      }
      const dir = pool.session('host1').record?.dir as string;
      const size = fs.statSync(path.join(dir, 'out')).size;
      assert.ok(size < 3 * 4096, `the stdout spool holds ${size} bytes after 5 runs of ~4 KB each`);
    } finally {
      await pool.closeAll();
    }
  });
});
