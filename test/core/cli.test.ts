/**
 * The CLI, spawned as a user runs it (`node bin/remote-invoke.js run ...`), against real sshd:
 * exit statuses, usage errors that run nothing, -H forms, JSON Lines, text mode, host-key
 * options, --shell, --timeout, arguments after --, Ctrl+C, SSH_ASKPASS.
 */
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ensurePasswordUser, removePasswordUser, startTestBed, type TestBed } from '../support/sshd';
import { ensureBuilt } from './helpers/durable';
import { decodeArgLines, delay, fingerprintOf, hostBlock, INJECTION_ARGS, INJECTION_FILES, isLive, knownHostsNameOf, newKey, PRINT_ARGS_B64, tmpDir, waitFor } from './helpers/engine';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'remote-invoke.js');

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('SSH_ASKPASS' in extra)) delete env.SSH_ASKPASS;
  if (!('SSH_ASKPASS_REQUIRE' in extra)) delete env.SSH_ASKPASS_REQUIRE;
  delete env.SSH_AUTH_SOCK;
  delete env.NODE_OPTIONS;
  return env;
}

function cli(args: string[], options: { env?: NodeJS.ProcessEnv; onStdout?: (chunk: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      options.onStdout?.(d, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const jsonLines = (s: string) =>
  s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('CLI remote-invoke (real sshd)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let dir: string;
  let F: string[];

  before(async () => {
    ensureBuilt();
    bed = await startTestBed({ count: 4 });
    bed.stopHost('host4');
    dir = tmpDir('cli');
    F = ['-F', bed.sshConfigPath];
    for (const f of INJECTION_FILES) fs.rmSync(f, { force: true });
  });
  after(async () => {
    await bed?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], options?: Parameters<typeof cli>[1]) => cli(['run', ...F, ...args], options);
  const marker = (name: string) => path.join(dir, `marker-${name}`);

  describe('exit status', () => {
    it('0 when every host Completed', async () => {
      const r = await run(['-H', 'host1,host2', '-c', 'echo hi']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(r.stdout.split('\n').filter(Boolean).sort(), ['host1: hi', 'host2: hi']);
    });

    it('1 when every host ran but a script exited non-zero', async () => {
      const addr2 = bed.hosts[1].address;
      const r = await run(['-H', 'host1,host2', '-c', `case "$SSH_CONNECTION" in *" ${addr2} "*) exit 4;; esac; echo fine`]);
      assert.strictEqual(r.code, 1, r.stderr);
      assert.match(r.stderr, /host2: Failed \(exit 4/);
      assert.match(r.stderr, /host1: Completed/);
    });

    it('3 when a host is unreachable or unresolvable among good ones; the good ones still run', async () => {
      const r = await run(['-H', 'host1,host4,nosuch.invalid,host2', '-c', 'echo ran']);
      assert.strictEqual(r.code, 3, r.stderr);
      assert.deepStrictEqual(r.stdout.split('\n').filter(Boolean).sort(), ['host1: ran', 'host2: ran']);
      assert.match(r.stderr, /host4: Unreachable/);
      assert.match(r.stderr, /nosuch\.invalid: Unreachable .*resolve/);
    });

    it('3 wins over 1 when one host failed its script and another could not run it', async () => {
      const r = await run(['-H', 'host1,host4', '-c', 'exit 1']);
      assert.strictEqual(r.code, 3);
    });
  });

  describe('usage errors: exit 2, one line naming the problem, nothing run', () => {
    const cases: [string, (m: string) => string[], RegExp][] = [
      ['unknown flag', (m) => ['-H', 'host1', '-c', `touch ${m}`, '--bogus'], /--bogus/],
      ['missing -f file', () => ['-H', 'host1', '-f', '/nonexistent/script.sh'], /\/nonexistent\/script\.sh/],
      ['unreadable -f file (a directory)', () => ['-H', 'host1', '-f', '/tmp'], /'\/tmp'/],
      ['no -H', (m) => ['-c', `touch ${m}`], /host/i],
      ['empty -H', (m) => ['-H', ' , ', '-c', `touch ${m}`], /host/i],
      ['both -f and -c', (m) => ['-H', 'host1', '-c', `touch ${m}`, '-f', __filename], /-f.*-c|-c.*-f/],
      ['neither -f nor -c', () => ['-H', 'host1'], /script|-f|-c/],
      ['--throttle 0', (m) => ['-H', 'host1', '-c', `touch ${m}`, '--throttle', '0'], /throttle/],
      ['-t abc', (m) => ['-H', 'host1', '-c', `touch ${m}`, '-t', 'abc'], /throttle/],
      ['--throttle 1.5', (m) => ['-H', 'host1', '-c', `touch ${m}`, '--throttle', '1.5'], /throttle/],
      ['--throttle -3', (m) => ['-H', 'host1', '-c', `touch ${m}`, '--throttle=-3'], /throttle/],
      ['--timeout abc', (m) => ['-H', 'host1', '-c', `touch ${m}`, '--timeout', 'abc'], /timeout/],
      ['--timeout 0', (m) => ['-H', 'host1', '-c', `touch ${m}`, '--timeout', '0'], /timeout/],
      ['--timeout -1', (m) => ['-H', 'host1', '-c', `touch ${m}`, '--timeout=-1'], /timeout/],
      ['--connect-timeout x', (m) => ['-H', 'host1', '-c', `touch ${m}`, '--connect-timeout', 'x'], /connect-timeout/],
      ['--strict-host-key-checking maybe', (m) => ['-H', 'host1', '-c', `touch ${m}`, '--strict-host-key-checking', 'maybe'], /strict-host-key-checking/],
      ['a stray argument before --', (m) => ['-H', 'host1', '-c', `touch ${m}`, 'stray'], /stray/],
      ['-H without a value', () => ['-c', 'true', '-H'], /-H|hosts/],
    ];
    cases.forEach(([what, args, names], i) => {
      it(what, async () => {
        const m = marker(`usage${i}`);
        const r = await run(args(m));
        assert.strictEqual(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
        const lines = r.stderr.split('\n').filter(Boolean);
        assert.strictEqual(lines.length, 1, `one line expected:\n${r.stderr}`);
        assert.match(lines[0], /^remote-invoke: /);
        assert.match(lines[0], names);
        assert.strictEqual(r.stdout, '');
        await delay(50);
        assert.ok(!fs.existsSync(m), 'the script ran despite the usage error');
      });
    });

    it('an unreadable -F ssh_config', async () => {
      const m = marker('badF');
      const r = await cli(['run', '-F', path.join(dir, 'no-such-config'), '-H', 'host1', '-c', `touch ${m}`]);
      assert.strictEqual(r.code, 2);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.strictEqual(lines.length, 1, r.stderr);
      assert.match(lines[0], /^remote-invoke: .*no-such-config/);
      assert.ok(!fs.existsSync(m));
    });

    it('an unknown command', async () => {
      const r = await cli(['frobnicate']);
      assert.strictEqual(r.code, 2);
      assert.match(r.stderr.trim(), /^remote-invoke: .*frobnicate/);
    });

    it('--help exits 0 and shows the run usage', async () => {
      const r = await cli(['--help']);
      assert.strictEqual(r.code, 0);
      assert.match(r.stdout, /remote-invoke run -H/);
    });

    it('a name that does not resolve is that host\'s Unreachable (exit 3), not a usage error', async () => {
      const r = await run(['-H', 'nosuch.invalid', '-c', 'true']);
      assert.strictEqual(r.code, 3);
    });
  });

  describe('hosts, JSON Lines, text mode', () => {
    it('-H repeats and takes comma lists', async () => {
      const r = await run(['-H', 'host1,host2', '-H', 'host3', '--json', '-c', 'echo x']);
      assert.strictEqual(r.code, 0, r.stderr);
      const results = jsonLines(r.stdout).filter((o) => o.type === 'result');
      assert.deepStrictEqual(results.map((o) => o.host).sort(), ['host1', 'host2', 'host3']);
    });

    it('--json: exact output/result shapes, a last line without newline, a final summary with counts', async () => {
      const r = await run(['-H', 'host1,host4', '--json', '-c', 'echo out1; echo err1 >&2; printf "no newline"']);
      assert.strictEqual(r.code, 3, r.stderr);
      assert.strictEqual(r.stderr, '', 'JSON mode writes nothing else to stderr');
      assert.ok(r.stdout.endsWith('\n'));
      const objs = jsonLines(r.stdout);
      for (const o of objs) assert.ok(['output', 'result', 'summary'].includes(o.type as string), JSON.stringify(o));
      const outputs = objs.filter((o) => o.type === 'output');
      for (const o of outputs) assert.deepStrictEqual(Object.keys(o), ['type', 'host', 'stream', 'line']);
      const lines = (stream: string) => outputs.filter((o) => o.host === 'host1' && o.stream === stream).map((o) => o.line);
      assert.deepStrictEqual(lines('stdout'), ['out1', 'no newline']);
      assert.deepStrictEqual(lines('stderr'), ['err1']);
      assert.ok(!outputs.some((o) => o.host === 'host4'));
      const results = objs.filter((o) => o.type === 'result');
      for (const o of results) assert.deepStrictEqual(Object.keys(o), ['type', 'host', 'status', 'exitCode', 'signal', 'durationMs', 'error']);
      const byHost = Object.fromEntries(results.map((o) => [o.host, o]));
      assert.deepStrictEqual([byHost.host1.status, byHost.host1.exitCode, byHost.host1.signal, byHost.host1.error], ['Completed', 0, null, null]);
      assert.strictEqual(typeof byHost.host1.durationMs, 'number');
      assert.deepStrictEqual([byHost.host4.status, byHost.host4.exitCode], ['Unreachable', null]);
      assert.strictEqual(typeof byHost.host4.error, 'string');
      const summary = objs[objs.length - 1];
      assert.strictEqual(summary.type, 'summary');
      assert.strictEqual(objs.filter((o) => o.type === 'summary').length, 1);
      const counts = (summary.counts ?? summary) as Record<string, number>;
      assert.strictEqual(counts.Completed, 1);
      assert.strictEqual(counts.Unreachable, 1);
      assert.strictEqual(counts.Failed, 0);
      // each host's result comes after its output
      const idx = (pred: (o: Record<string, unknown>) => boolean) => objs.findIndex(pred);
      assert.ok(idx((o) => o.type === 'result' && o.host === 'host1') > idx((o) => o.type === 'output' && o.host === 'host1'));
    });

    it('--json events stream as they happen', async () => {
      let firstAt = 0;
      const r = await run(['-H', 'host1', '--json', '-c', 'echo first; sleep 1.5; echo second'], {
        onStdout: (chunk) => {
          if (!firstAt && chunk.includes('"first"')) firstAt = Date.now();
        },
      });
      const endedAt = Date.now();
      assert.strictEqual(r.code, 0);
      assert.ok(firstAt > 0);
      assert.ok(endedAt - firstAt >= 1000, `the first line came only ${endedAt - firstAt} ms before the end`);
    });

    it('text mode: host prefix on stdout, stderr lines on stderr, a one-line-per-host summary at the end', async () => {
      const r = await run(['-H', 'host1,host2', '-c', 'echo out; echo err >&2; printf tail']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(r.stdout.split('\n').filter(Boolean).sort(), ['host1: out', 'host1: tail', 'host2: out', 'host2: tail']);
      const err = r.stderr.split('\n').filter(Boolean);
      assert.deepStrictEqual(err.filter((l) => /: err$/.test(l)).sort(), ['host1: err', 'host2: err']);
      const summary = err.filter((l) => !/: err$/.test(l));
      assert.strictEqual(summary.length, 2, r.stderr);
      assert.match(summary[0], /^host1: Completed/);
      assert.match(summary[1], /^host2: Completed/);
    });

    it('--hide-computer-name drops the prefix', async () => {
      const r = await run(['-H', 'host1', '--hide-computer-name', '-c', 'echo out; echo err >&2']);
      assert.strictEqual(r.code, 0);
      assert.strictEqual(r.stdout, 'out\n');
      assert.match(r.stderr, /^err\n/);
    });

    it('stderr holds only the scripts\' stderr and the summary, also with many hosts', async () => {
      // 6 names for 3 live hosts: user@alias forms are distinct targets
      const targets = ['host1', 'host2', 'host3', `${bed.user}@host1`, `${bed.user}@host2`, `${bed.user}@host3`];
      const r = await run(['-H', targets.join(','), '-c', 'sleep 0.3; echo done']);
      assert.strictEqual(r.code, 0, r.stderr);
      const unexpected = r.stderr.split('\n').filter((l) => l && !/^\S+: (Completed|Failed|Unreachable)/.test(l));
      assert.deepStrictEqual(unexpected, [], 'nothing but the summary on stderr');
    });
  });

  describe('options', () => {
    it('--known-hosts with --strict-host-key-checking accept-new records the keys; yes then matches', async () => {
      const kh = path.join(dir, 'accept-new-known_hosts');
      const r = await run(['-H', 'host1,host2', '--known-hosts', kh, '--strict-host-key-checking', 'accept-new', '-c', 'echo ok']);
      assert.strictEqual(r.code, 0, r.stderr);
      const text = fs.readFileSync(kh, 'utf8');
      for (const h of bed.hosts.slice(0, 2)) assert.ok(text.includes(`${knownHostsNameOf(h)} ${h.hostKeyPub}`), text);
      const again = await run(['-H', 'host1,host2', '--known-hosts', kh, '--strict-host-key-checking', 'yes', '-c', 'echo ok']);
      assert.strictEqual(again.code, 0, again.stderr);
      assert.strictEqual(fs.readFileSync(kh, 'utf8'), text);
    });

    it('--known-hosts replaces ssh_config\'s file: a wrong key there is refused (exit 3) with both fingerprints', async () => {
      const other = newKey(dir, 'cli-other');
      const kh = path.join(dir, 'wrong-known_hosts');
      fs.writeFileSync(kh, `${knownHostsNameOf(bed.hosts[0])} ${other.pub}\n`);
      const m = marker('wrongkey');
      const r = await run(['-H', 'host1', '--known-hosts', kh, '--strict-host-key-checking', 'no', '--json', '-c', `touch ${m}`]);
      assert.strictEqual(r.code, 3);
      const res = jsonLines(r.stdout).find((o) => o.type === 'result') as Record<string, string>;
      assert.strictEqual(res.status, 'HostKeyRejected');
      assert.ok(res.error.includes(fingerprintOf(other.pub)), res.error);
      assert.ok(res.error.includes(fingerprintOf(bed.hosts[0].hostKeyPub)), res.error);
      assert.ok(!fs.existsSync(m));
    });

    it('an unknown host under the default policy with no terminal: refused, exit 3', async () => {
      const kh = path.join(dir, 'empty-known_hosts');
      fs.writeFileSync(kh, '');
      const cfg = path.join(dir, 'ask-config');
      fs.writeFileSync(cfg, hostBlock('asky', bed.hosts[0], { User: bed.user, IdentityFile: bed.clientKeyPath, UserKnownHostsFile: kh }));
      const r = await cli(['run', '-F', cfg, '-H', 'asky', '-c', 'true']);
      assert.strictEqual(r.code, 3);
      assert.match(r.stderr, /asky: HostKeyRejected/);
    });

    it('an unknown host under policy ask is confirmed through SSH_ASKPASS and remembered', async () => {
      const kh = path.join(dir, 'askpass-known_hosts');
      fs.writeFileSync(kh, '');
      const cfg = path.join(dir, 'askpass-config');
      fs.writeFileSync(cfg, hostBlock('asky2', bed.hosts[1], { User: bed.user, IdentityFile: bed.clientKeyPath, IdentitiesOnly: 'yes', UserKnownHostsFile: kh }));
      const log = path.join(dir, 'hostkey-askpass.log');
      const askpass = path.join(dir, 'yes-askpass.sh');
      fs.writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n---\\n' "$1" >> '${log}'\necho yes\n`, { mode: 0o755 });
      const env = { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' };
      const r = await cli(['run', '-F', cfg, '-H', 'asky2', '-c', 'echo in'], { env });
      assert.strictEqual(r.code, 0, r.stderr);
      const asked = fs.readFileSync(log, 'utf8');
      assert.ok(asked.includes(fingerprintOf(bed.hosts[1].hostKeyPub)) || /SHA256:/.test(asked), asked);
      assert.ok(fs.readFileSync(kh, 'utf8').startsWith(`${knownHostsNameOf(bed.hosts[1])} `), 'the key was not remembered');
      fs.writeFileSync(log, '');
      const again = await cli(['run', '-F', cfg, '-H', 'asky2', '-c', 'echo in'], { env });
      assert.strictEqual(again.code, 0, again.stderr);
      assert.strictEqual(fs.readFileSync(log, 'utf8'), '', 'asked again for a remembered key');
    });

    it('--shell python3', async function () {
      if (!fs.existsSync('/usr/bin/python3')) this.skip();
      const r = await run(['-H', 'host1', '--shell', 'python3', '-c', 'import sys; print(sys.argv[1:])', '--', 'a', 'b c']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout, "host1: ['a', 'b c']\n");
    });

    it('-f FILE: the local file\'s content runs, its extension picks the interpreter', async function () {
      const sh = path.join(dir, 'local-only.sh');
      fs.writeFileSync(sh, 'echo "from file with $# args"\r\n');
      const r = await run(['-H', 'host1', '-f', sh, '--', 'x']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout, 'host1: from file with 1 args\n');
      if (fs.existsSync('/usr/bin/python3')) {
        const py = path.join(dir, 'calc.py');
        fs.writeFileSync(py, 'print(6 * 7)\n');
        const p = await run(['-H', 'host1', '-f', py]);
        assert.strictEqual(p.stdout, 'host1: 42\n', p.stderr);
      }
    });

    it('--no-crlf-conversion keeps the CRs', async () => {
      const r = await run(['-H', 'host1', '--hide-computer-name', '--no-crlf-conversion', '-c', 'echo one\r\n']);
      assert.strictEqual(r.stdout, 'one\r\n');
    });

    it('--timeout ends the host TimedOut (exit 3) and stops the remote process', async () => {
      const pidFile = path.join(dir, 'cli-timeout.pid');
      // 3 s: enough to connect on a loaded machine, so the script is running when the timeout hits
      const r = await run(['-H', 'host1', '--timeout', '3', '--json', '-c', `sh -c 'echo $$ > "$1"; exec sleep 300' sh '${pidFile}'`]);
      assert.strictEqual(r.code, 3, r.stderr);
      const res = jsonLines(r.stdout).find((o) => o.type === 'result') as Record<string, unknown>;
      assert.strictEqual(res.status, 'TimedOut');
      assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
      assert.ok(fs.existsSync(pidFile), `the script never started (connecting took over 3 s?): ${String(res.error)}`);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.ok(await waitFor(() => !isLive(pid), 2000), 'the remote sleep survived the timeout');
    });

    it('--connect-timeout on a silent server: Unreachable, exit 3', async () => {
      const net = await import('net');
      const sockets: import('net').Socket[] = [];
      const server = net.createServer((s) => sockets.push(s));
      await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
      try {
        const port = (server.address() as import('net').AddressInfo).port;
        const r = await run(['-H', `127.0.0.1:${port}`, '--connect-timeout', '1', '-c', 'true']);
        assert.strictEqual(r.code, 3);
        assert.match(r.stderr, /Unreachable.*timed out/);
        assert.ok(r.ms < 6000, `took ${r.ms} ms`);
      } finally {
        for (const s of sockets) s.destroy();
        server.close();
      }
    });

    it('arguments after -- arrive intact (injection attempts, leading dashes, empty strings)', async () => {
      const r = await run(['-H', 'host1,host2', '--json', '-c', PRINT_ARGS_B64, '--', ...INJECTION_ARGS]);
      assert.strictEqual(r.code, 0, r.stderr);
      const objs = jsonLines(r.stdout);
      for (const h of ['host1', 'host2']) {
        const lines = objs.filter((o) => o.type === 'output' && o.host === h && o.stream === 'stdout').map((o) => o.line as string);
        assert.deepStrictEqual(decodeArgLines(lines), INJECTION_ARGS, h);
      }
      for (const f of INJECTION_FILES) assert.ok(!fs.existsSync(f), `${f}: an argument was executed`);
    });

    it('Ctrl+C (SIGINT) cancels: hosts end Cancelled, exit 3, the remote process is stopped', async () => {
      const pidFile = path.join(dir, 'cli-sigint.pid');
      let sent = false;
      const r = await run(['-H', 'host1', '--json', '-c', `sh -c 'echo $$ > "$1"; echo started; exec sleep 300' sh '${pidFile}'`], {
        onStdout: (chunk, child) => {
          if (!sent && chunk.includes('"started"')) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      });
      assert.ok(sent);
      assert.strictEqual(r.code, 3, r.stderr);
      const res = jsonLines(r.stdout).find((o) => o.type === 'result') as Record<string, unknown>;
      assert.strictEqual(res.status, 'Cancelled');
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      assert.ok(await waitFor(() => !isLive(pid), 2000), 'the remote sleep survived Ctrl+C');
    });
  });

  describe('password through SSH_ASKPASS', () => {
    const user = `ri_cli_${process.pid}`;
    const password = 'cli pass word';
    let pwBed: TestBed;
    let cfg: string;
    let askpass: string;
    let askLog: string;

    before(async function () {
      if (process.getuid?.() !== 0) this.skip();
      ensurePasswordUser(user, password);
      pwBed = await startTestBed({ count: 2, passwordAuth: true, namePrefix: 'pw' });
      cfg = path.join(dir, 'pw-config');
      const common = { User: user, IdentityFile: path.join(dir, 'none'), IdentitiesOnly: 'yes', UserKnownHostsFile: pwBed.knownHostsPath, StrictHostKeyChecking: 'yes' };
      fs.writeFileSync(cfg, pwBed.hosts.map((h) => hostBlock(h.name, h, common)).join('\n'));
      askLog = path.join(dir, 'askpass.log');
      askpass = path.join(dir, 'askpass.sh');
      fs.writeFileSync(askpass, `#!/bin/sh\necho "$1" >> '${askLog}'\nprintf '%s\\n' '${password}'\n`, { mode: 0o755 });
    });
    after(async () => {
      await pwBed?.stop();
      removePasswordUser(user);
    });

    it('asks once for two hosts sharing the password; exit 0', async () => {
      const r = await cli(['run', '-F', cfg, '-H', 'pw1,pw2', '-c', 'id -un'], { env: { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' } });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(r.stdout.split('\n').filter(Boolean).sort(), [`pw1: ${user}`, `pw2: ${user}`]);
      const asked = fs.readFileSync(askLog, 'utf8').split('\n').filter(Boolean);
      assert.strictEqual(asked.length, 1, asked.join('\n'));
      assert.match(asked[0], new RegExp(user));
    });
  });
});
