// The tools a user would pick instead, driven the way a user would drive them, against the same
// loopback hosts: parallel-ssh, Ansible ad-hoc, a plain OpenSSH `ssh -n … &` loop, and OpenSSH
// with ControlMaster connections kept open.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestBed } from '../../test/support/sshd';
import { runProcess, versionOf, which, type ProcessResult } from './proc';

export interface PeerRun {
  ms: number;
  ok: number;
  failures: string[];
}

export interface PeerInfo {
  id: string;
  label: string;
  installed: boolean;
  version?: string;
  skipped?: string;
  /** How the peer was configured, for the report. */
  settings: string;
}

/** Files every peer shares: host lists, Ansible's inventory and home, the ssh loop script. */
export class PeerWorkspace {
  readonly hostname = os.hostname();
  readonly controlDir: string;

  constructor(
    readonly bed: TestBed,
    readonly dir: string,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    // ControlPath must fit in a unix socket name (108 bytes): a short dir of its own, %C inside.
    this.controlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-cm-'));
    fs.writeFileSync(path.join(dir, 'ssh-loop.sh'), SSH_LOOP, { mode: 0o755 });
    fs.mkdirSync(path.join(dir, 'ansible', 'tmp'), { recursive: true });
  }

  names(n: number): string[] {
    return this.bed.hosts.slice(0, n).map((h) => h.name);
  }

  hostsFile(n: number): string {
    const file = path.join(this.dir, `hosts-${n}.txt`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, this.names(n).join('\n') + '\n');
    return file;
  }

  inventory(n: number): string {
    const file = path.join(this.dir, `inventory-${n}.ini`);
    if (!fs.existsSync(file)) {
      // The interpreter is named so Ansible skips its discovery round trip (what a tuned
      // inventory does): this only makes the peer faster.
      fs.writeFileSync(file, `[bench]\n${this.names(n).join('\n')}\n\n[bench:vars]\nansible_python_interpreter=/usr/bin/python3\n`);
    }
    return file;
  }

  controlOptions(persist = '60'): string[] {
    return ['-o', 'ControlMaster=auto', '-o', `ControlPath=${this.controlDir}/%C`, '-o', `ControlPersist=${persist}`];
  }

  cleanup(): void {
    fs.rmSync(this.controlDir, { recursive: true, force: true });
  }

  /** Lines that are this machine's name (every loopback host is this machine). */
  countNames(stdout: string): number {
    return stdout.split('\n').filter((l) => l.trim() === this.hostname).length;
  }

  sshEnv(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    delete env.SSH_AUTH_SOCK; // the bed's ssh_config says IdentitiesOnly; no agent for anyone
    return env;
  }

  ansibleEnv(extraSshArgs: string[] = []): NodeJS.ProcessEnv {
    const home = path.join(this.dir, 'ansible');
    return {
      ...this.sshEnv(),
      ANSIBLE_CONFIG: path.join(home, 'none.cfg'), // no ansible.cfg from the cwd or ~
      ANSIBLE_HOME: home,
      ANSIBLE_LOCAL_TEMP: path.join(home, 'tmp'),
      ANSIBLE_REMOTE_TEMP: path.join(home, 'remote_tmp'),
      // Cold like the others: no ControlMaster, no ControlPersist.
      ANSIBLE_SSH_ARGS: ['-F', this.bed.sshConfigPath, '-o', 'ControlMaster=no', '-o', 'ControlPath=none', ...extraSshArgs].join(' '),
      ANSIBLE_HOST_KEY_CHECKING: 'True', // checked by ssh against the bed's known_hosts (ssh_config)
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_RETRY_FILES_ENABLED: 'False',
      ANSIBLE_DEPRECATION_WARNINGS: 'False',
      ANSIBLE_LOCALHOST_WARNING: 'False',
    };
  }
}

// Throttled like every other tool (32 in flight); `-n` or ssh eats the loop's stdin.
const SSH_LOOP = `#!/bin/bash
# usage: ssh-loop.sh HOSTS_FILE LIMIT COMMAND SSH_OPTION...
hosts=$1 limit=$2 cmd=$3; shift 3
n=0
while read -r h; do
  if [ "$n" -ge "$limit" ]; then wait -n; n=$((n - 1)); fi
  ssh -n "$@" "$h" "$cmd" &
  n=$((n + 1))
done < "$hosts"
wait
`;

export async function describePeers(): Promise<PeerInfo[]> {
  const pssh = which('parallel-ssh') ?? which('pssh');
  const ansible = which('ansible');
  const ssh = which('ssh');
  const missing = (pkg: string) => `not installed (apt-get install ${pkg})`;
  return [
    {
      id: 'pssh',
      label: 'parallel-ssh -p 32',
      installed: !!pssh,
      version: pssh ? await versionOf(pssh, ['--version']) : undefined,
      skipped: pssh ? undefined : missing('pssh'),
      settings: 'defaults; `-x "-F ssh_config" -p 32 -i`',
    },
    {
      id: 'pssh-curve25519',
      label: 'parallel-ssh -p 32, curve25519 forced',
      installed: !!pssh,
      version: pssh ? await versionOf(pssh, ['--version']) : undefined,
      skipped: pssh ? undefined : missing('pssh'),
      settings: '`-x "-F ssh_config -o KexAlgorithms=curve25519-sha256"` — not its default, shown as a note',
    },
    {
      id: 'ansible',
      label: 'ansible -f 32 (ad-hoc)',
      installed: !!ansible,
      version: ansible ? await versionOf(ansible, ['--version']) : undefined,
      skipped: ansible ? undefined : missing('ansible-core'),
      settings: '`-m command`, ssh_args `-o ControlMaster=no -o ControlPath=none`, pipelining off (default), python interpreter named in the inventory',
    },
    {
      id: 'ssh-loop',
      label: 'OpenSSH `ssh -n … &` loop',
      installed: !!ssh,
      version: ssh ? await versionOf(ssh, ['-V']) : undefined,
      skipped: ssh ? undefined : missing('openssh-client'),
      settings: 'bash loop, 32 in flight (`wait -n`), OpenSSH defaults',
    },
  ];
}

