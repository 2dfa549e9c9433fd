import { EXIT } from './usage';

/**
 * stdout closed under us (`remote-invoke run … | head -1`). Like other Unix tools the CLI then
 * stops: the commands abort their remote work through this signal, and the process exits 141
 * (128 + SIGPIPE) without a word, since there is nobody left to read one.
 */
const closed = new AbortController();
export const stdoutClosed: AbortSignal = closed.signal;

/** How long aborting the remote work may take before the process exits anyway. */
const STOP_GRACE_MS = 5000;

export function installBrokenPipeExit(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    if (closed.signal.aborted) return;
    closed.abort();
    process.exitCode = EXIT.brokenPipe;
    setTimeout(() => process.exit(EXIT.brokenPipe), STOP_GRACE_MS).unref();
  });
  // A closed stderr is not a reason to stop the run; its lines have nowhere to go.
  process.stderr.on('error', () => {});
}

/** True when a stream can no longer take text: writing to it would only wait forever. */
export function isGone(stream: NodeJS.WritableStream): boolean {
  const s = stream as NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
  return !!(s.destroyed || s.writableEnded) || (stream === process.stdout && stdoutClosed.aborted);
}
