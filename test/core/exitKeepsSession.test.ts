/**
 * Issue 12 item 1: a script's `exit N` ends its run with N and never ends the session, on bash
 * and on dash (a login shell that is not bash gets /bin/sh, which is dash here), live and durable.
 * dash's shell never ends on `exit` (the same process goes on, functions included); what does
 * end it (`set -e`, `\exit`) makes it go on in a fork with everything; bash's restarts in place
 * with its state. A shell that really dies (kill -9) is replaced by the next
 * run, which says that the state was reset.
 */
import * as assert from 'assert';
import { SessionPool } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { cli, ensureBuilt, reapRemoteShells } from './helpers/durable';
import { bedRequest, collect, isLive, show, tmpDir, type Collected } from './helpers/engine';
import * as fs from 'fs';

const LOGINS: [string, string | undefined, 'bash' | 'sh'][] = [
  ['bash', undefined, 'bash'],
  ['dash', '/bin/dash', 'sh'],
];

for (const [label, loginShell, sessionShell] of LOGINS) {
  for (const durable of [false, true]) {
    describe(`exit ends the run, not the session (${label} login, ${durable ? 'durable' : 'live'} session)`, function () {
      this.timeout(60_000);
      let bed: TestBed;
      let pool: SessionPool;
      before(async () => {
        bed = await startTestBed({ count: 1, loginShell });
        pool = new SessionPool({ durable });
      });
      after(async () => {
        await pool.closeAll();
        await bed.stop();
      });

      const run = async (text: string) => {
        const c = await collect(bedRequest(bed, { targets: ['host1'], script: { text }, sessions: pool }));
        return { result: c.result('host1'), out: c.lines('host1'), err: c.lines('host1', 'stderr'), all: c };
      };

      it(`the session shell is ${sessionShell}`, async () => {
        const r = await run('[ -n "$BASH_VERSION" ] && echo bash || echo sh');
        assert.deepStrictEqual(r.out, [sessionShell], show(r.all));
      });

      it('`exit 3` fails the run with 3; functions, variables, exported env, cwd, umask, aliases and traps survive', async () => {
        const set = await run(
          [
            'kept=one; export EXPORTED=two; cd /tmp; umask 027',
            'greet() { echo "hello $1"; }',
            sessionShell === 'bash' ? 'shopt -s expand_aliases' : ':',
            "alias say='echo said'",
            "trap 'echo got-usr2' USR2",
            'echo before; exit 3; echo never',
          ].join('\n'),
        );
        assert.strictEqual(set.result.status, 'Failed', show(set.all));
        assert.strictEqual(set.result.exitCode, 3);
        assert.deepStrictEqual(set.out, ['before']);
        assert.strictEqual(set.result.notice, undefined, show(set.all));
        const check = await run('echo "$kept $EXPORTED $(pwd) $(umask)"; env | grep "^EXPORTED="; say it; greet you; kill -USR2 $$');
        assert.strictEqual(check.result.status, 'Completed', show(check.all));
        assert.deepStrictEqual(check.out, ['one two /tmp 0027', 'EXPORTED=two', 'said it', 'hello you', 'got-usr2'], show(check.all));
        await run("trap - USR2");
      });

      if (sessionShell === 'sh') {
        it('an `exit` the alias cannot reach (`\\exit`, `command exit`), or a sh that cannot unwind, still ends the run with its code, and the shell goes on in a fork with everything', async () => {
          await run('kept=yes; g() { echo "g kept"; }');
          const escaped = await run('\\exit 5; echo never');
          const commanded = await run('command exit 6');
          // What a sh where the abort would not stop the script gets (mksh, yash): the real exit.
          const noUnwind = await run('__ri_ax=0; false; exit 4');
          for (const [r, code] of [[escaped, 5], [commanded, 6], [noUnwind, 4]] as const) {
            assert.strictEqual(r.result.exitCode, code, show(r.all));
            assert.deepStrictEqual(r.out, []);
            assert.strictEqual(r.result.notice, undefined, show(r.all));
          }
          assert.deepStrictEqual((await run('g')).out, ['g kept']);
          const back = await run('unset __ri_ax; echo "$kept"; f() { echo f; }; exit 7');
          assert.deepStrictEqual([back.out, back.result.exitCode, back.result.notice], [['yes'], 7, undefined], show(back.all));
          assert.deepStrictEqual((await run('f')).out, ['f']);
        });

        it('after `exit` the shell is the very same process: it still knows the background job it started', async () => {
          const started = await run('echo "$$"; sleep 0.3 & bg=$!; exit 3');
          assert.strictEqual(started.result.exitCode, 3, show(started.all));
          // A restarted shell (a new program in the same pid) would say the pid is not its child (127).
          const waited = await run('echo "$$"; wait "$bg"; echo "waited $?"');
          assert.deepStrictEqual(waited.out, [started.out[0], 'waited 0'], show(waited.all));
        });
      }

      it('functions defined before an `exit` in a function, in a signal trap or in the EXIT trap, or before a shell error, are callable in the next run', async () => {
        const inFunction = await run('f1() { echo one; }; leave() { exit 4; }; leave; echo never');
        assert.strictEqual(inFunction.result.exitCode, 4, show(inFunction.all));
        assert.deepStrictEqual(inFunction.out, []);
        const inTrap = await run("f2() { echo two; }; trap 'echo caught; exit 7' USR1; kill -USR1 $$; echo never");
        assert.strictEqual(inTrap.result.exitCode, 7, show(inTrap.all));
        assert.deepStrictEqual(inTrap.out, ['caught']);
        const inExitTrap = await run("f3() { echo three; }; trap 'echo cleanup; exit 8' EXIT; exit 2");
        assert.strictEqual(inExitTrap.result.exitCode, 8, show(inExitTrap.all));
        assert.deepStrictEqual(inExitTrap.out, ['cleanup']);
        // An expansion error ends a non-interactive sh; here it ends only the run (status 2 on both shells).
        const error = await run('f4() { echo four; }; : "${missing?is not set}"; echo never');
        assert.notStrictEqual(error.result.exitCode, 0, show(error.all));
        assert.deepStrictEqual(error.out, []);
        assert.match(error.err.join('\n'), /missing/);
        // `set -eu` left on does not turn the `exit` into a tripped `set -e`.
        const strict = await run('set -eu; f5() { echo five; }; leave() { exit 5; }; leave; echo never');
        assert.strictEqual(strict.result.exitCode, 5, show(strict.all));
        const check = await run('f1; f2; f3; f4; f5; trap - USR1');
        assert.strictEqual(check.result.status, 'Completed', show(check.all));
        assert.deepStrictEqual(check.out, ['one', 'two', 'three', 'four', 'five'], show(check.all));
        for (const r of [inFunction, inTrap, inExitTrap, error, strict]) assert.strictEqual(r.result.notice, undefined, show(r.all));
      });

      it('with `set -x` on, an `exit` traces as the exit line and nothing of the framing', async () => {
        const traced = await run('set -x; echo a; exit 3');
        assert.strictEqual(traced.result.exitCode, 3, show(traced.all));
        assert.strictEqual(traced.err.length, 2, `${show(traced.all)} ${JSON.stringify(traced.err)}`);
        assert.match(traced.err[0], /^\++ echo a$/);
        assert.match(traced.err[1], /^\++ \S*exit 3$/);
        await run('set +x');
      });

      it('`exit` inside loops and nested functions ends the run; a later `break` outside any loop is harmless', async () => {
        const loops = await run('f() { for i in 1 2 3; do while :; do [ $i = 2 ] && exit 12; break; done; echo "i=$i"; done; }; g() { f; echo never; }; g');
        assert.strictEqual(loops.result.exitCode, 12, show(loops.all));
        assert.deepStrictEqual(loops.out, ['i=1']);
        const stray = await run('echo a; break; continue; echo b');
        assert.strictEqual(stray.result.status, 'Completed', show(stray.all));
        assert.deepStrictEqual(stray.out, ['a', 'b']);
        const next = await run('for i in 1 2; do echo "n=$i"; done');
        assert.deepStrictEqual(next.out, ['n=1', 'n=2'], show(next.all));
      });

      it('`exit` keeps exit\'s own meanings: a bad number fails with 2, 256 is 0, a sourced file and a subshell end only themselves', async () => {
        const bad = await run('exit foo; echo never');
        assert.strictEqual(bad.result.exitCode, 2, show(bad.all));
        assert.deepStrictEqual(bad.out, []);
        assert.match(bad.err.join('\n'), /foo/);
        const wrapped = await run('exit 256');
        assert.strictEqual(wrapped.result.status, 'Completed', show(wrapped.all));
        const leadingZero = await run('exit 010');
        assert.strictEqual(leadingZero.result.exitCode, 10, show(leadingZero.all));
        const nested = await run(
          'printf "echo in-dot; exit 6; echo never\\n" >/tmp/ri-exit-dot.$$; . /tmp/ri-exit-dot.$$; echo never; rm -f /tmp/ri-exit-dot.$$',
        );
        assert.strictEqual(nested.result.exitCode, 6, show(nested.all));
        assert.deepStrictEqual(nested.out, ['in-dot']);
        const subs = await run('v=$(echo x; exit 3); echo "cs $? $v"; echo y | exit 4; echo "pipe $?"; (exit 5); echo "sub $?"');
        assert.strictEqual(subs.result.status, 'Completed', show(subs.all));
        assert.deepStrictEqual(subs.out, ['cs 3 x', 'pipe 4', 'sub 5']);
        await run('rm -f /tmp/ri-exit-dot.*');
      });

      if (!durable) {
        it('a background job ends with its script\'s `exit` code, which `job wait` reports', async () => {
          ensureBuilt();
          const st = tmpDir('exit-job');
          const F = ['-F', bed.sshConfigPath];
          let id = '';
          try {
            const started = await cli(['run', ...F, '--as-job', '-H', 'host1', '-c', 'f() { exit 4; }; echo before; f; echo never'], st);
            assert.strictEqual(started.code, 0, started.stderr);
            id = started.stdout.split('\n')[0];
            const waited = await cli(['job', 'wait', id, ...F], st);
            assert.match(waited.stdout, /^ {2}host1: Failed \(exit 4\)/m, waited.stdout + waited.stderr);
            const received = await cli(['job', 'receive', id, ...F], st);
            assert.deepStrictEqual(received.stdout.split('\n').filter(Boolean), ['host1: before'], received.stderr);
          } finally {
            if (id) await cli(['job', 'remove', id, ...F], st);
            reapRemoteShells(bed.homeDir);
            fs.rmSync(st, { recursive: true, force: true });
          }
        });

        it('a one-shot run (no session) ends with its `exit` code too', async () => {
          const c = await collect(bedRequest(bed, { targets: ['host1'], script: { text: 'f() { echo in-f; exit 3; }; f; echo never' } }));
          assert.strictEqual(c.result('host1').status, 'Failed', show(c));
          assert.strictEqual(c.result('host1').exitCode, 3);
          assert.deepStrictEqual(c.lines('host1'), ['in-f']);
        });
      }

      if (sessionShell === 'sh') {
        /**
         * Live processes in the session shell's process group (`$$` is the first shell, which
         * stays), once the count holds still: a fork that handed over may still be exiting.
         */
        const groupOf = async () => {
          const r = await run('echo "$$"');
          const pgidOf = (pid: string) => {
            try {
              const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
              return st.slice(st.lastIndexOf(')') + 2).split(' ')[2];
            } catch {
              return undefined;
            }
          };
          const pgid = pgidOf(r.out[0]);
          const count = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && isLive(Number(p)) && pgidOf(p) === pgid).length;
          let last = count();
          for (let i = 0; i < 20; i++) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            const now = count();
            if (now === last) break;
            last = now;
          }
          return last;
        };

        /** Runs `body` in a session of its own, whose shell has not gone on in a fork yet. */
        const inOwnSession = async (body: (request: (text: string, timeoutMs?: number) => Promise<Collected>) => Promise<void>) => {
          const own = new SessionPool({ durable });
          try {
            await body((text, timeoutMs) =>
              collect(bedRequest(bed, { targets: ['host1'], script: { text }, sessions: own, ...(timeoutMs ? { timeoutMs } : {}) })),
            );
          } finally {
            await own.closeAll();
          }
        };

        it('`set -e` tripping again and again: every function stays, `kill -SIG $$` still reaches the shell, and the forks do not stack up', async () => {
          const first = await run('set -e; t1() { echo t1; }; false; echo never');
          assert.deepStrictEqual([first.out, first.result.exitCode, first.result.notice], [[], 1, undefined], show(first.all));
          const once = await groupOf();
          for (const n of [2, 3, 4, 5]) {
            const again = await run(`t${n}() { echo t${n}; }; set -e; false; echo never`);
            assert.deepStrictEqual([again.out, again.result.exitCode], [[], 1], show(again.all));
          }
          assert.strictEqual(await groupOf(), once, 'one waiting first shell and one live shell, however many times it ended');
          const all = await run("t1; t2; t3; t4; t5; trap 'echo usr1' USR1; kill -USR1 $$; trap - USR1; echo after");
          assert.deepStrictEqual(all.out, ['t1', 't2', 't3', 't4', 't5', 'usr1', 'after'], show(all.all));
        });

        it('a run stopped by its timeout ends alone: the session keeps its state (the stop signals the wrapper too, which outlives it)', async () => {
          await inOwnSession(async (request) => {
            await request('kept=yes; f() { echo f; }');
            const slow = await request('sleep 30', 1500);
            assert.strictEqual(slow.result('host1').status, 'TimedOut', show(slow));
            const after = await request('echo "$kept"; f');
            assert.deepStrictEqual(after.lines('host1'), ['yes', 'f'], show(after));
            assert.strictEqual(after.result('host1').notice, undefined);
          });
        });

        it('after `set -e` tripped, `$$` killed by another program still ends the session: that run fails, the next says the state was reset', async () => {
          await inOwnSession(async (request) => {
            await request('lost=yes; set -e; false');
            const killed = await request('/bin/kill -KILL $$; sleep 0.2; echo after');
            assert.notStrictEqual(killed.result('host1').status, 'Completed', show(killed));
            const next = await request('echo "lost=${lost:-no}"');
            assert.deepStrictEqual(next.lines('host1'), ['lost=no'], show(next));
            assert.match(next.result('host1').notice ?? '', /state was reset/);
          });
        });

        it('after `set -e` tripped, a run stopped by its timeout ends alone: the session and its functions stay', async () => {
          await run('set -e; kept() { echo kept; }; false');
          const slow = await collect(bedRequest(bed, { targets: ['host1'], script: { text: 'echo started; sleep 30' }, sessions: pool, timeoutMs: 1500 }));
          assert.strictEqual(slow.result('host1').status, 'TimedOut', show(slow));
          const after = await run('kept');
          assert.deepStrictEqual(after.out, ['kept'], show(after.all));
          assert.strictEqual(after.result.notice, undefined);
        });

        it('where a fork would not go on as the shell (busybox sh), the shell restarts without its functions and says so', async () => {
          await inOwnSession(async (request) => {
            // What the boot's question finds in busybox sh, whose forked child ends without its own EXIT trap.
            await request('__ri_fk=0; lost() { echo lost; }; kept=yes');
            const tripped = (await request('set -e; false')).result('host1');
            assert.match(tripped.notice ?? '', /not its functions/, JSON.stringify(tripped));
            const after = await request('echo "$kept"; lost');
            assert.deepStrictEqual(after.lines('host1'), ['yes'], show(after));
            assert.strictEqual(after.result('host1').exitCode, 127);
          });
        });
      }

      it('`exit 0` completes; `exit` with no number keeps the last status', async () => {
        const zero = await run('n=5; exit 0');
        assert.strictEqual(zero.result.status, 'Completed', show(zero.all));
        assert.strictEqual(zero.result.exitCode, 0);
        const bare = await run('false; exit');
        assert.strictEqual(bare.result.exitCode, 1, show(bare.all));
        const after = await run('echo "n=$n"');
        assert.deepStrictEqual(after.out, ['n=5']);
      });

      it('`set -e` tripping, `exit` in a function, a subshell `exit` and `exit` in a trap', async () => {
        const errexit = await run('set -e; e1=set; fe() { echo fe; }; false; echo never');
        assert.strictEqual(errexit.result.exitCode, 1, show(errexit.all));
        assert.deepStrictEqual(errexit.out, []);
        // No sh construct catches a tripped `set -e`: bash restarts in place with its state, and
        // dash goes on in a fork it makes as it ends. Either way nothing is lost, functions included.
        assert.strictEqual(errexit.result.notice, undefined, show(errexit.all));
        const fe = await run('fe');
        assert.deepStrictEqual(fe.out, ['fe'], show(fe.all));
        const inFunction = await run('f() { e2=set; exit 4; }; f; echo never');
        assert.strictEqual(inFunction.result.exitCode, 4, show(inFunction.all));
        const subshell = await run('(exit 5); echo "sub $?"; (exit 6)');
        assert.deepStrictEqual(subshell.out, ['sub 5']);
        assert.strictEqual(subshell.result.exitCode, 6, show(subshell.all));
        const signalTrap = await run("trap 'echo caught; exit 7' USR1; e3=set; kill -USR1 $$; echo never");
        assert.strictEqual(signalTrap.result.exitCode, 7, show(signalTrap.all));
        assert.deepStrictEqual(signalTrap.out, ['caught']);
        const exitTrap = await run("trap 'echo cleanup; exit 8' EXIT; e4=set; exit 2");
        assert.deepStrictEqual(exitTrap.out, ['cleanup']);
        assert.strictEqual(exitTrap.result.exitCode, 8, show(exitTrap.all));
        const check = await run('echo "$e1 $e2 $e3 $e4"; (exit 0)');
        assert.strictEqual(check.result.status, 'Completed', show(check.all));
        assert.deepStrictEqual(check.out, ['set set set set']);
      });

      it('output the script sent elsewhere does not take the markers: `exec >/dev/null` then `exit`', async () => {
        const r = await run('exec >/dev/null 2>&1; echo hidden; exit 9');
        assert.strictEqual(r.result.exitCode, 9, show(r.all));
        const after = await run('echo visible');
        assert.deepStrictEqual(after.out, ['visible'], show(after.all));
      });

      it('a shell that really dies (kill -9 $$): the next run opens a new session, runs, and says the state was reset', async () => {
        await run('lost=yes');
        const killed = await run('kill -9 $$');
        assert.notStrictEqual(killed.result.status, 'Completed', show(killed.all));
        const next = await run('echo "lost=${lost:-no}"');
        assert.strictEqual(next.result.status, 'Completed', show(next.all));
        assert.deepStrictEqual(next.out, ['lost=no']);
        assert.match(next.result.notice ?? '', /state was reset/);
        const again = await run('echo fine');
        assert.strictEqual(again.result.notice, undefined);
      });
    });
  }
}
