/**
 * The fleet model on real files: Ansible host ranges, the INI and YAML formats with their source
 * positions, group_vars/host_vars in both forms, Ansible's variable precedence (checked against
 * `ansible-inventory` itself), ssh_config Tag groups and alias resolution with provenance, and a
 * run over an INI and a YAML inventory onto real sshd hosts.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { expandHostRange, HostRangeError, invoke, loadFleet, parseIniInventory, parseYamlInventory, SshConfigFile, type Fleet, type HostResult } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { cli, ensureBuilt, linesOf } from './helpers/durable';
import { tmpDir } from './helpers/engine';

function write(dir: string, rel: string, text: string): string {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const at = (r: { start: { line: number; character: number }; end: { line: number; character: number } }) =>
  `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;

describe('Ansible host ranges', () => {
  it('expands numbers with zero padding, steps and several ranges in one name', () => {
    assert.deepStrictEqual(expandHostRange('web[01:03].example.com'), ['web01.example.com', 'web02.example.com', 'web03.example.com']);
    assert.deepStrictEqual(expandHostRange('node[1:10:4]'), ['node1', 'node5', 'node9']);
    assert.deepStrictEqual(expandHostRange('n[8:11]'), ['n8', 'n9', 'n10', 'n11']);
    assert.deepStrictEqual(expandHostRange('r[1:2]-c[a:b]'), ['r1-ca', 'r1-cb', 'r2-ca', 'r2-cb']);
    assert.deepStrictEqual(expandHostRange('x[:2]'), ['x0', 'x1', 'x2']);
    assert.deepStrictEqual(expandHostRange('plain'), ['plain']);
  });

  it('expands letters (a–z then A–Z) with steps', () => {
    assert.deepStrictEqual(expandHostRange('db-[a:f]'), ['db-a', 'db-b', 'db-c', 'db-d', 'db-e', 'db-f']);
    assert.deepStrictEqual(expandHostRange('db-[a:f:2]'), ['db-a', 'db-c', 'db-e']);
    assert.deepStrictEqual(expandHostRange('z[y:B]'), ['zy', 'zz', 'zA', 'zB']);
  });

  it('a numeric range backwards is empty; bad ranges are errors, as in Ansible', () => {
    assert.deepStrictEqual(expandHostRange('web[5:1]'), []);
    for (const bad of ['web[01:5]', 'web[1:]', 'web[1]', 'web[1:2:3:4]', 'web[f:a]', 'web[1:x]', 'web[1:5:0]', 'web[1:5']) {
      assert.throws(() => expandHostRange(bad), HostRangeError, bad);
    }
    assert.throws(() => expandHostRange('huge[1:99999999]'), /more than/);
  });
});

describe('INI inventory', () => {
  const text = [
    '# fleet',
    'loose.example.com',
    '',
    '[web]',
    'web[01:03] ansible_user=deploy   # inline comment',
    "web-extra:2222 note='two words' n=5 t=True",
    '',
    '[db]',
    'db-[a:b]',
    '',
    '[prod:children]',
    'web',
    'db',
    '',
    '[prod:vars]',
    'ansible_port = 2200',
    'ansible_ssh_common_args=-o ProxyJump=bastion',
    '',
  ].join('\n');

  it('keeps the source range of every group, host, child and variable', () => {
    const doc = parseIniInventory(text, '/inv/hosts.ini');
    assert.deepStrictEqual(doc.diagnostics, []);
    assert.deepStrictEqual(
      doc.groups.map((g) => [g.name, g.kind, at(g.nameRange), at(g.range)]),
      [
        ['ungrouped', 'hosts', '1:0-1:0', '1:0-1:17'],
        ['web', 'hosts', '3:1-3:4', '3:0-5:42'],
        ['db', 'hosts', '7:1-7:3', '7:0-8:8'],
        ['prod', 'children', '10:1-10:5', '10:0-12:2'],
        ['prod', 'vars', '14:1-14:5', '14:0-16:44'],
      ],
    );
    const web = doc.groups[1];
    assert.deepStrictEqual(web.hosts[0].names, ['web01', 'web02', 'web03']);
    assert.strictEqual(at(web.hosts[0].range), '4:0-4:10');
    assert.deepStrictEqual(
      web.hosts[0].vars.map((v) => [v.name, v.value, at(v.nameRange), at(v.valueRange)]),
      [['ansible_user', 'deploy', '4:11-4:23', '4:24-4:30']],
    );
    const extra = web.hosts[1];
    assert.strictEqual(extra.pattern, 'web-extra');
    assert.strictEqual(extra.port, 2222);
    assert.deepStrictEqual(
      extra.vars.map((v) => [v.name, v.value]),
      [
        ['note', 'two words'],
        ['n', 5],
        ['t', true],
      ],
    );
    assert.deepStrictEqual(
      doc.groups[3].children.map((c) => [c.name, at(c.range)]),
      [
        ['web', '11:0-11:3'],
        ['db', '12:0-12:2'],
      ],
    );
    assert.deepStrictEqual(
      doc.groups[4].vars.map((v) => [v.name, v.value, at(v.nameRange), at(v.valueRange)]),
      [
        ['ansible_port', 2200, '15:0-15:12', '15:15-15:19'],
        ['ansible_ssh_common_args', '-o ProxyJump=bastion', '16:0-16:23', '16:24-16:44'],
      ],
    );
  });

  it('reports bad lines with their position and goes on', () => {
    const doc = parseIniInventory(['[web', '[web:bogus]', 'a[01:5]', 'b[3:1]', 'c novalue', '[ok]', 'good', "q 'unclosed"].join('\n'), 'f.ini');
    assert.deepStrictEqual(
      doc.diagnostics.map((d) => [d.code, d.range.start.line, d.severity]),
      [
        ['bad-range', 0, 'error'],
        ['syntax', 1, 'error'],
        ['bad-range', 2, 'error'],
        ['empty-range', 3, 'warning'],
        ['syntax', 4, 'error'],
        ['syntax', 7, 'error'],
      ],
    );
    // `[web` is not a section: Ansible reads it as a host line (a bad range), and so do we.
    assert.deepStrictEqual(doc.groups.find((g) => g.name === 'ok')?.hosts.map((h) => h.names), [['good']]);
  });
});

describe('YAML inventory', () => {
  it('reads groups, children, hosts with ranges and ports, vars — with positions', () => {
    const text = [
      'all:', //                                   0
      '  hosts:', //                               1
      '    solo.example.com:', //                  2
      '  vars:', //                                3
      '    ansible_user: ops', //                  4
      '  children:', //                            5
      '    web:', //                               6
      '      hosts:', //                           7
      '        web[1:3]:', //                      8
      '          ansible_port: 2201', //           9
      '        "[::1]:2022":', //                  10
      '    prod:', //                              11
      '      children:', //                        12
      '        web:', //                           13
      '        db:', //                            14
      '          hosts:', //                       15
      '            db-[a:b]:', //                  16
    ].join('\n');
    const doc = parseYamlInventory(text, '/inv/inventory.yml');
    assert.deepStrictEqual(doc.diagnostics, []);
    assert.deepStrictEqual(
      doc.groups.map((g) => [g.name, g.parent ?? '', at(g.nameRange), g.children.map((c) => c.name).join(',')]),
      [
        ['all', '', '0:0-0:3', 'web,prod'],
        ['web', 'all', '6:4-6:7', ''],
        ['prod', 'all', '11:4-11:8', 'web,db'],
        ['web', 'prod', '13:8-13:11', ''],
        ['db', 'prod', '14:8-14:10', ''],
      ],
    );
    const web = doc.groups[1];
    assert.deepStrictEqual(web.hosts.map((h) => [h.names, h.port ?? null, at(h.range)]), [
      [['web1', 'web2', 'web3'], null, '8:8-8:16'],
      [['::1'], 2022, '10:8-10:20'],
    ]);
    assert.deepStrictEqual(web.hosts[0].vars.map((v) => [v.name, v.value, at(v.nameRange), at(v.valueRange)]), [['ansible_port', 2201, '9:10-9:22', '9:24-9:28']]);
    assert.deepStrictEqual(doc.groups[0].vars.map((v) => [v.name, v.value]), [['ansible_user', 'ops']]);
    assert.deepStrictEqual(doc.groups[4].hosts[0].names, ['db-a', 'db-b']);
  });

  it('reports what Ansible would not accept', () => {
    const doc = parseYamlInventory(['web:', '  hosts: [a, b]', '  colour: red', 'db: 5', 'x:', '  hosts:', '    h[1:]:', 'bad: [unclosed'].join('\n'), 'y.yml');
    const codes = doc.diagnostics.map((d) => [d.code, d.range.start.line]);
    assert.deepStrictEqual(codes.slice(0, 1), [['syntax', 7]], JSON.stringify(doc.diagnostics));
    assert.ok(codes.some(([c, l]) => c === 'syntax' && l === 1), 'hosts as a list');
    assert.ok(codes.some(([c, l]) => c === 'syntax' && l === 2), 'unknown key');
    assert.ok(codes.some(([c, l]) => c === 'syntax' && l === 3), 'group not a mapping');
    assert.ok(codes.some(([c, l]) => c === 'bad-range' && l === 6), 'bad range');
  });
});

describe('fleet resolution (real files)', () => {
  let dir: string;
  let fleet: Fleet;
  let sshConfigPath: string;

  before(() => {
    dir = tmpDir('fleet');
    sshConfigPath = write(
      dir,
      'ssh_config',
      [
        'Host web01',
        '  HostName 10.9.9.9',
        '  User sshuser',
        '  Port 2022',
        '  Tag web canary',
        'Host bastion',
        '  HostName 10.9.9.7',
        '  Port 2022',
        '  Tag canary',
        'Host lonely',
        '  HostName 10.9.9.8',
        'Host *',
        '  IdentityFile ~/.ssh/fleet_key',
        '',
      ].join('\n'),
    );
    write(
      dir,
      'inv/hosts.ini',
      [
        '[web]',
        'web[01:03] ansible_user=deploy',
        '',
        '[db]',
        'db-[a:b] ansible_become=yes ansible_become_password=hunter2',
        '',
        '[prod:children]',
        'web',
        'db',
        '',
        '[prod:vars]',
        'ansible_port=2200',
        'ansible_ssh_common_args="-o ProxyJump=bastion -o Compression=yes"',
        'ansible_become_user=postgres',
        '',
        '[win]',
        'win1 ansible_shell_type=powershell ansible_become_method=runas',
      ].join('\n'),
    );
    write(dir, 'inv/group_vars/web.yml', 'ansible_user: from-group-vars\nwhere: group_vars/web\n');
    write(dir, 'inv/group_vars/prod/a.yml', 'where: group_vars/prod\nansible_ssh_private_key_file: ~/.ssh/prod_key\n');
    write(dir, 'inv/group_vars/prod/b.yaml', 'level: b\n');
    write(dir, 'inv/host_vars/web02', 'ansible_host: 10.0.0.2\nansible_port: 2302\n');
    write(dir, 'inv/host_vars/db-a.yml', 'ansible_become_user: dba\n');
    write(dir, 'inv/host_vars/not-in-inventory.yml', 'ansible_host: 10.6.6.6\n');
    fleet = loadFleet({ sshConfigPath, inventoryFiles: [path.join(dir, 'inv/hosts.ini')] });
  });

  it('lists ssh_config aliases and inventory hosts, with Tag and inventory groups', () => {
    assert.deepStrictEqual(fleet.hostNames, ['web01', 'bastion', 'lonely', 'web02', 'web03', 'db-a', 'db-b', 'win1']);
    assert.deepStrictEqual(fleet.host('web01')?.groups, ['canary', 'prod', 'web']);
    assert.deepStrictEqual(fleet.host('bastion')?.groups, ['canary']);
    assert.deepStrictEqual(fleet.host('lonely')?.groups, ['ungrouped']);
    assert.deepStrictEqual(fleet.group('web')?.origins.sort(), ['inventory', 'sshConfigTag']);
    assert.deepStrictEqual(fleet.group('prod')?.hosts, ['web01', 'web02', 'web03', 'db-a', 'db-b']);
    assert.deepStrictEqual(fleet.group('canary')?.hosts, ['web01', 'bastion']);
    assert.deepStrictEqual(fleet.group('all')?.hosts, fleet.hostNames);
    assert.ok(!fleet.host('not-in-inventory'), 'host_vars alone do not make a host');
  });

  it('an alias keeps its ssh_config settings where the inventory says nothing, and the inventory overrides the rest', () => {
    const web01 = fleet.host('web01')!;
    assert.strictEqual(web01.address, '10.9.9.9');
    assert.strictEqual(web01.provenance.address.kind, 'sshConfig');
    assert.strictEqual(web01.provenance.address.key, 'HostName');
    assert.strictEqual(web01.provenance.address.range?.start.line, 1);
    assert.strictEqual(web01.port, 2200, 'prod:vars wins over Port');
    assert.deepStrictEqual([web01.provenance.port.kind, web01.provenance.port.scope, web01.provenance.port.range?.start.line], ['inventory', 'prod', 11]);
    assert.strictEqual(web01.user, 'deploy', 'an inline host variable beats group_vars');
    assert.deepStrictEqual(web01.provenance.user.scope, 'host');
    assert.deepStrictEqual(web01.jumpChain, ['bastion']);
    assert.strictEqual(web01.provenance.jumpChain.key, 'ansible_ssh_common_args');
    assert.strictEqual(web01.identityFiles[0], path.join(process.env.HOME ?? '', '.ssh/prod_key'), 'the inventory key is tried first');
    assert.ok(web01.identityFiles.includes(path.join(process.env.HOME ?? '', '.ssh/fleet_key')));
    assert.strictEqual(web01.provenance.identityFiles.file, path.join(dir, 'inv/group_vars/prod/a.yml'));
    assert.strictEqual(web01.vars.where, 'group_vars/web', 'web is deeper than prod, so its group_vars win');
  });

  it('host_vars (file without extension) beat the inventory; group_vars directories merge their files', () => {
    const web02 = fleet.host('web02')!;
    assert.deepStrictEqual([web02.address, web02.port, web02.user], ['10.0.0.2', 2302, 'deploy']);
    assert.strictEqual(web02.provenance.address.file, path.join(dir, 'inv/host_vars/web02'));
    assert.strictEqual(web02.vars.level, 'b');
    assert.strictEqual(fleet.host('web03')?.address, 'web03', 'no HostName: the name itself');
  });

  it('become settings and shell type; a plain become password is warned about and never kept', () => {
    const dbA = fleet.host('db-a')!;
    assert.deepStrictEqual(dbA.become, { enabled: true, user: 'dba' });
    assert.deepStrictEqual(fleet.host('db-b')?.become, { enabled: true, user: 'postgres' });
    assert.ok(!('ansible_become_password' in dbA.vars));
    assert.ok(!JSON.stringify(fleet.hosts).includes('hunter2'), 'the password is nowhere in the model');
    const secret = fleet.diagnostics.filter((d) => d.code === 'plain-secret');
    assert.strictEqual(secret.length, 1, 'one warning for the line, not one per host');
    assert.deepStrictEqual([secret[0].severity, secret[0].range.start.line], ['warning', 4]);
    assert.match(secret[0].message, /ansible_become_password/);
    const win = fleet.host('win1')!;
    assert.strictEqual(win.shellType, 'powershell');
    assert.deepStrictEqual(win.become, { enabled: false, method: 'runas' });
    assert.strictEqual(fleet.resolve('win1').shellType, 'powershell', 'the engine sees it too');
  });

  it('the engine resolves inventory names (and user@name:port) through the same settings', () => {
    const r = fleet.resolve('web02');
    assert.deepStrictEqual([r.hostName, r.port, r.user, r.proxyJump], ['10.0.0.2', 2302, 'deploy', 'bastion']);
    const typed = fleet.resolve('root@web02:9');
    assert.deepStrictEqual([typed.hostName, typed.port, typed.user], ['10.0.0.2', 9, 'root']);
    const described = fleet.describe('root@web02:9');
    assert.deepStrictEqual([described.provenance.user.kind, described.provenance.port.kind, described.provenance.address.kind], ['target', 'target', 'inventory']);
    const hop = fleet.resolve('bastion');
    assert.deepStrictEqual([hop.hostName, hop.port, hop.proxyJump], ['10.9.9.7', 2022, undefined]);
    assert.ok(
      fleet.diagnostics.some((d) => d.code === 'ignored-variable' && /Compression=yes/.test(d.message)),
      'the ssh arguments that are not acted on are named',
    );
  });

  it('cycles and undefined groups are errors at the line that makes them', () => {
    const inv = write(dir, 'cycle.ini', ['[a:children]', 'b', '[b:children]', 'a', 'ghost', '[c:vars]', 'x=1'].join('\n'));
    const f = loadFleet({ sshConfig: SshConfigFile.fromText(''), inventoryFiles: [inv] });
    const found = f.diagnostics.map((d) => [d.code, d.range.start.line]).sort();
    assert.deepStrictEqual(found, [
      ['group-cycle', 3],
      ['undefined-group', 4],
      ['undefined-group', 5],
    ]);
  });

  it('matches ansible-inventory: groups, members and every variable of every host', function () {
    this.timeout(60_000);
    const found = (process.env.PATH ?? '').split(':').map((d) => path.join(d, 'ansible-inventory')).find((f) => fs.existsSync(f));
    if (!found) this.skip();
    const oracle: string = found;
    const yaml = write(
      dir,
      'yinv/inventory.yml',
      [
        'all:',
        '  vars:',
        '    level: all',
        '    ansible_user: everyone',
        '  children:',
        '    app:',
        '      hosts:',
        '        app[01:04:2]:',
        '        app-x:',
        '          ansible_port: 2201',
        '      vars:',
        '        level: app',
        '    edge:',
        '      children:',
        '        app:',
        '        lb:',
        '          hosts:',
        '            lb-[a:c]:',
        '              level: lb-host',
        '      vars:',
        '        level: edge',
        '        ansible_group_priority: 5',
      ].join('\n'),
    );
    write(dir, 'yinv/group_vars/all.yml', 'from_all_file: 1\nlevel: all-file\ny: n\non: off\n');
    write(dir, 'yinv/group_vars/edge.yml', 'edge_file: yes\n');
    write(dir, 'yinv/host_vars/app01.yml', 'level: host-file\n');
    const ini = path.join(dir, 'inv/hosts.ini');
    for (const files of [[ini], [yaml]]) {
      const ours = loadFleet({ sshConfig: SshConfigFile.fromText(''), inventoryFiles: files });
      const r = spawnSync(oracle, [...files.flatMap((f) => ['-i', f]), '--list'], {
        encoding: 'utf8',
        // With a stdin pipe left open, ansible waits on it for tens of seconds.
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ANSIBLE_LOCALHOST_WARNING: 'False', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False', ANSIBLE_NOCOLOR: '1' },
      });
      assert.strictEqual(r.status, 0, r.stderr);
      const theirs = JSON.parse(r.stdout) as Record<string, { hosts?: string[]; children?: string[] }> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
      const members = (g: string): string[] => [...new Set([...(theirs[g]?.hosts ?? []), ...(theirs[g]?.children ?? []).flatMap(members)])].sort();
      for (const g of ours.groups) if (g.name !== 'all') assert.deepStrictEqual([...g.hosts].sort(), members(g.name), `members of ${g.name} (${files})`);
      assert.deepStrictEqual([...ours.hostNames].sort(), Object.keys(theirs._meta.hostvars).sort(), `hosts of ${files}`);
      for (const [host, vars] of Object.entries(theirs._meta.hostvars)) {
        const expected = Object.fromEntries(Object.entries(vars).filter(([k]) => !k.includes('password')));
        assert.deepStrictEqual(ours.host(host)?.vars, expected, `variables of ${host} (${files})`);
      }
    }
  });
});

describe('inventories onto real sshd hosts', function () {
  this.timeout(60_000);
  let bed: TestBed;
  let dir: string;
  let sshConfigPath: string;
  let ini: string;
  let yaml: string;

  before(async () => {
    ensureBuilt();
    bed = await startTestBed({ count: 3 });
    dir = tmpDir('inventory-run');
    const [h1, h2, h3] = bed.hosts;
    // The bed's aliases, plus what every host needs; the inventories name hosts the ssh_config does not know.
    sshConfigPath = write(
      dir,
      'ssh_config',
      [
        `Include ${bed.sshConfigPath}`,
        'Host *',
        `  UserKnownHostsFile ${bed.knownHostsPath}`,
        '  StrictHostKeyChecking yes',
        '  IdentitiesOnly yes',
        '',
      ].join('\n'),
    );
    ini = write(
      dir,
      'ini/hosts.ini',
      [
        '[web]',
        'web[1:2]',
        '',
        '[db]',
        `${h3.name} ansible_host=${h1.address} ansible_port=${h1.port}`,
        '',
        '[fleet:children]',
        'web',
        'db',
        '',
        '[web:vars]',
        'ansible_user=nobody-would-work',
      ].join('\n'),
    );
    write(dir, 'ini/group_vars/fleet.yml', `ansible_ssh_private_key_file: ${bed.clientKeyPath}\n`);
    write(dir, 'ini/group_vars/web/user.yml', `ansible_user: ${bed.user}\n`);
    write(dir, 'ini/host_vars/web1.yml', `ansible_host: ${h1.address}\nansible_port: ${h1.port}\n`);
    write(dir, 'ini/host_vars/web2', `ansible_host: ${h2.address}\nansible_port: ${h2.port}\nansible_ssh_common_args: -o ProxyJump=${h1.name}\n`);
    yaml = write(
      dir,
      'yaml/inventory.yml',
      [
        'all:',
        '  children:',
        '    app:',
        '      hosts:',
        '        app[01:02]:',
        `          ansible_user: ${bed.user}`,
        '      vars:',
        `        ansible_ssh_private_key_file: ${bed.clientKeyPath}`,
      ].join('\n'),
    );
    write(dir, 'yaml/host_vars/app01.yml', `ansible_host: ${h2.address}\nansible_port: ${h2.port}\n`);
    write(dir, 'yaml/host_vars/app02/connection.yaml', `ansible_host: ${h3.address}\nansible_port: ${h3.port}\n`);
  });

  after(async () => {
    await bed?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** SSH_CONNECTION's server address and port: which sshd the run reached. */
  const reached = (h: { address: string; port: number }) => `${h.address} ${h.port}`;

  it('the engine runs on INI and YAML inventory hosts (ranges, children, group_vars, host_vars, ProxyJump, an alias overridden)', async () => {
    const fleet = loadFleet({ sshConfigPath, inventoryFiles: [ini, yaml] });
    assert.deepStrictEqual(fleet.diagnostics, []);
    const [h1, h2, h3] = bed.hosts;
    const targets = ['web1', 'web2', h3.name, 'app01', 'app02'];
    const run = invoke({ script: { text: 'set -- $SSH_CONNECTION; echo "$3 $4"' }, targets, sshConfig: fleet.sshConfig });
    const lines = new Map<string, string>();
    for await (const e of run) if (e.type === 'output' && e.stream === 'stdout') lines.set(e.host, e.line);
    const results: HostResult[] = await run.results;
    assert.deepStrictEqual(
      results.map((r) => [r.host, r.status]),
      targets.map((t) => [t, 'Completed']),
      JSON.stringify(results),
    );
    assert.deepStrictEqual(Object.fromEntries(lines), {
      web1: reached(h1),
      web2: reached(h2),
      [h3.name]: reached(h1), // the alias's HostName and Port, overridden by ansible_host/ansible_port
      app01: reached(h2),
      app02: reached(h3),
    });
    assert.deepStrictEqual(fleet.host('web2')?.jumpChain, [h1.name]);
  });

  it('the CLI runs a group pattern over both inventories (-i twice) and prints where settings came from', async () => {
    const state = tmpDir('inventory-state');
    const [h1, h2, h3] = bed.hosts;
    const r = await cli(['run', '-F', sshConfigPath, '-i', ini, '-i', yaml, '-H', 'fleet:app:!web2', '-c', 'set -- $SSH_CONNECTION; echo "$3 $4"', '--json'], state);
    assert.strictEqual(r.code, 0, r.stderr);
    const events = linesOf(r.stdout).map((l) => JSON.parse(l) as { type: string; host: string; line?: string; status?: string });
    assert.deepStrictEqual(
      events.filter((e) => e.type === 'output').map((e) => [e.host, e.line]).sort(),
      [
        ['app01', reached(h2)],
        ['app02', reached(h3)],
        [h3.name, reached(h1)],
        ['web1', reached(h1)],
      ].sort(),
    );
    const hosts = await cli(['hosts', 'web2', '-F', sshConfigPath, '-i', ini, '--json'], state);
    assert.strictEqual(hosts.code, 0, hosts.stderr);
    const [web2] = linesOf(hosts.stdout).map((l) => JSON.parse(l));
    assert.strictEqual(web2.address, h2.address);
    assert.strictEqual(web2.user, bed.user);
    assert.deepStrictEqual(web2.groups, ['fleet', 'web']);
    assert.deepStrictEqual(web2.sources.address, { kind: 'inventory', file: path.join(dir, 'ini/host_vars/web2'), line: 1, column: 1, key: 'ansible_host', scope: 'host' });
    assert.deepStrictEqual(web2.sources.user, { kind: 'inventory', file: path.join(dir, 'ini/group_vars/web/user.yml'), line: 1, column: 1, key: 'ansible_user', scope: 'web' });
    fs.rmSync(state, { recursive: true, force: true });
  });
});
