// A one-shot's first input (the hello and its only run) sent with the exec request instead of
// after it: one round trip less per cold run (issue 14, "fewer round trips").
//
// Why not simply write it right behind the exec request: OpenSSH opens a session channel with a
// window of 0 and grants one only once the exec has been processed, so any data we send waits
// for the exec reply (1 round trip). An `env` request travels with the exec request instead (no
// window, no reply awaited), so the text goes as the variable LC_REMOTE_INVOKE, which the start
// command evaluates. The name matches `AcceptEnv LANG LC_*`, the default sshd_config of Debian and
// Ubuntu; a server that does not accept it drops the variable silently, and the start command
// then reads its programs from stdin as before. The same text is therefore always written to
// stdin too (it arrives one round trip later, and is ignored when the variable did arrive): no
// server has to be guessed right, and no server is worse off.
//
// Only for a POSIX one-shot without sudo: the shell ends after that run, so evaluating a fixed
// text (`sh -c`) is all it has to do; sessions keep reading stdin. The variable is removed
// before the text runs, so scripts and what they start do not inherit it; like stdin, it is
// readable on the host only by the same user (and root), never in argv.
import { EventEmitter } from 'node:events';
import type { Client } from 'ssh2';
import { POSIX_DIALECT, WRAPPER_OUTLIVES_STOP, type Hello } from './protocol';
import { DirectTransport, FramedShell, type ShellTransport } from './remoteShell';

export const INLINE_INPUT_VARIABLE = 'LC_REMOTE_INVOKE';
/** Larger first inputs go by stdin only (an environment string is at most 128 KiB on Linux). */
export const INLINE_INPUT_MAX_BYTES = 32 * 1024;

const evalInput = `"__ri_i=\\$${INLINE_INPUT_VARIABLE}; unset ${INLINE_INPUT_VARIABLE}; eval \\"\\$__ri_i\\""`;

/**
 * The exec command: with the variable set, the session shell (bash when it is the login shell,
 * else /bin/sh, as SESSION_SHELL_COMMAND chooses) evaluates it; without it, SESSION_SHELL_COMMAND's
 * own behaviour (programs from stdin). One line, single-quoted once, with no `'`, `\`, `!` or
 * newline inside the quotes, so every login shell (sh, bash, zsh, fish, csh, rc…) passes it as is.
 */
export const INLINE_START_COMMAND =
  `exec /bin/sh -c '${WRAPPER_OUTLIVES_STOP} if [ -n "\${${INLINE_INPUT_VARIABLE}-}" ]; then ` +
  `case "$SHELL" in */bash) exec "$SHELL" --noprofile --norc -c ${evalInput};; esac; /bin/sh -c ${evalInput}; exit $?; fi; ` +
  `unset ${INLINE_INPUT_VARIABLE}; case "$SHELL" in */bash) exec "$SHELL" --noprofile --norc;; esac; /bin/sh; exit $?'`;

/**
 * A transport whose exec request waits one turn of the event loop, so the text written in the
 * meantime (the hello, and the one-shot's run written right behind it) can travel with it. When
 * `complete()` says that text ends the shell, it goes as the variable too. Everything else is
 * the DirectTransport made once the exec has been answered.
 */
export class InlineStartTransport extends EventEmitter implements ShellTransport {
  private buffered = '';
  private inner: DirectTransport | undefined;
  private pausedWanted = false;
  private closing: Promise<void> | undefined;
  private shellEnding = false;

  constructor(
    private readonly client: Client,
    private readonly startCommand: string,
    private readonly complete: () => boolean,
  ) {
    super();
    setImmediate(() => this.exec());
  }

  private exec(): void {
    if (this.closing) return;
    const input = this.complete() && Buffer.byteLength(this.buffered) <= INLINE_INPUT_MAX_BYTES ? this.buffered : undefined;
    const env = input !== undefined ? { [INLINE_INPUT_VARIABLE]: `unset __ri_i\n${input}` } : undefined;
    const command = input !== undefined ? INLINE_START_COMMAND : this.startCommand;
    try {
      this.client.exec(command, env ? { env } : {}, (err, channel) => {
        if (err) return this.emit('closed', { lost: `the remote shell could not be started: ${err.message}` });
        const inner = new DirectTransport(this.client, channel);
        this.inner = inner;
        inner.on('data', (...args) => this.emit('data', ...args));
        inner.on('closed', (...args) => this.emit('closed', ...args));
        inner.on('signal-failed', (...args) => this.emit('signal-failed', ...args));
        // Always on stdin as well: a server that dropped the variable reads it from there.
        if (this.buffered) inner.write(this.buffered);
        this.buffered = '';
        if (this.pausedWanted) inner.pause();
        inner.listening();
        if (this.closing) void inner.close(this.shellEnding);
      });
    } catch (err) {
      this.emit('closed', { lost: `the remote shell could not be started: ${(err as Error).message}` });
    }
  }

  write(text: string): void {
    if (this.inner) this.inner.write(text);
    else this.buffered += text;
  }

  get paused(): boolean {
    return this.inner ? this.inner.paused : this.pausedWanted;
  }

  pause(): void {
    this.pausedWanted = true;
    this.inner?.pause();
  }

  resume(): void {
    this.pausedWanted = false;
    this.inner?.resume();
  }

  signalGroup(hello: Hello, signal: 'TERM' | 'KILL'): void {
    this.inner?.signalGroup(hello, signal);
  }

  lastResortStop(): void {
    this.inner?.lastResortStop();
  }

  close(shellEnding = false): Promise<void> {
    if (this.inner) return this.inner.close(shellEnding);
    this.shellEnding = shellEnding;
    this.closing ??= Promise.resolve();
    return this.closing;
  }
}

/**
 * openDirectShell(pipelined) for a POSIX one-shot without sudo: the shell's hello and the run
 * written right after this returns go with the exec request.
 */
export function openInlineShell(client: Client, signal?: AbortSignal): FramedShell {
  const shell = new FramedShell(undefined, { dialect: POSIX_DIALECT });
  shell.attach(new InlineStartTransport(client, POSIX_DIALECT.startCommand, () => shell.closingAfterRun));
  // A shell that fails to start ends the run instead (as openDirectShell's pipelined start).
  shell.start(signal).catch(() => undefined);
  return shell;
}
