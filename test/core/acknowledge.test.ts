/**
 * Acknowledged offsets (unit): the offsets a durable session saves for another process advance
 * only over lines the consumer has said are out, at chunk boundaries, never past a line it has
 * not been given.
 */
import * as assert from 'assert';
import { EventEmitter } from 'events';
import { FramedShell } from '../../src/core/session/remoteShell';

class FakeTransport extends EventEmitter {
  paused = false;
  write(): void {}
  pause(): void {}
  resume(): void {}
  signalGroup(): void {}
  async close(): Promise<void> {}
}

function shellWithRun() {
  const shell = new FramedShell('RItoken', { hello: { pid: 1, pgid: 1, shell: 'bash', dir: '/x' }, offsets: { stdout: 100, stderr: 7 } });
  const transport = new FakeTransport();
  shell.attach(transport as never);
  shell.trackAcknowledgements();
  const lines: string[] = [];
  void shell.run({ text: ':', fileName: 'f', args: [] }, { line: (_s, l) => (lines.push(l), true), drained: async () => undefined });
  const data = (text: string, stream: 'stdout' | 'stderr' = 'stdout') => transport.emit('data', stream, Buffer.from(text));
  return { shell, lines, data };
}

describe('acknowledged offsets (unit)', () => {
  it('start where the record said, and move only as lines are acknowledged', () => {
    const { shell, lines, data } = shellWithRun();
    assert.deepStrictEqual(shell.resumeOffsets, { stdout: 100, stderr: 7 });
    data('one\ntwo\n');
    data('three\nfou');
    assert.deepStrictEqual(lines, ['one', 'two', 'three']);
    assert.strictEqual(shell.resumeOffsets.stdout, 100, 'nothing acknowledged yet');
    shell.acknowledge('stdout', 1);
    assert.strictEqual(shell.resumeOffsets.stdout, 100, 'one line is inside the first chunk: resume before it (repeat, never skip)');
    shell.acknowledge('stdout', 2);
    assert.strictEqual(shell.resumeOffsets.stdout, 108);
    shell.acknowledge('stdout', 3);
    assert.strictEqual(shell.resumeOffsets.stdout, 114, 'after "three\\n"; the partial "fou" is not a line yet');
    assert.strictEqual(shell.resumeOffsets.stderr, 7, 'each stream on its own');
  });

  it('an empty line held back (it may be the newline before a marker) stays on the unacknowledged side', () => {
    const { shell, lines, data } = shellWithRun();
    data('a\n\n');
    assert.deepStrictEqual(lines, ['a']);
    shell.acknowledge('stdout', 1);
    assert.strictEqual(shell.resumeOffsets.stdout, 102, 'resume at the held newline, so it is read again');
    data('b\n');
    assert.deepStrictEqual(lines, ['a', '', 'b']);
    shell.acknowledge('stdout', 3);
    assert.strictEqual(shell.resumeOffsets.stdout, 105);
  });

  it('without tracking, the saved offsets follow what was received', () => {
    const shell = new FramedShell('RItoken', { hello: { pid: 1, pgid: 1, shell: 'bash', dir: '/x' } });
    const transport = new FakeTransport();
    shell.attach(transport as never);
    transport.emit('data', 'stdout', Buffer.from('x\ny'));
    assert.strictEqual(shell.resumeOffsets.stdout, 2);
  });
});
