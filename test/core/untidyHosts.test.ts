/**
 * Issue 12 against untidy hosts (real sshd, throw-away accounts with other login shells):
 * - item 2: the framing owns none of fds 3-9; a script may open, close and redirect them;
 * - item 8: nologin, sftp-only and forced-command accounts end NotStarted, in their own words;
 * - item 9: a one-shot against a login that exits at once never hangs, even under CPU load.
 */
import * as assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SessionPool } from '../../src/core';
import { startTestBed, type TestBed, type TestBedOptions } from '../support/sshd';
import { BIN, ensureBuilt, ROOT } from './helpers/durable';
import { bedRequest, collect, isLive, show, tmpDir, waitFor } from './helpers/engine';

async function withBed(options: Omit<TestBedOptions, 'count'>, body: (bed: TestBed) => Promise<void>): Promise<void> {
  const bed = await startTestBed({ count: 1, ...options });
  try {
    await body(bed);
  } finally {
    await bed.stop();
  }
}

const runOn = async (bed: TestBed, text: string, sessions?: SessionPool) => {
  const c = await collect(bedRequest(bed, { targets: ['host1'], script: { text }, sessions }));
  return { result: c.result('host1'), out: c.lines('host1'), err: c.lines('host1', 'stderr'), all: c };
};

describe('the framing owns none of fds 3-9 (issue 12 item 2)', function () {
  this.timeout(60_000);
  for (const [label, loginShell] of [['dash', '/bin/dash'], ['bash', undefined]] as const) {
    for (const durable of [false, true]) {
      it(`${label} login, ${durable ? 'durable' : 'live'} session: a lock on fd 8, closing 7, and every fd 3-9 opened, used, closed`, () =>
        withBed({ loginShell }, async (bed) => {
          const pool = new SessionPool({ durable });
          try {
            const lock = await runOn(bed, 'exec 8>"$HOME/lock"; echo locked; exec 8>&-', pool);
            assert.strictEqual(lock.result.status, 'Completed', show(lock.all));
            assert.deepStrictEqual(lock.out, ['locked']);
            assert.strictEqual(fs.readFileSync(path.join(bed.homeDir, 'lock'), 'utf8'), '', 'framing bytes went into the lock file');
            const held = await runOn(bed, 'exec 8>"$HOME/held"; echo held-open', pool);
            assert.strictEqual(held.result.status, 'Completed', show(held.all));
            const seven = await runOn(bed, 'exec 7>&-; echo closed', pool);
            assert.strictEqual(seven.result.status, 'Completed', show(seven.all));
            assert.deepStrictEqual(seven.out, ['closed']);
            const all = await runOn(
              bed,
              [
                'for fd in 3 4 5 6 7 8 9; do eval "exec $fd>\\"\\$HOME/fd$fd\\""; done',
                'echo three >&3; echo nine >&9; echo to-out 1>&7 7>&1',
                'for fd in 3 4 5 6 7 8 9; do eval "exec $fd>&-"; done; echo done',
              ].join('\n'),
              pool,
            );
            assert.strictEqual(all.result.status, 'Completed', show(all.all));
            assert.deepStrictEqual(all.out, ['done']);
            assert.strictEqual(fs.readFileSync(path.join(bed.homeDir, 'fd3'), 'utf8'), 'three\n');
            assert.strictEqual(fs.readFileSync(path.join(bed.homeDir, 'fd9'), 'utf8'), 'nine\n');
            assert.strictEqual(fs.readFileSync(path.join(bed.homeDir, 'fd7'), 'utf8'), 'to-out\n');
            const after = await runOn(bed, 'echo still here', pool);
            assert.deepStrictEqual(after.out, ['still here'], show(after.all));
            assert.strictEqual(fs.readFileSync(path.join(bed.homeDir, 'held'), 'utf8'), '');
          } finally {
            await pool.closeAll();
          }
          const oneShot = await runOn(bed, 'exec 7>&-; exec 8>&-; echo one-shot');
          assert.strictEqual(oneShot.result.status, 'Completed', show(oneShot.all));
          assert.deepStrictEqual(oneShot.out, ['one-shot']);
        }));
    }
  }
});

const ACCOUNTS: [string, Omit<TestBedOptions, 'count'>, RegExp][] = [
  ['a nologin account', { loginShell: '/usr/sbin/nologin' }, /This account is currently not available/],
  ['a ForceCommand echo account', { forceCommand: 'echo restricted: use the web console' }, /restricted: use the web console/],
  ['an sftp-only account (ForceCommand internal-sftp)', { forceCommand: 'internal-sftp' }, /sftp/],
];