function outcome(r: ProcessResult, ok: number, n: number): PeerRun {
  const failures: string[] = [];
  if (r.timedOut) failures.push('timed out');
  if (ok < n) failures.push(`${n - ok} of ${n} hosts gave no answer (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return { ms: r.ms, ok, failures };
}

export async function runPssh(ws: PeerWorkspace, n: number, command: string, extra: string[] = []): Promise<PeerRun> {
  const bin = which('parallel-ssh') ?? which('pssh')!;
  const x = ['-F', ws.bed.sshConfigPath, ...extra].join(' ');
  const r = await runProcess(bin, ['-h', ws.hostsFile(n), '-x', x, '-p', '32', '-i', command], {
    env: ws.sshEnv(),
    timeoutMs: 300_000,
  });
  const ok = (r.stdout.match(/\[SUCCESS\]/g) ?? []).length;
  return outcome(r, ok, n);
}

export async function runAnsible(ws: PeerWorkspace, n: number, command: string, extraSshArgs: string[] = []): Promise<PeerRun> {
  const r = await runProcess('ansible', ['bench', '-i', ws.inventory(n), '-f', '32', '-m', 'command', '-a', command], {
    env: ws.ansibleEnv(extraSshArgs),
    cwd: ws.dir,
    timeoutMs: 600_000,
  });
  const ok = (r.stdout.match(/\| (CHANGED|SUCCESS) \| rc=0/g) ?? []).length;
  return outcome(r, ok, n);
}

export async function runSshLoop(ws: PeerWorkspace, n: number, command: string, sshOptions: string[] = []): Promise<PeerRun> {
  const r = await runProcess('bash', [path.join(ws.dir, 'ssh-loop.sh'), ws.hostsFile(n), '32', command, '-F', ws.bed.sshConfigPath, ...sshOptions], {
    env: ws.sshEnv(),
    timeoutMs: 300_000,
  });
  return outcome(r, command === 'uname -n' ? ws.countNames(r.stdout) : r.code === 0 ? n : 0, n);
}

/** Opens (or keeps) a ControlMaster per host, 32 at a time; not timed. */
export async function openControlMasters(ws: PeerWorkspace, n: number): Promise<PeerRun> {
  return runSshLoop(ws, n, 'true', ws.controlOptions());
}

export async function closeControlMasters(ws: PeerWorkspace, n: number): Promise<void> {
  await runProcess('bash', [path.join(ws.dir, 'ssh-loop.sh'), ws.hostsFile(n), '32', 'true', '-F', ws.bed.sshConfigPath, ...ws.controlOptions(), '-O', 'exit'], {
    env: ws.sshEnv(),
    timeoutMs: 60_000,
  });
}

/** What OpenSSH negotiated, from an `ssh -v -E file` log. */
export function parseSshLog(text: string): { kex?: string; cipher?: string } {
  return {
    kex: /kex: algorithm: (\S+)/.exec(text)?.[1],
    cipher: /kex: server->client cipher: (\S+)/.exec(text)?.[1],
  };
}

/**
 * One untimed run of a peer on two hosts with `ssh -v -E <log>` added, to record the key exchange
 * it negotiates with its settings.
 */
export async function probeKex(
  ws: PeerWorkspace,
  peer: string,
): Promise<{ kex?: string; cipher?: string; connections?: number; error?: string }> {
  const log = path.join(ws.dir, `kex-${peer}.log`);
  fs.rmSync(log, { force: true });
  const verbose = ['-v', '-E', log];
  try {
    if (peer === 'pssh') await runPssh(ws, 2, 'true', verbose);
    else if (peer === 'pssh-curve25519') await runPssh(ws, 2, 'true', ['-o', 'KexAlgorithms=curve25519-sha256', ...verbose]);
    else if (peer === 'ansible') await runAnsible(ws, 2, 'true', verbose);
    else if (peer === 'ssh-loop') await runSshLoop(ws, 2, 'true', verbose);
    else if (peer === 'ssh-controlmaster') {
      // the master is the connection that did the key exchange: open a fresh one with -v
      // (ssh keeps the first value of each -o, so these are spelled out rather than overridden)
      const probe = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${ws.controlDir}/probe-%C`, '-o', 'ControlPersist=1'];
      await runSshLoop(ws, 1, 'true', [...probe, ...verbose]);
    }
    const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    const parsed = parseSshLog(text);
    const hosts = peer === 'ssh-controlmaster' ? 1 : 2;
    const connections = (text.match(/kex: algorithm:/g) ?? []).length / hosts;
    return parsed.kex ? { ...parsed, connections } : { error: 'no kex line in the ssh -v log' };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
