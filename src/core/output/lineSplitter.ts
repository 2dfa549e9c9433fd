import { StringDecoder } from 'node:string_decoder';

/** A line longer than this is delivered in pieces, so one endless line cannot exhaust memory. */
export const MAX_LINE_BYTES = 1 << 20;

/**
 * Splits a byte stream into UTF-8 lines. `push` returns the complete lines in the chunk; `flush`
 * returns the last line even when it has no newline.
 */
export class LineSplitter {
  private decoder = new StringDecoder('utf8');
  private partial = '';

  push(chunk: Buffer): string[] {
    // The carried-over piece joins the first line only: prefixing it to the whole chunk would
    // copy every chunk once more before splitting.
    const lines = this.decoder.write(chunk).split('\n');
    if (this.partial) lines[0] = this.partial + lines[0];
    this.partial = lines.pop() ?? '';
    if (this.partial.length > MAX_LINE_BYTES) {
      lines.push(this.partial);
      this.partial = '';
    }
    return lines;
  }

  flush(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    this.decoder = new StringDecoder('utf8');
    return rest.length ? [rest] : [];
  }
}

export type FramedItem = { line: string; marker?: undefined } | { marker: string; line?: undefined };

/** Receives one stream's items in order; the reader calls these instead of building a list. */
export interface FramedVisitor {
  line(line: string): void;
  marker(marker: string): void;
}

/**
 * Lines of one stream of a framed shell. The shell writes `\n<marker>\n` after each script's
 * output; the leading newline either ends the script's unterminated last line or adds an empty
 * line, which is dropped here, so the delivered lines are exactly the script's.
 */
export class FramedLineReader {
  private readonly splitter = new LineSplitter();
  /** An empty line is held back until we know it is not the artefact before a marker. */
  private heldEmpty = false;

  constructor(private readonly isMarker: (line: string) => boolean) {}

  /** An empty line has been read but not yet given out (its newline is the last byte read). */
  get holdsEmptyLine(): boolean {
    return this.heldEmpty;
  }

  /**
   * Visits output lines and marker lines in stream order. A million lines a second go through
   * here, so nothing is allocated per line beyond the line itself.
   */
  read(chunk: Buffer, visitor: FramedVisitor): void {
    const lines = this.splitter.push(chunk);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (this.isMarker(line)) {
        this.heldEmpty = false;
        visitor.marker(line);
        continue;
      }
      if (this.heldEmpty) visitor.line('');
      this.heldEmpty = line === '';
      if (!this.heldEmpty) visitor.line(line);
    }
  }

  /** Output lines and marker lines, in stream order, as a list. */
  push(chunk: Buffer): FramedItem[] {
    const out: FramedItem[] = [];
    this.read(chunk, { line: (line) => out.push({ line }), marker: (marker) => out.push({ marker }) });
    return out;
  }

  /** Whatever remains when the stream ends without a marker. */
  end(): string[] {
    const out = this.heldEmpty ? [''] : [];
    this.heldEmpty = false;
    return [...out, ...this.splitter.flush()];
  }
}
