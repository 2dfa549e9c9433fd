/**
 * Host-key verification against real sshd, before authentication: known, wrong, unknown,
 * hashed, @revoked keys under each StrictHostKeyChecking policy, the `ask` callback, and several
 * host key types. The sshd log (LogLevel DEBUG1) shows whether the client ever tried to log in.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_THROTTLE, fingerprintSha256, SshConfigFile, type HostKeyAnswer, type HostKeyInfo, type InvokeRequest } from '../../src/core';
import { startTestBed, type TestBed, type TestHost } from '../support/sshd';
import { collect, hostBlock, knownHostsNameOf, newKey, pubBlob, show, sshdLog, sshKeygen, tmpDir } from './helpers/engine';

describe('host keys (real sshd)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let dir: string;
  let h1: TestHost;
  let ecdsaHost: ReturnType<typeof newKey>;
  let rsaHost: ReturnType<typeof newKey>;
  let otherEd: ReturnType<typeof newKey>;
  let otherEcdsa: ReturnType<typeof newKey>;
  let n = 0;

  before(async () => {
    dir = tmpDir('hostkeys');
    // every host also offers these two keys, besides its own ed25519 key
    ecdsaHost = newKey(dir, 'host_ecdsa', 'ecdsa');
    rsaHost = newKey(dir, 'host_rsa', 'rsa');
    otherEd = newKey(dir, 'other_ed');
    otherEcdsa = newKey(dir, 'other_ecdsa', 'ecdsa');
    bed = await startTestBed({
      count: 2,
      extraSshdConfig: ['LogLevel DEBUG1', `HostKey ${ecdsaHost.path}`, `HostKey ${rsaHost.path}`].join('\n'),
    });
    h1 = bed.hosts[0];
  });
  after(async () => {
    await bed?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const khName = (h = h1) => knownHostsNameOf(h);
  const edLine = (h = h1) => `${khName(h)} ${h.hostKeyPub}`;

  /** A known_hosts file with these lines ('' = the file does not exist). */
  function knownHosts(lines: string[] | null): string {
    const p = path.join(dir, `known_hosts.${++n}`);
    if (lines) fs.writeFileSync(p, lines.map((l) => l + '\n').join(''));
    return p;
  }

  /** ssh_config naming h1 as `target`, with these host-key settings. */
  function config(settings: Record<string, string>, h = h1, alias = 'target'): SshConfigFile {
    const p = path.join(dir, `ssh_config.${++n}`);
    fs.writeFileSync(p, hostBlock(alias, h, { User: bed.user, IdentityFile: bed.clientKeyPath, IdentitiesOnly: 'yes', ...settings }));
    return SshConfigFile.load(p);
  }

  const marker = () => path.join(dir, `ran.${++n}`);

  async function attempt(sshConfig: SshConfigFile, extra: Partial<InvokeRequest> = {}, host = 'target') {
    const ran = marker();
    const logBefore = sshdLog(bed, 'host1').length;
    const c = await collect({ script: { text: `touch '${ran}'; echo ran` }, targets: [host], sshConfig, ...extra });
    // sshd logs the end of the connection asynchronously
    await new Promise((r) => setTimeout(r, 150));
    const log = sshdLog(bed, 'host1').slice(logBefore);
    return { c, r: c.result(host), ran: fs.existsSync(ran), log };
  }

  /** Nothing was sent for authentication: the server saw a connection, but no userauth request. */
  function assertNoAuthAttempt(log: string) {
    assert.match(log, /Connection from|kex|KEX/, `the server saw no connection at all:\n${log}`);
    assert.doesNotMatch(log, /userauth-request|Accepted (publickey|password|key)|Failed (publickey|password|none)|Postponed/, log);
  }

  it('a known key (plain line) is accepted under yes; the sshd log shows the login', async () => {
    const { r, ran, log } = await attempt(config({ UserKnownHostsFile: knownHosts([edLine()]), StrictHostKeyChecking: 'yes' }));
    assert.strictEqual(r.status, 'Completed', r.error ?? '');
    assert.ok(ran);
    assert.match(log, /userauth-request|Accepted publickey/, 'positive control: an accepted login is visible in the log');
  });

  for (const policy of ['yes', 'accept-new', 'no'] as const) {
    it(`a wrong key is refused under ${policy}: HostKeyRejected, both SHA256 fingerprints, nothing sent`, async () => {
      const kh = knownHosts([`${khName()} ${otherEd.pub}`]);
      const before = fs.readFileSync(kh, 'utf8');
      const { r, ran, log } = await attempt(config({ UserKnownHostsFile: kh, StrictHostKeyChecking: policy }));
      assert.strictEqual(r.status, 'HostKeyRejected', show([r]));
      const error = r.error ?? '';
      assert.ok(error.includes(fingerprintSha256(otherEd.blob)), `known fingerprint missing: ${error}`);
      assert.ok(error.includes(fingerprintSha256(pubBlob(h1.hostKeyPub))), `offered fingerprint missing: ${error}`);
      assert.ok(!ran, 'the script ran on a host with a changed key');
      assertNoAuthAttempt(log);
      assert.strictEqual(fs.readFileSync(kh, 'utf8'), before, 'known_hosts must not be touched');
    });
  }

  it('a wrong key given through knownHostsFiles/strictHostKeyChecking options (overriding ssh_config) is refused too', async () => {
    const kh = knownHosts([`${khName()} ${otherEd.pub}`]);
    const cfg = config({ UserKnownHostsFile: knownHosts([edLine()]), StrictHostKeyChecking: 'yes' });
    const { r, log } = await attempt(cfg, { knownHostsFiles: [kh], strictHostKeyChecking: 'no' });
    assert.strictEqual(r.status, 'HostKeyRejected', show([r]));
    assertNoAuthAttempt(log);
  });

  it('an unknown key under yes is refused (nothing sent, nothing recorded)', async () => {
    const kh = knownHosts([]);
    const { r, ran, log } = await attempt(config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'yes' }));
    assert.strictEqual(r.status, 'HostKeyRejected', show([r]));
    assert.match(r.error ?? '', /not known/);
    assert.ok(r.error?.includes('SHA256:'), r.error ?? '');
    assert.ok(!ran);
    assertNoAuthAttempt(log);
    assert.strictEqual(fs.readFileSync(kh, 'utf8'), '');
  });

  it('accept-new records an unknown key in the known_hosts file, and it matches next time under yes', async () => {
    const kh = knownHosts(null);
    const first = await attempt(config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'accept-new' }));
    assert.strictEqual(first.r.status, 'Completed', show([first.r]));
    const text = fs.readFileSync(kh, 'utf8');
    assert.strictEqual(text.trim().split('\n').length, 1, text);
    assert.ok(text.startsWith(`${khName()} `), text);
    const recordedBlob = Buffer.from(text.trim().split(/\s+/)[2], 'base64');
    const offered = [h1.hostKeyPub, ecdsaHost.pub, rsaHost.pub].map(pubBlob);
    assert.ok(offered.some((b) => b.equals(recordedBlob)), 'the recorded key is one the server has');
    assert.ok(sshKeygen(['-F', khName(), '-f', kh]).includes(text.trim().split(/\s+/)[2]), 'OpenSSH finds the recorded line');
    const second = await attempt(config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'yes' }));
    assert.strictEqual(second.r.status, 'Completed', show([second.r]));
    assert.strictEqual(fs.readFileSync(kh, 'utf8'), text, 'nothing added the second time');
  });

  it('accept-new with HashKnownHosts yes records a hashed line OpenSSH can find', async () => {
    const kh = knownHosts(null);
    const { r } = await attempt(config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'accept-new', HashKnownHosts: 'yes' }));
    assert.strictEqual(r.status, 'Completed', show([r]));
    const text = fs.readFileSync(kh, 'utf8');
    assert.match(text, /^\|1\|/);
    assert.ok(!text.includes(h1.address));
    assert.ok(sshKeygen(['-F', khName(), '-f', kh]).includes('|1|'));
    const again = await attempt(config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'yes' }));
    assert.strictEqual(again.r.status, 'Completed', show([again.r]));
  });

  it('a hashed |1| entry (ssh-keygen -H) is accepted', async () => {
    const kh = knownHosts([`unrelated.example ${otherEd.pub}`, edLine()]);
    sshKeygen(['-H', '-f', kh]);
    assert.ok(!fs.readFileSync(kh, 'utf8').includes(h1.address));
    const { r } = await attempt(config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'yes' }));
    assert.strictEqual(r.status, 'Completed', show([r]));
  });

  it('@revoked is refused even under no, and even next to a plain line for the same key', async () => {
    for (const lines of [[`@revoked ${khName()} ${h1.hostKeyPub}`], [edLine(), `@revoked * ${h1.hostKeyPub}`]]) {
      // offer only the revoked ed25519 key's type first by listing it as the known type
      const { r, ran, log } = await attempt(config({ UserKnownHostsFile: knownHosts(lines), StrictHostKeyChecking: 'no' }));
      assert.strictEqual(r.status, 'HostKeyRejected', `${lines.join(' | ')}: ${show([r])}`);
      assert.match(r.error ?? '', /revoked/);
      assert.ok(!ran);
      assertNoAuthAttempt(log);
    }
  });

  it('HostKeyAlias: the key is looked up and recorded under the alias as OpenSSH does (no [ ]:port)', async () => {
    const kh = knownHosts([`myalias ${h1.hostKeyPub}`]);
    const { r } = await attempt(config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'yes', HostKeyAlias: 'myalias' }));
    assert.strictEqual(r.status, 'Completed', show([r]));
    const fresh = knownHosts(null);
    const second = await attempt(config({ UserKnownHostsFile: fresh, StrictHostKeyChecking: 'accept-new', HostKeyAlias: 'myalias' }));
    assert.strictEqual(second.r.status, 'Completed', show([second.r]));
    assert.match(fs.readFileSync(fresh, 'utf8'), /^myalias /);
  });

  describe('several host key types', () => {
    it('only the ECDSA key is known: the client asks for that type and matches it', async () => {
      const kh = knownHosts([`${khName()} ${ecdsaHost.pub}`]);
      const { r } = await attempt(config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'yes' }));
      assert.strictEqual(r.status, 'Completed', show([r]));
    });

    it('only the RSA key is known: matched through rsa-sha2', async () => {
      const kh = knownHosts([`${khName()} ${rsaHost.pub}`]);
      const { r } = await attempt(config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'yes' }));
      assert.strictEqual(r.status, 'Completed', show([r]));
    });

    it('a wrong ECDSA key next to the right ed25519 key: the recorded ECDSA type is asked for, mismatch refused', async () => {
      const kh = knownHosts([`${khName()} ${otherEcdsa.pub}`]);
      const { r, log } = await attempt(config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'accept-new' }));
      assert.strictEqual(r.status, 'HostKeyRejected', show([r]));
      assert.ok(r.error?.includes(fingerprintSha256(otherEcdsa.blob)), r.error ?? '');
      assert.ok(r.error?.includes(fingerprintSha256(ecdsaHost.blob)), r.error ?? '');
      assertNoAuthAttempt(log);
    });

    it('the right key among lines for other hosts and other types is found', async () => {
      const kh = knownHosts([`other.example ${otherEd.pub}`, `[${h1.address}]:1 ${otherEd.pub}`, edLine(), `${khName()} ${rsaHost.pub}`]);
      const { r } = await attempt(config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'yes' }));
      assert.strictEqual(r.status, 'Completed', show([r]));
    });
  });

  describe('policy ask: the confirmHostKey callback', () => {
    function asker(answer: HostKeyAnswer) {
      const calls: HostKeyInfo[] = [];
      return { calls, callbacks: { confirmHostKey: async (info: HostKeyInfo) => (calls.push(info), answer) } };
    }

    it("'once' accepts for this connection without recording; the next run asks again", async () => {
      const kh = knownHosts([]);
      const cfg = config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'ask' });
      const a = asker('once');
      const { r } = await attempt(cfg, { callbacks: a.callbacks });
      assert.strictEqual(r.status, 'Completed', show([r]));
      assert.strictEqual(a.calls.length, 1);
      const info = a.calls[0];
      assert.strictEqual(info.knownHostsName, khName());
      assert.strictEqual(info.host, 'target');
      const offered = [h1.hostKeyPub, ecdsaHost.pub, rsaHost.pub].map((p) => fingerprintSha256(pubBlob(p)));
      assert.ok(offered.includes(info.fingerprint), `${info.fingerprint} not among the server's keys`);
      assert.match(info.keyType, /^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa|rsa-sha2-512|rsa-sha2-256)$/);
      assert.strictEqual(fs.readFileSync(kh, 'utf8'), '', "'once' must not record");
      const again = await attempt(cfg, { callbacks: a.callbacks });
      assert.strictEqual(again.r.status, 'Completed');
      assert.strictEqual(a.calls.length, 2);
    });

    it("'remember' records the key; the next run matches without asking", async () => {
      const kh = knownHosts([]);
      const cfg = config({ UserKnownHostsFile: kh, StrictHostKeyChecking: 'ask' });
      const a = asker('remember');
      const { r } = await attempt(cfg, { callbacks: a.callbacks });
      assert.strictEqual(r.status, 'Completed', show([r]));
      assert.strictEqual(a.calls.length, 1);
      const text = fs.readFileSync(kh, 'utf8');
      assert.ok(text.startsWith(`${khName()} `), text);
      assert.ok(text.includes(a.calls[0].keyType.startsWith('rsa-') ? 'ssh-rsa' : a.calls[0].keyType));
      const b = asker('reject');
      const again = await attempt(cfg, { callbacks: b.callbacks });
      assert.strictEqual(again.r.status, 'Completed', show([again.r]));
      assert.strictEqual(b.calls.length, 0);
    });

    it("'reject' is HostKeyRejected with nothing sent", async () => {
      const a = asker('reject');
      const { r, ran, log } = await attempt(config({ UserKnownHostsFile: knownHosts([]), StrictHostKeyChecking: 'ask' }), { callbacks: a.callbacks });
      assert.strictEqual(r.status, 'HostKeyRejected', show([r]));
      assert.strictEqual(a.calls.length, 1);
      assert.ok(!ran);
      assertNoAuthAttempt(log);
    });

    it("a refusal with a reason is HostKeyRejected, and the reason ends the host's error", async () => {
      const a = asker({ refused: 'target was not in this run\'s host-key review' });
      const { r, ran, log } = await attempt(config({ UserKnownHostsFile: knownHosts([]), StrictHostKeyChecking: 'ask' }), { callbacks: a.callbacks });
      assert.strictEqual(r.status, 'HostKeyRejected', show([r]));
      assert.match(r.error ?? '', /^host key for .* \(\S+ SHA256:\S+\) was not accepted: target was not in this run's host-key review$/);
      assert.ok(!ran);
      assertNoAuthAttempt(log);
    });

    it('ask with no callback refuses', async () => {
      const { r } = await attempt(config({ UserKnownHostsFile: knownHosts([]), StrictHostKeyChecking: 'ask' }));
      assert.strictEqual(r.status, 'HostKeyRejected', show([r]));
    });

    it('a changed key is refused without asking', async () => {
      const a = asker('remember');
      const { r } = await attempt(config({ UserKnownHostsFile: knownHosts([`${khName()} ${otherEd.pub}`]), StrictHostKeyChecking: 'ask' }), {
        callbacks: a.callbacks,
      });
      assert.strictEqual(r.status, 'HostKeyRejected', show([r]));
      assert.strictEqual(a.calls.length, 0);
    });

    it('every host of a run wider than the default throttle asks while the first ones still wait for their answer', async () => {
      // A review answers only once it has gathered its hosts: a host waiting on a person must not
      // hold the handshake slot that the hosts after it need to reach their own question.
      const count = DEFAULT_THROTTLE + 8;
      const kh = knownHosts([]);
      const p = path.join(dir, `ssh_config.${++n}`);
      const base = { User: bed.user, IdentityFile: bed.clientKeyPath, IdentitiesOnly: 'yes', UserKnownHostsFile: kh, StrictHostKeyChecking: 'ask' };
      const aliases = Array.from({ length: count }, (_, i) => `wide${i}`);
      fs.writeFileSync(p, aliases.map((a, i) => hostBlock(a, bed.hosts[i % 2], { ...base, HostKeyAlias: a })).join(''));
      const waiting: (() => void)[] = [];
      let answered = false;
      let askedBeforeAnswers = 0;
      const answerAll = () => {
        answered = true;
        waiting.splice(0).forEach((answer) => answer());
      };
      const confirmHostKey = () =>
        new Promise<HostKeyAnswer>((res) => {
          if (answered) return res('once');
          waiting.push(() => res('once'));
          askedBeforeAnswers++;
          if (waiting.length === count) answerAll();
        });
      const timer = setTimeout(answerAll, 30_000);
      try {
        const c = await collect({ script: { text: 'echo ok' }, targets: aliases, sshConfig: SshConfigFile.load(p), callbacks: { confirmHostKey } });
        assert.strictEqual(askedBeforeAnswers, count, 'hosts that asked before the first answer');
        assert.ok(c.results.every((r) => r.status === 'Completed'), show(c));
      } finally {
        clearTimeout(timer);
      }
    });

    it('a slow answer does not count against the connect timeout', async () => {
      const cfg = config({ UserKnownHostsFile: knownHosts([]), StrictHostKeyChecking: 'ask' });
      const callbacks = { confirmHostKey: () => new Promise<'once'>((res) => setTimeout(() => res('once'), 2500)) };
      const { r } = await attempt(cfg, { callbacks, connectTimeoutMs: 2000 });
      assert.strictEqual(r.status, 'Completed', show([r]));
    });
  });

  it('a wrong key on one host does not stop the others', async () => {
    const h2 = bed.hosts[1];
    const p = path.join(dir, `ssh_config.${++n}`);
    const kh = knownHosts([`${khName(h1)} ${otherEd.pub}`, edLine(h2)]);
    const base = { User: bed.user, IdentityFile: bed.clientKeyPath, IdentitiesOnly: 'yes', UserKnownHostsFile: kh, StrictHostKeyChecking: 'yes' };
    fs.writeFileSync(p, hostBlock('bad', h1, base) + hostBlock('good', h2, base));
    const c = await collect({ script: { text: 'echo ok' }, targets: ['bad', 'good'], sshConfig: SshConfigFile.load(p) });
    assert.deepStrictEqual(c.results.map((r) => r.status), ['HostKeyRejected', 'Completed'], show(c));
    assert.deepStrictEqual(c.lines('good'), ['ok']);
  });
});
