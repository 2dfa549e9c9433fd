/**
 * The sidebar's group edits of Ansible INI inventories (unit, on real files in
 * test/core/fixtures/inventory): everything outside the changed lines stays byte for byte, and
 * Ansible itself (`ansible-inventory`) reads the edited file as meant.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseInventory } from '../../src/core';
import { iniAddGroup, iniAddHosts, iniGroupHosts, iniRemoveHosts, InventoryEditError } from '../../src/core/inventory/iniEdit';

const FIXTURES = path.join(__dirname, 'fixtures/inventory');
const read = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

/** The lines of `after` that are not in `before`, and the other way round (a line diff by longest common subsequence). */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split(/(?<=\n)/);
  const b = after.split(/(?<=\n)/);
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const added: string[] = [];
  const removed: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) added.push(b[j++]);
    else removed.push(a[i++]);
  }
  return { added, removed };
}

let ansibleAvailable = true;
/** Ansible's own reading of an inventory: group → hosts (direct and through children). */
function ansibleGroups(text: string): Record<string, string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-ini-'));
  try {
    const file = path.join(dir, 'inventory.ini');
    fs.writeFileSync(file, text);
    const out = execFileSync('ansible-inventory', ['-i', file, '--list'], {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_LOCAL_TEMP: dir, ANSIBLE_HOME: dir, ANSIBLE_INVENTORY_UNPARSED_FAILED: 'True' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const list = JSON.parse(out) as Record<string, { hosts?: string[]; children?: string[] }>;
    const hostsOf = (g: string): string[] => [...(list[g]?.hosts ?? []), ...(list[g]?.children ?? []).flatMap(hostsOf)];
    return Object.fromEntries(Object.keys(list).filter((k) => k !== '_meta').map((g) => [g, [...new Set(hostsOf(g))].sort()]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('INI inventory edits keep the file byte for byte (unit)', () => {
  before(function () {
    try {
      execFileSync('ansible-inventory', ['--version'], { stdio: 'ignore' });
    } catch {
      ansibleAvailable = false;
    }
  });

  it('Add to Group puts each host on its own line after the group\'s last host line, before its trailing comments', () => {
    const before = read('production.ini');
    const { text, added, already } = iniAddHosts(before, 'db', ['db-new', 'db-other']);
    assert.deepStrictEqual(added, ['db-new', 'db-other']);
    assert.deepStrictEqual(already, []);
    assert.deepStrictEqual(lineDiff(before, text), { added: ['db-new\n', 'db-other\n'], removed: [] });
    assert.ok(text.includes('db-[a:c].example.com ansible_user=postgres\ndb-new\ndb-other\n\n[web:vars]'), text);
  });

  it('with two [web] sections, adds to the last one; a host already listed is not added twice', () => {
    const before = read('production.ini');
    const { text, added, already } = iniAddHosts(before, 'web', ['web01', 'web05']);
    assert.deepStrictEqual(added, ['web05']);
    assert.deepStrictEqual(already, ['web01']);
    assert.deepStrictEqual(lineDiff(before, text), { added: ['web05\n'], removed: [] });
    assert.ok(text.endsWith('[web]\nweb04\nweb05\n'), text);
    // The engine's own parser (what runs and the language server use) reads the same.
    const doc = parseInventory(text, 'production.ini');
    assert.deepStrictEqual(doc.diagnostics.filter((d) => d.severity === 'error'), []);
    const webHosts = doc.groups.filter((g) => g.name === 'web' && g.kind === 'hosts').flatMap((g) => g.hosts.flatMap((h) => h.names));
    assert.deepStrictEqual(webHosts, ['web01', 'web02', 'web04', 'web05']);
    if (ansibleAvailable) {
      const groups = ansibleGroups(text);
      assert.deepStrictEqual(groups.web, ['web01', 'web02', 'web04', 'web05']);
      assert.ok(groups.prod.includes('web05'));
      assert.deepStrictEqual(groups.ungrouped, ['bastion']);
    }
  });

  it('the commented-out host line is not a host: adding web03 adds a real line and keeps the comment', () => {
    const before = read('production.ini');
    const { text } = iniAddHosts(before, 'web', ['web03']);
    assert.ok(text.includes(';web03  ansible_host=10.0.1.13\n'), 'the comment stays');
    assert.deepStrictEqual(lineDiff(before, text).added, ['web03\n']);
  });

  it('a group not in the file gets a new section at the end, after one blank line', () => {
    const before = read('production.ini');
    const { text } = iniAddHosts(before, 'canary', ['web01', 'db-a.example.com']);
    assert.strictEqual(text, before + '\n[canary]\nweb01\ndb-a.example.com\n');
    if (ansibleAvailable) assert.deepStrictEqual(ansibleGroups(text).canary, ['db-a.example.com', 'web01']);
  });

  it('New Group appends an empty section; an existing group, a reserved or an invalid name is refused with the reason', () => {
    const before = read('production.ini');
    assert.strictEqual(iniAddGroup(before, 'staging'), before + '\n[staging]\n');
    assert.throws(() => iniAddGroup(before, 'web'), (e: Error) => e instanceof InventoryEditError && /already/.test(e.message));
    // [prod:children] defines prod even without a [prod] section.
    assert.throws(() => iniAddGroup(before, 'prod'), /already/);
    assert.throws(() => iniAddGroup(before, 'all'), /every inventory has/);
    for (const bad of ['', 'web servers', 'web]', '1st', 'a:b', 'x#y', 'web\n[evil]']) assert.throws(() => iniAddGroup(before, bad), InventoryEditError, bad);
    assert.throws(() => iniAddHosts(before, 'web', ['bad host']), /cannot be written/);
    assert.throws(() => iniAddHosts(before, 'web', ['x\n[all:vars]']), /cannot be written/);
    assert.throws(() => iniAddHosts(before, 'web', ['web[1:3]']), /cannot be written/);
  });

  it('Remove from Group deletes only the host\'s lines, in every [web] section; variables and comments stay', () => {
    const before = read('production.ini');
    const out = iniRemoveHosts(before, 'web', ['web02', 'web04', 'nothere']);
    assert.deepStrictEqual(out.removed, ['web02', 'web04']);
    assert.deepStrictEqual(out.notFound, ['nothere']);
    assert.deepStrictEqual(lineDiff(before, out.text), { added: [], removed: ['web02   ansible_host=10.0.1.12\n', 'web04\n'] });
    assert.deepStrictEqual(iniGroupHosts(out.text, 'web'), ['web01']);
    if (ansibleAvailable) assert.deepStrictEqual(ansibleGroups(out.text).web, ['web01']);
  });

  it('a host that comes from a range line is reported, not removed (the range would have to be rewritten)', () => {
    const before = read('production.ini');
    const out = iniRemoveHosts(before, 'db', ['db-b.example.com']);
    assert.strictEqual(out.text, before);
    assert.deepStrictEqual(out.removed, []);
    assert.deepStrictEqual(out.inRanges.map((r) => [r.host, r.pattern]), [['db-b.example.com', 'db-[a:c].example.com']]);
  });

  it('a host in [web] is not removed from [web:vars] or [prod:children] lines of the same name', () => {
    const text = '[web]\nweb\n\n[prod:children]\nweb\n';
    const out = iniRemoveHosts(text, 'web', ['web']);
    assert.strictEqual(out.text, '[web]\n\n[prod:children]\nweb\n');
  });

  it('CRLF files get CRLF lines', () => {
    const before = read('crlf.ini');
    const added = iniAddHosts(before, 'web', ['web03']).text;
    assert.strictEqual(added, '[web]\r\nweb01\r\nweb02\r\nweb03\r\n\r\n[db]\r\ndb1\r\n');
    assert.strictEqual(iniAddGroup(before, 'cache'), before + '\r\n[cache]\r\n');
    assert.strictEqual(iniRemoveHosts(added, 'web', ['web03']).text, before);
  });

  it('a file without a final newline: only the line added after gets one', () => {
    const before = read('no-final-newline.ini');
    assert.strictEqual(iniAddHosts(before, 'edge', ['edge3']).text, before + '\nedge3\n');
    assert.strictEqual(iniAddGroup(before, 'core'), before + '\n\n[core]\n');
    assert.strictEqual(iniRemoveHosts(before, 'edge', ['edge2']).text, '# no newline at the end\n[edge]\nedge1\n');
  });

  it('an empty file becomes one section', () => {
    const before = read('empty.ini');
    assert.strictEqual(iniAddHosts(before, 'web', ['a', 'b']).text, '[web]\na\nb\n');
    assert.strictEqual(iniAddGroup(before, 'web'), '[web]\n');
  });

  it('add then remove gives back the original file exactly', () => {
    for (const name of ['production.ini', 'crlf.ini', 'no-final-newline.ini']) {
      const before = read(name);
      for (const group of ['web', 'db', 'edge', 'newgroup']) {
        const { text } = iniAddHosts(before, group, ['zz1', 'zz2']);
        const back = iniRemoveHosts(text, group, ['zz1', 'zz2']).text;
        // The one byte an edit may leave: the newline the last line needed to have a line after it.
        const expected = iniGroupHosts(before, group).length ? (before.endsWith('\n') ? before : before + '\n') : back;
        assert.strictEqual(back, expected, `${name} ${group}`);
      }
    }
  });
});