describe('accounts that cannot run scripts never look like success (issue 12 item 8)', function () {
  this.timeout(60_000);
  for (const [label, options, words] of ACCOUNTS) {
    it(`${label}: NotStarted with the account's own words (one-shot, live and durable sessions)`, () =>
      withBed(options, async (bed) => {
        const oneShot = await runOn(bed, 'echo ran');
        assert.strictEqual(oneShot.result.status, 'NotStarted', show(oneShot.all));
        assert.match(oneShot.result.error ?? '', words);
        assert.match(oneShot.result.error ?? '', /nothing ran/);
        assert.deepStrictEqual(oneShot.out, []);
        for (const durable of [false, true]) {
          const pool = new SessionPool({ durable });
          try {
            const r = await runOn(bed, 'echo ran', pool);
            assert.strictEqual(r.result.status, 'NotStarted', `${durable ? 'durable' : 'live'}: ${show(r.all)}`);
            assert.match(r.result.error ?? '', words);
            assert.strictEqual(r.result.exitCode, null);
          } finally {
            await pool.closeAll();
          }
        }
      }));
  }

  it('the CLI exits 3 for NotStarted and prints the reason', () =>
    withBed({ forceCommand: 'echo restricted: use the web console' }, async (bed) => {
      ensureBuilt();
      const state = tmpDir('untidy-cli');
      const r = spawnSync(process.execPath, [BIN, 'run', '-F', bed.sshConfigPath, '-H', 'host1', '-c', 'echo ran'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, REMOTE_INVOKE_STATE_DIR: state },
        timeout: 30_000,
      });
      fs.rmSync(state, { recursive: true, force: true });
      assert.strictEqual(r.status, 3, r.stderr);
      assert.match(r.stderr, /host1: NotStarted .*restricted: use the web console/);
      assert.doesNotMatch(r.stdout, /ran/);
    }));
});

describe('a one-shot against a login that exits at once never hangs (issue 12 item 9)', function () {
  this.timeout(120_000);
  it('20 one-shots against a nologin host, pinned with a busy loop to one CPU: each ends NotStarted within 10 s', () =>
    withBed({ loginShell: '/usr/sbin/nologin' }, async (bed) => {
      ensureBuilt();
      const state = tmpDir('untidy-load');
      const busy: ChildProcess = spawn('taskset', ['-c', '0', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 20; i++) {
          const r = spawnSync('taskset', ['-c', '0', 'timeout', '10', process.execPath, BIN, 'run', '-F', bed.sshConfigPath, '-H', 'host1', '-c', 'true'], {
            cwd: ROOT,
            encoding: 'utf8',
            env: { ...process.env, REMOTE_INVOKE_STATE_DIR: state },
          });
          assert.notStrictEqual(r.status, 124, `one-shot ${i + 1} hung: ${r.stderr}`);
          assert.strictEqual(r.status, 3, `one-shot ${i + 1}: ${r.stderr}`);
          assert.match(r.stderr, /NotStarted/);
        }
      } finally {
        busy.kill('SIGKILL');
        fs.rmSync(state, { recursive: true, force: true });
      }
    }));
});

describe('a rejected host key leaves no session record (issue 12 item 7)', function () {
  this.timeout(60_000);
  it('run --session against a host whose key does not match: HostKeyRejected, and session list knows no such session', () =>
    withBed({}, async (bed) => {
      ensureBuilt();
      const state = tmpDir('untidy-hostkey');
      try {
        const wrongKnownHosts = path.join(state, 'known_hosts_wrong');
        const other = await startTestBed({ count: 1 });
        const [h] = bed.hosts;
        fs.writeFileSync(wrongKnownHosts, `[${h.address}]:${h.port} ${other.hosts[0].hostKeyPub}\n`);
        await other.stop();
        const config = path.join(state, 'ssh_config');
        fs.writeFileSync(config, fs.readFileSync(bed.sshConfigPath, 'utf8').split(bed.knownHostsPath).join(wrongKnownHosts));
        const cli = (args: string[]) =>
          spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, REMOTE_INVOKE_STATE_DIR: state }, timeout: 30_000 });
        const r = cli(['run', '-F', config, '-H', 'host1', '--session', 'K', '-c', 'echo ran']);
        assert.strictEqual(r.status, 3, r.stderr);
        assert.match(r.stderr, /HostKeyRejected/);
        const list = cli(['session', 'list', '-F', config]);
        assert.doesNotMatch(list.stdout + list.stderr, /Closed|\bK\b/, list.stdout + list.stderr);
      } finally {
        fs.rmSync(state, { recursive: true, force: true });
      }
    }));
});

