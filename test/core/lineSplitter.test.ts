/**
 * Line framing (unit): LineSplitter and the FramedLineReader the session shell reads through.
 * The shell writes `\n<marker>\n` after each run's output, so the reader must give back exactly
 * the script's lines: a last line without newline, empty lines, UTF-8 split across chunks, and
 * marker look-alikes that are not ours.
 */
import * as assert from 'assert';
import { LineSplitter } from '../../src/core';
import { FramedLineReader, MAX_LINE_BYTES } from '../../src/core/output/lineSplitter';

const TOKEN = 'RI' + '0123456789abcdef'.repeat(2);
const MARK = `${TOKEN} E 1 0`;

/** Feeds chunks, returns the items as compact strings: plain lines as-is, markers as <M:...>. */
function frame(chunks: (string | Buffer)[], end = false): string[] {
  const r = new FramedLineReader((l) => l.startsWith(TOKEN));
  const out: string[] = [];
  for (const c of chunks) {
    for (const item of r.push(Buffer.isBuffer(c) ? c : Buffer.from(c))) out.push(item.marker !== undefined ? `<M:${item.marker}>` : item.line);
  }
  if (end) out.push(...r.end());
  return out;
}

/** What the shell sends for a script that printed `output`. */
const framed = (output: string) => `${output}\n${MARK}\n`;

describe('line framing (unit)', () => {
  describe('LineSplitter', () => {
    it('splits lines and keeps a partial line until flush', () => {
      const s = new LineSplitter();
      assert.deepStrictEqual(s.push(Buffer.from('a\nb\nc')), ['a', 'b']);
      assert.deepStrictEqual(s.push(Buffer.from('d\n')), ['cd']);
      assert.deepStrictEqual(s.push(Buffer.from('tail')), []);
      assert.deepStrictEqual(s.flush(), ['tail']);
      assert.deepStrictEqual(s.flush(), []);
    });

    it('keeps empty lines and \\r', () => {
      const s = new LineSplitter();
      assert.deepStrictEqual(s.push(Buffer.from('\n\nx\r\n\n')), ['', '', 'x\r', '']);
    });

    it('decodes UTF-8 split anywhere across chunks', () => {
      const text = 'ünïcödé ✓ 日本語 🚀\nzweite Zeile\n';
      const bytes = Buffer.from(text);
      for (let cut = 1; cut < bytes.length; cut++) {
        const s = new LineSplitter();
        const lines = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut)), ...s.flush()];
        assert.deepStrictEqual(lines, ['ünïcödé ✓ 日本語 🚀', 'zweite Zeile'], `cut at ${cut}`);
      }
      const s = new LineSplitter();
      const oneByOne = [...bytes].flatMap((b) => s.push(Buffer.from([b])));
      assert.deepStrictEqual(oneByOne, ['ünïcödé ✓ 日本語 🚀', 'zweite Zeile']);
    });

    it('delivers an endless line in bounded pieces', () => {
      const s = new LineSplitter();
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let delivered = 0;
      for (let i = 0; i < 40; i++) for (const l of s.push(chunk)) delivered += l.length;
      for (const l of s.flush()) delivered += l.length;
      assert.strictEqual(delivered, 40 * 64 * 1024);
      // nothing larger than the cap plus one chunk was ever held
      const s2 = new LineSplitter();
      for (let i = 0; i < 40; i++) for (const l of s2.push(chunk)) assert.ok(l.length <= MAX_LINE_BYTES + chunk.length);
    });
  });

  describe('FramedLineReader', () => {
    it('last line without newline arrives as a line, the framing newline is not an extra line', () => {
      assert.deepStrictEqual(frame([framed('a\nb')]), ['a', 'b', `<M:${MARK}>`]);
    });

    it('output ending in newline: no extra empty line', () => {
      assert.deepStrictEqual(frame([framed('a\nb\n')]), ['a', 'b', `<M:${MARK}>`]);
    });

    it('empty lines are kept, also at the end and the start', () => {
      assert.deepStrictEqual(frame([framed('\na\n\n\nb\n\n')]), ['', 'a', '', '', 'b', '', `<M:${MARK}>`]);
      assert.deepStrictEqual(frame([framed('\n')]), ['', `<M:${MARK}>`]);
      assert.deepStrictEqual(frame([framed('\n\n')]), ['', '', `<M:${MARK}>`]);
    });

    it('no output at all: just the marker', () => {
      assert.deepStrictEqual(frame([framed('')]), [`<M:${MARK}>`]);
    });

    it('the same result however the bytes are chunked', () => {
      const output = 'x\n\n\nünï\n\nlast';
      const whole = Buffer.from(framed(output) + framed('second\n\n'));
      const expected = frame([whole]);
      assert.deepStrictEqual(expected, ['x', '', '', 'ünï', '', 'last', `<M:${MARK}>`, 'second', '', `<M:${MARK}>`]);
      for (let cut = 1; cut < whole.length; cut++) {
        assert.deepStrictEqual(frame([whole.subarray(0, cut), whole.subarray(cut)]), expected, `cut at ${cut}`);
      }
      assert.deepStrictEqual(frame([...whole].map((b) => Buffer.from([b]))), expected, 'byte by byte');
    });

    it('lines that look like markers but carry another token are output', () => {
      const fake = `RI${'f'.repeat(32)} E 1 0`;
      const fakeHello = `RI${'a'.repeat(32)} H 1 1 bash /tmp/x`;
      assert.deepStrictEqual(frame([framed(`${fake}\n${fakeHello}\n ${MARK}`)]), [fake, fakeHello, ` ${MARK}`, `<M:${MARK}>`]);
    });

    it('end() flushes a held empty line and a partial line when the stream ends without a marker', () => {
      assert.deepStrictEqual(frame(['a\n\n', 'part'], true), ['a', '', 'part']);
      assert.deepStrictEqual(frame(['a\n', '\n'], true), ['a', '']);
      assert.deepStrictEqual(frame(['a\n'], true), ['a']);
    });

    it('an empty line held before a chunk boundary is released when more output follows', () => {
      assert.deepStrictEqual(frame(['a\n\n', 'b\n', framed('')]), ['a', '', 'b', `<M:${MARK}>`]);
    });
  });
});
