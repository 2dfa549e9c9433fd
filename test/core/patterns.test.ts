/**
 * Ansible's host pattern language over a fleet read from real files: each operator, wildcards,
 * regular expressions, ranges, @FILE, @failed (recorded by a real run), the targets that worked
 * before patterns, `remote-invoke hosts` in text and JSON, and exit 2 for a pattern that matches
 * nothing.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { LastRunStore, loadFleet, PatternError, resolvePattern, splitPattern, SshConfigFile, type Fleet } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { cli, ensureBuilt, linesOf } from './helpers/durable';
import { tmpDir } from './helpers/engine';

describe('target patterns', () => {
  let dir: string;
  let fleet: Fleet;
  let inventory: string;
  let sshConfigPath: string;

  before(() => {
    dir = tmpDir('patterns');
    sshConfigPath = path.join(dir, 'ssh_config');
    fs.writeFileSync(sshConfigPath, ['Host jump', '  HostName 127.0.0.1', '  Tag infra', 'Host web05', '  Tag canary', ''].join('\n'));
    inventory = path.join(dir, 'hosts.ini');
    fs.writeFileSync(
      inventory,
      [
        '[web]',
        'web[01:04]',
        '',
        '[db]',
        'db[1:2]',
        '',
        '[prod:children]',
        'web',
        'db',
        '',
        '[staging]',
        'web04',
        'stage-db',
        '',
        '[empty]',
      ].join('\n'),
    );
    fleet = loadFleet({ sshConfigPath, inventoryFiles: [inventory] });
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const select = (pattern: string, options = {}) => resolvePattern(pattern, fleet, options);

  it('splits on , and : but keeps ports, IPv6 addresses and ranges whole', () => {
    const split = (p: string) => splitPattern(p).map((t) => `${t.operator}/${t.kind}/${t.text}`);
    assert.deepStrictEqual(split('web:db'), ['union/name/web', 'union/name/db']);
    assert.deepStrictEqual(split('web,&prod,!web03'), ['union/name/web', 'intersection/name/prod', 'exclusion/name/web03']);
    assert.deepStrictEqual(split('web:&prod:!web03'), ['union/name/web', 'intersection/name/prod', 'exclusion/name/web03']);
    assert.deepStrictEqual(split('web1:2222,root@10.0.0.1:22'), ['union/name/web1:2222', 'union/name/root@10.0.0.1:22']);
    assert.deepStrictEqual(split('web1:2222:db'), ['union/name/web1:2222', 'union/name/db']);
    assert.deepStrictEqual(split('[::1]:2022,::1,fe80::1'), ['union/name/[::1]:2022', 'union/name/::1', 'union/name/fe80::1']);
    assert.deepStrictEqual(split('web[01:05]:db*'), ['union/range/web[01:05]', 'union/wildcard/db*']);
    assert.deepStrictEqual(split('~web0[1-3]:@failed:@list.txt'), ['union/regex/~web0[1-3]:@failed:@list.txt']);
    assert.deepStrictEqual(split('~web0[1-3],@failed,@list.txt'), ['union/regex/~web0[1-3]', 'union/failed/@failed', 'union/file/@list.txt']);
  });

  it('union, intersection and exclusion, evaluated as Ansible does (unions, then &, then !)', () => {
    assert.deepStrictEqual(select('db:staging'), ['db1', 'db2', 'web04', 'stage-db']);
    assert.deepStrictEqual(select('web:&staging'), ['web04']);
    assert.deepStrictEqual(select('prod:!web'), ['db1', 'db2']);
    assert.deepStrictEqual(select('!web01:web:&prod'), ['web02', 'web03', 'web04']);
    assert.deepStrictEqual(select('&staging'), ['web04', 'stage-db'], 'no union term: start from every host');
    assert.deepStrictEqual(select('!prod'), ['jump', 'web05', 'stage-db']);
  });

  it('wildcards and regular expressions match host and group names', () => {
    assert.deepStrictEqual(select('web*'), ['web05', 'web01', 'web02', 'web03', 'web04']);
    assert.deepStrictEqual(select('db?'), ['db1', 'db2']);
    assert.deepStrictEqual(select('st*'), ['web04', 'stage-db'], 'the group staging matches');
    assert.deepStrictEqual(select('~web0[1-3]'), ['web01', 'web02', 'web03']);
    assert.deepStrictEqual(select('~(web|db)0?[12]$'), ['web01', 'web02', 'db1', 'db2']);
    assert.deepStrictEqual(select('~inf'), ['jump'], 'a regex is anchored at the start only (re.match), and matches the Tag group infra');
    assert.deepStrictEqual(select('*:!~web'), ['jump', 'db1', 'db2', 'stage-db']);
  });

  it('ranges select the fleet names they expand to', () => {
    assert.deepStrictEqual(select('web[02:03]'), ['web02', 'web03']);
    assert.deepStrictEqual(select('web[01:09]'), ['web01', 'web02', 'web03', 'web04', 'web05'], 'in the order of the range');
    assert.deepStrictEqual(select('db[1:2]:&prod'), ['db1', 'db2']);
  });

  it('names: a group, a host, and — when the fleet does not know it — the literal target', () => {
    assert.deepStrictEqual(select('canary'), ['web05']);
    assert.deepStrictEqual(select('web01,unknown.example,root@web02:2200,10.1.2.3:22'), ['web01', 'unknown.example', 'root@web02:2200', '10.1.2.3:22']);
    assert.deepStrictEqual(select('web01,web01,web'), ['web01', 'web02', 'web03', 'web04'], 'each host once');
    assert.deepStrictEqual(select('prod:!unknown'), ['web01', 'web02', 'web03', 'web04', 'db1', 'db2'], 'excluding an unknown name excludes nothing');
  });

  it('@FILE: one name per line, blank lines and comments skipped, CRLF and a BOM tolerated', () => {
    const list = path.join(dir, 'servers.txt');
    fs.writeFileSync(list, '\uFEFF# from Get-Content\r\nweb01\r\n\r\n  db2  \r\nliteral.example\r\nstaging\r\n');
    assert.deepStrictEqual(select(`@${list}`), ['web01', 'db2', 'literal.example', 'web04', 'stage-db']);
    assert.deepStrictEqual(select(`@${list}:&prod`), ['web01', 'db2', 'web04']);
    const empty = path.join(dir, 'empty.txt');
    fs.writeFileSync(empty, '# nothing\n\n');
    assert.throws(() => select(`@${empty}`), (e: PatternError) => e instanceof PatternError && e.pattern === `@${empty}`);
    assert.throws(() => select(`@${dir}/missing.txt`), /cannot read host file .*missing\.txt.*ENOENT/);
  });

  it('@failed: the hosts of the last run that did not complete', () => {
    const state = new LastRunStore(tmpDir('lastrun'));
    assert.deepStrictEqual(state.failedHosts(), []);
    state.record([
      { host: 'web01', status: 'Completed' },
      { host: 'web02', status: 'Failed' },
      { host: 'db1', status: 'Unreachable' },
      { host: 'gone.example', status: 'TimedOut' },
    ]);
    const failedHosts = () => state.failedHosts();
    assert.deepStrictEqual(select('@failed', { failedHosts }), ['web02', 'db1', 'gone.example']);
    assert.deepStrictEqual(select('@failed:&web', { failedHosts }), ['web02']);
    assert.deepStrictEqual(select('web:!@failed', { failedHosts }), ['web01', 'web03', 'web04']);
  });

  it('a term that selects from the fleet and matches nothing is an error naming it; so is an empty result', () => {
    const error = (pattern: string) => {
      try {
        select(pattern);
      } catch (err) {
        assert.ok(err instanceof PatternError, String(err));
        return [err.pattern, err.message];
      }
      assert.fail(`'${pattern}' did not throw`);
    };
    assert.deepStrictEqual(error('nope*'), ['nope*', "host pattern 'nope*' matches no host"]);
    assert.deepStrictEqual(error('web:~zzz'), ['~zzz', "host pattern '~zzz' matches no host"]);
    assert.deepStrictEqual(error('empty'), ['empty', "host pattern 'empty' matches no host"]);
    assert.deepStrictEqual(error('zz[1:3]'), ['zz[1:3]', "host pattern 'zz[1:3]' matches no host"]);
    assert.deepStrictEqual(error('web:&db'), ['web:&db', "host pattern 'web:&db' matches no host"]);
    assert.deepStrictEqual(error('@failed'), ['@failed', "host pattern '@failed' matches no host"]);
    assert.match(error('~web(')[1], /bad regular expression/);
    assert.match(error('web[1:x]')[1], /neither a number nor a letter range/);
  });

  it('fleets of ssh_config alone (no inventory) answer patterns too', () => {
    const alone = loadFleet({ sshConfig: SshConfigFile.load(sshConfigPath) });
    assert.deepStrictEqual(resolvePattern('infra:canary', alone), ['jump', 'web05']);
  });
});

describe('remote-invoke hosts and -H patterns (real sshd)', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let dir: string;
  let state: string;
  let inventory: string;

  before(async () => {
    ensureBuilt();
    bed = await startTestBed({ count: 3 });
    dir = tmpDir('patterns-cli');
    state = tmpDir('patterns-state');
    inventory = path.join(dir, 'inventory.yml');
    fs.writeFileSync(
      inventory,
      [
        'all:',
        '  children:',
        '    front:',
        '      hosts:',
        `        ${bed.hosts[0].name}:`,
        `        ${bed.hosts[1].name}:`,
        '    back:',
        '      hosts:',
        `        ${bed.hosts[2].name}:`,
        '          ansible_become: true',
      ].join('\n'),
    );
  });

  after(async () => {
    await bed?.stop();
    for (const d of [dir, state]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  const base = () => ['-F', bed.sshConfigPath, '-i', inventory];

  it('hosts --json: one line per host with address, user, port, groups and where each setting came from', async () => {
    const r = await cli(['hosts', 'front:back:!~host1', '--json', ...base()], state);
    assert.strictEqual(r.code, 0, r.stderr);
    const rows = linesOf(r.stdout).map((l) => JSON.parse(l));
    const [, h2, h3] = bed.hosts;
    assert.deepStrictEqual(
      rows.map((x) => [x.type, x.name, x.address, x.port, x.user, x.groups, x.literal]),
      [
        ['host', h2.name, h2.address, h2.port, bed.user, ['front'], false],
        ['host', h3.name, h3.address, h3.port, bed.user, ['back'], false],
      ],
    );
    assert.deepStrictEqual(rows[1].sources.port, { kind: 'sshConfig', file: bed.sshConfigPath, line: 21, column: 3, key: 'Port' });
    assert.deepStrictEqual(rows[1].become, { enabled: true });
    assert.deepStrictEqual(rows[1].sources.become, { kind: 'inventory', file: inventory, line: 10, column: 11, key: 'ansible_become', scope: 'host' });
    assert.deepStrictEqual(Object.keys(rows[0]).sort(), ['address', 'become', 'forwardAgent', 'groups', 'identityFiles', 'jumpChain', 'literal', 'name', 'port', 'shellType', 'sources', 'type', 'user']);
    const withFlag = await cli(['hosts', '-H', 'front:back:!~host1', '--json', ...base()], state);
    assert.strictEqual(withFlag.stdout, r.stdout, 'hosts -H PATTERN is hosts PATTERN');
  });

  it('hosts (text): a table naming the files and lines settings came from', async () => {
    const r = await cli(['hosts', ...base()], state);
    assert.strictEqual(r.code, 0, r.stderr);
    const lines = linesOf(r.stdout);
    assert.match(lines[0], /^NAME\s+ADDRESS\s+PORT\s+USER\s+GROUPS\s+SETTINGS FROM$/);
    assert.strictEqual(lines.length, 4);
    assert.match(lines[3], new RegExp(`^${bed.hosts[2].name}\\s+${bed.hosts[2].address.replace(/\./g, '\\.')}\\s+${bed.hosts[2].port}\\s+${bed.user}\\s+back\\s+.*port: ${path.basename(bed.sshConfigPath)}:21 Port.*become: inventory\\.yml:10 ansible_become`));
  });

  it('a pattern that matches nothing is a usage error (exit 2) naming it, and nothing runs', async () => {
    for (const args of [
      ['hosts', 'db*', ...base()],
      ['run', '-H', 'front:&back', '-c', 'touch /tmp/ri-pattern-ran', ...base()],
      ['run', '-H', `${bed.hosts[0].name},nothere*`, '-c', 'touch /tmp/ri-pattern-ran', ...base()],
      ['session', 'new', 'pat', '-H', '~^zz', ...base()],
    ]) {
      fs.rmSync('/tmp/ri-pattern-ran', { force: true });
      const r = await cli(args, state);
      assert.strictEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      const named = args[0] === 'hosts' ? 'db*' : args.includes('front:&back') ? 'front:&back' : args.includes('~^zz') ? '~^zz' : 'nothere*';
      assert.strictEqual(r.stderr, `remote-invoke: host pattern '${named}' matches no host\n`);
      assert.strictEqual(r.stdout, '');
      assert.ok(!fs.existsSync('/tmp/ri-pattern-ran'), 'nothing ran');
    }
    const unreadable = await cli(['hosts', '-i', path.join(dir, 'missing.ini')], state);
    assert.strictEqual(unreadable.code, 2);
    assert.match(unreadable.stderr, /cannot read inventory file '.*missing\.ini': ENOENT/);
  });

  it('-H keeps the old forms: comma lists of aliases and [user@]host[:port]', async () => {
    const [h1, h2] = bed.hosts;
    const r = await cli(['run', '-H', `${h1.name},${bed.user}@${h2.name}:${h2.port}`, '-c', 'echo ok', '--json', ...base()], state);
    assert.strictEqual(r.code, 0, r.stderr);
    const results = linesOf(r.stdout).map((l) => JSON.parse(l)).filter((e) => e.type === 'result');
    assert.deepStrictEqual(results.map((e) => [e.host, e.status]).sort(), [
      [h1.name, 'Completed'],
      [`${bed.user}@${h2.name}:${h2.port}`, 'Completed'],
    ].sort());
  });

  it('-i and patterns on run --as-job and session new; later job and session commands need no -i', async () => {
    const [h1, h2] = bed.hosts;
    const started = await cli(['run', '--as-job', '-H', 'front', '-c', 'echo job-ran', ...base()], state);
    assert.strictEqual(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    const waited = await cli(['job', 'wait', id, '-F', bed.sshConfigPath], state);
    assert.strictEqual(waited.code, 0, waited.stderr);
    const received = await cli(['job', 'receive', id, '--json'], state);
    const lines = linesOf(received.stdout).map((l) => JSON.parse(l)).filter((e) => e.type === 'output');
    assert.deepStrictEqual(lines.map((e) => [e.host, e.line]).sort(), [
      [h1.name, 'job-ran'],
      [h2.name, 'job-ran'],
    ]);
    // (front, not back: back's host3 has ansible_become, and root sessions are live only)
    const session = await cli(['session', 'new', 'fleet', '-H', 'front', ...base()], state);
    assert.strictEqual(session.code, 0, session.stderr);
    const ran = await cli(['run', '--session', 'fleet', '-c', 'echo in-session', '--json', ...base()], state);
    assert.strictEqual(ran.code, 0, ran.stderr + ran.stdout);
    assert.deepStrictEqual(
      linesOf(ran.stdout).map((l) => JSON.parse(l)).filter((e) => e.type === 'output').map((e) => [e.host, e.line]).sort(),
      [
        [h1.name, 'in-session'],
        [h2.name, 'in-session'],
      ],
    );
    assert.strictEqual((await cli(['session', 'remove', 'fleet', ...base()], state)).code, 0);
  });

  it('@failed: a run records its per-host statuses; the next -H @failed reruns only those; then nothing is left', async () => {
    const [, h2, h3] = bed.hosts;
    // Every host is this machine: the sshd a run reached (SSH_CONNECTION) tells them apart.
    const failOnH2 = `set -- $SSH_CONNECTION; [ "$3 $4" = "${h2.address} ${h2.port}" ] && exit 4; exit 0`;
    const first = await cli(['run', '-H', 'all', '-c', failOnH2, ...base()], state);
    assert.strictEqual(first.code, 1, first.stderr);
    const failed = await cli(['hosts', '@failed', '--json', ...base()], state);
    assert.strictEqual(failed.code, 0, failed.stderr);
    assert.deepStrictEqual(linesOf(failed.stdout).map((l) => JSON.parse(l).name), [h2.name]);
    const record = new LastRunStore(state).read();
    assert.deepStrictEqual(record?.hosts.map((h) => h.status), ['Completed', 'Failed', 'Completed']);

    const again = await cli(['run', '-H', '@failed:back', '-c', 'set -- $SSH_CONNECTION; echo "$3 $4"', '--json', ...base()], state);
    assert.strictEqual(again.code, 0, again.stderr);
    const ran = linesOf(again.stdout).map((l) => JSON.parse(l)).filter((e) => e.type === 'result').map((e) => e.host);
    assert.deepStrictEqual(ran.sort(), [h2.name, h3.name]);
    const none = await cli(['hosts', '@failed', ...base()], state);
    assert.strictEqual(none.code, 2);
    assert.strictEqual(none.stderr, "remote-invoke: host pattern '@failed' matches no host\n");
  });
});
