import { signalGroupCommand, type RunProgram, type ShellDialect } from '../protocol';
import { PWSH_HOST_SCRIPT } from './hostScript';

// A PowerShell session is a pwsh process running the host loop of hostScript.ts. It is started
// with -EncodedCommand, whose base64 needs no quoting in sh, fish, tcsh, cmd.exe, powershell.exe
// or pwsh: the same command works whatever the account's login shell is. The encoded part is a
// short bootstrap that reads the host loop itself as the first line of stdin (the hello), so the
// command line stays far below cmd.exe's 8,191 characters.

const PWSH_FLAGS = '-NoLogo -NoProfile -NonInteractive';

/**
 * Set for the pwsh process where the login shell is POSIX-like (`env` is a program there: sh,
 * bash, zsh, fish, tcsh, and pwsh on Linux): no telemetry set-up at start, and no tiered-PGO
 * instrumentation in the JIT. Measured on the bench box: ~0.1 s less CPU per pwsh start each
 * (bench/results/pwsh/latest.md). cmd.exe has no `env`, so Windows hosts start pwsh without it.
 */
const PWSH_ENV = 'POWERSHELL_TELEMETRY_OPTOUT=1 DOTNET_TieredPGO=0';

const BOOTSTRAP =
  '$__ri_r = [IO.StreamReader]::new([Console]::OpenStandardInput(), [Text.UTF8Encoding]::new($false)); ' +
  '$__ri_l = $__ri_r.ReadLine(); ' +
  'if ($__ri_l) { . ([scriptblock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($__ri_l)))) }';

/** `pwsh -EncodedCommand` takes base64 of UTF-16LE text. */
export function encodeCommand(text: string): string {
  return Buffer.from(text, 'utf16le').toString('base64');
}

/** The exec command that starts a PowerShell session host (a Windows host's: no `env`, see PWSH_ENV). */
export const PWSH_WINDOWS_START_COMMAND = `pwsh ${PWSH_FLAGS} -EncodedCommand ${encodeCommand(BOOTSTRAP)}`;
export const PWSH_START_COMMAND = `env ${PWSH_ENV} ${PWSH_WINDOWS_START_COMMAND}`;

/** A string field of a request line: base64 of its UTF-8 bytes, "." for the empty string. */
function field(s: string): string {
  return s === '' ? '.' : Buffer.from(s, 'utf8').toString('base64');
}

/** A PowerShell single-quoted string literal. */
function psQuote(s: string): string {
  return `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

/** The host loop, preceded by its token and (durable) private directory. One line of base64. */
export function pwshHelloProgram(token: string, durableDir?: string): string {
  const prefix = `$__ri_t = ${psQuote(token)}; $__ri_d = ${psQuote(durableDir ?? '')}\n`;
  return Buffer.from(prefix + PWSH_HOST_SCRIPT, 'utf8').toString('base64') + '\n';
}

/**
 * The input items of a run: one per line, as PowerShell's `$input` gets them from a file read
 * line by line (no trailing empty item for a final newline).
 */
export function inputItems(input: string): string[] {
  const lines = input.replace(/\r\n/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function pwshRunProgram(_token: string, run: RunProgram): string {
  const parts = ['R', String(run.runId), run.exitAfter ? '1' : '0', field(run.fileName), field(run.text)];
  parts.push(String(run.args.length), ...run.args.map(field));
  const vars = Object.entries(run.vars ?? {});
  parts.push(String(vars.length));
  for (const [name, value] of vars) parts.push(field(name), field(value));
  if (run.input === undefined) parts.push('-');
  else {
    const items = inputItems(run.input);
    parts.push(String(items.length), ...items.map(field));
  }
  return parts.join(' ') + '\n';
}

/** A run resent after a reattach (durable): `G` instead of `R`, which the host loop drops if it started that run already. */
export function pwshResendProgram(token: string, run: RunProgram): string {
  return 'G' + pwshRunProgram(token, run).slice(1);
}

export const PWSH_DIALECT: ShellDialect = {
  name: 'pwsh',
  startCommand: PWSH_START_COMMAND,
  bootExec: `exec ${PWSH_START_COMMAND}`,
  helloProgram: pwshHelloProgram,
  runProgram: pwshRunProgram,
  resendProgram: pwshResendProgram,
  helloTimeoutMs: 90_000,
  stopProgram: (runId) => `S ${runId}\n`,
  signalCommand: (hello, signal) => (windowsDir(hello.dir) ? `taskkill /T /F /PID ${hello.pid}` : signalGroupCommand(hello, signal)),
};

/** The host loop said hello from a Windows path (`C:\\…`): its processes are ended with taskkill, not kill. */
function windowsDir(dir: string): boolean {
  return /^[A-Za-z]:\\/.test(dir);
}

/**
 * A host whose login shell is PowerShell (`ansible_shell_type=powershell`): a Windows host
 * (Win32-OpenSSH), or a Linux account whose shell is pwsh. Its login shell (on Windows the
 * DefaultShell: cmd.exe unless the registry says powershell.exe or pwsh) reads the start command,
 * which is why it is `pwsh … -EncodedCommand` and nothing else. On Windows the host loop keeps its
 * private directory under `[IO.Path]::GetTempPath()` (the user's %TEMP%, private by its ACL) and
 * reports its own pid as the process group; a stop that did not work is escalated with
 * `taskkill /T /F` on the process tree, and the session is live, not durable (durable sessions
 * need /bin/sh, mkfifo, tail and setsid: see durable.ts and HostSession).
 */
export const PWSH_WINDOWS_DIALECT: ShellDialect = {
  ...PWSH_DIALECT,
  startCommand: PWSH_WINDOWS_START_COMMAND,
  // (bootExec stays: a durable session's boot script is read by /bin/sh, where there is one.)
};
