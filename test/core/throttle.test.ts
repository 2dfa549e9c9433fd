/**
 * The throttle against real sshd. An explicit throttle caps hosts in flight; without one every
 * host is in flight and only the handshakes of near hosts take one of the HandshakeGate's slots
 * (held until authenticated), while a host whose TCP connect crossed a network gives its slot
 * back at once.
 */
import * as assert from 'assert';
import { connectByName, HandshakeGate, SshConfigFile } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { collect } from './helpers/engine';

/** A gate that records when slots are granted and given back. */
class RecordingGate extends HandshakeGate {
  readonly log: string[] = [];
  private n = 0;
  override acquire(signal?: AbortSignal): Promise<() => void> {
    return super.acquire(signal).then((release) => {
      const id = ++this.n;
      this.log.push(`grant ${id}`);
      return () => {
        if (!this.log.includes(`release ${id}`)) this.log.push(`release ${id}`);
        release();
      };
    });
  }
}

describe('throttle (real sshd)', function () {
  this.timeout(120_000);
  let bed: TestBed;
  let sshConfig: SshConfigFile;
  const HOSTS = 34; // more than the 32 slots

  before(async () => {
    bed = await startTestBed({ count: HOSTS });
    sshConfig = SshConfigFile.load(bed.sshConfigPath);
  });
  after(async () => bed?.stop());

  /** Connects three hosts at once through the gate; the gate's log gains a `ready` per host. */
  async function connectThree(gate: RecordingGate): Promise<string[]> {
    const clients = await Promise.all(
      ['host1', 'host2', 'host3'].map((h) =>
        connectByName(sshConfig, h, { handshakeGate: gate }).then((c) => {
          gate.log.push('ready');
          return c;
        }),
      ),
    );
    for (const c of clients) c.end();
    return gate.log;
  }

  it('a near host keeps its handshake slot until it is authenticated: with one slot, handshakes take turns', async () => {
    // farMs 5 s: however loaded the box, a loopback connect counts as near
    const log = await connectThree(new RecordingGate(1, 5000));
    // (a slot goes back as the handshake ends, a moment before its `ready` is logged)
    assert.ok(log.indexOf('grant 3') > log.indexOf('ready'), log.join(', '));
    assert.deepStrictEqual(log.filter((l) => l.startsWith('grant')).length, 3);
  });

  it('a host whose connect crossed a network gives its slot back at its TCP connect: handshakes overlap', async () => {
    const log = await connectThree(new RecordingGate(1, 0)); // farMs 0: every connect counts as far
    // All three got and gave back their slot before the first was authenticated.
    assert.ok(log.indexOf('release 3') < log.indexOf('ready'), log.join(', '));
  });

  it('cancelling while waiting for a slot ends that host as Cancelled and frees nothing twice', async () => {
    const gate = new HandshakeGate(0);
    const abort = new AbortController();
    const attempt = connectByName(sshConfig, 'host1', { handshakeGate: gate, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    await assert.rejects(attempt, (err: Error & { status?: string }) => err.status === 'Cancelled');
  });

  it(`default settings: all ${HOSTS} hosts are in flight at once (one wave); -t 17 makes two waves`, async () => {
    const names = bed.hosts.map((h) => h.name);
    const script = { text: 'sleep 3; echo done' };
    const started = Date.now();
    const free = await collect({ script, targets: names, sshConfig });
    const freeMs = Date.now() - started;
    assert.ok(free.results.every((r) => r.status === 'Completed'), JSON.stringify(free.results.filter((r) => r.status !== 'Completed')));
    const started2 = Date.now();
    const capped = await collect({ script, targets: names, sshConfig, throttle: 17 });
    const cappedMs = Date.now() - started2;
    assert.ok(capped.results.every((r) => r.status === 'Completed'));
    console.log(`      ${HOSTS} hosts, 'sleep 3': default ${freeMs} ms, -t 17 ${cappedMs} ms`);
    assert.ok(cappedMs >= 6000, `-t 17 ran ${HOSTS} hosts in ${cappedMs} ms: not two waves`);
    assert.ok(freeMs < cappedMs - 2000, `default ${freeMs} ms vs -t 17 ${cappedMs} ms: hosts waited for each other`);
  });
});