describe('stopping kills the remote processes on a server with MaxSessions 1 (issue 12 item 5)', function () {
  this.timeout(60_000);
  it('--timeout and cancel, one-shot and in a session: TimedOut/Cancelled and the sleep is gone', () =>
    withBed({ maxSessions: 1 }, async (bed) => {
      const work = tmpDir('untidy-maxsessions');
      try {
        const sleeper = (name: string) => `sh -c 'echo $$ > "$1"; exec sleep 300' sh '${path.join(work, name)}'`;
        const sleepPid = (name: string) => Number(fs.readFileSync(path.join(work, name), 'utf8'));
        const oneShot = await collect(bedRequest(bed, { targets: ['host1'], script: { text: sleeper('a') }, timeoutMs: 1500 }));
        assert.strictEqual(oneShot.result('host1').status, 'TimedOut', show(oneShot));
        assert.ok(await waitFor(() => !isLive(sleepPid('a')), 5000), 'the one-shot sleep still runs');
        const pool = new SessionPool();
        try {
          await runOn(bed, 'kept=yes', pool);
          const timed = await collect(bedRequest(bed, { targets: ['host1'], script: { text: sleeper('b') }, sessions: pool, timeoutMs: 1500 }));
          assert.strictEqual(timed.result('host1').status, 'TimedOut', show(timed));
          assert.ok(await waitFor(() => !isLive(sleepPid('b')), 5000), 'the session sleep still runs');
          const controller = new AbortController();
          setTimeout(() => controller.abort(), 1500);
          const cancelled = await collect(
            bedRequest(bed, { targets: ['host1'], script: { text: sleeper('c') }, sessions: pool, signal: controller.signal }),
          );
          assert.strictEqual(cancelled.result('host1').status, 'Cancelled', show(cancelled));
          assert.ok(await waitFor(() => !isLive(sleepPid('c')), 5000), 'the cancelled sleep still runs');
          const after = await runOn(bed, 'echo "kept=$kept"', pool);
          assert.deepStrictEqual(after.out, ['kept=yes'], show(after.all));
        } finally {
          await pool.closeAll();
        }
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    }));
});

describe('login rc output never enters the streams (issue 12 item 3)', function () {
  this.timeout(150_000);
  const RC: [string, string | undefined, Record<string, string>][] = [
    ['zsh with a ~/.zshenv that prints on every login', '/usr/bin/zsh', { '.zshenv': 'echo WELCOME from zshenv\necho WELCOME-ERR from zshenv >&2\n' }],
    ['bash with a ~/.bashrc that prints and fails on every login', undefined, { '.bashrc': 'echo WELCOME from bashrc\necho WELCOME-ERR >&2\nno_such_command_in_bashrc\n' }],
  ];
  for (const [label, loginShell, rcFiles] of RC) {
    it(`${label}: durable runs across two cuts deliver every line once, in order, and no banner; job receive shows none`, () =>
      withBed({ loginShell, rcFiles }, async (bed) => {
        const pool = new SessionPool({ durable: true, reconnectDelayMs: 100 });
        try {
          const first = await runOn(bed, 'echo one', pool);
          assert.deepStrictEqual([first.out, first.err], [['one'], []], show(first.all));
          const second = await runOn(bed, 'echo two', pool);
          assert.deepStrictEqual([second.out, second.err], [['two'], []], show(second.all));
          const script = 'i=1; while [ $i -le 40 ]; do echo "d$i"; echo "e$i" >&2; i=$((i+1)); sleep 0.03; done';
          const out: string[] = [];
          const cut = collect(bedRequest(bed, { targets: ['host1'], script: { text: script }, sessions: pool }), (e) => {
            if (e.type !== 'output' || e.stream !== 'stdout') return;
            out.push(e.line);
            if (e.line === 'd8' || e.line === 'd25') bed.killConnections('host1');
          });
          const c = await cut;
          const numbered = (p: string) => Array.from({ length: 40 }, (_, i) => `${p}${i + 1}`);
          assert.strictEqual(c.result('host1').status, 'Completed', show(c));
          assert.deepStrictEqual(c.lines('host1'), numbered('d'));
          assert.deepStrictEqual(c.lines('host1', 'stderr'), numbered('e'));
          const third = await runOn(bed, 'echo three', pool);
          assert.deepStrictEqual([third.out, third.err], [['three'], []], show(third.all));
        } finally {
          await pool.closeAll();
        }
        ensureBuilt();
        const state = tmpDir('untidy-rc');
        try {
          const env = { ...process.env, REMOTE_INVOKE_STATE_DIR: state };
          const started = spawnSync(process.execPath, [BIN, 'run', '-F', bed.sshConfigPath, '-H', 'host1', '--as-job', '-c', 'echo job-line; echo job-err >&2'], { cwd: ROOT, encoding: 'utf8', env, timeout: 30_000 });
          assert.strictEqual(started.status, 0, started.stderr);
          const waited = spawnSync(process.execPath, [BIN, 'job', 'wait', '1', '-F', bed.sshConfigPath], { cwd: ROOT, encoding: 'utf8', env, timeout: 30_000 });
          assert.strictEqual(waited.status, 0, waited.stderr);
          const received = spawnSync(process.execPath, [BIN, 'job', 'receive', '1', '-F', bed.sshConfigPath], { cwd: ROOT, encoding: 'utf8', env, timeout: 30_000 });
          assert.doesNotMatch(received.stdout + received.stderr, /WELCOME|no_such_command/, received.stdout + received.stderr);
          assert.match(received.stdout, /job-line/);
        } finally {
          fs.rmSync(state, { recursive: true, force: true });
        }
      }));
  }
});

describe('durable starts on minimal hosts (issue 12 item 6, a PATH of busybox applets)', function () {
  this.timeout(60_000);
  const APPLETS = ['cat', 'mkdir', 'mkfifo', 'rm', 'tail', 'sleep', 'setsid', 'nohup', 'chmod', 'kill', 'wc', 'date', 'ps', 'env', 'ls', 'dd', 'grep'];

  it('busybox tail: each durable run takes under 150 ms (not the 1 s of its polling)', async () => {
    const applets = tmpDir('busybox-path');
    try {
      for (const name of APPLETS) fs.symlinkSync('/bin/busybox', path.join(applets, name));
      fs.chmodSync(applets, 0o755);
      await withBed({ env: { PATH: applets } }, async (bed) => {
        const pool = new SessionPool({ durable: true });
        try {
          const first = await runOn(bed, 'tail --help 2>&1 | grep -c BusyBox', pool);
          assert.deepStrictEqual(first.out, ['1'], show(first.all));
          const times: number[] = [];
          for (let i = 0; i < 8; i++) {
            const started = Date.now();
            const r = await runOn(bed, `echo run${i}`, pool);
            times.push(Date.now() - started);
            assert.deepStrictEqual(r.out, [`run${i}`], show(r.all));
          }
          times.sort((a, b) => a - b);
          const median = times[times.length >> 1];
          console.log(`      busybox durable run: median ${median} ms (${times.join(', ')})`);
          assert.ok(median < 150, `median ${median} ms per run`);
        } finally {
          await pool.closeAll();
        }
      });
    } finally {
      fs.rmSync(applets, { recursive: true, force: true });
    }
  });
  for (const [missing, drop] of [['tail', ['tail']], ['sleep', ['sleep']], ['setsid or nohup', ['setsid', 'nohup']]] as const) {
    it(`no ${missing}: NotStarted with an error naming it, and nothing left on the host`, async () => {
      const applets = tmpDir('busybox-path');
      try {
        for (const name of APPLETS.filter((a) => !(drop as readonly string[]).includes(a))) fs.symlinkSync('/bin/busybox', path.join(applets, name));
        fs.chmodSync(applets, 0o755);
        await withBed({ env: { PATH: applets } }, async (bed) => {
          const pool = new SessionPool({ durable: true });
          try {
            const r = await runOn(bed, 'echo ran', pool);
            assert.strictEqual(r.result.status, 'NotStarted', show(r.all));
            assert.ok((r.result.error ?? '').includes(`has no \`${missing}\``), r.result.error ?? '');
          } finally {
            await pool.closeAll();
          }
          const spools = path.join(bed.homeDir, '.cache', 'remote-invoke');
          assert.deepStrictEqual(fs.existsSync(spools) ? fs.readdirSync(spools) : [], [], 'a session directory was left behind');
        });
      } finally {
        fs.rmSync(applets, { recursive: true, force: true });
      }
    });
  }
});
