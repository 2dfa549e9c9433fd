/**
 * PowerShell for real: `.ps1` files, `-c` text with `--shell pwsh` and PowerShell selections run
 * in a persistent pwsh host loop on real sshd hosts (no mocks). One scope carries over; the
 * seed's Invoke-Command examples work as written; errors, exit codes, cancel and timeout behave as
 * in PowerShell; `--var` and `--input` bring local values in; output objects arrive as JSON; the
 * session is durable like the POSIX one. POSIX runs get `--var`/`--input` and JSON-line objects.
 * Skipped (saying so) when pwsh is not installed; CI installs it with scripts/setup.sh.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { invoke, SessionPool, SshConfigFile, type InvokeEvent, type InvokeRequest, type ObjectEvent, type OutputEvent } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { PWSH_DIALECT, PWSH_START_COMMAND, PWSH_WINDOWS_DIALECT, PWSH_WINDOWS_START_COMMAND } from '../../src/core/session/pwsh/dialect';
import { cli, ensureBuilt, linesOf, numbered, reapRemoteShells, spawnCli } from './helpers/durable';
import { collect, delay, INJECTION_ARGS, INJECTION_FILES, show, tmpDir, type Collected } from './helpers/engine';
import { HAVE_PWSH, skipWithoutPwsh } from './helpers/pwsh';


const objects = (c: Collected, host: string) => c.events.flatMap((e) => (e.type === 'object' && e.host === host ? [(e as ObjectEvent).value] : []));
const tagged = (c: Collected, host: string) =>
  c.events.flatMap((e) => (e.type === 'output' && e.host === host && e.psStream ? [`${e.psStream}|${e.stream}|${e.line}`] : []));
const b64Lines = (lines: string[]) => lines.map((l) => Buffer.from(l, 'base64').toString('utf8'));

describe('PowerShell sessions (real pwsh on real sshd)', function () {
  this.timeout(120_000);
  let bed: TestBed;
  let base: Pick<InvokeRequest, 'sshConfig' | 'knownHostsFiles'>;
  let pool: SessionPool;
  const hosts = ['host1', 'host2'];
  const ps1 = (text: string, name = 'script.ps1') => ({ text, fileName: name });
  const run = (script: InvokeRequest['script'], extra: Partial<InvokeRequest> = {}) =>
    collect({ ...base, targets: hosts, sessions: pool, script, ...extra });

  before(async function () {
    skipWithoutPwsh(this);
    bed = await startTestBed({ count: 2 });
    base = { sshConfig: SshConfigFile.load(bed.sshConfigPath), knownHostsFiles: [bed.knownHostsPath] };
    pool = new SessionPool();
  });
  after(async () => {
    await pool?.closeAll().catch(() => undefined);
    await bed?.stop();
  });

  it('Example 4: $p = Get-Process -Id $PID in one run, $p.Id in the next, on every host', async () => {
    const first = await run(ps1('$p = Get-Process -Id $PID'));
    assert.deepStrictEqual(first.results.map((r) => r.status), ['Completed', 'Completed'], show(first));
    const second = await run(ps1('$p.Id\n$PID'));
    assert.deepStrictEqual(second.results.map((r) => r.status), ['Completed', 'Completed'], show(second));
    for (const host of hosts) {
      const [id, pid] = second.lines(host);
      assert.ok(/^\d+$/.test(id), `${host}: ${second.lines(host)}`);
      assert.strictEqual(id, pid, 'the process the first run saw is the session itself');
    }
    assert.notStrictEqual(second.lines('host1')[0], second.lines('host2')[0], 'one PowerShell per host');
  });

  it('Examples 11 and 12 as the seed writes them: Param binds by position, $args carries the arguments', async () => {
    const dir = tmpDir('pwsh-ex11');
    for (const f of ['a.txt', 'b.txt', 'c.log']) fs.writeFileSync(path.join(dir, f), '');
    const ex11 = await run(ps1('Param ($param1, $param2)\nGet-ChildItem -Name $param1 -Include $param2\n'), { args: [path.join(dir, '*'), '*.txt'] });
    for (const host of hosts) assert.deepStrictEqual(ex11.lines(host), ['a.txt', 'b.txt'], show(ex11));
    const ex12 = await run(ps1('Write-Output $args\n'), { args: ['C:\\Test', '*.txt'] });
    for (const host of hosts) assert.deepStrictEqual(ex12.lines(host), ['C:\\Test', '*.txt'], show(ex12));
  });

  it('arguments are exactly the strings given: quotes, $, backticks, spaces, empty strings, newlines', async () => {
    for (const f of INJECTION_FILES) fs.rmSync(f, { force: true });
    const c = await run(ps1('"argc=$($args.Count)"\nforeach ($a in $args) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($a)) }'), {
      args: INJECTION_ARGS,
    });
    for (const host of hosts) {
      const lines = c.lines(host);
      assert.strictEqual(lines[0], `argc=${INJECTION_ARGS.length}`, show(c));
      assert.deepStrictEqual(b64Lines(lines.slice(1)), INJECTION_ARGS);
    }
    for (const f of INJECTION_FILES) assert.ok(!fs.existsSync(f), `${f} was created: an argument was parsed`);
  });

  it('one scope carries over: .ps1 files, -c text with --shell pwsh and selections share variables, functions, modules, $PWD and $env:', async () => {
    const set = await run(ps1('$shared = "from-file"; function Get-Shared { "fn:$shared" }; Set-Location /tmp; $env:RI_SET = "env-set"; Import-Module Microsoft.PowerShell.Utility'));
    assert.ok(set.results.every((r) => r.status === 'Completed'), show(set));
    const c = await run({ text: 'Get-Shared; $PWD.Path; $env:RI_SET; [bool](Get-Module Microsoft.PowerShell.Utility)' }, { shell: 'pwsh' });
    for (const host of hosts) assert.deepStrictEqual(c.lines(host), ['fn:from-file', '/tmp', 'env-set', 'True'], show(c));
  });

  it('a .ps1 with a UTF-8 BOM and CRLF line endings runs, its non-ASCII text intact', async () => {
    const text = '\ufeffparam($who)\r\n$greeting = "grüße, $who ✓"\r\n$greeting\r\n"lines: " + 2\r\n';
    const c = await run(ps1(text, 'bom-crlf.ps1'), { args: ['wörld'] });
    for (const host of hosts) assert.deepStrictEqual(c.lines(host), ['grüße, wörld ✓', 'lines: 2'], show(c));
    const next = await run({ text: '$greeting' }, { shell: 'pwsh' });
    assert.deepStrictEqual(next.lines('host1'), ['grüße, wörld ✓']);
  });

  it('exit N ends the run with N and the session survives with its state', async () => {
    const c = await run(ps1('$beforeExit = 41\n"out"\nexit 7\n"never"'));
    for (const host of hosts) {
      assert.strictEqual(c.result(host).status, 'Failed');
      assert.strictEqual(c.result(host).exitCode, 7);
      assert.deepStrictEqual(c.lines(host), ['out']);
    }
    const zero = await run(ps1('exit 0'));
    assert.ok(zero.results.every((r) => r.status === 'Completed' && r.exitCode === 0), show(zero));
    const after = await run(ps1('$beforeExit + 1'));
    for (const host of hosts) assert.deepStrictEqual(after.lines(host), ['42'], show(after));
  });

  it('a terminating error ends the run Failed with its message and script line; a non-terminating one goes to stderr and the run continues', async () => {
    const thrown = await run(ps1('"before"\n\nthrow "disk is full"\n"never"', 'deploy.ps1'));
    for (const host of hosts) {
      const r = thrown.result(host);
      assert.strictEqual(r.status, 'Failed', show(thrown));
      assert.strictEqual(r.exitCode, 1);
      assert.match(r.error ?? '', /disk is full/);
      assert.match(r.error ?? '', /deploy\.ps1:3/);
      assert.deepStrictEqual(thrown.lines(host), ['before']);
      assert.ok(thrown.lines(host, 'stderr').some((l) => /^\+ throw "disk is full"/.test(l)), thrown.lines(host, 'stderr').join('\n'));
    }
    const stop = await run(ps1('Get-Item /no/such/path -ErrorAction Stop\n"never"'));
    assert.ok(stop.results.every((r) => r.status === 'Failed' && /no\/such\/path/.test(r.error ?? '')), show(stop));
    const soft = await run(ps1('Write-Error "soft failure"\nGet-Item /no/such/file\n"continued"'));
    for (const host of hosts) {
      assert.strictEqual(soft.result(host).status, 'Completed', show(soft));
      assert.deepStrictEqual(soft.lines(host), ['continued']);
      const errors = soft.lines(host, 'stderr');
      assert.ok(errors.some((l) => /soft failure \(line 1\)/.test(l)), errors.join('\n'));
      assert.ok(errors.some((l) => /no\/such\/file/.test(l)), errors.join('\n'));
    }
  });

  it('Write-Host, Write-Information, Write-Warning, Write-Verbose and Write-Debug arrive tagged by stream, in order with output', async () => {
    const c = await run(
      ps1('"first"\nWrite-Host "to host"\nWrite-Information "info"\nWrite-Warning "careful"\nWrite-Verbose "chatty" -Verbose\nWrite-Debug "dbg" -Debug\n"last"'),
    );
    for (const host of hosts) {
      assert.deepStrictEqual(tagged(c, host), [
        'host|stdout|to host',
        'information|stdout|info',
        'warning|stderr|WARNING: careful',
        'verbose|stderr|VERBOSE: chatty',
        'debug|stderr|DEBUG: dbg',
      ]);
      assert.deepStrictEqual(c.lines(host), ['first', 'to host', 'info', 'last']);
    }
  });

  it('cancel in the middle of Start-Sleep 60 stops the pipeline at once; the next run still sees the variables', async () => {
    await run(ps1('$keep = "still here"'));
    const controller = new AbortController();
    const started = Date.now();
    const c = await collect({ ...base, targets: hosts, sessions: pool, signal: controller.signal, script: ps1('"sleeping"\nStart-Sleep 60\n"woke"') }, (e) => {
      if (e.type === 'output' && e.line === 'sleeping') setTimeout(() => controller.abort(), 300);
    });
    assert.ok(Date.now() - started < 20_000, `cancel took ${Date.now() - started} ms`);
    assert.deepStrictEqual(c.results.map((r) => r.status), ['Cancelled', 'Cancelled'], show(c));
    for (const host of hosts) assert.ok(!c.lines(host).includes('woke'));
    const after = await run(ps1('$keep'));
    for (const host of hosts) assert.deepStrictEqual(after.lines(host), ['still here'], show(after));
    assert.ok(after.results.every((r) => r.status === 'Completed'));
  });

  it('a timeout stops the pipeline as Ctrl+C does; the session and its state survive', async () => {
    const pidBefore = (await run(ps1('$PID'))).lines('host1')[0];
    const c = await run(ps1('$timedVar = "set before the sleep"\nStart-Sleep 60'), { timeoutMs: 1500 });
    assert.deepStrictEqual(c.results.map((r) => r.status), ['TimedOut', 'TimedOut'], show(c));
    const after = await run(ps1('$timedVar; $PID'));
    assert.deepStrictEqual(after.lines('host1'), ['set before the sleep', pidBefore], 'same process, same scope');
  });

  it('Example 9 as --var: $Using:Log reads the local value, copied in; nothing writes back', async () => {
    // Get-WinEvent is Windows-only: a function of that name, defined in the session, stands in for it.
    await run(ps1('function Get-WinEvent { param($LogName, $MaxEvents) "LogName=$LogName MaxEvents=$MaxEvents" }'));
    const c = await run(ps1('Get-WinEvent -LogName $Using:Log -MaxEvents 10\n'), { vars: { Log: 'PowerShellCore/Operational' } });
    for (const host of hosts) assert.deepStrictEqual(c.lines(host), ['LogName=PowerShellCore/Operational MaxEvents=10'], show(c));
    const hostile = `it's "$HOME" \`n $(whoami) ${'${x}'}`;
    const copy = await run(ps1('$Log = "changed remotely"\n$Using:Log\n$Using:Other\n[string]::IsNullOrEmpty($Using:Empty)\n"in a string: $Using:Other."'), {
      vars: { Log: hostile, Other: 'two', Empty: '' },
    });
    for (const host of hosts) assert.deepStrictEqual(copy.lines(host), [hostile, 'two', 'True', 'in a string: two.'], show(copy));
    const next = await run(ps1('$Using:Log'), { vars: { Log: 'new value' } });
    assert.deepStrictEqual(next.lines('host1'), ['new value'], 'each run copies the value in anew');
    const scoped = await run(ps1('1..2 | ForEach-Object -Parallel { "$using:Log $_" }'), { vars: { Log: 'outer' } });
    assert.deepStrictEqual(scoped.lines('host1').sort(), ['changed remotely 1', 'changed remotely 2'], 'inside -Parallel, $using: keeps its own meaning');
  });

  it('--input arrives as $input, one item per line; without --input $input is empty', async () => {
    const c = await run(ps1('"count=$(@($input).Count)"\n$input | ForEach-Object { "[$_]" }'), { input: 'alpha\r\n\nbeta gamma\n' });
    // $input is an enumerator: the first pass used it up, as in PowerShell.
    for (const host of hosts) assert.deepStrictEqual(c.lines(host), ['count=3'], show(c));
    const each = await run(ps1('foreach ($item in $input) { "[$item]" }'), { input: 'alpha\r\n\nbeta gamma\n' });
    for (const host of hosts) assert.deepStrictEqual(each.lines(host), ['[alpha]', '[]', '[beta gamma]'], show(each));
    const none = await run(ps1('"count=$(@($input).Count)"'));
    for (const host of hosts) assert.deepStrictEqual(none.lines(host), ['count=0']);
  });

  it('every output object also arrives as JSON; the formatted text still arrives as output lines', async () => {
    const c = await run(ps1('[pscustomobject]@{ Name = "svc"; Count = 3; Nested = @{ a = 1 } }\n42\n"text"\n$true'));
    for (const host of hosts) {
      assert.deepStrictEqual(objects(c, host), [{ Name: 'svc', Count: 3, Nested: { a: 1 } }, 42, 'text', true], show(c));
      const text = c.lines(host).join('\n');
      assert.match(text, /Name\s+Count\s+Nested/);
      assert.match(text, /svc\s+3/);
    }
    const culture = await run(ps1('Get-UICulture | Select-Object LCID, Name, DisplayName'));
    const rows = objects(culture, 'host1') as Record<string, unknown>[];
    assert.strictEqual(rows.length, 1);
    assert.deepStrictEqual(Object.keys(rows[0]), ['LCID', 'Name', 'DisplayName']);
  });

  it('without a session each run gets a fresh PowerShell', async () => {
    const oneShot = (text: string) => collect({ ...base, targets: ['host1'], script: ps1(text) });
    const first = await oneShot('$fresh = "set"; $PID');
    assert.strictEqual(first.result('host1').status, 'Completed', show(first));
    const second = await oneShot('"fresh=[$fresh]"; $PID');
    assert.strictEqual(second.lines('host1')[0], 'fresh=[]');
    assert.notStrictEqual(second.lines('host1')[1], first.lines('host1')[0]);
  });

  it('100,000 objects stream through with bounded memory', async function () {
    this.timeout(300_000);
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    let objectCount = 0;
    let lineCount = 0;
    let last: unknown;
    const r = invoke({ ...base, targets: ['host1'], sessions: pool, script: ps1('1..100000 | ForEach-Object { [pscustomobject]@{ i = $_ } }') });
    for await (const batch of r.batches()) {
      for (const e of batch) {
        if (e.type === 'object') {
          objectCount++;
          last = e.value;
        } else if (e.type === 'output') lineCount++;
      }
      peak = Math.max(peak, process.memoryUsage().rss);
      // A slow consumer: the host must wait for it rather than the client buffering everything.
      if (objectCount < 2000) await delay(20);
    }
    const [result] = await r.results;
    assert.strictEqual(result.status, 'Completed', show([result]));
    assert.strictEqual(objectCount, 100_000);
    assert.deepStrictEqual(last, { i: 100000 });
    assert.ok(lineCount >= 100_000, `${lineCount} formatted lines`);
    assert.ok(peak - rssBefore < 150 * 1024 * 1024, `client memory grew by ${(peak - rssBefore) >> 20} MB`);
  });
});

describe('PowerShell sessions: durable (real pwsh on real sshd)', function () {
  this.timeout(120_000);
  let bed: TestBed;
  let base: Pick<InvokeRequest, 'sshConfig' | 'knownHostsFiles'>;
  let pool: SessionPool;

  before(async function () {
    skipWithoutPwsh(this);
    bed = await startTestBed({ count: 1 });
    base = { sshConfig: SshConfigFile.load(bed.sshConfigPath), knownHostsFiles: [bed.knownHostsPath] };
    pool = new SessionPool({ durable: true, reconnectDelayMs: 200 });
  });
  after(async () => {
    await pool?.closeAll().catch(() => undefined);
    if (bed) reapRemoteShells(bed.homeDir);
    await bed?.stop();
  });

  it('survives a dropped link mid-run: every line arrives once, in order, and the scope is kept', async () => {
    const run = (text: string) => collect({ ...base, targets: ['host1'], sessions: pool, script: { text, fileName: 'd.ps1' } });
    const set = await run('$durableVar = "kept"; $PID');
    assert.strictEqual(set.result('host1').status, 'Completed', show(set));
    let killed = false;
    const c = await collect(
      { ...base, targets: ['host1'], sessions: pool, script: { text: '1..40 | ForEach-Object { "n$_"; Start-Sleep -Milliseconds 50 }', fileName: 'd.ps1' } },
      (e) => {
        if (!killed && e.type === 'output' && e.line === 'n5') {
          killed = true;
          bed.killConnections('host1');
        }
      },
    );
    assert.ok(killed);
    assert.strictEqual(c.result('host1').status, 'Completed', show(c));
    assert.deepStrictEqual(c.lines('host1'), Array.from({ length: 40 }, (_, i) => `n${i + 1}`));
    const after = await run('$durableVar; $PID');
    assert.deepStrictEqual(after.lines('host1'), ['kept', set.lines('host1')[0]]);
  });
  it('the pool lists PowerShell sessions beside POSIX ones (what a Sessions view shows); detach keeps the shell and its state, resetPwsh removes it', async () => {
    const sh = await collect({ ...base, targets: ['host1'], sessions: pool, script: { text: 'shVar=1' } });
    assert.strictEqual(sh.result('host1').status, 'Completed', show(sh));
    const kinds = () => pool.list().map((s) => `${s.host} ${s.shell} ${s.state} ${s.durable}`);
    assert.deepStrictEqual(kinds(), ['host1 posix connected true', 'host1 pwsh connected true']);
    const pwshRecord = pool.list().find((s) => s.shell === 'pwsh')?.record;
    assert.ok(pwshRecord && pwshRecord.dialect === 'pwsh' && fs.existsSync(pwshRecord.dir), JSON.stringify(pwshRecord));
    const states: string[] = [];
    pool.on('pwshState', (host: string, state: string) => states.push(`${host} ${state}`));
    pool.pwshSession('host1').detach();
    assert.strictEqual(pool.pwshState('host1'), 'disconnected');
    assert.strictEqual(pool.state('host1'), 'connected', 'the POSIX session is untouched');
    assert.ok(states.includes('host1 disconnected'), states.join());
    const back = await collect({ ...base, targets: ['host1'], sessions: pool, script: { text: '$durableVar', fileName: 'd.ps1' } });
    assert.deepStrictEqual(back.lines('host1'), ['kept'], show(back));
    assert.strictEqual(pool.pwshState('host1'), 'connected');
    await pool.resetPwsh('host1');
    assert.deepStrictEqual(kinds(), ['host1 posix connected true']);
    assert.ok(!fs.existsSync(pwshRecord.dir), 'the PowerShell session\'s remote files are gone');
    assert.ok(states.includes('host1 none'), states.join());
  });
});

describe('--var and --input for POSIX scripts, JSON-line objects (real sshd)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let base: Pick<InvokeRequest, 'sshConfig' | 'knownHostsFiles'>;
  let pool: SessionPool;

  before(async () => {
    bed = await startTestBed({ count: 1 });
    base = { sshConfig: SshConfigFile.load(bed.sshConfigPath), knownHostsFiles: [bed.knownHostsPath] };
    pool = new SessionPool();
  });
  after(async () => {
    await pool?.closeAll().catch(() => undefined);
    await bed?.stop();
  });
  const run = (text: string, extra: Partial<InvokeRequest> = {}) => collect({ ...base, targets: ['host1'], sessions: pool, script: { text }, ...extra });

  it('--var NAME=VALUE is the environment variable NAME for that run only', async () => {
    const value = `it's "$HOME" \`x\` $(id) =`;
    const c = await run('printf "%s\\n" "$GREETING"; sh -c \'printf "%s\\n" "$GREETING"\'', { vars: { GREETING: value } });
    assert.deepStrictEqual(c.lines('host1'), [value, value], show(c));
    const after = await run('printf "[%s]\\n" "${GREETING-unset}"');
    assert.deepStrictEqual(after.lines('host1'), ['[unset]']);
  });

  it('--input is the script\'s stdin; without it stdin is empty', async () => {
    const c = await run('while IFS= read -r l; do echo "<$l>"; done; echo done', { input: 'one\ntwo words\n' });
    assert.deepStrictEqual(c.lines('host1'), ['<one>', '<two words>', 'done'], show(c));
    const none = await run('cat; echo "rest=$(wc -c)"');
    assert.deepStrictEqual(none.lines('host1'), ['rest=0']);
  });

  it('stdout lines that are JSON objects also arrive as object events', async () => {
    const c = await run(`echo '{"name":"a","n":1}'; echo 'plain'; echo '[1,2]'; echo '{"broken":'; printf '%s\\n' '{"name":"b","n":2}'`);
    assert.deepStrictEqual(
      c.events.filter((e): e is ObjectEvent => e.type === 'object').map((e) => e.value),
      [
        { name: 'a', n: 1 },
        { name: 'b', n: 2 },
      ],
    );
    assert.strictEqual(c.lines('host1').length, 5, 'the lines themselves are still output');
  });
});

describe('CLI: --json objects, --var, --input (real sshd)', function () {
  this.timeout(120_000);
  let bed: TestBed;
  let state: string;
  before(async function () {
    ensureBuilt();
    bed = await startTestBed({ count: 2 });
    state = tmpDir('pwsh-cli');
  });
  after(async () => {
    // A failed test may leave a named session's shells behind.
    if (bed) reapRemoteShells(bed.homeDir);
    await bed?.stop();
  });
  const common = () => ['-F', bed.sshConfigPath, '--known-hosts', bed.knownHostsPath];

  it('--json prints {"type":"object","host":H,"value":{…}} beside the output lines (PowerShell with --shell pwsh -c)', async function () {
    if (!HAVE_PWSH) this.skip();
    const r = await cli(['run', ...common(), '-H', 'host1,host2', '--shell', 'pwsh', '--json', '--var', 'Who=wörld', '-c', '[pscustomobject]@{ Hello = $Using:Who }'], state);
    assert.strictEqual(r.code, 0, r.stderr);
    const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as InvokeEvent | { type: 'summary' });
    for (const host of ['host1', 'host2']) {
      assert.ok(events.some((e) => e.type === 'object' && (e as ObjectEvent).host === host && JSON.stringify((e as ObjectEvent).value) === '{"Hello":"wörld"}'), r.stdout);
      assert.ok(events.some((e) => e.type === 'output' && (e as OutputEvent).host === host && /wörld/.test((e as OutputEvent).line)), r.stdout);
    }
    const objectLine = r.stdout.split('\n').find((l) => l.includes('"type":"object"'));
    assert.match(objectLine ?? '', /^\{"type":"object","host":"host[12]","value":\{"Hello":"wörld"\}\}$/);
  });

  it('--session NAME: a PowerShell variable set by one CLI process is there for the next; session remove ends it', async function () {
    if (!HAVE_PWSH) this.skip();
    const first = await cli(['run', ...common(), '-H', 'host1', '--session', 'ps', '--shell', 'pwsh', '-c', '$fromCli = 7; "set"'], state);
    assert.strictEqual(first.code, 0, first.stderr);
    assert.strictEqual(first.stdout, 'host1: set\n');
    const second = await cli(['run', ...common(), '--session', 'ps', '--shell', 'pwsh', '-c', '$fromCli * 6'], state);
    assert.strictEqual(second.code, 0, second.stderr);
    assert.strictEqual(second.stdout, 'host1: 42\n');
    const removed = await cli(['session', 'remove', 'ps', ...common()], state);
    assert.strictEqual(removed.code, 0, removed.stderr);
    const dirs = fs.readdirSync(path.join(bed.homeDir, '.cache', 'remote-invoke'));
    assert.deepStrictEqual(dirs, [], 'both shells of the session are gone');
  });

  it('run --as-job with a .ps1 runs in PowerShell as a session run does: tags, objects, $Using:, $input, the terminating error and its line; job receive collects it', async function () {
    if (!HAVE_PWSH) this.skip();
    const file = path.join(state, 'job.ps1');
    fs.writeFileSync(
      file,
      'param($first)\n"arg=$first"\n"var=$Using:Who"\nforeach ($i in $input) { "in:$i" }\nWrite-Warning "careful"\nWrite-Host "hosted"\n' +
        '[pscustomobject]@{ N = 1; Name = "obj" }\n"host=$([bool]$Host.Name)"\nthrow "job broke"\n"never"\n',
    );
    const input = path.join(state, 'job-input.txt');
    fs.writeFileSync(input, 'one\ntwo words\n');
    const started = await cli(['run', ...common(), '-H', 'host1,host2', '--as-job', '-f', file, '--var', 'Who=wörld', '--input', input, '--', 'a "b" $c'], state);
    assert.strictEqual(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    const waited = await cli(['job', 'wait', id, ...common(), '--poll-interval', '0.2'], state);
    assert.strictEqual(waited.code, 1, `a child that failed → 1: ${waited.stdout}${waited.stderr}`);
    const r = await cli(['job', 'receive', id, ...common(), '--json'], state);
    assert.strictEqual(r.code, 0, r.stderr);
    const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    for (const host of ['host1', 'host2']) {
      const lines = events.filter((e) => e.type === 'output' && e.host === host);
      const out = lines.filter((e) => e.stream === 'stdout' && !e.psStream).map((e) => e.line);
      assert.deepStrictEqual(out.filter((l: string) => !/^(N Name|- ----|1 obj|\s*)$/.test(l)), ['arg=a "b" $c', 'var=wörld', 'in:one', 'in:two words', 'host=True'], r.stdout);
      const tags = lines.filter((e) => e.psStream).map((e) => `${e.psStream}|${e.stream}|${e.line}`);
      assert.ok(tags.includes('warning|stderr|WARNING: careful'), tags.join('\n'));
      assert.ok(tags.includes('host|stdout|hosted'), tags.join('\n'));
      assert.ok(tags.some((t) => /^error\|stderr\|job broke$/.test(t)), tags.join('\n'));
      assert.ok(!lines.some((e) => e.line === 'never'));
      const objects = events.filter((e) => e.type === 'object' && e.host === host).map((e) => e.value);
      assert.deepStrictEqual(objects.filter((v) => typeof v === 'object'), [{ N: 1, Name: 'obj' }]);
      assert.ok(objects.includes('var=wörld'), 'strings written to the output are objects too');
    }
    const job = events.find((e) => e.type === 'job');
    for (const child of job.children) {
      assert.strictEqual(child.state, 'Failed');
      assert.strictEqual(child.exitCode, 1);
      assert.match(child.error ?? '', /job broke/);
      assert.match(child.error ?? '', /job\.ps1:9/);
    }
    const again = await cli(['job', 'receive', id, ...common(), '--json'], state);
    assert.ok(!again.stdout.includes('"type":"output"'), 'a second receive has nothing new');
    // exit N is the child's exit code; the job's spool goes with job remove.
    const exited = await cli(['run', ...common(), '-H', 'host1', '--as-job', '--shell', 'pwsh', '-c', '"bye"; exit 3'], state);
    const exitedId = exited.stdout.trim();
    const done = await cli(['job', 'wait', exitedId, ...common(), '--json', '--poll-interval', '0.2'], state);
    assert.strictEqual(JSON.parse(done.stdout).children[0].exitCode, 3, done.stdout);
    const text = await cli(['job', 'receive', exitedId, ...common()], state);
    assert.strictEqual(text.stdout, 'host1: bye\n');
    // job stop ends a PowerShell job's whole process tree on the host (pwsh may be a launcher and its runtime).
    const long = await cli(['run', ...common(), '-H', 'host1', '--as-job', '--shell', 'pwsh', '-c', '"pid=$PID"; Start-Sleep 60'], state);
    const longId = long.stdout.trim();
    let pid = 0;
    for (let i = 0; i < 100 && !pid; i++) {
      await delay(200);
      const got = await cli(['job', 'receive', longId, ...common(), '--keep'], state);
      pid = Number(/pid=(\d+)/.exec(got.stdout)?.[1] ?? 0);
    }
    assert.ok(pid > 0, 'the job said its pid');
    const stopped = await cli(['job', 'stop', longId, ...common(), '--json'], state);
    assert.strictEqual(JSON.parse(stopped.stdout).children[0].state, 'Stopped', stopped.stdout);
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      try {
        process.kill(pid, 0);
        await delay(100);
      } catch {
        alive = false;
      }
    }
    assert.ok(!alive, `the job's pwsh (${pid}) is gone`);
    for (const j of [id, exitedId, longId]) assert.strictEqual((await cli(['job', 'remove', j, ...common()], state)).code, 0);
    assert.deepStrictEqual(fs.readdirSync(path.join(bed.homeDir, '.cache', 'remote-invoke')), [], 'the jobs\' spools are gone');
  });

  it('a CLI killed (SIGKILL) mid-run in a PowerShell session: session receive prints the rest exactly once, in order, with its tags, objects and result; the scope is kept', async function () {
    if (!HAVE_PWSH) this.skip();
    const gate = path.join(tmpDir('pwsh-gate'), 'go');
    const script =
      '$kept = "yes"; 1..5 | ForEach-Object { "line$_" }\n' +
      `while (-not (Test-Path '${gate}')) { Start-Sleep -Milliseconds 50 }\n` +
      '6..12 | ForEach-Object { "line$_"; Start-Sleep -Milliseconds 20 }\nWrite-Warning "late"\n[pscustomobject]@{ Done = 1 }\nexit 3\n';
    const first = spawnCli(['run', ...common(), '-H', 'host1', '--session', 'PR', '--shell', 'pwsh', '-c', script], state);
    await first.waitForStdout('host1: line5\n', 60_000);
    await delay(800); // the CLI saves its offsets every 500 ms
    const busy = await cli(['session', 'list', 'PR', ...common(), '--json'], state);
    const rows = linesOf(busy.stdout).map((l) => JSON.parse(l));
    assert.deepStrictEqual(rows.map((r) => [r.host, r.shell, r.state]), [['host1', 'pwsh', 'Busy']], busy.stdout + busy.stderr);
    first.child.kill('SIGKILL');
    const killed = await first.done;
    assert.strictEqual(killed.signal, 'SIGKILL');
    fs.writeFileSync(gate, ''); // the rest is produced with nobody attached
    await delay(1500);

    const r = await cli(['session', 'receive', 'PR', ...common(), '--json'], state);
    assert.strictEqual(r.code, 1, `exit 3 of the script → 1: ${r.stderr}`);
    const events = linesOf(r.stdout).map((l) => JSON.parse(l));
    const lines = (text: string) => linesOf(text).filter((l) => /^host1: line/.test(l));
    const received = events.filter((e) => e.type === 'output' && /^line/.test(e.line)).map((e) => `host1: ${e.line}`);
    assert.deepStrictEqual([...lines(killed.stdout), ...received], numbered('host1: line', 1, 12), 'every line once, in order');
    assert.ok(events.some((e) => e.type === 'output' && e.psStream === 'warning' && e.stream === 'stderr' && e.line === 'WARNING: late'), r.stdout);
    assert.ok(events.some((e) => e.type === 'object' && e.host === 'host1' && JSON.stringify(e.value) === '{"Done":1}'), r.stdout);
    const result = events.find((e) => e.type === 'result');
    assert.deepStrictEqual([result.status, result.exitCode], ['Failed', 3], r.stdout);

    const again = await cli(['session', 'receive', 'PR', ...common()], state);
    assert.deepStrictEqual([again.code, again.stdout], [0, ''], 'a second receive has nothing left');
    const next = await cli(['run', ...common(), '--session', 'PR', '--shell', 'pwsh', '-c', '"kept=$kept"'], state);
    assert.strictEqual(next.code, 0, next.stderr);
    assert.deepStrictEqual(linesOf(next.stdout), ['host1: kept=yes']);
    assert.strictEqual((await cli(['session', 'remove', 'PR', ...common()], state)).code, 0);
  });

  it('session list shows each host\'s PowerShell session beside its POSIX shell; disconnect and remove act on both', async function () {
    if (!HAVE_PWSH) this.skip();
    for (const [shell, text] of [['pwsh', '$psVar = 1'], ['', 'shVar=1']]) {
      const r = await cli(['run', ...common(), '-H', 'host1,host2', '--session', 'BOTH', ...(shell ? ['--shell', shell] : []), '-c', text], state);
      assert.strictEqual(r.code, 0, r.stderr);
    }
    const list = async () => linesOf((await cli(['session', 'list', 'BOTH', ...common()], state)).stdout).map((l) => l.replace(/ idle \d+ s$/, '')).sort();
    // The holder started after the last run attaches to every shell in the background.
    let listed = await list();
    for (let i = 0; i < 30 && listed.some((l) => !l.endsWith('Opened')); i++) listed = (await delay(300), await list());
    assert.deepStrictEqual(listed, ['BOTH host1 (PowerShell): Opened', 'BOTH host1: Opened', 'BOTH host2 (PowerShell): Opened', 'BOTH host2: Opened'], 'the holder keeps both kinds attached');
    const disconnected = await cli(['session', 'disconnect', 'BOTH', ...common()], state);
    assert.strictEqual(disconnected.code, 0, disconnected.stderr);
    assert.deepStrictEqual(linesOf(disconnected.stdout).sort(), ['BOTH host1 (PowerShell): Disconnected', 'BOTH host1: Disconnected', 'BOTH host2 (PowerShell): Disconnected', 'BOTH host2: Disconnected']);
    for (let i = 0; i < 10 && (listed = await list()).some((l) => l.endsWith('Opened')); i++) await delay(300);
    assert.deepStrictEqual(listed, ['BOTH host1 (PowerShell): Disconnected', 'BOTH host1: Disconnected', 'BOTH host2 (PowerShell): Disconnected', 'BOTH host2: Disconnected']);
    const after = await cli(['run', ...common(), '--session', 'BOTH', '--shell', 'pwsh', '-c', '"ps=$psVar"'], state);
    assert.deepStrictEqual(linesOf(after.stdout).sort(), ['host1: ps=1', 'host2: ps=1'], after.stderr);
    const removed = await cli(['session', 'remove', 'BOTH', ...common(), '--json'], state);
    assert.strictEqual(removed.code, 0, removed.stderr);
    assert.deepStrictEqual(linesOf(removed.stdout).map((l) => JSON.parse(l)).map((e) => `${e.host} ${e.shell} ${e.state}`).sort(), [
      'host1 posix Closed',
      'host1 pwsh Closed',
      'host2 posix Closed',
      'host2 pwsh Closed',
    ]);
    assert.deepStrictEqual(fs.readdirSync(path.join(bed.homeDir, '.cache', 'remote-invoke')), [], 'every shell of the session is gone');
  });

  it('--input - is the CLI\'s own stdin', () => {
    const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'remote-invoke.js'), 'run', ...common(), '-H', 'host1', '--input', '-', '-c', 'sort -r'], {
      input: 'a\nb\nc\n',
      encoding: 'utf8',
      env: { ...process.env, REMOTE_INVOKE_STATE_DIR: state },
      timeout: 60_000,
    });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(r.stdout, 'host1: c\nhost1: b\nhost1: a\n');
  });

  it('--input FILE and --input - feed every host; bad --var names are one clear usage error', async () => {
    const file = path.join(state, 'input.txt');
    fs.writeFileSync(file, 'x\ny\n');
    const r = await cli(['run', ...common(), '-H', 'host1,host2', '--input', file, '-c', 'wc -l | tr -d " "'], state);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(r.stdout.split('\n').filter(Boolean).sort(), ['host1: 2', 'host2: 2']);
    const bad = await cli(['run', ...common(), '-H', 'host1', '--var', '1abc=x', '-c', 'true'], state);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.stderr, /--var name '1abc' is not a valid variable name/);
    const noEq = await cli(['run', ...common(), '-H', 'host1', '--var', 'NAME', '-c', 'true'], state);
    assert.strictEqual(noEq.code, 2);
    assert.match(noEq.stderr, /has no '='/);
  });
});

describe('a user whose login shell is pwsh (throw-away account, real sshd)', function () {
  this.timeout(180_000);
  const user = `ri-pwsh-${process.pid % 100000}`;
  let bed: TestBed;
  let sshConfig: SshConfigFile;
  let pool: SessionPool;

  before(async function () {
    skipWithoutPwsh(this);
    if (process.getuid?.() !== 0) {
      console.log('    (skipped: making a throw-away user needs root)');
      this.skip();
    }
    const pwshPath = spawnSync('sh', ['-c', 'command -v pwsh'], { encoding: 'utf8' }).stdout.trim();
    spawnSync('userdel', ['--remove', '--force', user], { stdio: 'ignore' });
    // Password '*': no password, but not a locked account (sshd without PAM refuses locked ones).
    const made = spawnSync('useradd', ['--create-home', '--shell', pwshPath, '--password', '*', user], { encoding: 'utf8' });
    assert.strictEqual(made.status, 0, made.stderr);
    // The bed's key file lives in its private dir; this account reads its own copy.
    bed = await startTestBed({ count: 1, extraSshdConfig: `Match User ${user}\n  AuthorizedKeysFile /home/${user}/.ssh/authorized_keys\n` });
    const sshDir = `/home/${user}/.ssh`;
    fs.mkdirSync(sshDir, { recursive: true, mode: 0o700 });
    fs.copyFileSync(`${bed.clientKeyPath}.pub`, path.join(sshDir, 'authorized_keys'));
    spawnSync('chown', ['-R', `${user}:`, sshDir]);
    const h = bed.hosts[0];
    const block = [`Host pwshuser`, `  HostName ${h.address}`, `  Port ${h.port}`, `  User ${user}`, `  IdentityFile ${bed.clientKeyPath}`, `  UserKnownHostsFile ${bed.knownHostsPath}`, '  StrictHostKeyChecking yes', ''];
    sshConfig = SshConfigFile.fromText(block.join('\n'));
    pool = new SessionPool();
  });
  after(async () => {
    await pool?.closeAll().catch(() => undefined);
    await bed?.stop();
    spawnSync('userdel', ['--remove', '--force', user], { stdio: 'ignore' });
  });
  const run = (script: InvokeRequest['script'], extra: Partial<InvokeRequest> = {}) =>
    collect({ sshConfig, knownHostsFiles: [bed.knownHostsPath], targets: ['pwshuser'], sessions: pool, script, ...extra });

  it('both .ps1 and POSIX scripts run, each in its own session that carries state', async () => {
    const ps = await run({ text: '$who = [Environment]::UserName; $who; $PSVersionTable.PSVersion.Major -ge 7', fileName: 'who.ps1' });
    assert.strictEqual(ps.result('pwshuser').status, 'Completed', show(ps));
    assert.deepStrictEqual(ps.lines('pwshuser'), [user, 'True']);
    const sh = await run({ text: 'ME=$(id -un); echo "sh:$ME:$1"', fileName: 'who.sh' }, { args: ["it's $x"] });
    assert.strictEqual(sh.result('pwshuser').status, 'Completed', show(sh));
    assert.deepStrictEqual(sh.lines('pwshuser'), [`sh:${user}:it's $x`]);
    const again = await run({ text: '"ps:$who"', fileName: 'who.ps1' });
    assert.deepStrictEqual(again.lines('pwshuser'), [`ps:${user}`]);
    const shAgain = await run({ text: 'echo "sh:$ME"', fileName: 'again.sh' });
    assert.deepStrictEqual(shAgain.lines('pwshuser'), [`sh:${user}`]);
  });
});

describe('PowerShell start commands: POSIX login shells and Windows (no sshd)', () => {
  it('a login shell that is PowerShell or cmd.exe gets `pwsh … -EncodedCommand <base64>` and nothing else, under cmd.exe\'s 8,191 characters', () => {
    assert.match(PWSH_WINDOWS_START_COMMAND, /^pwsh -NoLogo -NoProfile -NonInteractive -EncodedCommand [A-Za-z0-9+/]+=*$/);
    assert.ok(PWSH_WINDOWS_START_COMMAND.length < 8191, `${PWSH_WINDOWS_START_COMMAND.length} characters`);
    assert.strictEqual(PWSH_WINDOWS_DIALECT.startCommand, PWSH_WINDOWS_START_COMMAND);
    // POSIX-like login shells (sh, fish, tcsh, pwsh on Linux) have `env`: pwsh starts without telemetry set-up.
    assert.strictEqual(PWSH_START_COMMAND, `env POWERSHELL_TELEMETRY_OPTOUT=1 DOTNET_TieredPGO=0 ${PWSH_WINDOWS_START_COMMAND}`);
  });

  it('a stop that did not work is escalated with taskkill on a Windows host (its hello names a Windows path), with kill elsewhere', () => {
    const windows = { pid: 4242, pgid: 4242, shell: 'sh' as const, dir: 'C:\\Users\\Jo Doe\\AppData\\Local\\Temp\\remote-invoke.ab' };
    assert.strictEqual(PWSH_DIALECT.signalCommand?.(windows, 'KILL'), 'taskkill /T /F /PID 4242');
    const linux = { pid: 10, pgid: 9, shell: 'sh' as const, dir: '/tmp/remote-invoke.ab' };
    assert.match(PWSH_DIALECT.signalCommand?.(linux, 'KILL') ?? '', /^\/bin\/sh -c 'kill -KILL -9 /);
  });
});
