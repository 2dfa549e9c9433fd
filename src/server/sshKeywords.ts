// ssh_config keywords: the manual's text (generated) plus what the manual says in prose and the
// editor needs as data: the values a keyword takes, and whether that list is closed (anything
// else is an error) or only a suggestion (a path or a number is also allowed).
import { MANUAL_KEYWORDS } from './sshKeywords.generated';

export interface SshKeyword {
  /** Spelled as the manual (and most configs) spell it. */
  name: string;
  doc: string;
  values: string[];
  /** Only `values` are valid (compared case-insensitively). */
  closed: boolean;
  /** Every occurrence adds to the list instead of the first one winning (ssh_config(5)). */
  cumulative: boolean;
}

const YES_NO = ['yes', 'no'];

// Closed value lists the manual gives in prose that the generator does not pick up.
const CLOSED_VALUES: Record<string, string[]> = {
  AddressFamily: ['any', 'inet', 'inet6'],
  CanonicalizeFallbackLocal: YES_NO,
  CanonicalizeHostname: ['yes', 'no', 'always', 'none'],
  CheckHostIP: YES_NO,
  ControlMaster: ['yes', 'no', 'ask', 'auto', 'autoask'],
  EnableEscapeCommandline: YES_NO,
  FingerprintHash: ['md5', 'sha256'],
  ForkAfterAuthentication: YES_NO,
  ForwardX11Trusted: YES_NO,
  GSSAPIAuthentication: YES_NO,
  GSSAPIDelegateCredentials: YES_NO,
  GSSAPIKeyExchange: YES_NO,
  GSSAPIRenewalForcesRekey: YES_NO,
  GSSAPITrustDns: YES_NO,
  HashKnownHosts: YES_NO,
  LogLevel: ['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG', 'DEBUG1', 'DEBUG2', 'DEBUG3'],
  ProxyUseFdpass: YES_NO,
  RequestTTY: ['no', 'yes', 'force', 'auto'],
  SessionType: ['none', 'subsystem', 'default'],
  StdinNull: YES_NO,
  // The values the engine's parseStrictHostKeyChecking accepts (and OpenSSH with them).
  StrictHostKeyChecking: ['yes', 'no', 'ask', 'accept-new', 'off'],
  SyslogFacility: ['DAEMON', 'USER', 'AUTH', 'LOCAL0', 'LOCAL1', 'LOCAL2', 'LOCAL3', 'LOCAL4', 'LOCAL5', 'LOCAL6', 'LOCAL7'],
  TCPKeepAlive: YES_NO,
  Tunnel: ['yes', 'no', 'point-to-point', 'ethernet'],
  VerifyHostKeyDNS: ['yes', 'no', 'ask'],
  VisualHostKey: YES_NO,
};

// Values worth offering where other values (paths, numbers, names) are also allowed.
const OPEN_VALUES: Record<string, string[]> = {
  ControlPersist: ['yes', 'no'],
  ForwardAgent: ['yes', 'no'],
  IdentityAgent: ['none', 'SSH_AUTH_SOCK'],
  IdentityFile: ['none'],
  ProxyCommand: ['none'],
  ProxyJump: ['none'],
  UpdateHostKeys: ['yes', 'no', 'ask'],
  AddKeysToAgent: ['yes', 'no', 'ask', 'confirm'],
};

const CUMULATIVE = new Set(
  ['CertificateFile', 'DynamicForward', 'IdentityFile', 'Include', 'LocalForward', 'RemoteForward', 'SendEnv', 'SetEnv', 'Host', 'Match', 'PermitRemoteOpen', 'CanonicalDomains', 'ChannelTimeout'].map((k) => k.toLowerCase()),
);

// Newer than the OpenSSH the table was generated from (9.2); the engine reads Tag as groups.
const NEWER_KEYWORDS = [
  {
    name: 'Tag',
    doc: 'Specify a configuration tag name that may be later used by a `Match` directive to select a block of configuration (OpenSSH 9.4+). Remote Invoke reads the tags as group membership: `Tag web prod` puts the host in the groups *web* and *prod*.',
  },
  { name: 'ObscureKeystrokeTiming', doc: 'Specifies whether ssh(1) should try to obscure inter-keystroke timings from passive observers of network traffic (OpenSSH 9.5+). `yes`, `no` or `interval:`*milliseconds*.' },
  { name: 'ChannelTimeout', doc: 'Specifies whether and how quickly ssh(1) should close inactive channels (OpenSSH 9.2+): a list of *type*`=`*interval* pairs.' },
  { name: 'RefuseConnection', doc: 'Indicates that ssh(1) should unconditionally terminate the connection (OpenSSH 10.0+), e.g. in a `Match` block for hosts that must not be used. `yes` or `no`.' },
];

// Spellings most configs use where the manual spells it otherwise.
const DISPLAY_NAME: Record<string, string> = { hostname: 'HostName' };

export const SSH_KEYWORDS: SshKeyword[] = [...MANUAL_KEYWORDS, ...NEWER_KEYWORDS].map((k) => {
  const closed = CLOSED_VALUES[k.name];
  const listed = 'values' in k ? (k.values as string[] | undefined) : undefined;
  return {
    name: DISPLAY_NAME[k.name.toLowerCase()] ?? k.name,
    doc: k.doc,
    values: closed ?? listed ?? OPEN_VALUES[k.name] ?? [],
    closed: !!(closed ?? listed),
    cumulative: CUMULATIVE.has(k.name.toLowerCase()),
  };
});

const BY_NAME = new Map(SSH_KEYWORDS.map((k) => [k.name.toLowerCase(), k]));

export function sshKeyword(name: string): SshKeyword | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** The closest known names within a small edit distance, best first ("did you mean"). */
export function closestNames(word: string, candidates: Iterable<string>, max = 3): string[] {
  const w = word.toLowerCase();
  const limit = Math.max(1, Math.min(3, Math.floor(w.length / 3)));
  const scored: [string, number][] = [];
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d <= limit) scored.push([c, d]);
  }
  return scored
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, max)
    .map(([c]) => c);
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}
