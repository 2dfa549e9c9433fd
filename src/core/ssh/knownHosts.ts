import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

// OpenSSH's known_hosts format (plain and hashed names, markers, [host]:port) is parsed by hand:
// no maintained npm library verifies against it, and ssh2 leaves host-key checking to the caller.

export interface KnownHostEntry {
  file: string;
  line: number;
  marker: '' | '@revoked' | '@cert-authority';
  keyType: string;
  keyBase64: string;
  matches(name: string): boolean;
}

export type KnownHostsVerdict =
  | { kind: 'match'; entry: KnownHostEntry }
  | { kind: 'revoked'; entry: KnownHostEntry }
  | { kind: 'changed'; known: KnownHostEntry[] }
  | { kind: 'unknown' };

/** `host` on port 22, else `[host]:port` — the name OpenSSH writes and looks up. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function fingerprintSha256(keyBlob: Buffer): string {
  return 'SHA256:' + crypto.createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The algorithm name an SSH public key blob starts with. */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

function wildcardToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hostPatternMatcher(field: string): (name: string) => boolean {
  if (field.startsWith('|1|')) {
    const [, , salt64, hash64] = field.split('|');
    const salt = Buffer.from(salt64 ?? '', 'base64');
    const expected = Buffer.from(hash64 ?? '', 'base64');
    return (name) => {
      const actual = crypto.createHmac('sha1', salt).update(name).digest();
      return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
    };
  }
  const patterns = field.split(',').filter(Boolean);
  const positive = patterns.filter((p) => !p.startsWith('!')).map(wildcardToRegExp);
  const negative = patterns.filter((p) => p.startsWith('!')).map((p) => wildcardToRegExp(p.slice(1)));
  return (name) => !negative.some((re) => re.test(name)) && positive.some((re) => re.test(name));
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = '';
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostEntry['marker'];
    if (fields.length < 3) return;
    const [hosts, keyType, keyBase64] = fields;
    entries.push({ file, line: i + 1, marker, keyType, keyBase64, matches: hostPatternMatcher(hosts) });
  });
  return entries;
}

const loaded = new Map<string, KnownHosts>();

function fileStamp(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'absent';
  }
}

/** A set of known_hosts files. */
export class KnownHosts {
  constructor(
    private readonly entries: KnownHostEntry[],
    /** Where accept-new / "remember" writes. */
    readonly writableFile: string | undefined,
  ) {}

  /**
   * The parsed files, shared by every connection while none of them changes: a fan-out to
   * hundreds of hosts parses known_hosts once, and idle sessions do not each hold a copy.
   */
  static load(files: string[], writableFile = files[0]): KnownHosts {
    const key = `${writableFile}\0${files.map((f) => `${f}\0${fileStamp(f)}`).join('\0')}`;
    const cached = loaded.get(key);
    if (cached) return cached;
    const entries = files.flatMap((file) => {
      try {
        return parseKnownHosts(fs.readFileSync(file, 'utf8'), file);
      } catch {
        return [];
      }
    });
    const knownHosts = new KnownHosts(entries, writableFile);
    if (loaded.size > 32) loaded.clear();
    loaded.set(key, knownHosts);
    return knownHosts;
  }

  /** Key types already recorded for this name, so the server can be asked for one of them first. */
  knownKeyTypes(name: string): string[] {
    return [...new Set(this.entries.filter((e) => !e.marker && e.matches(name)).map((e) => e.keyType))];
  }

  check(name: string, keyBlob: Buffer): KnownHostsVerdict {
    const keyBase64 = keyBlob.toString('base64');
    const forName = this.entries.filter((e) => e.matches(name));
    const revoked = this.entries.find((e) => e.marker === '@revoked' && e.keyBase64 === keyBase64);
    if (revoked) return { kind: 'revoked', entry: revoked };
    const plain = forName.filter((e) => !e.marker);
    const exact = plain.find((e) => e.keyBase64 === keyBase64);
    if (exact) return { kind: 'match', entry: exact };
    // A different key of any type recorded for this host is a changed key: refusing is the safe
    // reading, since the client already asks the server for a recorded type first.
    if (plain.length) return { kind: 'changed', known: plain };
    return { kind: 'unknown' };
  }

  /** Appends a line, hashed when HashKnownHosts asks for it. The file is created private. */
  record(name: string, keyBlob: Buffer, hashed: boolean): void {
    if (!this.writableFile) return;
    const hostField = hashed ? hashHostName(name) : name;
    const line = `${hostField} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`;
    fs.mkdirSync(path.dirname(this.writableFile), { recursive: true, mode: 0o700 });
    let prefix = '';
    try {
      const existing = fs.readFileSync(this.writableFile, 'utf8');
      if (existing.length && !existing.endsWith('\n')) prefix = '\n';
    } catch {
      /* new file */
    }
    fs.appendFileSync(this.writableFile, prefix + line, { mode: 0o600 });
    this.entries.push(...parseKnownHosts(line, this.writableFile));
  }
}

function hashHostName(name: string): string {
  const salt = crypto.randomBytes(20);
  const hash = crypto.createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}

/** ssh2 `serverHostKey` algorithm order: types recorded for the host first, like OpenSSH does. */
export function preferredHostKeyAlgorithms(knownTypes: string[]): string[] {
  const all = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const wanted = new Set(knownTypes.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])));
  return [...all.filter((a) => wanted.has(a)), ...all.filter((a) => !wanted.has(a))];
}
