import * as crypto from 'node:crypto';

// The session protocol is plain POSIX sh text written to a long-lived shell's stdin, plus marker
// lines on its stdout/stderr. No shell parses user data: scripts and arguments travel as
// single-quoted words, which sh takes literally. Markers carry a random per-session token that a
// script cannot guess, so output that merely looks like a marker is passed through as output.

export function newToken(): string {
  return 'RI' + crypto.randomBytes(16).toString('hex');
}

/** A word POSIX sh reads back as exactly `s`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The exec command given to sshd, which the user's login shell (of any kind) runs. It is kept
 * free of characters that csh, fish or rc would treat specially inside single quotes, and starts
 * the user's bash when that is the login shell (so scripts without a shebang get their default
 * shell), else /bin/sh.
 */
export const SESSION_SHELL_COMMAND =
  `/bin/sh -c 'case "$SHELL" in */bash) exec "$SHELL" --noprofile --norc;; esac; exec /bin/sh'`;

/**
 * First text sent to a new shell. It names the private directory (a live shell makes it only
 * when a run needs a file, so most sessions never fork for it; a durable shell's was made by the
 * create program), checks that a script can be sourced from `/dev/fd/N`, arranges an exit
 * marker `TOKEN X <status>` on both streams and the directory's removal when the shell ends (a
 * durable job keeps its spool until removed), and answers `TOKEN H <pid> <pgid> <bash|sh> <dir>`.
 */
export function helloProgram(token: string, durableDir?: string): string {
  return [
    // bash reads a pipe a byte at a time, so the token is spelt once and both streams share one printf.
    `__ri_t=${token}; __ri_2() { command printf "$@" >&2; command printf "$@"; }`,
    durableDir
      ? `__ri_d=${shellQuote(durableDir)}; echo $$ >"$__ri_d/pid"`
      : // A random name, made with `mkdir -m 700` (which fails on anything already there) when first needed.
        `__ri_d="\${TMPDIR:-/tmp}/remote-invoke.${crypto.randomBytes(8).toString('hex')}"`,
    // A kept spool (a job) records how the shell ended, even when its script called `exit`. The
    // files are settled before the markers: a client that has gone already must not leave them.
    `trap '__ri_x=$?; if [ -f "$__ri_d/keep" ]; then echo $__ri_x >"$__ri_d/status"; elif [ -d "$__ri_d" ]; then rm -rf "$__ri_d"; fi; __ri_2 "\\n%s X %s\\n" $__ri_t $__ri_x' EXIT`,
    // Scripts are sourced from a here-document on fd 9 through /dev/fd/9 where the host can open
    // that path (bash's own test emulates /dev/fd/N, so the probe sources it for real).
    `if [ -d /dev/fd ] && [ -r /dev/fd/5 ]; then . /dev/fd/5; fi 2>/dev/null 5<<'__ri_P'`,
    '__ri_fdok=1',
    '__ri_P',
    `trap : TERM`,
    // The framing writes through copies of stdout/stderr that a script's `exec >…` does not
    // move: on fds 60/61 in bash, out of the way of scripts that use 3-9; 7/8 in a plain sh.
    `if [ -n "$BASH_VERSION" ]; then exec 60>&1 61>&2; __ri_o=60 __ri_e=61; else exec 7>&1 8>&2; __ri_o=7 __ri_e=8; fi`,
    ...framingFunctions(!!durableDir),
    // The process group to signal, read without a fork where /proc exists (ps costs ~15 ms).
    `if read -r __ri_pg 2>/dev/null </proc/$$/stat; then __ri_pg=\${__ri_pg##*) }; set -- $__ri_pg; __ri_pg=$3; set --; ` +
      `else __ri_pg=$(ps -o pgid= -p $$ 2>/dev/null) || __ri_pg=$$; fi`,
    // On both streams: each stream's output starts after its hello (login noise comes before).
    `__ri_2 '%s H %s %s %s %s\\n' $__ri_t "$$" $__ri_pg "\${BASH_VERSION:+bash}" "$__ri_d"`,
    '',
  ].join('\n');
}

export interface Hello {
  pid: number;
  pgid: number;
  shell: 'bash' | 'sh';
  dir: string;
}

export function parseHello(token: string, line: string): Hello | undefined {
  if (!line.startsWith(token)) return undefined;
  const m = /^ H (\d+) (\d+) (bash)? ?(.*)$/.exec(line.slice(token.length));
  if (!m) return undefined;
  return { pid: Number(m[1]), pgid: Number(m[2]), shell: m[3] ? 'bash' : 'sh', dir: m[4] };
}

