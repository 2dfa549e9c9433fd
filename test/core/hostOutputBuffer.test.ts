import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HostOutputBuffer } from '../../src/core';

describe('HostOutputBuffer (bounded memory, spill to a private file)', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-buffer-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps small output in memory, in order, with both streams', () => {
    const b = new HostOutputBuffer({ memoryLimitBytes: 1024, spillDir: dir });
    b.append('stdout', 'one');
    b.append('stderr', 'two');
    assert.strictEqual(b.spilled, false);
    assert.strictEqual(b.text(), 'one\ntwo\n');
    assert.deepStrictEqual(b.head.map((l) => l.stream), ['stdout', 'stderr']);
    b.dispose();
  });

  it('beyond the limit spills everything to a 0600 file, keeps head and a bounded tail, and loses nothing', () => {
    const b = new HostOutputBuffer({ memoryLimitBytes: 64 * 1024, headLines: 5, spillDir: dir });
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    for (const l of lines) b.append('stdout', l);
    assert.strictEqual(b.spilled, true);
    assert.strictEqual((fs.statSync(b.spillPath as string).mode & 0o777).toString(8), '600');
    assert.deepStrictEqual(b.head.map((l) => l.line), lines.slice(0, 5));
    const tailBytes = b.tail().reduce((n, l) => n + l.line.length + 1, 0);
    assert.ok(tailBytes <= 64 * 1024, `tail holds ${tailBytes} bytes`);
    assert.strictEqual(b.tail().at(-1)?.line, lines.at(-1));
    assert.strictEqual(b.text(), lines.map((l) => l + '\n').join(''));
    assert.strictEqual(b.lineCount, lines.length);
    const spill = b.spillPath as string;
    b.dispose();
    assert.ok(!fs.existsSync(spill), 'dispose removes the spill file');
  });
});
