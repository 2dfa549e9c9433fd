/**
 * invoke() against real OpenSSH sshd on loopback: fan-out, per-host results, unreachable and
 * unresolvable hosts, throttle, timeouts and cancellation that stop the remote processes,
 * arguments and scripts that arrive byte-exact, CRLF, empty stdin, separate streams.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { invoke, SshConfigFile, type InvokeEvent } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import {
  bedRequest,
  collect,
  decodeArgLines,
  delay,
  descendantsOf,
  INJECTION_ARGS,
  INJECTION_FILES,
  isLive,
  kill0,
  PRINT_ARGS_B64,
  show,
  tmpDir,
  waitFor,
} from './helpers/engine';

describe('invoke (real sshd)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let work: string;
  const good = ['host1', 'host2', 'host3'];

  before(async () => {
    bed = await startTestBed({ count: 7 });
    bed.stopHost('host7'); // a host whose address refuses connections
    work = tmpDir('invoke');
    for (const f of INJECTION_FILES) fs.rmSync(f, { force: true });
  });
  after(async () => {
    await bed?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const req = (fields: Parameters<typeof bedRequest>[1]) => bedRequest(bed, fields);
  const run = (text: string, targets = ['host1'], extra: Partial<Parameters<typeof bedRequest>[1]> = {}) =>
    collect(req({ script: { text }, targets, ...extra }));

  describe('fan-out and per-host results', () => {
    it('an unreachable host and an unresolvable name among good hosts: the others complete', async () => {
      const targets = ['host1', 'host7', 'host2', 'nosuch.invalid', 'host3'];
      const c = await run('echo "hello from $1"', targets, { args: ['x'] });
      assert.deepStrictEqual(
        c.results.map((r) => [r.host, r.status]),
        [
          ['host1', 'Completed'],
          ['host7', 'Unreachable'],
          ['host2', 'Completed'],
          ['nosuch.invalid', 'Unreachable'],
          ['host3', 'Completed'],
        ],
        show(c),
      );
      for (const h of good) {
        assert.deepStrictEqual(c.lines(h), ['hello from x']);
        assert.strictEqual(c.result(h).exitCode, 0);
        assert.strictEqual(c.result(h).error, null);
      }
      assert.match(c.result('host7').error ?? '', /ECONNREFUSED|refused/i);
      assert.match(c.result('nosuch.invalid').error ?? '', /resolve/i);
      assert.strictEqual(c.result('host7').exitCode, null);
      for (const r of c.results) assert.ok(Number.isFinite(r.durationMs) && r.durationMs >= 0);
    });

    it('each host: one start event, its output, then exactly one result', async () => {
      const c = await run('echo a; echo b >&2; echo c', good);
      for (const h of good) {
        const mine = c.events.filter((e) => e.host === h);
        assert.strictEqual(mine[0].type, 'start');
        assert.strictEqual(mine[mine.length - 1].type, 'result');
        assert.strictEqual(mine.filter((e) => e.type === 'result').length, 1);
        assert.strictEqual(mine.filter((e) => e.type === 'start').length, 1);
      }
      assert.strictEqual(c.events.filter((e) => e.type === 'result').length, 3);
    });

    it('a repeated target runs once', async () => {
      const c = await run('echo once', ['host1', 'host1', 'host2']);
      assert.deepStrictEqual(c.results.map((r) => r.host), ['host1', 'host2']);
      assert.deepStrictEqual(c.lines('host1'), ['once']);
    });

    it('targets as user@address:port work without ssh_config aliases', async () => {
      const h = bed.hosts[0];
      const spec = `${bed.user}@${h.address}:${h.port}`;
      const c = await collect({
        script: { text: 'echo direct' },
        targets: [spec],
        knownHostsFiles: [bed.knownHostsPath],
        strictHostKeyChecking: 'yes',
        // the bed's client key is authorized; name it through a config that matches the address
        sshConfig: SshConfigFile.fromText(`Host ${h.address}\n  IdentityFile ${bed.clientKeyPath}\n  IdentitiesOnly yes\n`),
      });
      assert.strictEqual(c.result(spec).status, 'Completed', show(c));
      assert.deepStrictEqual(c.lines(spec), ['direct']);
    });

    it('a non-zero exit is Failed with its exit code; stdout and stderr stay apart', async () => {
      const c = await run('echo out1; echo err1 >&2; echo out2; printf "err2" >&2; exit 7');
      const r = c.result('host1');
      assert.deepStrictEqual([r.status, r.exitCode, r.signal], ['Failed', 7, null]);
      assert.deepStrictEqual(c.lines('host1', 'stdout'), ['out1', 'out2']);
      assert.deepStrictEqual(c.lines('host1', 'stderr'), ['err1', 'err2']);
    });

    it('output written just before the script exits its shell arrives in full, on both streams', async () => {
      const c = await run('i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo "o$i"; echo "e$i" >&2; done; exit 3', good);
      const want = (p: string) => Array.from({ length: 300 }, (_, i) => `${p}${i + 1}`);
      for (const h of good) {
        assert.deepStrictEqual([c.result(h).status, c.result(h).exitCode], ['Failed', 3], show(c));
        assert.deepStrictEqual(c.lines(h, 'stdout'), want('o'), `${h} stdout`);
        assert.deepStrictEqual(c.lines(h, 'stderr'), want('e'), `${h} stderr: got ${c.lines(h, 'stderr').length} of 300 lines`);
      }
    });

    it('a script killed by a signal is Failed with the signal', async () => {
      const c = await run('echo before; kill -KILL $$');
      const r = c.result('host1');
      assert.strictEqual(r.status, 'Failed', show(c));
      assert.strictEqual(r.signal, 'SIGKILL');
      assert.deepStrictEqual(c.lines('host1'), ['before']);
    });

    it('an empty script completes', async () => {
      const c = await run('', good);
      for (const h of good) assert.strictEqual(c.result(h).status, 'Completed');
    });

    it('throttle 2 over 6 hosts: never more than 2 in flight, and 2 do overlap', async () => {
      const targets = ['host1', 'host2', 'host3', 'host4', 'host5', 'host6'];
      let inFlight = 0;
      let peak = 0;
      const c = await collect(req({ script: { text: 'sleep 0.3; echo done' }, targets, throttle: 2 }), (e) => {
        if (e.type === 'start') peak = Math.max(peak, ++inFlight);
        if (e.type === 'result') inFlight--;
      });
      assert.strictEqual(peak, 2);
      assert.strictEqual(inFlight, 0);
      for (const h of targets) assert.strictEqual(c.result(h).status, 'Completed', show(c));
      // 3 waves of >= 300 ms each
      assert.ok(c.elapsedMs >= 900, `elapsed ${c.elapsedMs}`);
    });

    it('the default throttle lets all 6 hosts run at once', async () => {
      let inFlight = 0;
      let peak = 0;
      const targets = ['host1', 'host2', 'host3', 'host4', 'host5', 'host6'];
      await collect(req({ script: { text: 'sleep 0.5' }, targets }), (e) => {
        if (e.type === 'start') peak = Math.max(peak, ++inFlight);
        if (e.type === 'result') inFlight--;
      });
      assert.strictEqual(peak, 6);
    });

    it('many hosts in flight raise no MaxListenersExceededWarning (it would land on the CLI user\'s stderr)', async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
      process.on('warning', onWarning);
      try {
        const targets = ['host1', 'host2', 'host3', 'host4', 'host5', 'host6'];
        const c = await run('sleep 0.2', targets);
        for (const h of targets) assert.strictEqual(c.result(h).status, 'Completed');
        await delay(50); // warnings are emitted on the next tick
      } finally {
        process.off('warning', onWarning);
      }
      assert.deepStrictEqual(warnings.filter((w) => /MaxListeners/.test(w)), []);
    });

    it('results resolve even when nobody iterates the events', async () => {
      const r = invoke(req({ script: { text: 'seq 1 50000' }, targets: good }));
      const results = await r.results;
      assert.deepStrictEqual(results.map((x) => x.status), ['Completed', 'Completed', 'Completed']);
    });
  });

  describe('arguments arrive as exactly the strings given', () => {
    const expectNoInjection = () => {
      for (const f of INJECTION_FILES) assert.ok(!fs.existsSync(f), `${f} was created: an argument was executed`);
    };

    it('sourced into the default shell', async () => {
      const c = await run(PRINT_ARGS_B64, good, { args: INJECTION_ARGS });
      for (const h of good) {
        assert.strictEqual(c.result(h).status, 'Completed', show(c));
        assert.deepStrictEqual(decodeArgLines(c.lines(h)), INJECTION_ARGS);
      }
      expectNoInjection();
    });

    it('under a bash shebang and under sh -e (own process)', async () => {
      for (const head of ['#!/bin/bash\n', '#!/bin/sh -e\n']) {
        const c = await run(head + PRINT_ARGS_B64, ['host1'], { args: INJECTION_ARGS });
        assert.strictEqual(c.result('host1').status, 'Completed', head + show(c));
        assert.deepStrictEqual(decodeArgLines(c.lines('host1')), INJECTION_ARGS, head);
      }
      expectNoInjection();
    });

    it('under python3 (a non-shell interpreter)', async function () {
      if (!fs.existsSync('/usr/bin/python3')) this.skip();
      const py = [
        '#!/usr/bin/env python3',
        'import sys, base64',
        'print("argc=%d" % (len(sys.argv) - 1))',
        'for a in sys.argv[1:]:',
        '    print(base64.b64encode(a.encode("utf-8", "surrogateescape")).decode())',
        '',
      ].join('\n');
      const c = await run(py, ['host1'], { args: INJECTION_ARGS });
      assert.strictEqual(c.result('host1').status, 'Completed', show(c) + c.lines('host1', 'stderr').join('\n'));
      assert.deepStrictEqual(decodeArgLines(c.lines('host1')), INJECTION_ARGS);
      expectNoInjection();
    });

    it('no arguments means $# is 0, even after a run that had some (one-shot)', async () => {
      const c = await run('echo "$#"', ['host1'], { args: [] });
      assert.deepStrictEqual(c.lines('host1'), ['0']);
    });
  });

  describe('the script arrives intact', () => {
    it('no trailing newline; the last output line without newline is still a line', async () => {
      const c = await run('echo first\nprintf "no newline at the end"');
      assert.deepStrictEqual(c.lines('host1'), ['first', 'no newline at the end']);
      const d = await run('echo a # a comment without newline');
      assert.deepStrictEqual(d.lines('host1'), ['a']);
    });

    it('lines that look like protocol markers pass through as output', async () => {
      const fakes = [
        `RI${'0123456789abcdef'.repeat(2)} E 1 0`,
        `RI${'f'.repeat(32)} E 2 0`,
        `RI${'a'.repeat(32)} H 1 1 bash /tmp/x`,
        'RI E 1 0',
      ];
      const script = fakes.map((f) => `echo '${f}'\necho '${f}' >&2`).join('\n') + '\necho after';
      const c = await run(script);
      assert.strictEqual(c.result('host1').status, 'Completed');
      assert.deepStrictEqual(c.lines('host1'), [...fakes, 'after']);
      assert.deepStrictEqual(c.lines('host1', 'stderr'), fakes);
      // and as text of the script itself, with its own marker-looking lines in a heredoc
      const heredoc = `cat <<'EOF'\n${fakes.join('\n')}\nEOF\n`;
      assert.deepStrictEqual((await run(heredoc)).lines('host1'), fakes);
    });

    it("quotes, $(), backticks, backslashes and non-ASCII text survive", async () => {
      const body = [
        `it's "quoted" and 'single' \\ back\\\\slash`,
        '$(touch /tmp/ri-injected-dollar) `touch /tmp/ri-injected-backtick` ${HOME} $HOME',
        "'\\'' '\"' \"'\"",
        'ünïcödé ✓ 日本語 🚀 \u00a0nbsp',
        '\ttab-led line',
        '%s %d %% \\n \\0',
        '',
        'after an empty line',
      ];
      const c = await run(`cat <<'EOF'\n${body.join('\n')}\nEOF\necho "$(echo sub) \`echo tick\`"`);
      assert.deepStrictEqual(c.lines('host1'), [...body, 'sub tick']);
      for (const f of INJECTION_FILES) assert.ok(!fs.existsSync(f), f);
    });

    it('1 MB of text in a heredoc comes back exactly', async () => {
      const lines: string[] = [];
      let size = 0;
      for (let i = 0; size < 1024 * 1024; i++) {
        const l = `${i} ${i % 7 === 0 ? "quote ' \" $x $(nope) `nope` \\" : 'plain line'} ${i % 11 === 0 ? 'ünï ✓' : ''} ${'x'.repeat(i % 97)}`;
        lines.push(l);
        size += Buffer.byteLength(l) + 1;
      }
      lines.push(`RI${'0'.repeat(32)} E 1 0`);
      const script = `cat <<'EOF'\n${lines.join('\n')}\nEOF`;
      assert.ok(Buffer.byteLength(script) > 1024 * 1024);
      const c = await run(script, ['host1', 'host2']);
      for (const h of ['host1', 'host2']) {
        assert.strictEqual(c.result(h).status, 'Completed', show(c));
        const got = c.lines(h);
        assert.strictEqual(got.length, lines.length);
        assert.ok(got.every((l, i) => l === lines[i]), 'a line differs');
      }
    });

    it('a CRLF script runs under sh (converted), and keeps its CRs when conversion is off', async () => {
      const script = 'x=one\r\necho "$x"\r\nif true; then\r\n  echo two\r\nfi\r\n';
      const c = await run(script);
      assert.strictEqual(c.result('host1').status, 'Completed', show(c));
      assert.deepStrictEqual(c.lines('host1'), ['one', 'two']);
      const f = await run(script, ['host1'], { script: { text: script, fileName: 'win.sh' } });
      assert.deepStrictEqual(f.lines('host1'), ['one', 'two']);
      const off = await run('echo one\r\n', ['host1'], { convertCrlf: false });
      assert.deepStrictEqual(off.lines('host1'), ['one\r']);
    });

    it('the interpreter comes from the shebang, else the extension, else the login shell', async function () {
      const hasPy = fs.existsSync('/usr/bin/python3');
      const bash = await run('echo "${BASH_VERSION:+bash}"');
      // the bed user's login shell is bash; a script without shebang runs in it
      assert.deepStrictEqual(bash.lines('host1'), ['bash']);
      const sh = await run('#!/bin/sh -e\necho "${BASH_VERSION:-notbash}"\n');
      assert.deepStrictEqual(sh.lines('host1'), ['notbash']);
      if (hasPy) {
        const py = await run('print(40 + 2)', ['host1'], { script: { text: 'print(40 + 2)', fileName: 'calc.py' } });
        assert.deepStrictEqual(py.lines('host1'), ['42'], show(py));
        const ov = await run('import sys; print(sys.version_info[0])', ['host1'], { shell: 'python3' });
        assert.deepStrictEqual(ov.lines('host1'), ['3']);
      }
    });
  });

  describe('scripts that rearrange the shell they are sourced into', () => {
    // A script without a shebang is sourced into the session shell, so what it does to that
    // shell's file descriptors and options must not reach the framing. The timeouts only keep a
    // failing test from hanging; a correct engine ends these runs at once.
    it('`exec 2>&1` (merge stderr into stdout): the run still ends, Completed', async () => {
      const c = await run('exec 2>&1\necho to-stderr >&2\necho out', ['host1'], { timeoutMs: 3000 });
      assert.strictEqual(c.result('host1').status, 'Completed', show(c));
      assert.deepStrictEqual(c.lines('host1'), ['to-stderr', 'out']);
    });

    it('`exec >/dev/null` (silence the rest of the script): the run still ends, Completed', async () => {
      const c = await run('echo visible\nexec >/dev/null\necho hidden', ['host1'], { timeoutMs: 3000 });
      assert.strictEqual(c.result('host1').status, 'Completed', show(c));
      assert.deepStrictEqual(c.lines('host1'), ['visible']);
    });

    it('a script that takes file descriptors 3-9 for itself (`exec 7>file`, flock-style) still ends', async () => {
      const lock = path.join(work, 'fd-lock');
      const c = await run(`for fd in 3 4 5 6 7 8 9; do eval "exec $fd>>'${lock}'"; done\necho locked`, ['host1'], { timeoutMs: 3000 });
      assert.strictEqual(c.result('host1').status, 'Completed', show(c));
      assert.deepStrictEqual(c.lines('host1'), ['locked']);
      assert.strictEqual(fs.readFileSync(lock, 'utf8'), '', 'framing output went into the script\'s file');
    });

    it('`set -x`: the trace shows the script only, never the framing or its token', async () => {
      const c = await run('set -x\necho traced', ['host1'], { timeoutMs: 3000 });
      assert.strictEqual(c.result('host1').status, 'Completed', show(c));
      assert.deepStrictEqual(c.lines('host1'), ['traced']);
      const stderr = c.lines('host1', 'stderr');
      assert.ok(stderr.some((l) => /\+ echo traced$/.test(l)), JSON.stringify(stderr));
      const leaked = stderr.filter((l) => /__ri_|RI[0-9a-f]{32}|trap : TERM/.test(l));
      assert.deepStrictEqual(leaked, [], 'framing commands leaked into the output');
    });
  });

  describe('stdin is empty', () => {
    it('`cat; echo done` ends at once', async () => {
      const c = await run('cat; echo done', good);
      for (const h of good) assert.deepStrictEqual(c.lines(h), ['done']);
      assert.ok(c.elapsedMs < 5000, `took ${c.elapsedMs} ms`);
    });

    it('`read x` gets EOF', async () => {
      const c = await run('read x; echo "rc=$? x=[$x]"');
      assert.deepStrictEqual(c.lines('host1'), ['rc=1 x=[]']);
    });

    it('an interpreter reading stdin gets EOF too', async function () {
      if (!fs.existsSync('/usr/bin/python3')) this.skip();
      const c = await run('import sys; print(repr(sys.stdin.read()))', ['host1'], { shell: 'python3' });
      assert.deepStrictEqual(c.lines('host1'), ["''"]);
    });
  });

  describe('timeouts and cancellation stop the remote processes', () => {
    /** Starts a background and a foreground sleep, records their pids, says "started". */
    const sleeper = (tag: string) => {
      const bg = path.join(work, `${tag}.bg.pid`);
      const fg = path.join(work, `${tag}.fg.pid`);
      const script = [
        `sleep 300 &`,
        `echo $! > '${bg}'`,
        `sh -c 'echo $$ > "$1"; echo started; exec sleep 301' sh '${fg}'`,
        `echo should-not-get-here`,
      ].join('\n');
      return { script, pids: () => [bg, fg].map((f) => Number(fs.readFileSync(f, 'utf8').trim())) };
    };

    async function expectGone(pids: number[], what: string): Promise<string> {
      const immediately = pids.filter(isLive);
      const gone = await waitFor(() => pids.every((p) => !isLive(p)), 3000);
      assert.ok(gone, `${what}: remote processes still alive: ${pids.filter(isLive).join(' ')}`);
      return immediately.length ? `(${immediately.length} still alive at the result, gone within 3 s)` : '(gone when the result arrived)';
    }

    it('--timeout: the host ends TimedOut and its sleep processes are gone', async () => {
      const s = sleeper('timeout');
      const started = Date.now();
      // long enough to connect on a loaded machine, so the script is running when the timeout hits
      const c = await run(s.script, ['host1'], { timeoutMs: 2500 });
      const took = Date.now() - started;
      const r = c.result('host1');
      assert.strictEqual(r.status, 'TimedOut', show(c));
      assert.match(r.error ?? '', /timed out/i);
      assert.ok(took < 2500 + 4000, `took ${took} ms`);
      assert.ok(c.lines('host1').includes('started'), `the script never started (connecting took too long?): ${show(c)}`);
      assert.ok(!c.lines('host1').includes('should-not-get-here'));
      const pids = s.pids();
      const note = await expectGone(pids, 'timeout');
      for (const p of pids) assert.strictEqual(kill0(p) && isLive(p), false);
      console.log(`      timeout ended in ${took} ms ${note}`);
    });

    it('a timeout hits only the slow host; the others complete', async () => {
      const mixed = await collect(
        req({
          script: { text: 'case "$SSH_CONNECTION" in *" ' + bed.hosts[1].address + ' "*) sleep 30;; *) echo quick;; esac' },
          targets: ['host1', 'host2', 'host3'],
          timeoutMs: 3000,
        }),
      );
      assert.deepStrictEqual(mixed.results.map((r) => r.status), ['Completed', 'TimedOut', 'Completed'], show(mixed));
      assert.deepStrictEqual(mixed.lines('host1'), ['quick']);
    });

    it('AbortSignal: the host ends Cancelled and its processes are gone', async () => {
      const s = sleeper('abort');
      const controller = new AbortController();
      const started = Date.now();
      const c = await collect(req({ script: { text: s.script }, targets: ['host1'], signal: controller.signal }), (e) => {
        if (e.type === 'output' && e.line === 'started') controller.abort();
      });
      const r = c.result('host1');
      assert.strictEqual(r.status, 'Cancelled', show(c));
      assert.ok(Date.now() - started < 5000);
      const note = await expectGone(s.pids(), 'abort');
      console.log(`      cancel ${note}`);
    });

    it('run.cancel() cancels every host; unstarted hosts end Cancelled without connecting', async () => {
      const r = invoke(req({ script: { text: 'echo started; sleep 60' }, targets: ['host1', 'host2', 'host3'], throttle: 2 }));
      const events: InvokeEvent[] = [];
      let cancelled = false;
      for await (const e of r) {
        events.push(e);
        if (!cancelled && events.filter((x) => x.type === 'output').length === 2) {
          cancelled = true;
          r.cancel();
        }
      }
      const results = await r.results;
      assert.deepStrictEqual(results.map((x) => x.status), ['Cancelled', 'Cancelled', 'Cancelled'], show(results));
      assert.ok(!events.some((e) => e.type === 'output' && e.host === 'host3'));
    });

    it('a signal already aborted: nothing runs', async () => {
      const marker = path.join(work, 'pre-aborted');
      const controller = new AbortController();
      controller.abort();
      const c = await run(`touch '${marker}'`, good, { signal: controller.signal });
      assert.deepStrictEqual(c.results.map((r) => r.status), ['Cancelled', 'Cancelled', 'Cancelled']);
      await delay(300);
      assert.ok(!fs.existsSync(marker));
    });
  });

  describe('a host that goes away mid-run', () => {
    it('a frozen host (SIGSTOP): ServerAliveInterval from ssh_config ends the run instead of hanging', async () => {
      const cfgPath = path.join(work, 'alive_config');
      fs.writeFileSync(cfgPath, fs.readFileSync(bed.sshConfigPath, 'utf8') + '\nHost *\n  ServerAliveInterval 1\n');
      let frozen: number[] = [];
      try {
        const c = await collect({ script: { text: 'echo started; sleep 60' }, targets: ['host5', 'host6'], sshConfig: SshConfigFile.load(cfgPath) }, (e) => {
          if (e.type === 'output' && e.host === 'host5' && e.line === 'started') {
            frozen = descendantsOf(bed.listenerPid('host5'));
            for (const p of frozen) process.kill(p, 'SIGSTOP');
          }
          if (e.type === 'output' && e.host === 'host6' && e.line === 'started') bed.killConnections('host6');
        });
        assert.ok(frozen.length > 0);
        for (const h of ['host5', 'host6']) {
          const r = c.result(h);
          assert.notStrictEqual(r.status, 'Completed', show(c));
          assert.ok(r.durationMs < 10_000, `${h} took ${r.durationMs} ms`);
        }
        assert.match(c.result('host5').error ?? '', /connection|lost/i, show(c));
      } finally {
        bed.killConnections('host5');
      }
    });
  });

  describe('a server that accepts TCP but never speaks SSH', () => {
    let server: net.Server;
    let port: number;
    const sockets: net.Socket[] = [];
    before(async () => {
      server = net.createServer((s) => {
        sockets.push(s);
        s.pause();
        s.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as net.AddressInfo).port;
    });
    after(() => {
      for (const s of sockets) s.destroy();
      server.close();
    });

    it('connect timeout: Unreachable, others unaffected', async () => {
      const silent = `127.0.0.1:${port}`;
      const c = await run('echo ok', ['host1', silent], { connectTimeoutMs: 1000 });
      assert.strictEqual(c.result('host1').status, 'Completed');
      assert.strictEqual(c.result(silent).status, 'Unreachable', show(c));
      assert.match(c.result(silent).error ?? '', /timed out/);
      assert.ok(c.result(silent).durationMs < 4000, show(c));
    });

    it('run timeout while still connecting: TimedOut', async () => {
      const silent = `127.0.0.1:${port}`;
      const c = await run('echo ok', [silent], { timeoutMs: 1000 });
      assert.strictEqual(c.result(silent).status, 'TimedOut', show(c));
      assert.ok(c.result(silent).durationMs < 4000, show(c));
    });

    it('the client destroys its TCP socket when it gives up (a half-open one would keep a CLI alive forever)', async () => {
      // This server never reads, so it never sees the client's FIN and never closes its side:
      // only a client that destroys its socket gets rid of it.
      const silent = `127.0.0.1:${port}`;
      const c = await run('echo ok', [silent, `root@${silent}`], { connectTimeoutMs: 500, timeoutMs: 400 });
      assert.deepStrictEqual(c.results.map((r) => r.status).sort(), ['TimedOut', 'TimedOut'], show(c));
      const open = () =>
        ((process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles() as unknown[]).filter(
          (h) => h instanceof net.Socket && h.remotePort === port && !h.destroyed,
        );
      const closed = await waitFor(() => open().length === 0, 1500);
      assert.ok(closed, `${open().length} client socket(s) to the silent server left open`);
    });
  });
});
