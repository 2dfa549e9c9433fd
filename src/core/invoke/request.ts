import type { SshConfigFile } from '../inventory/sshConfig';
import type { SessionPool } from '../session/pool';
import type { BecomeOptions } from '../session/become';
import type { BatchSize, FailureBudget, RolloutReport } from './rollout';
import type { HostResult, InteractionCallbacks, InvokeEvent, StrictHostKeyChecking } from '../types';

export interface ScriptSource {
  /** The script's content, read locally (Invoke-Command -FilePath semantics). */
  text: string;
  /** Local file name: picks the interpreter by extension and names the remote temp file. */
  fileName?: string;
}

/** How hosts are found and trusted; shared by one-shot runs and persistent sessions. */
export interface ConnectionSettings {
  /** ssh_config used to resolve names; default ~/.ssh/config. */
  sshConfig?: SshConfigFile;
  /** The user named `sshConfig` for this command (`-F`): it wins over a session's or job's record. */
  sshConfigExplicit?: boolean;
  /** Replaces ssh_config's known_hosts files. */
  knownHostsFiles?: string[];
  strictHostKeyChecking?: StrictHostKeyChecking;
  connectTimeoutMs?: number;
  callbacks?: InteractionCallbacks;
  /**
   * Forward the local ssh-agent to the hosts for the run (or to the hosts this says yes for);
   * undefined = ssh_config's ForwardAgent (off by default).
   */
  forwardAgent?: boolean | ((host: string) => boolean | undefined);
}

export interface InvokeRequest extends ConnectionSettings {
  script: ScriptSource;
  /** Host names: ssh_config aliases or `[user@]host[:port]`. */
  targets: string[];
  /** Passed to the script as exactly these strings. */
  args?: string[];
  /** Hosts in flight at once; default 32. */
  throttle?: number;
  /** Per host, from the moment it starts connecting; undefined = no limit. */
  timeoutMs?: number;
  /** Interpreter override (`bash`, `python3`, `pwsh`, …); wins over shebang and extension. */
  shell?: string;
  /** Turn CRLF into LF for POSIX shells; default true. */
  convertCrlf?: boolean;
  signal?: AbortSignal;
  /** `--var NAME=VALUE`: PowerShell `$Using:NAME` (copied in); POSIX: environment variable NAME for this run only. */
  vars?: Record<string, string>;
  /** `--input`: local data for every host: PowerShell `$input` (one item per line); POSIX: the script's stdin. Absent = empty stdin. */
  input?: string;
  /** Run in these persistent sessions (state carries across runs); absent = one connection per host for this run. */
  sessions?: SessionPool;
  /**
   * Run as another user through sudo (default root): one sudo password prompt per run, only for
   * hosts that need one. With `sessions`, the pool's own sessions decide (a root pool is separate).
   */
  become?: BecomeOptions;
  /** Rolling run: batch sizes (the last repeats); a batch starts when the previous one has ended. */
  batch?: BatchSize[];
  /** More failed or unreachable hosts than this and no new host starts; the rest end `Skipped`. */
  maxFailures?: FailureBudget;
}

export interface InvokeRun extends AsyncIterable<InvokeEvent> {
  /** The same events in arrays of whatever has accumulated: for consumers of fast output. */
  batches(): AsyncIterable<InvokeEvent[]>;
  /** One result per target, in target order; resolves when every host has ended. */
  readonly results: Promise<HostResult[]>;
  /** The batches and why the run stopped early, if it did; resolves with `results`. */
  readonly rollout: Promise<RolloutReport>;
  /** Stops every host still running; they end as `Cancelled`. */
  cancel(): void;
}
