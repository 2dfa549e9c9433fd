/** Bad usage or bad input: the CLI prints one line naming the problem and exits 2, having run nothing. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT = { ok: 0, scriptFailed: 1, usage: 2, hostFailed: 3 } as const;

export const HELP = `usage: remote-invoke run -H NAMES (-f FILE | -c TEXT) [options] [-- ARG...]
       remote-invoke session new NAME -H NAMES | list [NAME] | remove NAME | disconnect NAME | receive NAME
       remote-invoke job list | receive ID [--keep] | wait ID | stop ID | remove ID
       remote-invoke test -H NAMES [--json]   (Test Connection: runs no user code; exit 0 all fine, 3 otherwise)
       remote-invoke hosts [PATTERN] [-i FILE]... [--json]

Runs a script's content on every named host at once over SSH (the file is read locally).

  -H, --hosts PATTERN            hosts and groups, Ansible's pattern language: a,b or a:b (union),
                                 a:&b (and), a:!b (except), web*, ~regex, web[01:05], @FILE,
                                 @failed (not Completed in the last run); a name not in any
                                 inventory or ssh_config is a [user@]host[:port]; may repeat
  -i, --inventory FILE           Ansible inventory, INI or YAML (group_vars/, host_vars/ beside
                                 it are read); may repeat
  -f, --file FILE                local script file to send and run
  -c, --command TEXT             script text to run
  -F, --ssh-config PATH          ssh_config file (default ~/.ssh/config)
      --known-hosts PATH         known_hosts file, used instead of ssh_config's
      --strict-host-key-checking yes|accept-new|no
  -t, --throttle N               hosts in flight at once (default 32)
      --timeout SECONDS          per-host limit; the remote processes are stopped
      --connect-timeout SECONDS  limit for connecting and authenticating
      --shell NAME               interpreter (default: shebang, file extension, then the host's shell)
      --no-crlf-conversion       keep CRLF line endings in shell scripts
      --hide-computer-name       do not prefix output lines with the host name
      --json                     JSON Lines on stdout
      --session NAME             run in the named durable sessions (created on first use);
                                 state carries from run to run, across CLI processes
      --as-job                   start as a background job and return at once (prints its id)
      --job-name NAME            name for the job
      --idle-timeout SECONDS     a detached session or job ends itself after this long unused
                                 (default 4 hours)
      --batch SIZES              rolling run: batches of these sizes, e.g. 1,5,25% (the last
                                 repeats); a batch starts when the previous one has ended
      --sudo, --become           run as root through sudo: the sudo password is asked once per
                                 run (terminal or SSH_ASKPASS), only for hosts that need one
      --become-user USER         with --become: run as USER instead of root
      --forward-agent            forward the local ssh-agent for the run (like ForwardAgent yes;
                                 off by default: whoever is root on the host can use your keys)
      --max-failures N|N%        once more hosts than this have failed or could not run, no new
                                 host starts; those left end Skipped (exit 3)

Sessions and jobs are recorded in $REMOTE_INVOKE_STATE_DIR (default: the user state folder).
  -h, --help                     show this help
  -V, --version                  show the version

Exit status: 0 all Completed; 1 some script exited non-zero; 3 some host could not run it
(unreachable, authentication, host key, timeout, cancelled); 2 bad usage or input.
`;
