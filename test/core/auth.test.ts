/**
 * Authentication against real sshd: password (good, bad, shared by two hosts and asked once),
 * keyboard-interactive, encrypted client keys through askPassphrase, and the order
 * identity files → password. Password auth uses a throw-away local account (root only).
 */
import * as assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SshConfigFile, type InteractionCallbacks } from '../../src/core';
import { ensurePasswordUser, removePasswordUser, startTestBed, type TestBed } from '../support/sshd';
import { collect, hostBlock, newKey, show, tmpDir, waitFor } from './helpers/engine';

// per process: two test runs at once must not reset or delete each other's account
const PW_USER = `ri_auth_${process.pid}`;
const PASSWORD = 'correct horse battery';

describe('authentication (real sshd)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let dir: string;
  let encrypted: ReturnType<typeof newKey>;
  let unauthorized: ReturnType<typeof newKey>;
  let cfg: SshConfigFile;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip(); // a throw-away account needs root
    dir = tmpDir('auth');
    ensurePasswordUser(PW_USER, PASSWORD);
    bed = await startTestBed({ count: 2, passwordAuth: true });
    encrypted = newKey(dir, 'enc_ed25519', 'ed25519', 'the passphrase');
    unauthorized = newKey(dir, 'unauthorized');
    // authorize the encrypted key next to the bed's client key
    fs.appendFileSync(bed.clientKeyPath + '.pub', `\n${encrypted.pub} encrypted\n`);
    const common = { UserKnownHostsFile: bed.knownHostsPath, StrictHostKeyChecking: 'yes', IdentitiesOnly: 'yes' };
    const [h1, h2] = bed.hosts;
    const p = path.join(dir, 'ssh_config');
    fs.writeFileSync(
      p,
      [
        // password only: no usable key
        hostBlock('pw1', h1, { ...common, User: PW_USER, IdentityFile: path.join(dir, 'no-such-key') }),
        hostBlock('pw2', h2, { ...common, User: PW_USER, IdentityFile: path.join(dir, 'no-such-key') }),
        // a key the server does not accept, then the password
        hostBlock('keythenpw', h1, { ...common, User: PW_USER, IdentityFile: unauthorized.path }),
        // the bed's authorized key: the password is never needed
        hostBlock('goodkey', h1, { ...common, User: PW_USER, IdentityFile: bed.clientKeyPath }),
        hostBlock('enc1', h1, { ...common, User: bed.user, IdentityFile: encrypted.path }),
        // agent allowed (no IdentitiesOnly)
        hostBlock('agentkey', h1, { UserKnownHostsFile: bed.knownHostsPath, StrictHostKeyChecking: 'yes', User: bed.user, IdentityFile: bed.clientKeyPath }),
        hostBlock('agentonly', h1, { UserKnownHostsFile: bed.knownHostsPath, StrictHostKeyChecking: 'yes', User: bed.user, IdentityFile: path.join(dir, 'no-such-key') }),
        hostBlock('agentfirst', h1, { UserKnownHostsFile: bed.knownHostsPath, StrictHostKeyChecking: 'yes', User: bed.user, IdentityFile: encrypted.path }),
        hostBlock('noagent', h1, { ...common, User: bed.user, IdentityFile: path.join(dir, 'no-such-key') }),
        hostBlock('enc2', h2, { ...common, User: bed.user, IdentityFile: encrypted.path }),
      ].join('\n'),
    );
    cfg = SshConfigFile.load(p);
  });

  after(async () => {
    await bed?.stop();
    removePasswordUser(PW_USER);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function counting(answers: Partial<Record<'password' | 'passphrase', string>>, extra: InteractionCallbacks = {}) {
    const calls = { password: [] as string[], passphrase: [] as string[] };
    const callbacks: InteractionCallbacks = {
      ...(answers.password !== undefined && {
        askPassword: async (host: string, user: string) => (calls.password.push(`${user}@${host}`), answers.password),
      }),
      ...(answers.passphrase !== undefined && {
        askPassphrase: async (keyPath: string) => (calls.passphrase.push(keyPath), answers.passphrase),
      }),
      ...extra,
    };
    return { calls, callbacks };
  }

  const run = (targets: string[], callbacks?: InteractionCallbacks) =>
    collect({ script: { text: 'id -un' }, targets, sshConfig: cfg, callbacks });

  it('a good password: Completed, running as that user', async () => {
    const a = counting({ password: PASSWORD });
    const c = await run(['pw1'], a.callbacks);
    assert.strictEqual(c.result('pw1').status, 'Completed', show(c));
    assert.deepStrictEqual(c.lines('pw1'), [PW_USER]);
    assert.deepStrictEqual(a.calls.password, [`${PW_USER}@pw1`]);
  });

  /** Answers from a list, one per call; undefined (the user gives up) when it runs out. */
  function passwords(...answers: string[]) {
    const calls: string[] = [];
    const callbacks: InteractionCallbacks = {
      askPassword: async (host, user) => {
        calls.push(`${user}@${host}`);
        return answers[calls.length - 1];
      },
    };
    return { calls, callbacks };
  }

  it('a bad password: AuthFailed, naming what was tried; the script never runs', async () => {
    const a = passwords('wrong password');
    const c = await run(['pw1'], a.callbacks);
    const r = c.result('pw1');
    assert.strictEqual(r.status, 'AuthFailed', show(c));
    assert.match(r.error ?? '', /password/);
    assert.match(r.error ?? '', new RegExp(PW_USER));
    assert.deepStrictEqual(c.lines('pw1'), []);
    assert.strictEqual(a.calls.length, 2, 'asked once more after the failure, then the user gave up');
  });

  it('a wrong password, then the right one at the retry prompt: Completed', async () => {
    const a = passwords('wrong password', PASSWORD);
    const c = await run(['pw1'], a.callbacks);
    assert.strictEqual(c.result('pw1').status, 'Completed', show(c));
    assert.strictEqual(a.calls.length, 2);
  });

  it('no callbacks and no usable key: AuthFailed without hanging', async () => {
    const c = await run(['pw1']);
    assert.strictEqual(c.result('pw1').status, 'AuthFailed', show(c));
  });

  it('a password shared by two hosts is asked once', async () => {
    const a = counting({ password: PASSWORD });
    const c = await run(['pw1', 'pw2'], a.callbacks);
    assert.deepStrictEqual(c.results.map((r) => r.status), ['Completed', 'Completed'], show(c));
    assert.strictEqual(a.calls.password.length, 1, `asked: ${a.calls.password.join(', ')}`);
  });

  it('a wrong password shared by two hosts: both are asked again together (attempt 2, then 3), not failed', async () => {
    const asked: { host: string; attempt: number | undefined }[] = [];
    const answers = ['wrong one', 'wrong two', PASSWORD];
    const callbacks: InteractionCallbacks = {
      askPassword: async (host, _user, _prompt, attempt) => (asked.push({ host, attempt }), answers[asked.length - 1]),
    };
    const c = await run(['pw1', 'pw2'], callbacks);
    assert.deepStrictEqual(c.results.map((r) => r.status), ['Completed', 'Completed'], show(c));
    assert.deepStrictEqual(asked.map((a) => a.attempt ?? 0), [0, 1, 2], JSON.stringify(asked));
  });

  it('refused after three passwords: the error names the identity files tried and the ones missing', async () => {
    const a = passwords('bad 1', 'bad 2', 'bad 3', 'never asked');
    const c = await run(['keythenpw', 'pw1'], a.callbacks);
    const withKey = c.result('keythenpw');
    assert.strictEqual(withKey.status, 'AuthFailed', show(c));
    assert.match(withKey.error ?? '', new RegExp(`tried: key ${unauthorized.path}, password ×3`));
    const missing = c.result('pw1');
    assert.match(missing.error ?? '', /password ×3/);
    assert.match(missing.error ?? '', new RegExp(`identity files not found: ${path.join(dir, 'no-such-key')}`));
    assert.strictEqual(a.calls.length, 3);
  });

  it('keyboard-interactive answers the PAM prompt', async () => {
    const prompts: string[] = [];
    const callbacks: InteractionCallbacks = {
      askKeyboardInteractive: async (_h, _u, ps) => {
        prompts.push(...ps.map((p) => p.prompt));
        return ps.map(() => PASSWORD);
      },
    };
    const c = await run(['pw1'], callbacks);
    assert.strictEqual(c.result('pw1').status, 'Completed', show(c));
    assert.ok(prompts.some((p) => /password/i.test(p)), JSON.stringify(prompts));
  });

  it('keyboard-interactive cancelled by the user (no answers): AuthFailed, not a dropped connection', async () => {
    const c = await run(['pw1'], { askKeyboardInteractive: async () => undefined });
    assert.strictEqual(c.result('pw1').status, 'AuthFailed', show(c));
  });

  it('identity files come before the password: a key the server refuses, then the password', async () => {
    const a = counting({ password: PASSWORD });
    const c = await run(['keythenpw'], a.callbacks);
    assert.strictEqual(c.result('keythenpw').status, 'Completed', show(c));
    assert.strictEqual(a.calls.password.length, 1);
  });

  it('an accepted key means the password is never asked', async () => {
    const a = counting({ password: 'never used' });
    const c = await run(['goodkey'], a.callbacks);
    assert.strictEqual(c.result('goodkey').status, 'Completed', show(c));
    assert.strictEqual(a.calls.password.length, 0);
  });

  describe('ssh-agent', () => {
    let agent: ChildProcess | undefined;
    let socket: string;
    const savedSock = process.env.SSH_AUTH_SOCK;
    before(async function () {
      if (!bed) this.skip();
      socket = path.join(dir, 'agent.sock');
      agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
      const up = await waitFor(() => fs.existsSync(socket), 5000);
      assert.ok(up, 'ssh-agent did not start');
      const add = spawnSync('ssh-add', [bed.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, encoding: 'utf8' });
      assert.strictEqual(add.status, 0, add.stderr);
    });
    after(() => {
      if (savedSock === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = savedSock;
      if (agent?.pid) process.kill(agent.pid, 'SIGKILL');
    });
    afterEach(() => {
      if (savedSock === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = savedSock;
    });

    it('a key held only by the agent logs in', async () => {
      process.env.SSH_AUTH_SOCK = socket;
      const c = await run(['agentonly']);
      assert.strictEqual(c.result('agentonly').status, 'Completed', show(c));
    });

    it('the agent comes before identity files: an encrypted file key is never unlocked', async () => {
      process.env.SSH_AUTH_SOCK = socket;
      const a = counting({ passphrase: 'the passphrase' });
      const c = await run(['agentfirst'], a.callbacks);
      assert.strictEqual(c.result('agentfirst').status, 'Completed', show(c));
      assert.strictEqual(a.calls.passphrase.length, 0);
    });

    it('IdentitiesOnly yes leaves the agent out', async () => {
      process.env.SSH_AUTH_SOCK = socket;
      const c = await run(['noagent']);
      assert.strictEqual(c.result('noagent').status, 'AuthFailed', show(c));
    });

    it('a stale SSH_AUTH_SOCK does not make the host unreachable: the identity file still logs in', async () => {
      process.env.SSH_AUTH_SOCK = path.join(dir, 'no-such-agent.sock');
      const c = await run(['agentkey']);
      assert.strictEqual(c.result('agentkey').status, 'Completed', show(c));
    });
  });

  describe('an encrypted client key (ssh-keygen -N)', () => {
    it('is unlocked through askPassphrase', async () => {
      const a = counting({ passphrase: 'the passphrase' });
      const c = await run(['enc1'], a.callbacks);
      assert.strictEqual(c.result('enc1').status, 'Completed', show(c));
      assert.deepStrictEqual(c.lines('enc1'), [bed.user]);
      assert.deepStrictEqual(a.calls.passphrase, [encrypted.path]);
    });

    it('shared by two hosts: the passphrase is asked once', async () => {
      const a = counting({ passphrase: 'the passphrase' });
      const c = await run(['enc1', 'enc2'], a.callbacks);
      assert.deepStrictEqual(c.results.map((r) => r.status), ['Completed', 'Completed'], show(c));
      assert.strictEqual(a.calls.passphrase.length, 1);
    });

    it('a wrong passphrase: AuthFailed, the key is not offered', async () => {
      const a = counting({ passphrase: 'not it' });
      const c = await run(['enc1'], a.callbacks);
      assert.strictEqual(c.result('enc1').status, 'AuthFailed', show(c));
      assert.ok(a.calls.passphrase.length >= 1);
    });

    it('no askPassphrase callback: AuthFailed', async () => {
      const c = await run(['enc1']);
      assert.strictEqual(c.result('enc1').status, 'AuthFailed', show(c));
    });
  });
});
