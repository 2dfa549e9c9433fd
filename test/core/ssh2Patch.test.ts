/**
 * Our ssh2 patch (patches/ssh2+1.17.0.patch, applied by patch-package from `postinstall`):
 * `signWithoutQuery` sends the signed publickey request at once, without the USERAUTH_PK_OK query
 * (one round trip less per connection). Against real sshd: the patch is installed, the right key
 * gets in without a PK_OK, a wrong key first still falls through to the right one, and without
 * the option ssh2 behaves as before (the control that shows the check can fail).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import { Client, utils, type ParsedKey } from 'ssh2';
import { connectByName, SshConfigFile } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';

describe('ssh2 patch: sign without the USERAUTH_PK_OK query (real sshd)', function () {
  this.timeout(30_000);
  let bed: TestBed;
  let rightKey: ParsedKey;
  let wrongKey: ParsedKey;

  before(async () => {
    bed = await startTestBed({ count: 1 });
    rightKey = utils.parseKey(fs.readFileSync(bed.clientKeyPath)) as ParsedKey;
    const pair = utils.generateKeyPairSync('ed25519');
    wrongKey = utils.parseKey(pair.private) as ParsedKey;
  });
  after(async () => bed?.stop());

  /** Connects with the given keys in order; resolves with whether it got in and ssh2's debug log. */
  function login(keys: ParsedKey[], signWithoutQuery: boolean): Promise<{ ok: boolean; log: string[] }> {
    const host = bed.hosts[0];
    const log: string[] = [];
    const client = new Client();
    let next = 0;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        client.end();
        resolve({ ok, log });
      };
      client.on('ready', () => done(true));
      client.on('error', () => done(false));
      client.connect({
        host: host.address,
        port: host.port,
        username: bed.user,
        hostVerifier: () => true,
        debug: (line: string) => log.push(line),
        authHandler: ((_methods: unknown, _partial: unknown, cb: (m: unknown) => void) =>
          cb(next < keys.length ? { type: 'publickey', username: bed.user, key: keys[next++] } : false)) as never,
        ...({ signWithoutQuery } as object),
      });
    });
  }

  const pkOks = (log: string[]) => log.filter((l) => /USERAUTH_PK_OK/.test(l)).length;
  const authRequests = (log: string[]) => log.filter((l) => /Sending USERAUTH_REQUEST \(publickey\)/.test(l)).length;

  it('is installed: the ssh2 that node resolves carries it', () => {
    const source = fs.readFileSync(require.resolve('ssh2/lib/client.js'), 'utf8');
    assert.match(source, /cfg\.signWithoutQuery === true/);
  });

  it('the right key gets in with one request and no PK_OK', async () => {
    const r = await login([rightKey], true);
    assert.ok(r.ok, r.log.join('\n'));
    assert.strictEqual(pkOks(r.log), 0, r.log.join('\n'));
    assert.strictEqual(authRequests(r.log), 1);
  });

  it('a wrong key first is refused and the next key is tried', async () => {
    const r = await login([wrongKey, rightKey], true);
    assert.ok(r.ok, r.log.join('\n'));
    assert.strictEqual(pkOks(r.log), 0);
    assert.strictEqual(authRequests(r.log), 2);
  });

  it('only wrong keys: the login fails as before (no hang)', async () => {
    const r = await login([wrongKey], true);
    assert.ok(!r.ok);
  });

  it('without the option ssh2 still asks first (PK_OK, then the signed request)', async () => {
    const r = await login([rightKey], false);
    assert.ok(r.ok);
    assert.strictEqual(pkOks(r.log), 1, r.log.join('\n'));
  });

  it('the engine connects with it: no PK_OK on its connections', async () => {
    const original = Client.prototype.connect;
    const log: string[] = [];
    Client.prototype.connect = function (this: Client, config) {
      return original.call(this, { ...config, debug: (l: string) => log.push(l) });
    };
    try {
      const client = await connectByName(SshConfigFile.load(bed.sshConfigPath), bed.hosts[0].name);
      client.end();
    } finally {
      Client.prototype.connect = original;
    }
    assert.ok(log.some((l) => /USERAUTH_SUCCESS/.test(l)), log.join('\n'));
    assert.strictEqual(pkOks(log), 0, log.join('\n'));
  });
});
