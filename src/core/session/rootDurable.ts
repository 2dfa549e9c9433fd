// A durable root session (--session NAME --sudo, root jobs): the durable shell of durable.ts,
// started once under sudo. Its directory stays the login user's (0700), so attaching, reading
// the spools and feeding the FIFO need no sudo; only starting it does, and the password reaches
// sudo on the start channel's stdin, as for live root sessions (become.ts).
//
// The login user cannot signal root processes, so a root helper (the relay) does it for them:
// it reads one word at a time from a FIFO in the session directory (TERM, KILL, STOP, END) and
// signals only the shell's own process group, whose pid it was given at start (never read from a
// file the login user can write). A root warden ends the shell after its idle timeout, as the
// watchdog of durable.ts does, but writes nothing into the directory (whose files the login user
// could swap for links) and stops, with the relay, as soon as the shell has ended: no root
// process outlives the root shell. A root job's spool then stays until `job remove`.
//
// Trust: while a root session lives, the login user's own processes can write to its FIFO, that
// is, run commands as root without the password, until its idle timeout ends it (sudo's cached
// credentials, but per session). Root sessions therefore default to a short idle timeout.

import type { Elevation } from './become';
import { shellQuote } from './protocol';

/** Idle timeout of a root session unless one is given: sudo's own credential cache lasts 15 minutes. */
export const ROOT_IDLE_TIMEOUT_SECONDS = 15 * 60;

/** Run as root by sudo: starts the shell and the warden detached. Args: dir, umask, idle limit. */
const ROOT_START = String.raw`d=$1
[ -p "$d/in" ] && [ -p "$d/sig" ] || exit 91
if command -v setsid >/dev/null 2>&1; then detach=setsid; else detach=nohup; fi
$detach /bin/sh "$d/boot" "$d" "$2" </dev/null >/dev/null 2>&1 & p=$!; echo $p >"$d/pid"
$detach /bin/sh "$d/warden" "$d" "$3" $p </dev/null >/dev/null 2>&1 & echo $! >"$d/wpid"
echo STARTED`;

/**
 * Args: dir, idle limit, the shell's pid. The relay runs in its process group and goes with it.
 * It looks every second (one `sleep` a second, as an attachment does), so it ends within a second
 * of the shell.
 */
const WARDEN = String.raw`d=$1; limit=$2; p=$3; tick=1; idle=0
/bin/sh "$d/relay" "$d" "$p" & r=$!
while sleep $tick; do
  kill -0 "$p" 2>/dev/null || break
  [ -d "$d" ] || { kill -KILL -"$p" 2>/dev/null; break; }
  att=; read att 2>/dev/null <"$d/attached"; busy=; read busy 2>/dev/null <"$d/busy"
  if { [ -n "$att" ] && kill -0 "$att" 2>/dev/null; } || [ "$busy" = 1 ]; then idle=0; continue; fi
  idle=$((idle + tick))
  if [ "$idle" -ge "$limit" ]; then kill -KILL -"$p" 2>/dev/null; rm -rf "$d"; break; fi
done
kill -KILL $r 2>/dev/null`;

/**
 * Signals the shell's group on request. The FIFO is held open read-write, so reads never see
 * EOF and a writer never blocks. KILL also removes the directory (the watchdog then ends); END
 * does that and ends the warden's whole group, the relay with it.
 */
const RELAY = String.raw`d=$1; p=$2
exec 3<>"$d/sig" </dev/null
while IFS= read -r s <&3; do
  case $s in
    TERM) kill -TERM -$p 2>/dev/null;;
    KILL) kill -KILL -$p 2>/dev/null; rm -rf "$d";;
    STOP) kill -TERM -$p 2>/dev/null; i=0; while kill -0 -$p 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL -$p 2>/dev/null;;
    END) kill -KILL -$p 2>/dev/null; rm -rf "$d"; kill -KILL 0;;
  esac
done`;

/** What the create program adds for a root session (in place of starting the shell itself): the FIFO of the relay and the root programs. */
export function rootCreateFiles(heredoc: (file: string, body: string) => string): string[] {
  return [
    'mkfifo "$d/sig" || { rm -rf "$d"; exit 92; }',
    // Files the root side writes exist already as the login user's, so they stay readable to it.
    // The warden keeps the idle time to itself ("-": `session list` shows none).
    ': >"$d/pid"; : >"$d/wpid"; echo - >"$d/idle"',
    heredoc('rootstart', ROOT_START),
    heredoc('warden', WARDEN),
    heredoc('relay', RELAY),
    'printf "UMASK %s\\n" "$u"',
  ];
}

/** The messages the relay understands. */
export type RelayMessage = 'TERM' | 'KILL' | 'STOP' | 'END';

/** Asks a root session's relay to signal its shell (44: no such session). Never blocks. */
export function relayCommand(dir: string, message: RelayMessage): string {
  return `/bin/sh -c 'd="${dir}"; [ -p "$d/sig" ] || exit 44; exec 3<>"$d/sig"; echo ${message} >&3; exit 0'`;
}

/** The exec command that starts a prepared root session under sudo. */
export function rootStartCommand(elevation: Elevation, dir: string, umask: string, idleTimeoutSeconds: number): string {
  if (!/^[0-7]{1,4}$/.test(umask)) umask = '022';
  return `${elevation.prefix}/bin/sh ${shellQuote(`${dir}/rootstart`)} ${shellQuote(dir)} ${umask} ${Math.max(1, Math.round(idleTimeoutSeconds))}`;
}