export interface RunProgram {
  runId: number;
  /** Script bytes, already line-ending-converted if that applies. */
  text: string;
  /** Remote file name (inside the private dir). */
  fileName: string;
  args: string[];
  /** Undefined = source into the session shell so state persists; else argv prefix of the interpreter. */
  interpreter?: string[];
  /** A sourced script written for bash: run by bash instead when the session shell is a plain sh. */
  sourceAs?: 'sh' | 'bash';
  /** The bash its shebang names: sourced only into that same program, else run by it. */
  shellPath?: string;
  /** Ends the shell after the run: a background job's one run (its spool stays for receiving), or a one-shot session's. */
  exitAfter?: boolean;
  /** `--var NAME=VALUE`: environment variables for this run only (PowerShell: `$Using:NAME`). */
  vars?: Record<string, string>;
  /** `--input`: the script's stdin (PowerShell: `$input`, one item per line); absent = empty. */
  input?: string;
}

/**
 * The framing around every run, defined once per shell so that each run's text stays short
 * (bash reads a pipe a byte at a time, so every byte of framing is a system call).
 *
 * What a script leaves behind in the shell is its own business (that is the point of a
 * session), but the framing must survive it: stdout/stderr are restored from the copies the
 * hello saved (fds 60/61 in bash), files are written with `>|` (`set -C`), `printf` is called
 * through `command` (a function named printf), and an `xtrace` left on is switched off around
 * the framing and back on for the script. Shell options that end the shell on a failure
 * (`set -euo pipefail`, the usual bash header) are reset after each run; variables, functions,
 * exported environment and cwd carry over. While a script runs, SIGTERM to the process group
 * kills its children and makes the shell `return` from it rather than die.
 */
function framingFunctions(durable: boolean): string[] {
  const busy = (flag: number) => (durable ? ` echo ${flag} >|"$__ri_d/busy";` : '');
  const restoreTrace = 'case $__ri_fl in *x*) set -x;; esac;';
  const makeDir = '[ -d "$__ri_d" ] || mkdir -m 700 "$__ri_d";';
  return [
    // $1 the caller's flags, $2 the file name, $3 (interpreter runs) the script, written with the printf builtin.
    `__ri_pre() { __ri_fl=$1; set +x; __ri_f="$__ri_d/$2"; ` +
      `if [ $# -gt 2 ]; then ${makeDir} command printf %s "$3" >|"$__ri_f"; fi; trap 'return 143' TERM;${busy(1)} }`,
    // A sourced script arrives on fd 9; where /dev/fd cannot be opened it is copied to the file.
    `__ri_load() { if [ -n "$__ri_fdok" ]; then __ri_f=/dev/fd/9; else ${makeDir} command cat <&9 >|"$__ri_f"; fi; ${restoreTrace} }`,
    `__ri_trace() { ${restoreTrace} }`,
    `__ri_post() { __ri_s=$1; __ri_fl=$2; set +x +e +u; [ -z "$BASH_VERSION" ] || set +o pipefail; trap : TERM; }`,
    `__ri_end() { __ri_2 '\\n%s E %s %s\\n' $__ri_t "$1" "$__ri_s";${busy(0)} ${restoreTrace} }`,
  ];
}

/**
 * One run. A script for the session shell is sourced from a here-document on fd 9 (read through
 * /dev/fd/9: no file, no fork; the script is taken literally up to a delimiter line that carries
 * the session's secret token). A script for another interpreter is written to a file in the
 * private directory with the `printf` builtin (exact bytes), since interpreters such as pwsh
 * want a real file name. Either way stdin is empty, and each stream then ends with
 * `\nTOKEN E <runId> <status>\n` (see framingFunctions).
 */
export function runProgram(token: string, run: RunProgram): string {
  const file = '"$__ri_f"';
  const delimiter = `${token}S${run.runId}`;
  const heredoc = !run.interpreter && !run.text.split('\n').includes(delimiter);
  const body = run.interpreter
    ? `${run.interpreter.map(shellQuote).join(' ')} ${file} "$@"`
    : run.sourceAs === 'bash'
      ? run.shellPath
        ? `if [ -n "$BASH_VERSION" ] && [ "$BASH" -ef ${shellQuote(run.shellPath)} ]; then . ${file}; else ${shellQuote(run.shellPath)} ${file} "$@"; fi`
        : `if [ -n "$BASH_VERSION" ]; then . ${file}; else bash ${file} "$@"; fi`
      : `. ${file}`;
  const pre = `__ri_pre $- ${shellQuote(run.fileName)}${heredoc ? '' : ` ${shellQuote(run.text)}`}`;
  const start = heredoc ? '__ri_load' : '__ri_trace';
  const vars = Object.entries(run.vars ?? {});
  const exports = vars.map(([name, value]) => ` ${name}=${shellQuote(value)}; export ${name};`).join('');
  const unsets = vars.length ? ` unset ${vars.map(([name]) => name).join(' ')};` : '';
  // Input is a here-document on stdin, delimited like the script (a line that carries the token).
  const inputDelimiter = `${token}I${run.runId}`;
  const input = run.input !== undefined && !run.input.split('\n').includes(inputDelimiter) ? run.input : undefined;
  const stdin = input !== undefined ? `<<'${inputDelimiter}'` : '</dev/null';
  const inputLines = input !== undefined ? [input.endsWith('\n') || !input ? input.slice(0, -1) : input, inputDelimiter] : [];
  return [
    `{ ${pre}; set -- ${run.args.map(shellQuote).join(' ')};${exports} } 2>/dev/null`,
    `{ { ${start}; } 2>/dev/null; ${body}`,
    ...(heredoc
      ? [`} 9<<'${delimiter}' ${stdin}`, run.text.endsWith('\n') || !run.text ? run.text.slice(0, -1) : run.text, delimiter, ...inputLines]
      : [`} ${stdin}`, ...inputLines]),
    `{ __ri_post $? $-;${unsets} } 2>/dev/null; exec 1>&"$__ri_o" 2>&"$__ri_e"; __ri_end ${run.runId}`,
    ...(run.exitAfter ? ['exit "$__ri_s"'] : []),
    '',
  ].join('\n');
}

