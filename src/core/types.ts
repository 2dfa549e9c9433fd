// Shared vocabulary of the engine. Everything the UI or CLI sees of a run is one of these values.

export const HOST_STATUSES = [
  'Completed',
  'Failed',
  'Unreachable',
  'AuthFailed',
  'HostKeyRejected',
  'TimedOut',
  'Cancelled',
  // A durable session's run whose host stayed unreachable after reconnecting; its output can still be received.
  'Disconnected',
  // Not started: a rolling run's failure budget (--max-failures) was spent before its turn.
  'Skipped',
  // The script never ran: the login did not start the session shell (no hello), e.g. a nologin,
  // sftp-only or forced-command account. Never Completed, never Failed.
  'NotStarted',
] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];

export type OutputStream = 'stdout' | 'stderr';

export interface OutputEvent {
  type: 'output';
  host: string;
  stream: OutputStream;
  line: string;
  /**
   * PowerShell runs: the stream a line came from, so a UI can colour it (absent: ordinary output
   * on stdout, or a POSIX line). `host` Write-Host, `information` Write-Information, `warning`,
   * `verbose`, `debug` (their text starts WARNING:/VERBOSE:/DEBUG: as PowerShell prints it),
   * `error` an error record (on stderr).
   */
  psStream?: PsStream;
}

export type PsStream = 'host' | 'information' | 'error' | 'warning' | 'verbose' | 'debug';

/**
 * One structured object a host produced: every object a PowerShell run writes to its output
 * (ConvertTo-Json, depth 2), and every stdout line of a POSIX run that is a JSON object. The
 * formatted text of PowerShell objects still arrives as `output` events.
 */
export interface ObjectEvent {
  type: 'object';
  host: string;
  value: unknown;
}

export interface HostResult {
  type: 'result';
  host: string;
  status: HostStatus;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  error: string | null;
  /** A rolling run's batch (1-based) this host was in; absent without --batch. */
  batch?: number;
  /** One line the user should see although the run went well, e.g. that the session's state was reset. */
  notice?: string;
}

/** A host begins (connecting) — lets a UI show progress before output arrives. */
export interface HostStartEvent {
  type: 'start';
  host: string;
  /** A rolling run's batch (1-based); absent without --batch. */
  batch?: number;
}

export type InvokeEvent = HostStartEvent | OutputEvent | HostResult | ObjectEvent;

/** A failure that ends one host's run. Carried as a value, never as a bare string. */
export class HostFailure extends Error {
  constructor(
    readonly status: Exclude<HostStatus, 'Completed' | 'Failed'> | 'Failed',
    message: string,
  ) {
    super(message);
    this.name = 'HostFailure';
  }
}

export type StrictHostKeyChecking = 'yes' | 'accept-new' | 'no' | 'ask';

export interface HostKeyInfo {
  host: string;
  /** The name as looked up in known_hosts: `host` or `[host]:port`. */
  knownHostsName: string;
  keyType: string;
  fingerprint: string;
}

/** How the engine reaches the user. Every member is optional: absent means "cannot ask". */
export interface InteractionCallbacks {
  /** Password for user@host; undefined = none available. `attempt` 1, 2… after a rejected one. */
  askPassword?(host: string, user: string, prompt: string, attempt?: number): Promise<string | undefined>;
  /**
   * The sudo password of `loginUser` for running as `asUser` (asked once per run for all hosts;
   * `attempt` 1 after sudo refused the first answer).
   */
  askBecomePassword?(host: string, loginUser: string, asUser: string, attempt?: number): Promise<string | undefined>;
  /** Passphrase for an encrypted private key. */
  askPassphrase?(keyPath: string): Promise<string | undefined>;
  /** Keyboard-interactive prompts; answers in order. */
  askKeyboardInteractive?(
    host: string,
    user: string,
    prompts: { prompt: string; echo: boolean }[],
  ): Promise<string[] | undefined>;
  /**
   * Unknown host key under policy `ask`. 'once' accepts for this connection only,
   * 'remember' also records it in known_hosts; `{ refused }` rejects it and says why.
   */
  confirmHostKey?(info: HostKeyInfo): Promise<HostKeyAnswer>;
}

/** An answer about an unknown host key; `{ refused: why }` rejects it, and `why` ends the host's error message. */
export type HostKeyAnswer = 'once' | 'remember' | 'reject' | { refused: string };
