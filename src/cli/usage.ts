/** Bad usage or bad input: the CLI prints one line naming the problem and exits 2, having run nothing. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT = { ok: 0, scriptFailed: 1, usage: 2, hostFailed: 3, brokenPipe: 141 } as const;

/** One line of help per flag; every flag a command accepts must have one (a test checks it). */
export const FLAG_DOCS: Record<string, { arg?: string; short?: string; text: string }> = {
  hosts: {
    short: 'H',
    arg: 'PATTERN',
    text: "hosts and groups in Ansible's pattern language: a,b or a:b (union), a:&b (and), a:!b (except), web*, ~regex, web[01:05], @FILE, @failed; a name no inventory or ssh_config knows is a [user@]host[:port]; may repeat",
  },
  inventory: { short: 'i', arg: 'FILE', text: 'Ansible inventory, INI or YAML (group_vars/ and host_vars/ beside it are read); may repeat' },
  file: { short: 'f', arg: 'FILE', text: 'local script file to send and run' },
  command: { short: 'c', arg: 'TEXT', text: 'script text to run' },
  'ssh-config': { short: 'F', arg: 'PATH', text: 'ssh_config file (default ~/.ssh/config)' },
  'known-hosts': { arg: 'PATH', text: "known_hosts file, used instead of ssh_config's" },
  'strict-host-key-checking': { arg: 'yes|accept-new|no', text: 'unknown host keys refused / recorded / accepted; a changed key is always refused' },
  'connect-timeout': { arg: 'SECONDS', text: 'limit for connecting and authenticating' },
  json: { text: 'JSON Lines on stdout' },
  throttle: { short: 't', arg: 'N', text: 'hosts in flight at once (default: all, with at most 32 key exchanges at once with nearby hosts)' },
  timeout: { arg: 'SECONDS', text: 'per-host limit; the remote processes are stopped' },
  shell: { arg: 'NAME', text: "interpreter (default: shebang, file extension, then the host's shell)" },
  'no-crlf-conversion': { text: 'keep CRLF line endings in shell scripts (-f and -c)' },
  'hide-computer-name': { text: 'do not prefix output lines with the host name' },
  session: { arg: 'NAME', text: 'run in the named durable sessions (created on first use); state carries across CLI processes' },
  'as-job': { text: 'start as a background job and return at once (prints its id)' },
  'job-name': { arg: 'NAME', text: 'name for the job (with --as-job)' },
  'idle-timeout': { arg: 'SECONDS', text: 'a detached session or job ends itself after this long unused (default 4 hours)' },
  keep: { text: 'keep the output on the hosts after receiving it' },
  'poll-interval': { arg: 'SECONDS', text: 'how often `job wait` checks the hosts (default 1)' },
  var: { arg: 'NAME=VALUE', text: 'a local value, repeatable: PowerShell reads $Using:NAME (a copy); POSIX scripts get the environment variable NAME for that run' },
  input: { arg: 'FILE|-', text: "local data for every host (- = this program's stdin): PowerShell $input, one item per line; POSIX: the script's stdin" },
  help: { short: 'h', text: 'show this help' },
  batch: { arg: 'SIZES', text: 'rolling run: batches of these sizes, e.g. 1,5,25% (the last repeats); a batch starts when the previous one has ended' },
  'max-failures': { arg: 'N|N%', text: 'once more hosts than this have failed or could not run, no new host starts; those left end Skipped (exit 3)' },
  sudo: { text: 'run as root through sudo: the sudo password is asked once per run (terminal or SSH_ASKPASS), only for hosts that need one' },
  become: { text: 'the same as --sudo (Ansible\'s word); with --become-user, as that user' },
  'become-user': { arg: 'USER', text: 'with --become: run as USER instead of root (default: the inventory\'s ansible_become_user, else root)' },
  'forward-agent': { text: 'forward the local ssh-agent for the run (like ForwardAgent yes; off by default: whoever is root on the host can use your keys)' },
};

interface CommandHelp {
  usage: string;
  summary: string;
}