/**
 * Sent on a side channel to stop a run: the whole process group of the session shell. A KILL
 * also removes the private directory, since the shell's EXIT trap will not run.
 */
export function signalGroupCommand(hello: Hello, signal: 'TERM' | 'KILL'): string {
  const cleanup = signal === 'KILL' && /^[\w/.-]+$/.test(hello.dir) ? `; rm -rf ${hello.dir}` : '';
  return `/bin/sh -c 'kill -${signal} -${hello.pgid} 2>/dev/null${cleanup}; exit 0'`;
}

/** `TOKEN X <status>`: the shell itself ended (its EXIT trap ran). */
export function parseExitMarker(token: string, line: string): { status: number } | undefined {
  if (!line.startsWith(token)) return undefined;
  const m = /^ X (\d+)$/.exec(line.slice(token.length));
  return m ? { status: Number(m[1]) } : undefined;
}

export interface EndMarker {
  runId: number;
  status: number;
}

export function parseEndMarker(token: string, line: string): EndMarker | undefined {
  if (!line.startsWith(token)) return undefined;
  const m = /^ E (\d+) (\d+)$/.exec(line.slice(token.length));
  return m ? { runId: Number(m[1]), status: Number(m[2]) } : undefined;
}

/**
 * How the programs for a session's shell are written: POSIX sh text (this file), or requests to
 * the PowerShell host loop (pwsh/dialect.ts). Both answer with the same markers, so the framing,
 * durable transport and pools do not care which one runs.
 */
export interface ShellDialect {
  readonly name: 'posix' | 'pwsh';
  /** The exec command that starts a live shell; read by the user's login shell, whatever it is. */
  readonly startCommand: string;
  /** The durable boot's last line: replaces the boot shell with this dialect's shell. */
  readonly bootExec: string;
  helloProgram(token: string, durableDir?: string): string;
  runProgram(token: string, run: RunProgram): string;
  /** How long the shell may take to say hello (pwsh starts a .NET runtime: seconds on a busy host). */
  readonly helloTimeoutMs?: number;
  /** Text that asks the shell to stop its running program (Ctrl+C); absent = SIGTERM to its process group. */
  stopProgram?(runId: number): string;
}

export const POSIX_DIALECT: ShellDialect = {
  name: 'posix',
  startCommand: SESSION_SHELL_COMMAND,
  bootExec: 'case "$SHELL" in */bash) exec "$SHELL" --noprofile --norc;; esac\nexec /bin/sh',
  helloProgram,
  runProgram,
};

/** What a PowerShell host tags a line with (its stream), or `object`: one output object as JSON. */
export type LineTag = 'object' | 'fatal' | 'host' | 'information' | 'error' | 'warning' | 'verbose' | 'debug';
const LINE_TAGS = new Set<string>(['fatal', 'host', 'information', 'error', 'warning', 'verbose', 'debug']);

/** `TOKEN O <json>` (an output object) or `TOKEN T <tag> <text>` (a tagged line): output, not framing. */
export function parsePayloadMarker(token: string, line: string): { tag: LineTag; text: string } | undefined {
  if (!line.startsWith(token)) return undefined;
  const kind = line.slice(token.length, token.length + 3);
  if (kind === ' O ') return { tag: 'object', text: line.slice(token.length + 3) };
  if (kind !== ' T ') return undefined;
  const rest = line.slice(token.length + 3);
  const space = rest.indexOf(' ');
  const tag = space < 0 ? rest : rest.slice(0, space);
  return LINE_TAGS.has(tag) ? { tag: tag as LineTag, text: space < 0 ? '' : rest.slice(space + 1) } : undefined;
}
