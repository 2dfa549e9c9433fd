/**
 * Issue 12 item 1: a script's `exit N` ends its run with N and never ends the session. The
 * session's shell restarts in place with its state, on bash and on dash (a login shell that is
 * not bash gets /bin/sh, which is dash here), live and durable. A shell that really dies (kill -9)
 * is replaced by the next run, which says that the state was reset.
 */
import * as assert from 'assert';
import { SessionPool } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { bedRequest, collect, show } from './helpers/engine';

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

      it('`exit 3` fails the run with 3; variables, exported env, cwd, umask, aliases (and on bash functions) survive', async () => {
        const set = await run(
          [
            'kept=one; export EXPORTED=two; cd /tmp; umask 027',
            'greet() { echo "hello $1"; }',
            sessionShell === 'bash' ? 'shopt -s expand_aliases' : ':',
            "alias say='echo said'",
            'echo before; exit 3; echo never',
          ].join('\n'),
        );
        assert.strictEqual(set.result.status, 'Failed', show(set.all));
        assert.strictEqual(set.result.exitCode, 3);
        assert.deepStrictEqual(set.out, ['before']);
        // bash keeps everything; a plain sh cannot list its functions, and the run says so.
        if (sessionShell === 'bash') assert.strictEqual(set.result.notice, undefined);
        else assert.match(set.result.notice ?? '', /not its functions/);
        const check = await run('echo "$kept $EXPORTED $(pwd) $(umask)"; env | grep "^EXPORTED="; say it');
        assert.strictEqual(check.result.status, 'Completed', show(check.all));
        assert.deepStrictEqual(check.out.slice(0, 3), ['one two /tmp 0027', 'EXPORTED=two', 'said it']);
        if (sessionShell === 'bash') {
          const fn = await run('greet you');
          assert.deepStrictEqual(fn.out, ['hello you']);
        }
      });

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
        const errexit = await run('set -e; e1=set; false; echo never');
        assert.strictEqual(errexit.result.exitCode, 1, show(errexit.all));
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
