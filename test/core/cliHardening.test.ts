/**
 * The CLI against hostile use (issue 12, items 4 and 10–13), spawned as a user runs it, against
 * real sshd: every command and action answers --help with a line per flag; a reader that goes
 * away (`| head -1`) stops the remote work and the CLI exits 141 without a word; a bash shebang's
 * path is honoured; -c text is CRLF-converted as -f files are; session and job records remember
 * how their hosts were reached, so later commands need no flags.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { JOB_OPTIONS } from '../../src/cli/job';
import { RUN_OPTIONS } from '../../src/cli/run';
import { SESSION_OPTIONS } from '../../src/cli/session';
import { COMMAND_HELP, FLAG_DOCS } from '../../src/cli/usage';
import { TEST_OPTIONS } from '../../src/cli/test';
import { HOSTS_OPTIONS } from '../../src/cli/hosts';
import { startTestBed, type TestBed } from '../support/sshd';
import { cli, ensureBuilt, linesOf, spawnCli } from './helpers/durable';
import { delay, tmpDir, waitFor } from './helpers/engine';

/** Processes on this machine (the bed's hosts are local) whose command line contains `text`. */
function processesWith(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', text], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l && !l.includes('pgrep'));
  } catch {
    return [];
  }
}

describe('CLI hardening (real sshd)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let dir: string;
  let state: string;

  before(async () => {
    ensureBuilt();
    bed = await startTestBed({ count: 2 });
    dir = tmpDir('cli-hardening');
  });
  beforeEach(() => {
    state = fs.mkdtempSync(path.join(dir, 'state-'));
  });
  after(async () => {
    await bed?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('--help for every command and action', () => {
    const optionsOf: Record<string, Record<string, unknown>> = { run: RUN_OPTIONS, session: SESSION_OPTIONS, job: JOB_OPTIONS, test: TEST_OPTIONS, hosts: HOSTS_OPTIONS };

    it('every flag a command accepts has a one-line description', () => {
      for (const [command, options] of Object.entries(optionsOf)) {
        for (const flag of Object.keys(options)) {
          assert.ok(FLAG_DOCS[flag]?.text, `${command} --${flag} has no help text`);
        }
      }
    });

    for (const key of Object.keys(COMMAND_HELP)) {
      const [command, action] = key.split(' ');
      const forms = [['help', command, ...(action ? [action] : [])], [command, ...(action ? [action] : []), '--help'], [command, ...(action ? [action] : []), '-h']];
      it(`${key}: ${forms.map((f) => f.join(' ')).join(' | ')}`, async () => {
        const results = await Promise.all(forms.map((form) => cli(form, state)));
        for (const [i, form] of forms.entries()) {
          const r = results[i];
          assert.strictEqual(r.code, 0, `${form.join(' ')}: ${r.stderr}`);
          assert.strictEqual(r.stderr, '');
          assert.ok(r.stdout.startsWith(`usage: ${COMMAND_HELP[key].usage}`), r.stdout);
          for (const flag of Object.keys(optionsOf[command])) {
            assert.match(r.stdout, new RegExp(`--${flag}\\b.*\\S`), `${form.join(' ')} does not list --${flag}`);
          }
        }
      });
    }

    it('--help after -- is the script\'s argument, not a request for help', async () => {
      const r = await cli(['run', '-F', bed.sshConfigPath, '-H', 'host1', '-c', 'printf "<%s>" "$@"', '--', '--help'], state);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout.trim(), 'host1: <--help>');
    });

    it('help for something unknown is a usage error', async () => {
      const r = await cli(['help', 'frobnicate'], state);
      assert.strictEqual(r.code, 2);
      assert.match(r.stderr, /^remote-invoke: .*frobnicate/);
    });
  });

  describe('a reader that goes away (| head -1)', () => {
    it('run: the remote work stops, exit 141, nothing on stderr', async () => {
      const tag = `ri-epipe-${process.pid}-${Date.now()}`;
      const p = spawnCli(['run', '-F', bed.sshConfigPath, '-H', 'host1,host2', '-c', `while :; do echo "${tag}"; done`], state);
      await p.waitForStdout(tag);
      p.child.stdout!.destroy();
      const r = await p.done;
      assert.strictEqual(r.code, 141, r.stderr);
      assert.strictEqual(r.stderr, '', 'no stack trace, warning or summary');
      assert.ok(await waitFor(() => processesWith(`echo "${tag}"`).length === 0, 10_000), 'the remote loop still runs');
    });

    it('job receive: exit 141, and what it could not print is received next time', async () => {
      const job = await cli(['run', '-F', bed.sshConfigPath, '-H', 'host1', '--as-job', '-c', 'seq 1 200000'], state);
      assert.strictEqual(job.code, 0, job.stderr);
      await cli(['job', 'wait', '1'], state);
      const p = spawnCli(['job', 'receive', '1'], state);
      await p.waitForStdout('host1: 1\n');
      p.child.stdout!.destroy();
      const r = await p.done;
      assert.strictEqual(r.code, 141, r.stderr);
      assert.doesNotMatch(r.stderr, /EPIPE|Warning|at /);
      const again = await cli(['job', 'receive', '1'], state);
      assert.strictEqual(again.code, 0, again.stderr);
      const lines = linesOf(again.stdout);
      assert.strictEqual(lines.length, 200000);
      assert.strictEqual(lines[199999], 'host1: 200000');
      await cli(['job', 'remove', '1'], state);
    });

    it('session receive: exit 141, no warning', async () => {
      const opened = await cli(['session', 'new', 'pipe', '-F', bed.sshConfigPath, '-H', 'host1'], state);
      assert.strictEqual(opened.code, 0, opened.stderr);
      const run = spawnCli(['run', '--session', 'pipe', '-c', 'echo started; sleep 2; i=0; while :; do i=$((i+1)); echo $i; [ $((i % 1000)) -ne 0 ] || sleep 0.05; done'], state);
      await run.waitForStdout('started');
      await delay(800); // the CLI saves its offsets every 500 ms
      run.child.kill('SIGKILL'); // the run goes on in the durable session, to be received
      const p = spawnCli(['session', 'receive', 'pipe'], state);
      await p.waitForStdout('host1: 1\n');
      p.child.stdout!.destroy();
      const r = await p.done;
      assert.strictEqual(r.code, 141, r.stderr);
      assert.doesNotMatch(r.stderr, /EPIPE|Warning|at /);
      await cli(['session', 'remove', 'pipe'], state);
    });
  });

  describe('shebangs and line endings', () => {
    it('#!/path/to/bash runs that program, not the bash PATH finds', async () => {
      const custom = path.join(dir, 'custom-bin');
      fs.mkdirSync(custom, { recursive: true });
      fs.writeFileSync(path.join(custom, 'bash'), '#!/bin/sh\necho "custom bash ran"\nexec /bin/bash "$@"\n', { mode: 0o755 });
      const r = await cli(['run', '-F', bed.sshConfigPath, '-H', 'host1', '-c', `#!${custom}/bash\necho "args: $*"`, '--', 'a b'], state);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(linesOf(r.stdout), ['host1: custom bash ran', 'host1: args: a b']);
    });

    it('a missing interpreter: the error names its path', async () => {
      const r = await cli(['run', '-F', bed.sshConfigPath, '-H', 'host1', '-c', '#!/nonexistent/dir/bash\necho hi'], state);
      assert.strictEqual(r.code, 1, r.stderr);
      assert.match(r.stderr, /\/nonexistent\/dir\/bash/);
      assert.match(r.stderr, /host1: Failed \(exit 127/);
    });

    it('-c text is CRLF-converted as -f files are (and kept with --no-crlf-conversion)', async () => {
      const text = 'x=1\r\necho "[$x]"\r\n';
      const converted = await cli(['run', '-F', bed.sshConfigPath, '-H', 'host1', '-c', text], state);
      assert.strictEqual(converted.stdout, 'host1: [1]\n', converted.stderr);
      const file = path.join(dir, 'crlf.sh');
      fs.writeFileSync(file, text);
      const fromFile = await cli(['run', '-F', bed.sshConfigPath, '-H', 'host1', '-f', file], state);
      assert.strictEqual(fromFile.stdout, converted.stdout);
      const kept = await cli(['run', '-F', bed.sshConfigPath, '-H', 'host1', '--no-crlf-conversion', '-c', 'printf "%s|" "a\r"'], state);
      assert.strictEqual(kept.stdout, 'host1: a\r|\n');
    });
  });

  describe('records remember how their hosts were reached', () => {
    it('a job made with -F is waited on, received and removed without it', async () => {
      const started = await cli(['run', '-F', bed.sshConfigPath, '-H', 'host1,host2', '--as-job', '-c', 'echo from-job'], state);
      assert.strictEqual(started.code, 0, started.stderr);
      const waited = await cli(['job', 'wait', '1'], state);
      assert.strictEqual(waited.code, 0, waited.stderr);
      const received = await cli(['job', 'receive', '1'], state);
      assert.deepStrictEqual(linesOf(received.stdout).sort(), ['host1: from-job', 'host2: from-job']);
      assert.doesNotMatch(received.stderr, /resolve/);
      const removed = await cli(['job', 'remove', '1'], state);
      assert.strictEqual(removed.code, 0, removed.stderr);
      assert.doesNotMatch(removed.stderr, /unreachable/);
    });

    it('a session made with -F: run, list, receive, disconnect and remove without it', async () => {
      const opened = await cli(['session', 'new', 'web', '-F', bed.sshConfigPath, '-H', 'host1,host2'], state);
      assert.strictEqual(opened.code, 0, opened.stderr);
      const first = await cli(['run', '--session', 'web', '-c', 'kept=yes'], state);
      assert.strictEqual(first.code, 0, first.stderr);
      const second = await cli(['run', '--session', 'web', '-c', 'echo "kept=$kept"'], state);
      assert.deepStrictEqual(linesOf(second.stdout).sort(), ['host1: kept=yes', 'host2: kept=yes']);
      const listed = await cli(['session', 'list', 'web'], state);
      // The session's holder (warm connections, see holder.ts) keeps both attached.
      assert.deepStrictEqual(linesOf(listed.stdout).map((l) => l.replace(/ idle.*/, '')).sort(), ['web host1: Opened', 'web host2: Opened']);
      for (const action of ['receive', 'disconnect', 'remove']) {
        const r = await cli(['session', action, 'web'], state);
        assert.strictEqual(r.code, 0, `${action}: ${r.stderr}`);
        assert.doesNotMatch(r.stdout + r.stderr, /Unreachable|resolve/, action);
      }
    });

    it('a flag given later wins over the record, and the host key is still verified', async () => {
      const started = await cli(['run', '-F', bed.sshConfigPath, '-H', 'host1', '--as-job', '-c', 'echo x'], state);
      assert.strictEqual(started.code, 0, started.stderr);
      // Another config, where host1 is a port nobody listens on: the flag is obeyed.
      const other = path.join(dir, 'other_config');
      fs.writeFileSync(other, `Host host1\n  HostName 127.0.0.1\n  Port 1\n`);
      const overridden = await cli(['job', 'receive', '1', '-F', other, '--json'], state);
      assert.match(overridden.stdout, /"state":"Disconnected"/);
      assert.match(overridden.stdout, /ECONNREFUSED|refused/);
      // A known_hosts file that no longer vouches for the key: refused, even from the record.
      const wrongKnownHosts = path.join(dir, 'wrong_known_hosts');
      const h = bed.hosts[0];
      fs.writeFileSync(wrongKnownHosts, `[${h.address}]:${h.port} ${bed.hosts[1].hostKeyPub}\n`);
      const refused = await cli(['job', 'receive', '1', '--known-hosts', wrongKnownHosts, '--json'], state);
      assert.match(refused.stdout, /"state":"Disconnected"/);
      assert.match(refused.stdout, /HOST IDENTIFICATION HAS CHANGED/);
      const fine = await cli(['job', 'receive', '1'], state);
      assert.strictEqual(fine.stdout, 'host1: x\n', fine.stderr);
    });
  });
});
