/**
 * Agent forwarding, the second hop done the SSH way: a script on bed host A runs `ssh B` through
 * the forwarded agent of a throw-away ssh-agent this test starts (the key exists nowhere on A's
 * side). With forwarding off — the default — the same script fails. On by `forwardAgent`, by
 * `ForwardAgent yes` in ssh_config, or by the CLI's --forward-agent.
 */
import * as assert from 'assert';
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { AGENT_FORWARDING_WARNING, SessionPool, SshConfigFile } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { ensureBuilt } from './helpers/durable';
import { collect, hostBlock, show, tmpDir, waitFor } from './helpers/engine';

const BIN = path.join(__dirname, '..', '..', 'bin', 'remote-invoke.js');

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

describe('agent forwarding (real sshd, a throw-away ssh-agent)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let work: string;
  let agent: ChildProcess | undefined;
  let agentSocket: string;
  let hopConfig: string;
  let savedSock: string | undefined;
  let addressB: string;

  before(async () => {
    ensureBuilt();
    bed = await startTestBed({ count: 2 });
    work = tmpDir('agentfwd');
    agentSocket = path.join(work, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' });
    assert.ok(await waitFor(() => fs.existsSync(agentSocket), 5000), 'ssh-agent started');
    execFileSync('ssh-add', ['-q', bed.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket }, stdio: 'pipe' });
    savedSock = process.env.SSH_AUTH_SOCK;
    process.env.SSH_AUTH_SOCK = agentSocket;
    // What the script on A uses to reach B: no key file of its own, only an agent if there is one.
    const b = bed.hosts[1];
    addressB = b.address;
    hopConfig = path.join(work, 'hop_config');
    fs.writeFileSync(
      hopConfig,
      hostBlock('hopB', b, {
        User: bed.user,
        IdentityFile: path.join(work, 'no-such-key'),
        UserKnownHostsFile: bed.knownHostsPath,
        StrictHostKeyChecking: 'yes',
        BatchMode: 'yes',
        ControlMaster: 'no',
      }),
    );
  });
  after(async () => {
    if (savedSock === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = savedSock;
    agent?.kill();
    await bed?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const script = () => `ssh -F '${hopConfig}' hopB 'echo "reached $SSH_CONNECTION"'`;
  const configWith = (forwardAgent?: string) => {
    const a = bed.hosts[0];
    const settings: Record<string, string> = { User: bed.user, IdentityFile: bed.clientKeyPath, IdentitiesOnly: 'yes', UserKnownHostsFile: bed.knownHostsPath, StrictHostKeyChecking: 'yes' };
    if (forwardAgent) settings.ForwardAgent = forwardAgent;
    return SshConfigFile.fromText(hostBlock('hostA', a, settings));
  };

  it('forwardAgent: a script on A runs ssh B through the forwarded agent', async () => {
    const c = await collect({ sshConfig: configWith(), script: { text: script() }, targets: ['hostA'], forwardAgent: true });
    assert.strictEqual(c.result('hostA').status, 'Completed', show(c) + c.lines('hostA', 'stderr').join('\n'));
    assert.match(c.lines('hostA').join('\n'), new RegExp(`^reached \\S+ \\d+ ${addressB.replace(/\./g, '\\.')} `));
  });

  it('off by default: the same script fails', async () => {
    const c = await collect({ sshConfig: configWith(), script: { text: `echo "sock=[$SSH_AUTH_SOCK]"; ${script()}` }, targets: ['hostA'] });
    assert.strictEqual(c.result('hostA').status, 'Failed', show(c));
    assert.strictEqual(c.result('hostA').exitCode, 255);
    assert.deepStrictEqual(c.lines('hostA'), ['sock=[]']);
    assert.match(c.lines('hostA', 'stderr').join('\n'), /Permission denied/);
  });

  it('ForwardAgent yes in ssh_config turns it on; forwardAgent: false turns it off again', async () => {
    const on = await collect({ sshConfig: configWith('yes'), script: { text: script() }, targets: ['hostA'] });
    assert.strictEqual(on.result('hostA').status, 'Completed', show(on) + on.lines('hostA', 'stderr').join('\n'));
    const off = await collect({ sshConfig: configWith('yes'), script: { text: script() }, targets: ['hostA'], forwardAgent: false });
    assert.strictEqual(off.result('hostA').status, 'Failed');
    const byPath = await collect({ sshConfig: configWith(agentSocket), script: { text: script() }, targets: ['hostA'] });
    assert.strictEqual(byPath.result('hostA').status, 'Completed', 'ForwardAgent PATH forwards that agent');
    assert.strictEqual(configWith('yes').resolve('hostA').forwardAgent, true);
    assert.strictEqual(configWith('no').resolve('hostA').forwardAgent, false);
    assert.strictEqual(configWith().resolve('hostA').forwardAgent, false);
    assert.strictEqual(configWith(agentSocket).resolve('hostA').forwardAgent, agentSocket);
    assert.match(AGENT_FORWARDING_WARNING, /Agent forwarding should be enabled with caution/);
  });

  it('durable sessions: each attachment forwards its own agent (a stable link in the session directory); after a dropped link too; a client without forwarding has none', async () => {
    const pool = new SessionPool({ durable: true, reconnectDelayMs: 100 });
    const first = await collect({ sshConfig: configWith(), script: { text: `HOP_STATE=kept; ${script()}` }, targets: ['hostA'], forwardAgent: true, sessions: pool });
    assert.strictEqual(first.result('hostA').status, 'Completed', show(first) + first.lines('hostA', 'stderr').join('\n'));
    assert.match(first.lines('hostA').join('\n'), /^reached /);
    const record = pool.session('hostA').record;
    assert.ok(record);
    assert.strictEqual(fs.lstatSync(path.join(record.dir, 'agent')).isSymbolicLink(), true);
    // The connection the agent came through is gone: the next run reattaches and forwards anew.
    // (Once the client has seen it go: a run written into a link that is already dead is not resent, see the report.)
    bed.killConnections('host1');
    assert.ok(await waitFor(() => pool.state('hostA') === 'disconnected', 5000), pool.state('hostA'));
    const again = await collect({ sshConfig: configWith(), script: { text: `echo "$HOP_STATE"; ${script()}` }, targets: ['hostA'], forwardAgent: true, sessions: pool });
    assert.strictEqual(again.result('hostA').status, 'Completed', show(again) + again.lines('hostA', 'stderr').join('\n'));
    assert.strictEqual(again.lines('hostA')[0], 'kept');
    assert.match(again.lines('hostA')[1], /^reached /);
    const saved = pool.session('hostA').record;
    pool.dispose();
    // Another client without forwarding: the same session, and no agent.
    const plain = new SessionPool({ durable: true });
    plain.session('hostA', { record: saved });
    try {
      const off = await collect({ sshConfig: configWith(), script: { text: `echo "$HOP_STATE"; ${script()}` }, targets: ['hostA'], sessions: plain });
      assert.strictEqual(off.result('hostA').status, 'Failed', show(off));
      assert.strictEqual(off.lines('hostA')[0], 'kept');
      assert.match(off.lines('hostA', 'stderr').join('\n'), /Permission denied/);
      assert.ok(!fs.existsSync(path.join(record.dir, 'agent')) && !isLink(path.join(record.dir, 'agent')), 'the link goes with the forwarding attachment');
    } finally {
      await plain.closeAll();
    }
  });

  it('CLI --forward-agent (and without it, the hop fails)', async () => {
    const configPath = path.join(work, 'ssh_config');
    fs.writeFileSync(configPath, hostBlock('hostA', bed.hosts[0], { User: bed.user, IdentityFile: bed.clientKeyPath, IdentitiesOnly: 'yes', UserKnownHostsFile: bed.knownHostsPath, StrictHostKeyChecking: 'yes' }));
    const run = (extra: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const env: NodeJS.ProcessEnv = { ...process.env, SSH_AUTH_SOCK: agentSocket, REMOTE_INVOKE_STATE_DIR: work };
        delete env.NODE_OPTIONS;
        const child = spawn(process.execPath, [BIN, 'run', '-F', configPath, '-H', 'hostA', ...extra, '-c', script()], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const on = await run(['--forward-agent']);
    assert.strictEqual(on.code, 0, on.stderr);
    assert.match(on.stdout, /^hostA: reached /);
    const off = await run([]);
    assert.strictEqual(off.code, 1, off.stderr);
    // A named (durable) session: each process that asks forwards its agent for its own runs.
    for (const extra of [['--forward-agent'], ['--forward-agent']]) {
      const viaSession = await run(['--session', 'hop', ...extra]);
      assert.strictEqual(viaSession.code, 0, viaSession.stderr);
      assert.match(viaSession.stdout, /^hostA: reached /);
    }
    const sessionOff = await run(['--session', 'hop']);
    assert.strictEqual(sessionOff.code, 1, sessionOff.stderr);
    await new Promise<void>((resolve) => {
      const env: NodeJS.ProcessEnv = { ...process.env, REMOTE_INVOKE_STATE_DIR: work };
      delete env.NODE_OPTIONS;
      spawn(process.execPath, [BIN, 'session', 'remove', 'hop', '-F', configPath], { env, stdio: 'ignore' }).on('close', () => resolve());
    });
  });

  it('remote-invoke hosts shows where forwarding is on, with OpenSSH\'s warning', async () => {
    const configPath = path.join(work, 'hosts_config');
    fs.writeFileSync(configPath, hostBlock('fwd', bed.hosts[0], { ForwardAgent: 'yes' }) + hostBlock('plain', bed.hosts[1], {}));
    const list = (args: string[]) =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'hosts', '-F', configPath, ...args], { env: { ...process.env, REMOTE_INVOKE_STATE_DIR: work }, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.on('close', () => resolve(out));
      });
    const rows = (await list(['--json'])).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepStrictEqual(rows.map((r) => [r.name, r.forwardAgent]), [['fwd', true], ['plain', false]]);
    assert.match(rows[0].forwardAgentWarning, /Agent forwarding should be enabled with caution/);
    assert.match(await list([]), /Agent forwarding is on for fwd \(ForwardAgent\)\. Agent forwarding should be enabled with caution/);
  });
});
