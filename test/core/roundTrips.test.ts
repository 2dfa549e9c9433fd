/**
 * Round trips on the critical path of a cold one-shot (issue 14, target: at most 9), counted on
 * the wire: one sshd and the client inside a network namespace this test makes, with a delay on
 * its lo (bench/wan: delayd at PREROUTING), and tcpdump. Needs root, ip, iptables, nft, ethtool,
 * gcc and libnetfilter-queue-dev; skipped otherwise. The namespace is deleted afterwards.
 */
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildDelayd, createNamespace, deleteNamespace, wanUnavailable } from '../../bench/wan/net';
import { ROOT } from './helpers/durable';

describe('round trips of a cold one-shot, counted with tcpdump (network namespace, RTT 100 ms)', function () {
  this.timeout(120_000);
  const ns = `ri-rt-${process.pid}`;
  let delayd = '';
  let work = '';

  before(function () {
    const why = wanUnavailable() ?? (spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0 ? undefined : 'tcpdump is not installed');
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-rt-bin-'));
    delayd = buildDelayd(ROOT, work);
    createNamespace(ns);
  });
  after(() => {
    deleteNamespace(ns);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function measure(acceptEnv: boolean): { status: string; flights: number } {
    const out = execFileSync(
      'ip',
      ['netns', 'exec', ns, process.execPath, '-r', 'tsx/cjs', path.join(__dirname, 'helpers', 'roundTrips.ts'), delayd, '100', acceptEnv ? '1' : '0'],
      { cwd: ROOT, encoding: 'utf8', timeout: 90_000, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    return JSON.parse(out.trim().split('\n').pop() as string);
  }

  it('with AcceptEnv LC_* (Debian\'s default sshd_config): at most 9 round trips before the output', () => {
    const r = measure(true);
    console.log(`      round trips before the first output: ${r.flights}`);
    assert.strictEqual(r.status, 'Completed');
    assert.ok(r.flights <= 9, `${r.flights} round trips`);
  });

  it('control: where sshd drops the variable, the script waits for the stdin copy (at least 9: the count sees that flight)', () => {
    // SYN, banner, KEXINIT, ECDH, NEWKEYS + service, auth, channel open, exec, stdin: 9 at the
    // least, 10 when sshd's Nagle holds the open confirmation behind its hostkeys message.
    const r = measure(false);
    console.log(`      round trips before the first output: ${r.flights}`);
    assert.strictEqual(r.status, 'Completed');
    assert.ok(r.flights >= 9, `${r.flights} round trips`);
  });
});
