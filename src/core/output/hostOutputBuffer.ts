import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OutputStream } from '../types';

export interface OutputLine {
  stream: OutputStream;
  line: string;
}

export interface HostOutputBufferOptions {
  /** Bytes of output kept in memory before the whole output moves to a spill file. */
  memoryLimitBytes?: number;
  /** Lines always kept from the start (for result previews). */
  headLines?: number;
  spillDir?: string;
}

const SPILL_FLUSH_BYTES = 1 << 16;

/**
 * One host's output for one run, bounded in memory: the first lines and a tail stay in memory;
 * beyond the limit the full text goes to a private temp file, so 100 MB of output costs a file,
 * not 100 MB of heap.
 */
export class HostOutputBuffer {
  private readonly limit: number;
  private readonly headLimit: number;
  private readonly spillDir: string;
  readonly head: OutputLine[] = [];
  private tailLines: OutputLine[] = [];
  private tailBytes = 0;
  private spillFd: number | undefined;
  private spillPending: string[] = [];
  private spillPendingBytes = 0;
  spillPath: string | undefined;
  lineCount = 0;
  byteCount = 0;

  constructor(options: HostOutputBufferOptions = {}) {
    this.limit = options.memoryLimitBytes ?? 4 << 20;
    this.headLimit = options.headLines ?? 50;
    this.spillDir = options.spillDir ?? os.tmpdir();
  }

  get spilled(): boolean {
    return this.spillPath !== undefined;
  }

  append(stream: OutputStream, line: string): void {
    const entry = { stream, line };
    const size = Buffer.byteLength(line) + 1;
    this.lineCount++;
    this.byteCount += size;
    if (this.head.length < this.headLimit) this.head.push(entry);
    this.tailLines.push(entry);
    this.tailBytes += size;
    if (!this.spilled && this.byteCount > this.limit) this.startSpill();
    if (this.spilled) {
      this.queueSpill(line + '\n');
      this.trimTail();
    }
  }

  /** The most recent lines held in memory (all of them while nothing has spilled). */
  tail(): OutputLine[] {
    return this.tailLines;
  }

  /** The whole output as text, from memory or from the spill file. */
  text(): string {
    if (!this.spilled) return this.tailLines.map((l) => l.line + '\n').join('');
    this.flushSpill();
    return fs.readFileSync(this.spillPath as string, 'utf8');
  }

  dispose(): void {
    if (this.spillFd !== undefined) fs.closeSync(this.spillFd);
    this.spillFd = undefined;
    if (this.spillPath) fs.rmSync(path.dirname(this.spillPath), { recursive: true, force: true });
    this.spillPath = undefined;
  }

  private startSpill(): void {
    const dir = fs.mkdtempSync(path.join(this.spillDir, 'remote-invoke-output-'));
    this.spillPath = path.join(dir, 'output.txt');
    this.spillFd = fs.openSync(this.spillPath, 'w', 0o600);
    // Everything so far is still in the tail; it goes to the file first, in order.
    this.spillPending = this.tailLines.slice(0, -1).map((l) => l.line + '\n');
    this.spillPendingBytes = this.byteCount;
  }

  private queueSpill(text: string): void {
    this.spillPending.push(text);
    this.spillPendingBytes += text.length;
    if (this.spillPendingBytes >= SPILL_FLUSH_BYTES) this.flushSpill();
  }

  private flushSpill(): void {
    if (this.spillFd === undefined || !this.spillPending.length) return;
    fs.writeSync(this.spillFd, this.spillPending.join(''));
    this.spillPending = [];
    this.spillPendingBytes = 0;
  }

  /** Trims in batches (down to a quarter of the limit once over half) so appends stay O(1). */
  private trimTail(): void {
    if (this.tailBytes <= this.limit / 2) return;
    const keep = this.limit / 4;
    let drop = 0;
    while (this.tailBytes > keep && drop < this.tailLines.length - 1) {
      this.tailBytes -= Buffer.byteLength(this.tailLines[drop].line) + 1;
      drop++;
    }
    if (drop) this.tailLines = this.tailLines.slice(drop);
  }
}