/** Help for each command and action, keyed as the user types it after `remote-invoke help`. */
export const COMMAND_HELP: Record<string, CommandHelp> = {
  run: {
    usage: 'remote-invoke run -H PATTERN (-f FILE | -c TEXT) [options] [-- ARG...]',
    summary: "Runs a script's content on every named host at once over SSH (the file is read locally).\nArguments after -- reach the script as exactly the strings given.",
  },
  session: {
    usage: 'remote-invoke session new|list|remove|disconnect|receive ...',
    summary: 'Named durable sessions: state carries from run to run (run --session NAME), across CLI processes.',
  },
  'session new': {
    usage: 'remote-invoke session new NAME -H PATTERN [options]',
    summary: 'Opens a durable session on each host (with --sudo: the root session NAME, started once under sudo, apart from your own).',
  },
  'session list': { usage: 'remote-invoke session list [NAME] [options]', summary: "Shows each session's hosts and their state." },
  'session remove': { usage: 'remote-invoke session remove NAME [options]', summary: 'Ends the remote shells and forgets the session.' },
  'session disconnect': { usage: 'remote-invoke session disconnect NAME [options]', summary: 'Detaches whichever client is attached; the remote shells keep running.' },
  'session receive': {
    usage: 'remote-invoke session receive NAME [--sudo] [options]',
    summary: 'Prints output that arrived while no client was attached, then each host\'s result (--sudo: of the root session NAME).',
  },
  job: {
    usage: 'remote-invoke job list|receive|wait|stop|remove ...',
    summary: 'Background jobs started with run --as-job: they go on while no client is attached.',
  },
  'job list': { usage: 'remote-invoke job list [options]', summary: 'Lists jobs with the state of each host.' },
  'job receive': { usage: 'remote-invoke job receive ID [--keep] [options]', summary: "Prints a job's output so far." },
  'job wait': { usage: 'remote-invoke job wait ID [options]', summary: 'Waits until every host of the job has finished; exits as run would.' },
  'job stop': { usage: 'remote-invoke job stop ID [options]', summary: "Stops the job's remote processes." },
  'job remove': { usage: 'remote-invoke job remove ID [options]', summary: 'Removes the job and its output from the hosts.' },
  test: {
    usage: 'remote-invoke test -H NAMES [--json] [options]',
    summary:
      'Test Connection: per host, reachability and TCP connect time, the host key and its SHA256, the authentication method\n' +
      'that succeeded, a no-op\'s round trip, login shell, OS, pwsh, and whether durable sessions are possible.\n' +
      'Runs no user code; accepts an unknown host key only when the policy says so. Exit 0 when every host is fine, 3 otherwise.',
  },
  hosts: {
    usage: 'remote-invoke hosts [PATTERN | -H PATTERN] [-i FILE]... [--json]',
    summary:
      "Lists the hosts a pattern selects (all hosts without one) with address, port, user, groups and\nwhere each setting came from: the dry run of -H. A pattern that matches nothing exits 2.",
  },
};

const EXIT_TEXT = `Exit status: 0 all Completed; 1 some script exited non-zero; 3 some host could not run it
(unreachable, authentication, host key, timeout, cancelled, not started); 2 bad usage or input;
141 stdout was closed (as by | head).`;

function flagLine(name: string): string {
  const doc = FLAG_DOCS[name];
  const left = `${doc?.short ? `-${doc.short}, ` : '    '}--${name}${doc?.arg ? ` ${doc.arg}` : ''}`;
  const text = doc?.text ?? '';
  return left.length < 32 ? `  ${left.padEnd(32)} ${text}` : `  ${left}\n  ${''.padEnd(32)} ${text}`;
}

/** The help of one command or action: its usage, what it does, and every flag it accepts. */
export function commandHelp(key: string, options: Record<string, unknown>): string {
  const help = COMMAND_HELP[key];
  const flags = [...Object.keys(options).filter((f) => f !== 'help'), 'help'];
  return `usage: ${help.usage}\n\n${help.summary}\n\n${flags.map(flagLine).join('\n')}\n\n${EXIT_TEXT}\n`;
}

export const HELP = `usage: ${COMMAND_HELP.run.usage}
       remote-invoke session new NAME -H PATTERN | list [NAME] | remove NAME | disconnect NAME | receive NAME
       remote-invoke job list | receive ID [--keep] | wait ID | stop ID | remove ID
       remote-invoke test -H NAMES [--json]
       remote-invoke hosts [PATTERN] [-i FILE]... [--json]
       remote-invoke help [COMMAND [ACTION]]

Runs a script's content on every named host at once over SSH (the file is read locally).
'remote-invoke help run' (or 'run --help') lists every flag of a command; the same works for
each session and job action.

Sessions and jobs are recorded in $REMOTE_INVOKE_STATE_DIR (default: the user state folder).
  -h, --help                     show this help
  -V, --version                  show the version

${EXIT_TEXT}
`;
