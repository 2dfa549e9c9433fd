/**
 * The group tree behind the Hosts view (unit): shape, tri-state counts, hosts in two groups,
 * filters, target descriptions, and its cost at 2,000 hosts in 100 groups.
 */
import * as assert from 'assert';
import { HostTree } from '../../src/core/inventory/hostTree';

const fleet = () =>
  new HostTree({
    hosts: [
      { name: 'web1', groups: ['web', 'prod'] },
      { name: 'web2', groups: ['web'] },
      { name: 'db1', groups: ['db', 'prod', 'all'] },
      { name: 'bastion', groups: ['ungrouped'] },
      { name: 'laptop', groups: [] },
    ],
    groups: [{ name: 'dc1', children: ['web', 'db'] }, { name: 'empty' }],
  });

describe('Host tree (unit)', () => {
  it('groups at the top (children under their parent), then hosts in no group; all/ungrouped are not groups', () => {
    const t = fleet();
    assert.deepStrictEqual(t.roots(), [
      { kind: 'group', name: 'dc1' },
      { kind: 'group', name: 'empty' },
      { kind: 'group', name: 'prod' },
      { kind: 'host', name: 'bastion' },
      { kind: 'host', name: 'laptop' },
    ]);
    assert.deepStrictEqual(t.children('dc1'), [
      { kind: 'group', name: 'web' },
      { kind: 'group', name: 'db' },
    ]);
    assert.deepStrictEqual(t.children('web'), [
      { kind: 'host', name: 'web1' },
      { kind: 'host', name: 'web2' },
    ]);
    assert.deepStrictEqual(t.hostsOf('dc1'), ['web1', 'web2', 'db1']);
    assert.deepStrictEqual(t.groupsOf('db1'), ['db', 'prod']);
    assert.deepStrictEqual(t.ancestorsOf('web1').sort(), ['dc1', 'prod', 'web']);
  });

  it('tri-state: a group is all, some or none of its hosts (children included); one checked state per host', () => {
    const t = fleet();
    const checked = new Set(['web1']);
    // web1 is in web and prod: checked once, it counts in both.
    assert.deepStrictEqual(t.groupCheck('web', checked), { state: 'some', checked: 1, total: 2 });
    assert.deepStrictEqual(t.groupCheck('prod', checked), { state: 'some', checked: 1, total: 2 });
    assert.deepStrictEqual(t.groupCheck('dc1', checked), { state: 'some', checked: 1, total: 3 });
    assert.deepStrictEqual(t.groupCheck('db', checked), { state: 'none', checked: 0, total: 1 });
    checked.add('web2');
    assert.strictEqual(t.groupCheck('web', checked).state, 'all');
    assert.strictEqual(t.groupCheck('dc1', checked).state, 'some');
    checked.add('db1');
    assert.strictEqual(t.groupCheck('dc1', checked).state, 'all');
    assert.deepStrictEqual(t.groupCheck('empty', checked), { state: 'none', checked: 0, total: 0 });
  });

  it('a cycle of child groups neither hangs nor hides its hosts', () => {
    const t = new HostTree({
      hosts: [{ name: 'a1', groups: ['a'] }, { name: 'b1', groups: ['b'] }],
      groups: [{ name: 'a', children: ['b'] }, { name: 'b', children: ['a'] }],
    });
    assert.deepStrictEqual(t.roots(), [{ kind: 'group', name: 'a' }]);
    assert.deepStrictEqual(t.hostsOf('a'), ['a1', 'b1']);
    assert.deepStrictEqual(t.hostsOf('b'), ['a1', 'b1']);
  });

  it('filter: host names (substring or glob), extra text such as the address, and group names (all their hosts)', () => {
    const t = fleet();
    const byName = t.filter('WEB');
    assert.deepStrictEqual(byName.hosts(), ['web1', 'web2']);
    assert.deepStrictEqual(byName.entries(), [
      { kind: 'group', name: 'dc1' },
      { kind: 'group', name: 'prod' },
    ]);
    assert.deepStrictEqual(byName.entries('dc1'), [{ kind: 'group', name: 'web' }]);
    // prod's name does not match: only its matching host shows.
    assert.deepStrictEqual(byName.entries('prod'), [{ kind: 'host', name: 'web1' }]);
    assert.deepStrictEqual(t.filter('*b1').hosts(), ['web1', 'db1']);
    assert.deepStrictEqual(t.filter('prod').hosts(), ['web1', 'db1']);
    assert.deepStrictEqual(t.filter('10.0.0.', (h) => (h === 'laptop' ? '10.0.0.7' : '')).hosts(), ['laptop']);
    assert.deepStrictEqual(t.filter('').hosts(), ['web1', 'web2', 'db1', 'bastion', 'laptop']);
    assert.deepStrictEqual(t.filter('zzz').entries(), []);
    // A group found by name shows alone: its hosts do not pull in the other groups they are in.
    const dcOnly = t.filter('dc1');
    assert.deepStrictEqual(dcOnly.entries(), [{ kind: 'group', name: 'dc1' }]);
    assert.deepStrictEqual(dcOnly.hosts(), ['web1', 'web2', 'db1']);
    // A matching child group shows under its parent, which shows nothing else.
    const db = t.filter('db');
    assert.deepStrictEqual(db.entries(), [{ kind: 'group', name: 'dc1' }, { kind: 'group', name: 'prod' }]);
    assert.deepStrictEqual(db.entries('dc1'), [{ kind: 'group', name: 'db' }]);
    assert.deepStrictEqual(db.hostsShownUnder('dc1'), ['db1']);
    assert.deepStrictEqual(db.hostsShownUnder('prod'), ['db1']);
    // Hosts a target pattern selected: only they show, under their groups.
    const picked = t.filter('web:!prod', undefined, new Set(['web2']));
    assert.deepStrictEqual(picked.entries(), [{ kind: 'group', name: 'dc1' }]);
    assert.deepStrictEqual(picked.hosts(), ['web2']);
  });

  it('describe: wholly checked groups by name (largest first), then the loose hosts', () => {
    const t = fleet();
    assert.strictEqual(t.describe(['web1', 'web2', 'db1']).text, '3 hosts: dc1 (3)');
    assert.strictEqual(t.describe(['web1', 'web2', 'laptop']).text, '3 hosts: web (2), laptop');
    assert.strictEqual(t.describe(['bastion']).text, '1 host: bastion');
    const many = new HostTree({ hosts: Array.from({ length: 30 }, (_, i) => ({ name: `h${i}`, groups: [] })) });
    assert.strictEqual(many.describe(many.hostNames).text, '30 hosts: h0, h1, h2, h3, h4, h5 and 24 more');
  });

  it('2,000 hosts in 100 groups (each host in two): build, count every group and filter in well under 100 ms of CPU', () => {
    const hosts = Array.from({ length: 2000 }, (_, i) => ({ name: `host${String(i).padStart(4, '0')}`, groups: [`g${i % 100}`, `r${Math.floor(i / 200)}`] }));
    // CPU time, not wall time: the machine running the tests is shared. The process's CPU time
    // also takes in a garbage collection or a socket another test left: the cheapest of three counts.
    const build = () => {
      const c0 = process.cpuUsage();
      const t = new HostTree({ hosts });
      const checked = new Set(hosts.filter((_, i) => i % 3 === 0).map((h) => h.name));
      const states = t.groupNames.map((g) => t.groupCheck(g, checked).state);
      const f = t.filter('host1*');
      const visible = f.hosts();
      for (const g of f.entries()) if (g.kind === 'group') f.entries(g.name);
      const used = process.cpuUsage(c0);
      return { t, states, visible, ms: (used.user + used.system) / 1000 };
    };
    const samples = [build(), build(), build()];
    const { t, states, visible } = samples[2];
    const ms = Math.min(...samples.map((s) => s.ms));
    console.log(`      2,000 hosts / 110 groups: tree, all group counts and a filter in ${ms.toFixed(1)} ms of CPU`);
    assert.strictEqual(t.groupNames.length, 110);
    assert.ok(states.includes('some'));
    assert.strictEqual(visible.length, 1000);
    assert.ok(ms < 100, `${ms} ms`);
  });
});
