/**
 * Test Connection against real sshd: a mix of a good host, an unreachable one, one whose host
 * key is not known, and one whose key is refused. Per host: reachability and TCP connect time,
 * the host key and its SHA256, the auth method, a no-op's round trip, login shell, OS, pwsh,
 * durable tools. It runs no user code and accepts no unknown key unless the policy says so.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseProbe, testConnection } from '../../src/core/invoke/testConnection';
import { SshConfigFile } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { cli, ensureBuilt, linesOf } from './helpers/durable';
import { fingerprintOf, hostBlock, newKey, tmpDir } from './helpers/engine';

describe('Test Connection (real sshd)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let work: string;
  let configPath: string;
  let emptyKnownHosts: string;

  before(async () => {
    ensureBuilt();
    bed = await startTestBed({ count: 4 });
    bed.stopHost('host4');
    work = tmpDir('testconn');
    emptyKnownHosts = path.join(work, 'known_hosts.empty');
    fs.writeFileSync(emptyKnownHosts, '');
    const stranger = newKey(work, 'stranger');
    const [h2, h3] = [bed.hosts[1], bed.hosts[2]];
    configPath = path.join(work, 'ssh_config');
    fs.writeFileSync(
      configPath,
      [
        hostBlock('newkey', h2, {
          User: bed.user,
          IdentityFile: bed.clientKeyPath,
          IdentitiesOnly: 'yes',
          UserKnownHostsFile: emptyKnownHosts,
          StrictHostKeyChecking: 'yes',
        }),
        hostBlock('wrongauth', h3, {
          User: bed.user,
          IdentityFile: stranger.path,
          IdentitiesOnly: 'yes',
          UserKnownHostsFile: bed.knownHostsPath,
          StrictHostKeyChecking: 'yes',
        }),
        fs.readFileSync(bed.sshConfigPath, 'utf8'),
      ].join('\n'),
    );
  });
  after(async () => {
    await bed?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('good, unreachable, unknown-key and wrong-auth hosts: each reported for what it is', async () => {
    const marker = path.join(work, 'ran');
    const results = await testConnection({ sshConfig: SshConfigFile.load(configPath), targets: ['host1', 'host4', 'newkey', 'wrongauth'] });
    const [good, dead, newkey, wrongauth] = results;

    assert.strictEqual(good.status, 'Completed', JSON.stringify(good));
    assert.strictEqual(good.ok, true);
    assert.strictEqual(good.reachable, true);
    assert.ok(typeof good.tcpConnectMs === 'number' && good.tcpConnectMs >= 0 && good.tcpConnectMs < 5000, `${good.tcpConnectMs}`);
    assert.strictEqual(good.hostKey?.state, 'known');
    assert.strictEqual(good.hostKey?.fingerprint, fingerprintOf(bed.hosts[0].hostKeyPub));
    assert.match(good.authMethod ?? '', /^key .*client_ed25519$/);
    assert.ok(typeof good.roundTripMs === 'number' && good.roundTripMs > 0 && good.roundTripMs < 5000);
    assert.strictEqual(good.loginShell, fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${bed.user}:`))!.split(':')[6]);
    assert.match(good.os ?? '', /^Linux \d/);
    assert.strictEqual(good.pwsh, fs.existsSync('/usr/local/bin/pwsh'));
    assert.strictEqual(good.durable, true);
    assert.deepStrictEqual(good.durableMissing, []);

    assert.strictEqual(dead.status, 'Unreachable');
    assert.strictEqual(dead.reachable, false);
    assert.strictEqual(dead.tcpConnectMs, null);
    assert.strictEqual(dead.hostKey, null);
    assert.match(dead.error ?? '', /ECONNREFUSED/);

    assert.strictEqual(newkey.status, 'HostKeyRejected');
    assert.strictEqual(newkey.reachable, true);
    assert.strictEqual(newkey.hostKey?.state, 'unknown');
    assert.strictEqual(newkey.hostKey?.fingerprint, fingerprintOf(bed.hosts[1].hostKeyPub));
    assert.strictEqual(newkey.authMethod, null, 'no authentication is attempted with an unverified key');
    assert.strictEqual(fs.readFileSync(emptyKnownHosts, 'utf8'), '', 'the unknown key was not recorded');

    assert.strictEqual(wrongauth.status, 'AuthFailed');
    assert.strictEqual(wrongauth.hostKey?.state, 'known');
    assert.strictEqual(wrongauth.authMethod, null);
    assert.match(wrongauth.error ?? '', /permission denied/);
    assert.ok(!fs.existsSync(marker));
  });

  it('the policy decides: accept-new takes an unknown key (and records it), ask without a way to ask does not', async () => {
    const knownHosts = path.join(work, 'known_hosts.accept');
    fs.writeFileSync(knownHosts, '');
    const config = SshConfigFile.load(configPath);
    const [asked] = await testConnection({
      sshConfig: config,
      targets: ['newkey'],
      knownHostsFiles: [knownHosts],
      strictHostKeyChecking: 'ask',
      // A host-key question is never put to the user per host: the keys are reviewed together afterwards.
      callbacks: { confirmHostKey: async () => 'remember' },
    });
    assert.strictEqual(asked.status, 'HostKeyRejected');
    assert.strictEqual(fs.readFileSync(knownHosts, 'utf8'), '');
    const [accepted] = await testConnection({ sshConfig: config, targets: ['newkey'], knownHostsFiles: [knownHosts], strictHostKeyChecking: 'accept-new' });
    assert.strictEqual(accepted.status, 'Completed', JSON.stringify(accepted));
    assert.strictEqual(accepted.hostKey?.state, 'unknown', 'it was unknown when the test found it');
    assert.match(fs.readFileSync(knownHosts, 'utf8'), /ssh-ed25519/);
  });

  it('the probe output is read, and a host without the durable tools says which are missing', () => {
    const parsed = parseProbe('RI_SHELL /bin/zsh\nRI_OS Linux 6.1.0\nRI_HAS mkfifo\nRI_HAS nohup\n');
    assert.deepStrictEqual(parsed, { loginShell: '/bin/zsh', os: 'Linux 6.1.0', pwsh: false, durable: false, durableMissing: ['tail'] });
    assert.deepStrictEqual(parseProbe('RI_SHELL /bin/sh\nRI_OS Linux\nRI_HAS pwsh\nRI_HAS tail\n')?.durableMissing, ['mkfifo', 'setsid or nohup']);
    assert.strictEqual(parseProbe('garbage'), undefined);
  });

  it('CLI: remote-invoke test --json: one line per host, a summary; exit 3 with any host not fine, 0 when all are', async () => {
    const r = await cli(['test', '-F', configPath, '-H', 'host1,host4,newkey,wrongauth', '--json'], work);
    assert.strictEqual(r.code, 3, r.stderr);
    const lines = linesOf(r.stdout).map((l) => JSON.parse(l));
    assert.deepStrictEqual(lines.slice(0, 4).map((l) => [l.type, l.host, l.status]), [
      ['test', 'host1', 'Completed'],
      ['test', 'host4', 'Unreachable'],
      ['test', 'newkey', 'HostKeyRejected'],
      ['test', 'wrongauth', 'AuthFailed'],
    ]);
    assert.deepStrictEqual({ ...lines[4], durationMs: 0 }, { type: 'summary', total: 4, ok: 1, failed: 3, durationMs: 0, exitCode: 3 });

    const ok = await cli(['test', '-F', configPath, '-H', 'host1,host2'], work);
    assert.strictEqual(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^host1: OK\n {2}reachable {3}yes, TCP connect [\d.]+ ms\n {2}host key {4}ssh-ed25519 SHA256:\S+ \(known\)/m);
    assert.match(ok.stdout, /durable {5}yes/);

    const text = await cli(['test', '-F', configPath, '-H', 'newkey'], work);
    assert.strictEqual(text.code, 3);
    assert.ok(text.stdout.includes(fingerprintOf(bed.hosts[1].hostKeyPub)), text.stdout);
    assert.match(text.stderr, /1 host key is not known/);
  });

  it('CLI: usage errors exit 2 (no host; a stray argument)', async () => {
    assert.strictEqual((await cli(['test'], work)).code, 2);
    const stray = await cli(['test', '-F', configPath, '-H', 'host1', '--', 'rm', '-rf'], work);
    assert.strictEqual(stray.code, 2);
    assert.strictEqual(linesOf(stray.stderr).length, 1);
  });
});
