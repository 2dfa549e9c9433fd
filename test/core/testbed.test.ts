/**
 * Proves the sshd test bed (test/support/sshd.ts) itself: real OpenSSH servers on loopback.
 */
import * as assert from 'assert';
import { execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import { Client } from 'ssh2';
import { ensurePasswordUser, removePasswordUser, startTestBed, TestBed } from '../support/sshd';

function ssh(bed: TestBed, host: string, cmd: string, timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'ssh',
      ['-F', bed.sshConfigPath, '-n', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', host, cmd],
      { timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number | null) ?? null : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      },
    );
  });
}

function tcpConnect(address: string, port: number): Promise<'ok' | string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port });
    s.setTimeout(3000, () => {
      s.destroy();
      resolve('ETIMEDOUT');
    });
    s.once('connect', () => {
      s.destroy();
      resolve('ok');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** Live (non-zombie) processes whose command line mentions dir, plus every descendant of those pids. */
function liveSshdOf(bed: TestBed, pids: number[]): number[] {
  const live: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmd.includes(bed.dir) || pids.includes(Number(ppid)) || pids.includes(Number(e))) live.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return live;
}

function isLive(pid: number): boolean {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('test bed: real sshd on loopback', function () {
  this.timeout(60_000);

  describe('3 hosts', () => {
    let bed: TestBed;

    before(async () => {
      const t = Date.now();
      bed = await startTestBed({ count: 3 });
      console.log(`      started 3 sshd in ${Date.now() - t} ms`);
    });

    after(async () => {
      await bed?.stop();
    });

    it('describes three distinct hosts and writes client files', () => {
      assert.deepStrictEqual(bed.hosts.map((h) => h.name), ['host1', 'host2', 'host3']);
      assert.strictEqual(new Set(bed.hosts.map((h) => `${h.address}:${h.port}`)).size, 3);
      for (const h of bed.hosts) {
        assert.match(h.address, /^127\.\d+\.\d+\.\d+$/);
        assert.match(h.hostKeyPub, /^ssh-ed25519 AAAA[0-9A-Za-z+/=]+$/);
        assert.strictEqual(Number(fs.readFileSync(h.pidFile, 'utf8')), bed.listenerPid(h.name));
      }
      const kh = fs.readFileSync(bed.knownHostsPath, 'utf8');
      for (const h of bed.hosts) assert.ok(kh.includes(`[${h.address}]:${h.port} ${h.hostKeyPub}\n`), kh);
      const cfg = fs.readFileSync(bed.sshConfigPath, 'utf8');
      assert.match(cfg, /^Host host1$/m);
      assert.match(cfg, /StrictHostKeyChecking yes/);
      assert.match(cfg, new RegExp(`User ${bed.user}`));
      assert.deepStrictEqual(fs.readdirSync(bed.homeDir), []);
    });

    it('OpenSSH client logs in with BatchMode (known host, key auth, empty HOME)', async () => {
      const r = await ssh(bed, 'host1', 'echo ok; echo "HOME=$HOME"; id -un');
      assert.strictEqual(r.code, 0, r.stderr);
      const [ok, home, user] = r.stdout.trim().split('\n');
      assert.strictEqual(ok, 'ok');
      assert.strictEqual(home, `HOME=${bed.homeDir}`);
      assert.strictEqual(user, bed.user);
      for (const h of ['host2', 'host3']) assert.strictEqual((await ssh(bed, h, 'true')).code, 0);
    });

    it('killConnections drops a live session', async () => {
      const child = spawn('ssh', ['-F', bed.sshConfigPath, '-n', '-o', 'BatchMode=yes', 'host2', 'echo started; exec sleep 30'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => String(d).includes('started') && resolve());
        child.once('exit', () => reject(new Error('ssh ended before the session started')));
      });
      const t = Date.now();
      bed.killConnections('host2');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000))]);
      if (code === 'timeout') child.kill();
      assert.notStrictEqual(code, 'timeout', 'ssh did not notice the dropped connection');
      assert.notStrictEqual(code, 0);
      assert.ok(Date.now() - t < 2000);
      // the listener survives: new connections work
      assert.strictEqual((await ssh(bed, 'host2', 'echo again')).stdout.trim(), 'again');
    });

    it('stopHost makes the host refuse connections; restartHost brings it back', async () => {
      const h = bed.hosts[2];
      const pid = bed.listenerPid(h.name);
      bed.stopHost(h.name);
      assert.strictEqual(await tcpConnect(h.address, h.port), 'ECONNREFUSED');
      const r = await ssh(bed, h.name, 'true');
      assert.strictEqual(r.code, 255);
      assert.match(r.stderr, /Connection refused/);
      assert.throws(() => bed.listenerPid(h.name));
      assert.strictEqual(isLive(pid), false);
      // other hosts unaffected
      assert.strictEqual((await ssh(bed, 'host1', 'echo still')).stdout.trim(), 'still');
      await bed.restartHost(h.name);
      assert.notStrictEqual(bed.listenerPid(h.name), pid);
      assert.strictEqual((await ssh(bed, h.name, 'echo back')).stdout.trim(), 'back');
    });

    it('stop() leaves no sshd of the bed and removes its dir', async () => {
      // keep a session open so a per-connection child exists during stop()
      const child = spawn('ssh', ['-F', bed.sshConfigPath, '-n', '-o', 'BatchMode=yes', 'host1', 'echo started; exec sleep 30'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      await new Promise<void>((resolve) => child.stdout.on('data', (d) => String(d).includes('started') && resolve()));
      const listeners = bed.hosts.map((h) => bed.listenerPid(h.name));
      const before = liveSshdOf(bed, listeners);
      assert.ok(before.length > listeners.length, 'expected per-connection processes');
      await bed.stop();
      assert.deepStrictEqual(before.filter(isLive), []);
      assert.deepStrictEqual(liveSshdOf(bed, listeners), []);
      assert.strictEqual(fs.existsSync(bed.dir), false);
      child.kill();
    });
  });

  describe('password and keyboard-interactive auth (throw-away account)', function () {
    const user = 'ri_testbed_pw';
    const password = 'Tb-' + Math.random().toString(36).slice(2);
    let bed: TestBed | undefined;

    before(async function () {
      if (process.getuid?.() !== 0) this.skip(); // useradd/chpasswd need root
      ensurePasswordUser(user, password);
      assert.strictEqual(ensurePasswordUser(user, password), user); // idempotent
      bed = await startTestBed({ count: 1, passwordAuth: true });
    });

    after(async () => {
      await bed?.stop();
      if (process.getuid?.() === 0) removePasswordUser(user);
    });

    function login(method: 'password' | 'keyboard-interactive', pw: string): Promise<string> {
      const h = bed!.hosts[0];
      return new Promise((resolve, reject) => {
        const c = new Client();
        c.on('keyboard-interactive', (_n, _i, _l, prompts, finish) => finish(prompts.map(() => pw)));
        c.on('error', reject);
        c.on('ready', () =>
          c.exec('id -un; echo "$HOME"', (err, stream) => {
            if (err) return reject(err);
            let out = '';
            stream.on('data', (d: Buffer) => (out += d));
            stream.on('close', () => {
              c.end();
              resolve(out);
            });
          }),
        );
        c.connect({
          host: h.address,
          port: h.port,
          username: user,
          readyTimeout: 10_000,
          hostVerifier: (key: Buffer) => key.toString('base64') === h.hostKeyPub.split(' ')[1],
          ...(method === 'password' ? { password: pw } : { tryKeyboard: true }),
          authHandler: [method],
        });
      });
    }

    it('accepts the password over "password" and "keyboard-interactive"', async () => {
      assert.strictEqual(await login('password', password), `${user}\n${bed!.homeDir}\n`);
      assert.strictEqual(await login('keyboard-interactive', password), `${user}\n${bed!.homeDir}\n`);
    });

    it('rejects a wrong password', async () => {
      await assert.rejects(login('password', password + 'x'), /authentication methods failed/);
    });

    it('key auth still works on a PAM host', async () => {
      const r = await ssh(bed!, 'host1', 'echo ok');
      assert.strictEqual(r.stdout, 'ok\n', r.stderr);
    });
  });

  describe('singleAddress: all hosts on 127.0.0.1, one port each', () => {
    it('starts, connects, stops', async () => {
      const bed = await startTestBed({ count: 3, singleAddress: true, namePrefix: 'node' });
      try {
        assert.deepStrictEqual(bed.hosts.map((h) => h.address), ['127.0.0.1', '127.0.0.1', '127.0.0.1']);
        assert.strictEqual(new Set(bed.hosts.map((h) => h.port)).size, 3);
        assert.ok(fs.readFileSync(bed.knownHostsPath, 'utf8').startsWith(`[127.0.0.1]:${bed.hosts[0].port} ssh-ed25519 `));
        assert.strictEqual((await ssh(bed, 'node3', 'echo ok')).stdout, 'ok\n');
      } finally {
        await bed.stop();
      }
    });
  });

  describe('100 hosts', () => {
    let bed: TestBed | undefined;
    after(async () => {
      await bed?.stop();
    });

    it('start concurrently and all accept TCP', async () => {
      const t = Date.now();
      bed = await startTestBed({ count: 100 });
      const started = Date.now() - t;
      console.log(`      started 100 sshd in ${started} ms`);
      assert.strictEqual(bed.hosts.length, 100);
      assert.strictEqual(new Set(bed.hosts.map((h) => `${h.address}:${h.port}`)).size, 100);
      const results = await Promise.all(bed.hosts.map((h) => tcpConnect(h.address, h.port)));
      assert.deepStrictEqual(results.filter((r) => r !== 'ok'), []);
      assert.ok(started < 20_000, `took ${started} ms`);
      const t2 = Date.now();
      await bed.stop();
      console.log(`      stopped 100 sshd in ${Date.now() - t2} ms`);
      bed = undefined;
    });
  });
});
