import * as path from 'node:path';
import type { ScriptSource } from './request';

/** How a script is started on the host. */
export interface ScriptLaunch {
  /** Interpreter argv prefix; undefined = sourced into the session shell, so its state persists. */
  interpreter?: string[];
  /** For sourced scripts: the shell they were written for; a bash script is not sourced into sh. */
  sourceAs?: 'sh' | 'bash';
  /**
   * A bash script's shebang path (`#!/bin/bash`): sourced only into a session shell that is that
   * very program, else run by it, never by whichever `bash` PATH finds.
   */
  shellPath?: string;
  /** Remote file name inside the session's private directory. */
  fileName: string;
  text: string;
  /** The script runs in the host's PowerShell session (pwsh host loop) instead of the POSIX shell. */
  dialect?: 'pwsh';
  /** Planned for a host whose login shell is PowerShell (`hostShell: 'powershell'`; Windows hosts are such). */
  windowsHost?: boolean;
}

const POSIX_SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox']);
/** Interpreters a session shell can source the script into instead of starting a new process. */
const SOURCEABLE = new Set(['sh', 'bash']);

const BY_EXTENSION: Record<string, string[]> = {
  '.sh': ['sh'],
  '.bash': ['bash'],
  '.zsh': ['zsh'],
  '.ksh': ['ksh'],
  '.fish': ['fish'],
  '.ps1': ['pwsh', '-NoLogo', '-NoProfile', '-NonInteractive', '-File'],
  '.py': ['python3'],
  '.rb': ['ruby'],
  '.pl': ['perl'],
  '.js': ['node'],
  '.mjs': ['node'],
  '.php': ['php'],
  '.lua': ['lua'],
  '.tcl': ['tclsh'],
};

const PWSH_ARGS = ['-NoLogo', '-NoProfile', '-NonInteractive', '-File'];

function shebang(text: string): string[] | undefined {
  const m = /^#!\s*([^\r\n]*)/.exec(text);
  if (!m) return undefined;
  const [interp, ...rest] = m[1].trim().split(/\s+/);
  if (!interp) return undefined;
  // Linux hands everything after the interpreter to it as one argument.
  return rest.length ? [interp, rest.join(' ')] : [interp];
}

/** The program that actually interprets: `env bash` → bash. */
function effectiveName(argv: string[]): string {
  const first = path.posix.basename(argv[0]);
  if (first === 'env' && argv.length === 2 && !argv[1].startsWith('-')) return path.posix.basename(argv[1]);
  return first;
}

function isBareShell(argv: string[]): boolean {
  const first = path.posix.basename(argv[0]);
  return argv.length === 1 || (first === 'env' && argv.length === 2);
}

function remoteFileName(fileName: string | undefined, interpreter: string[] | undefined): string {
  const base = (fileName ? path.basename(fileName) : 'script').replace(/[^A-Za-z0-9._-]/g, '_') || 'script';
  const name = interpreter && effectiveName(interpreter) === 'pwsh' && !/\.ps1$/i.test(base) ? `${base}.ps1` : base;
  return `run-${name}`;
}

/**
 * Interpreter from the override, else the shebang, else the file extension, else the host's
 * default shell (the session shell, which sources the script).
 */
export function planLaunch(
  script: ScriptSource,
  options: { shell?: string; convertCrlf?: boolean; hostShell?: 'sh' | 'powershell' },
): ScriptLaunch {
  let argv: string[] | undefined;
  if (options.shell) {
    const parts = options.shell.trim().split(/\s+/);
    argv = effectiveName(parts) === 'pwsh' && parts.length === 1 ? [...parts, ...PWSH_ARGS] : parts;
  } else {
    argv =
      shebang(script.text) ??
      (script.fileName ? BY_EXTENSION[path.extname(script.fileName).toLowerCase()] : undefined) ??
      (options.hostShell === 'powershell' ? ['pwsh'] : undefined);
  }
  const name = argv ? effectiveName(argv) : 'sh';
  const interpreter = argv && !(SOURCEABLE.has(name) && isBareShell(argv)) ? argv : undefined;
  const posix = !argv || POSIX_SHELLS.has(name);
  const text = options.convertCrlf !== false && posix ? script.text.replace(/\r\n/g, '\n') : script.text;
  const sourceAs = interpreter ? undefined : name === 'bash' ? 'bash' : 'sh';
  const shellPath = sourceAs === 'bash' && argv?.[0].startsWith('/') && path.posix.basename(argv[0]) === 'bash' ? argv[0] : undefined;
  const launch: ScriptLaunch = { interpreter, sourceAs, shellPath, fileName: remoteFileName(script.fileName, interpreter), text };
  // Plain `pwsh` (by --shell, shebang or .ps1) runs in the PowerShell host; pwsh with other flags is just an interpreter.
  if (argv && name === 'pwsh' && (argv.length === 1 || argv.slice(1).every((a) => PWSH_ARGS.includes(a)))) launch.dialect = 'pwsh';
  if (options.hostShell === 'powershell') launch.windowsHost = true;
  return launch;
}
