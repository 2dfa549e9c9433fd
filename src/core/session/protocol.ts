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
 * A stop signals the session shell's whole process group, the wrapper that stays its parent
 * included: the wrapper catches TERM (and so outlives it, holding the channel's pipes for the
 * shell's next run), where ignoring it would leave the shell unable to trap it. Exec resets a
 * caught signal, so the shell it starts gets TERM as usual. The login shell that reads the
 * command `exec`s the wrapper, since one that stayed (dash does) would die of the stop, and sshd
 * would close the session with it.
 */
export const WRAPPER_OUTLIVES_STOP = 'trap : TERM;';

/**
 * Shell text for a function that has found process `pid` with `kill -0`: returns 1 when it is a
 * zombie. A killed process stays one until its parent reaps it (where nothing reaps orphans, a
 * container whose init does not, for good), and `kill -0` still finds it. /proc's state is read
 * with the builtin `read`, so no fork.
 */
export function returnIfZombie(pid: string, variable: string): string {
  return `${variable}=; { read -r ${variable} </proc/${pid}/stat; } 2>/dev/null; case $${variable} in *") Z "*) return 1;; esac;`;
}

/**
 * The exec command given to sshd, which the user's login shell (of any kind) runs. It is kept
 * free of characters that csh, fish or rc would treat specially inside single quotes, and starts
 * the user's bash when that is the login shell (so scripts without a shebang get their default
 * shell), else /bin/sh. A plain sh is not exec'd: this wrapper stays its parent and keeps the
 * channel's stdout and stderr open, so the framing can reopen them by path (/proc/PPID/fd/N)
 * instead of holding copies on fds a script may want (sh redirects only fds 0-9).
 */
export const SESSION_SHELL_COMMAND =
  `exec /bin/sh -c '${WRAPPER_OUTLIVES_STOP} case "$SHELL" in */bash) exec "$SHELL" --noprofile --norc;; esac; /bin/sh; exit $?'`;

/**
 * The framing, defined by `eval` of this text so that a shell restarted after a script's `exit`
 * (see `__ri_revive`) can define it again from the saved variable `__ri_boot`.
 *
 * What a script leaves behind in the shell is its own business (that is the point of a
 * session), but the framing must survive it: stdout/stderr are restored after each run
 * (`__ri_restore`), files are written with `>|` (`set -C`), `printf`/`trap` are called through
 * `command`, and an `xtrace` left on is switched off around the framing and back on for the
 * script. Shell options that end the shell on a failure (`set -euo pipefail`) are reset after
 * each run. While a script runs, SIGTERM to the process group kills its children and makes the
 * shell `return` from it rather than die.
 *
 * A script's `exit N` does not end the session. In a plain sh that can (dash, busybox sh: probed
 * at the first `exit`), `exit` is an alias for `__ri_exit`, which records N, runs the script's EXIT trap and
 * raises an error that unwinds the script up to the run's `command .` (`__ri_src`), where
 * `command` keeps it from ending the shell: the same process goes on with all its state,
 * functions included. A subshell's `exit` (a pipeline part, `( )`, `$( )`) is the real one.
 *
 * What still ends the shell (bash's `exit`, `set -e` tripping, which no sh construct can catch,
 * or an `exit` the alias cannot reach: `\exit`, `command exit`) is caught by the EXIT trap. A
 * plain sh whose forks end as shells do (dash, mksh) goes on in a fork of itself made there,
 * with everything (`__ri_fork`). Elsewhere the trap saves the shell's state (variables, exported
 * environment, functions where the shell can list them, options, aliases, traps, cwd, umask) to
 * the private directory and `exec`s a fresh shell of the same kind in the same process (same
 * pid, same stdin), which restores it. Either way the run ends with `TOKEN E <runId> N`. A
 * script's own EXIT trap (`trap … EXIT` is intercepted) runs first, in a subshell. Only a run
 * marked last (`__ri_last`), an EOF on stdin or the client's `exit` end the shell, with
 * `TOKEN X <status>`.
 */
// The status and the options are taken out of sight of a script's `set -x`.
const EXIT_TRAP = '{ __ri_x=$?; set +eux; } 2>/dev/null; __ri_onexit';

// What the first shell of a session that went on in a fork (__ri_fork) ignores while it waits.
const IGNORED_WHILE_WAITING = 'HUP INT QUIT TERM USR1 USR2 ALRM';

function bootProgram(durable: boolean): string {
  const busy = (flag: number) => (durable ? ` echo ${flag} >|"$__ri_d/busy";` : '');
  // A durable shell records which run it last started, so that a client whose link died as it
  // sent a run can ask whether the text arrived before sending it again (durable.ts, startedRunCommand).
  const started = durable ? ' echo $2 >|"$__ri_d/run";' : '';
  const restoreTrace = 'case $__ri_fl in *x*) set -x;; esac;';
  const makeDir = '[ -d "$__ri_d" ] || mkdir -m 700 "$__ri_d";';
  // The last fork removed the private directory as the shell ends; if it is still there, the fork
  // was killed, and this shell ends as killed, which the client reports as the shell's death.
  // (A durable one keeps it: the spool holds the killed run's output.)
  const forkDied = `if [ -d "$__ri_d" ]; then ${durable ? '' : 'rm -rf "$__ri_d"; '}command exit 137; fi; command exit 0;`;
  return [
    // bash reads a pipe a byte at a time, so the token is spelt once and both streams share one printf.
    `__ri_2() { command printf "$@" >&2; command printf "$@"; }`,
    // __ri_stdin: back to the session's stdin (a durable shell's FIFO is opened read-write, as at boot, so it never sees EOF).
    `case $__ri_om in b) __ri_restore() { exec 1>&60 2>&61; }; __ri_stdin() { exec 0<&62; };; ` +
      `p) __ri_restore() { exec 1>>"$__ri_op" 2>>"$__ri_ep"; }; __ri_stdin() { exec 0<${durable ? '>' : ''}"$__ri_ip"; };; ` +
      `*) __ri_restore() { exec 1>&7 2>&8; }; __ri_stdin() { return 1; };; esac`,
    // $1 the caller's flags, $2 the run, $3 the file name, $4 (interpreter runs) the script, written with the printf builtin.
    `__ri_pre() { __ri_fl=$1; set +x; __ri_run=$2; __ri_f="$__ri_d/$3"; ` +
      `if [ $# -gt 3 ]; then ${makeDir} command printf %s "$4" >|"$__ri_f"; fi; command trap 'return 143' TERM;${busy(1)}${started} __ri_in=1 __ri_xs=; ` +
      // The aliases again, in case a script removed them (`unalias -a`).
      `[ -n "$BASH_VERSION" ] || alias trap=__ri_trap exit=__ri_exit \${__ri_sp:+kill=__ri_kill}; }`,
    // A sourced script arrives on fd 9; where /dev/fd cannot be opened it is copied to the file.
    // (In a sh, __ri_src switches the trace back on itself, so that the framing stays out of it.)
    `__ri_load() { if [ -n "$__ri_fdok" ]; then __ri_f=/dev/fd/9; else ${makeDir} command cat <&9 >|"$__ri_f"; fi; case $__ri_dot$__ri_fl in .*x*) set -x;; esac; }`,
    `__ri_trace() { ${restoreTrace} }`,
    // A status that __ri_exit or __ri_src recorded wins over `$?` (that of the unwound `command .`).
    // A shell that went on in a fork ends as killed when the first one ($$) was killed by other means than the `kill` alias.
    `__ri_post() { __ri_in=; __ri_s=$1; __ri_fl=$2; set +x +e +u; [ -z "$BASH_VERSION" ] || set +o pipefail; command trap : TERM; [ -z "$__ri_sp" ] || __ri_alive $$ || command kill -KILL "$__ri_sp"; ` +
      `if [ -n "$__ri_xs" ]; then __ri_s=$__ri_xs __ri_fl=\${__ri_xf:-$__ri_fl}; fi; __ri_xs= __ri_xf=; }`,
    // `__ri_note` F: the shell was restarted after it ended (`set -e`) and could not keep its functions (a plain sh).
    `__ri_end() { __ri_2 '\\n%s E %s %s%s\\n' $__ri_t "$1" "$__ri_s" "$__ri_note"; __ri_note=;${busy(0)} ${restoreTrace} }`,
    // A script's `trap ACTION EXIT` is kept aside (our EXIT trap runs it); other signals pass through.
    `__ri_trap() { case \${1-} in -p|-l|'') command trap "$@"; return;; --) shift;; esac; [ $# -ge 2 ] || { command trap "$@"; return; }; ` +
      `__ri_ta=$1; shift; for __ri_tg; do case $__ri_tg in 0|EXIT|exit|SIGEXIT) if [ "$__ri_ta" = - ]; then __ri_ux=; else __ri_ux=$__ri_ta; fi;; ` +
      `*) command trap -- "$__ri_ta" "$__ri_tg" || return;; esac; done; }`,
    // (dash refuses even to parse a function named `trap`, hence the eval.)
    `if [ -n "$BASH_VERSION" ]; then eval 'trap() { __ri_trap "$@"; }'; else alias trap=__ri_trap; fi`,
    // The state a restarted shell gets back. bash lists everything but its own read-only variables;
    // a plain sh cannot list functions (they are lost). Traps come before functions and aliases,
    // so that they are restored by the `trap` builtin, not by the interceptor.
    `if [ -n "$BASH_VERSION" ]; then __ri_save() { command printf '%s\\n' 'unset BASH_ENV'; ` +
      `compgen -v | while IFS= read -r __ri_n; do case $__ri_n in BASH*|EUID|UID|PPID|SHELLOPTS|FUNCNAME|GROUPS|PIPESTATUS|LINENO|RANDOM|SRANDOM|SECONDS|HISTCMD|EPOCH*|DIRSTACK|COMP_WORDBREAKS|_|__ri_n) ;; *) declare -p "$__ri_n";; esac; done; ` +
      `builtin trap -p; declare -f; shopt -p; set +o; alias -p; command printf 'cd -- %q\\n' "$PWD"; command printf 'umask %s\\n' "$(umask)"; }; ` +
      `else __ri_save() { set; export -p; readonly -p; command trap; alias | while IFS= read -r __ri_n; do command printf 'alias %s\\n' "$__ri_n"; done; ` +
      `command printf 'cd "$PWD"\\n'; command printf 'umask '; umask; }; fi`,
    // `exit` in a plain sh. The status is taken as `exit` would (`$?` when bare; a bad number
    // fails in a subshell with the shell's own message), the script's EXIT trap runs, and the
    // error that `__ri_abort` raises (silently) unwinds functions, loops, traps and `.` up to the
    // `command .` in __ri_src. Not in a run, or not in the session shell itself: the real exit.
    `__ri_rc() { return "$1"; }`,
    `__ri_abort() { unset __ri_none; { : "\${__ri_none?}"; } 2>/dev/null; }`,
    // This process's pid ($$ is the same in a subshell): /proc/self without a fork.
    `__ri_mypid() { __ri_me=; { read -r __ri_me __ri_n </proc/self/stat; } 2>/dev/null || __ri_me=$(exec /bin/sh -c 'echo $PPID'); }`,
    // Whether this is the session shell itself and not a subshell. A shell that went on in a
    // fork (__ri_fork) is not $$ but __ri_sp.
    `__ri_self() { __ri_mypid; [ "$__ri_me" = "\${__ri_sp:-$$}" ]; }`,
    // Whether a `command`ed `.` or `eval` survives the abort (dash, busybox sh; not mksh or ksh):
    // asked once, at the first `exit`, in a subshell, so that a shell that dies of it is not the session's.
    `__ri_probe() { if (alias __ri_pa=__ri_abort; command eval '__ri_pa; command exit 1'; command exit 0) 2>/dev/null; then __ri_ax=1; else __ri_ax=0; fi; }`,
    `__ri_exit() { { __ri_xv=$? __ri_xf=$-; set +eux; } 2>/dev/null; [ $# -gt 0 ] || set -- "$__ri_xv"; ` +
      `if [ -z "$__ri_in" ] || ! __ri_self; then command exit "$@"; fi; [ -n "$__ri_ax" ] || __ri_probe; [ "$__ri_ax" = 1 ] || command exit "$@"; ` +
      `if [ $# -eq 1 ] && case $1 in ''|*[!0-9]*|0?*|??????????*) false;; esac; then __ri_xs=$(($1 & 255)); else (command exit "$@"); __ri_xs=$?; fi; ` +
      `if [ -n "$__ri_ux" ]; then __ri_ta=$__ri_ux; __ri_ux=; (__ri_rc "$__ri_xs"; eval "$__ri_ta"; command exit "$__ri_xs"); __ri_xs=$?; fi; __ri_abort; }`,
    // A sh sources the script inside a function, so that loops an `exit` unwound leave no count
    // behind (dash restores it at the function's end), under `command`, which stops the unwinding.
    // `|| …` keeps a failed `.` from tripping a `set -e` the script left on; the status is kept.
    `__ri_src() { shift; ${restoreTrace} command . "$__ri_f" || { __ri_xs=\${__ri_xs:-$?}; } 2>/dev/null; }`,
    // How a run sources its script: bash at the top level (a function would make its `declare`s local).
    `if [ -n "$BASH_VERSION" ]; then __ri_dot=.; else __ri_dot=__ri_src; fi`,
    // dash ends on a tripped `set -e` (or an `exit` the alias cannot reach) in a way no sh
    // construct catches, and cannot list its functions for a restarted shell. But a process it
    // forks from its EXIT trap is a full copy (functions, variables, fds) that ends as a shell
    // does, running its own EXIT trap (busybox sh's fork does not: asked once, in a subshell; nor
    // does yash's go on as the shell). So
    // the session goes on in such a fork (__ri_resume), and so on at each later end, while the
    // first shell stays as the session's pid ($$) and process group, which the client, `kill $$`
    // and the durable machinery know. It waits for the end of a pipe that every fork holds on a
    // close-on-exec fd above 9 (saved there by `>/dev/null` around the `&`), out of a script's reach,
    // so each later fork replaces the one before instead of stacking up. It and the pipe's reader
    // ignore the signals a stop sends the process group.
    `__ri_fork() { [ -n "$__ri_fdok" ] && [ -z "\${YASH_VERSION-}" ] || return; if [ -z "$__ri_fk" ]; then (command trap 'command exit 7' EXIT; set -e; false) 2>/dev/null; __ri_fk=$?; fi; ` +
      `[ "$__ri_fk" = 7 ] && command trap >|"$__ri_d/traps" || return; if [ -n "$__ri_sp" ]; then __ri_spawn "$1"; command exit 0; fi; ` +
      `command trap '' ${IGNORED_WHILE_WAITING}; __ri_spawn "$1" | while read -r __ri_n; do :; done; ${forkDied} }`,
    `__ri_spawn() { { __ri_resume "$1" & } >/dev/null; }`,
    // In the fork: stdin back (a background job's is /dev/null), the script's signal traps back (a
    // fork clears them), the framing's EXIT trap, and `kill $$` aimed at this process; then the run
    // ends and the session reads on.
    `__ri_resume() { __ri_mypid; __ri_sp=$__ri_me; __ri_stdin 2>/dev/null; command trap - ${IGNORED_WHILE_WAITING}; command . "$__ri_d/traps"; __ri_ux=; ` +
      `command trap '${EXIT_TRAP}' EXIT; alias kill=__ri_kill; __ri_xs=; __ri_post "$1" "$-"; __ri_restore; __ri_end $__ri_run; . /dev/fd/0; }`,
    `__ri_alive() { command kill -0 "$1" 2>/dev/null || return; ${returnIfZombie('$1', '__ri_n')} }`,
    `__ri_kill() { { __ri_kx=$-; set +x; __ri_n=$#; while [ "$__ri_n" -gt 0 ]; do __ri_a=$1; shift; [ "$__ri_a" != "$$" ] || __ri_a=$__ri_sp; set -- "$@" "$__ri_a"; __ri_n=$((__ri_n - 1)); done; ` +
      `case $__ri_kx in *x*) set -x;; esac; } 2>/dev/null; command kill "$@"; }`,
    // Else, and in bash, the shell is restarted from its saved state (not a fork: an exec would
    // close the pipe the first shell waits on, so the session ends instead).
    `__ri_revive() { { __ri_stdin && ${makeDir} } 2>/dev/null || return; [ -n "$BASH_VERSION" ] || __ri_fork "$1"; [ -z "$__ri_sp" ] || return; __ri_f="$__ri_d/state"; __ri_save >|"$__ri_f" 2>/dev/null || return; ` +
      `{ command printf '__ri_s=%s __ri_xs=\\n' "$1"; command printf '%s\\n' 'command rm -f "$__ri_d/state"' 'eval "$__ri_boot"' '__ri_post $__ri_s "$-"; __ri_restore; [ -n "$BASH_VERSION" ] || __ri_note=" F"; __ri_end $__ri_run' ; } >>"$__ri_f" || return; ` +
      `if [ -n "$BASH_VERSION" ]; then BASH_ENV=$__ri_f exec -a bash "$BASH" --noprofile --norc; fi; ` +
      `[ -z "$__ri_fdok" ] || exec /bin/sh -c '. "$1"; . /dev/fd/0' sh "$__ri_f"; }`,
    // A kept spool (a job) records how the shell ended, even when its script called `exit`. The
    // files are settled before the markers: a client that has gone already must not leave them.
    // The status is readable by the login user in its 0700 directory even when root (a root job)
    // wrote it under a 077 umask; the shell is ending, so the umask it leaves does not matter.
    `__ri_onexit() { if [ -n "$__ri_ux" ]; then (eval "$__ri_ux"; exit $__ri_x); __ri_x=$?; __ri_ux=; fi; ` +
      `if [ -n "$__ri_in" ]; then __ri_in=; [ -n "$__ri_last" ] || __ri_revive $__ri_x; fi; __ri_restore 2>/dev/null; ` +
      `if [ -f "$__ri_d/keep" ]; then umask 022; echo $__ri_x >"$__ri_d/status"; elif [ -d "$__ri_d" ]; then rm -rf "$__ri_d"; fi; __ri_2 "\\n%s X %s\\n" $__ri_t $__ri_x; }`,
    `command trap '${EXIT_TRAP}' EXIT`,
    `command trap : TERM`,
    // Last, so that the framing's own `exit`s above are the builtin.
    `[ -n "$BASH_VERSION" ] || alias exit=__ri_exit`,
  ].join('\n');
}

/**
 * First text sent to a new shell. It names the private directory (a live shell makes it only
 * when a run needs a file, so most sessions never fork for it; a durable shell's was made by the
 * create program), chooses how the framing gets back to the channel's stdout/stderr, defines the
 * framing (bootProgram), checks that a script can be sourced from `/dev/fd/N`, and answers
 * `TOKEN H <pid> <pgid> <bash|sh> <dir>`.
 */
export function helloProgram(token: string, durableDir?: string): string {
  return [
    `__ri_t=${token}`,
    durableDir
      ? `__ri_d=${shellQuote(durableDir)}; echo $$ >"$__ri_d/pid"`
      : // A random name, made with `mkdir -m 700` (which fails on anything already there) when first needed.
        `__ri_d="\${TMPDIR:-/tmp}/remote-invoke.${crypto.randomBytes(8).toString('hex')}"`,
    // Where the framing writes, whatever a script did to fds 1 and 2: bash keeps copies on fds
    // 60/61, out of the way of scripts that use 3-9. A plain sh cannot name fds above 9, so it
    // reopens the streams by path: a durable shell's spool files, or the channel's pipes as its
    // parent (the wrapper in SESSION_SHELL_COMMAND) holds them. Only where neither exists does
    // it fall back to copies on fds 7/8.
    // stdin is kept the same way, for a shell restarted after a script's `exit` (inside a run, fd 0 is /dev/null).
    `if [ -n "$BASH_VERSION" ]; then exec 60>&1 61>&2 62<&0; __ri_om=b; ` +
      (durableDir ? `elif :; then __ri_op=$__ri_d/out __ri_ep=$__ri_d/err __ri_ip=$__ri_d/in __ri_om=p; ` : '') +
      `elif [ /proc/$PPID/fd/0 -ef /proc/$$/fd/0 ] && [ /proc/$PPID/fd/1 -ef /proc/$$/fd/1 ] && [ /proc/$PPID/fd/2 -ef /proc/$$/fd/2 ] && ` +
      // A pipe is opened by path only by its owner (mode 0600): a shell sudo started as another
      // (non-root) user sees the same pipes but may not reopen them, so it keeps copies instead.
      `[ -r /proc/$PPID/fd/0 ] && [ -w /proc/$PPID/fd/1 ] && [ -w /proc/$PPID/fd/2 ]; then ` +
      `__ri_op=/proc/$PPID/fd/1 __ri_ep=/proc/$PPID/fd/2 __ri_ip=/proc/$PPID/fd/0 __ri_om=p; ` +
      `else exec 7>&1 8>&2; __ri_om=7; fi`,
    `__ri_boot=${shellQuote(bootProgram(!!durableDir))}`,
    `eval "$__ri_boot"`,
    // Scripts are sourced from a here-document on fd 9 through /dev/fd/9 where the host can open
    // that path (bash's own test emulates /dev/fd/N, so the probe sources it for real).
    `if [ -d /dev/fd ] && [ -r /dev/fd/5 ]; then . /dev/fd/5; fi 2>/dev/null 5<<'__ri_P'`,
    '__ri_fdok=1',
    '__ri_P',
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
 * One run. A script for the session shell is sourced from a here-document on fd 9 (read through
 * /dev/fd/9: no file, no fork; the script is taken literally up to a delimiter line that carries
 * the session's secret token). A script for another interpreter is written to a file in the
 * private directory with the `printf` builtin (exact bytes), since interpreters such as pwsh
 * want a real file name. Either way stdin is empty, and each stream then ends with
 * `\nTOKEN E <runId> <status>\n` (see bootProgram).
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
      : // (`.` where the shell predates __ri_dot: a durable one booted by an older client.)
        `"\${__ri_dot:-.}" ${file} "$@"`;
  const pre = `${run.exitAfter ? '__ri_last=1; ' : ''}__ri_pre "$-" ${run.runId} ${shellQuote(run.fileName)}${heredoc ? '' : ` ${shellQuote(run.text)}`}`;
  const start = heredoc ? '__ri_load' : '__ri_trace';
  const vars = Object.entries(run.vars ?? {});
  const exports = vars.map(([name, value]) => ` ${name}=${shellQuote(value)}; export ${name};`).join('');
  const unsets = vars.length ? ` unset ${vars.map(([name]) => name).join(' ')};` : '';
  // Input is a here-document on stdin, delimited like the script (a line that carries the token).
  const inputDelimiter = `${token}I${run.runId}`;
  const input = run.input !== undefined && !run.input.split('\n').includes(inputDelimiter) ? run.input : undefined;
  const stdin = input !== undefined ? `<<'${inputDelimiter}'` : '</dev/null';
  const inputLines = input !== undefined ? [input.endsWith('\n') || !input ? input.slice(0, -1) : input, inputDelimiter] : [];
  // One compound command: the shell has read the whole run before the script starts, so a
  // shell restarted by the script's `exit` finds nothing of this run left on its stdin.
  return [
    `{ { ${pre}; set -- ${run.args.map(shellQuote).join(' ')};${exports} } 2>/dev/null`,
    `{ { ${start}; } 2>/dev/null; ${body}`,
    ...(heredoc
      ? [`} 9<<'${delimiter}' ${stdin}`, run.text.endsWith('\n') || !run.text ? run.text.slice(0, -1) : run.text, delimiter, ...inputLines]
      : [`} ${stdin}`, ...inputLines]),
    `{ __ri_post $? "$-";${unsets} } 2>/dev/null; __ri_restore; __ri_end ${run.runId}`,
    ...(run.exitAfter ? ['exit "$__ri_s"'] : []),
    '}',
    '',
  ].join('\n');
}

/**
 * A run's text sent again after a reattach, because the remote side had not started it: guarded
 * by the run id the shell last started (`__ri_run`, set by `__ri_pre`), so that if the first
 * copy still arrives first, this one does nothing and the run never runs twice.
 */
export function resendProgram(token: string, run: RunProgram): string {
  return `if [ "\${__ri_run-}" != ${run.runId} ]; then\n${runProgram(token, run)}fi\n`;
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
  /** The shell restarted after it ended (`set -e`) and lost its functions (a plain sh cannot list them). */
  functionsLost?: boolean;
}

export function parseEndMarker(token: string, line: string): EndMarker | undefined {
  if (!line.startsWith(token)) return undefined;
  const m = /^ E (\d+) (\d+)( F)?$/.exec(line.slice(token.length));
  return m ? { runId: Number(m[1]), status: Number(m[2]), ...(m[3] ? { functionsLost: true } : {}) } : undefined;
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
  /**
   * A run's text to send again after a reattach found it not started (a durable session); it must
   * do nothing if the first copy got there after all. Absent: a run is never sent twice.
   */
  resendProgram?(token: string, run: RunProgram): string;
  /** The side-channel command that signals the shell's processes; absent = `signalGroupCommand` (POSIX kill). */
  signalCommand?(hello: Hello, signal: 'TERM' | 'KILL'): string;
}

export const POSIX_DIALECT: ShellDialect = {
  name: 'posix',
  startCommand: SESSION_SHELL_COMMAND,
  bootExec: 'case "$SHELL" in */bash) exec "$SHELL" --noprofile --norc;; esac\nexec /bin/sh',
  helloProgram,
  runProgram,
  resendProgram,
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
