// Focused measurements behind the "why" of a missed target, for whoever changes the engine:
//
//   npx tsx bench/diagnose.ts stall            post-auth ~40 ms stall before the first channel (ssh2 + OpenSSH)
//   npx tsx bench/diagnose.ts session          the engine's session open split: ready → hostkeys → hello → run
//   npx tsx bench/diagnose.ts memory           per-session RSS with one shared known_hosts vs one file per host
//   npx tsx bench/diagnose.ts resolve          ssh_config resolve + known_hosts load cost against config size
//   npx tsx bench/diagnose.ts profile-stream   CPU profile of invoke() reading 100 MB (new connection, open session) and the floor
//   npx tsx bench/diagnose.ts profile-fanout   CPU profile of invoke() cold fan-out to 50 hosts
//   npx tsx bench/diagnose.ts profile-activate CPU profile of loading the minified extension bundle
//
// Profiles are summarised as self time per function (top 25); the .cpuprofile files stay in
// bench/results/tmp/profiles/ for Chrome DevTools.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Session } from 'node:inspector';
import { Client } from 'ssh2';
import { HostSession, KnownHosts, SshConfigFile } from '../src/core';
import { startTestBed, type TestBed } from '../test/support/sshd';
import { buildChildren, buildWithProjectConfig } from './lib/build';
import { engineFanout } from './lib/engine';
import { quiesce } from './lib/proc';
import { quantile } from './lib/stats';

const REPO = path.resolve(__dirname, '..');
const TMP = path.join(REPO, 'bench', 'results', 'tmp');
const PROFILES = path.join(TMP, 'profiles');

const med = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
const fmt = (x: number) => x.toFixed(1).padStart(6);

async function withBed<T>(count: number, fn: (bed: TestBed) => Promise<T>): Promise<T> {
  const bed = await startTestBed({ count });
  try {
    return await fn(bed);
  } finally {
    await bed.stop();
  }
}

/** Self time per function of a .cpuprofile, top n. */
function summarizeProfile(file: string, top = 25): void {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const cf = byId.get(id)!.callFrame;
    if (cf.functionName === '(idle)') return;
    const where = cf.url.replace(/.*node_modules\//, '').replace(`file://${REPO}/`, '').replace(`${REPO}/`, '');
    const key = `${cf.functionName || '(anonymous)'}  ${where}${where ? `:${cf.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + p.timeDeltas[i]);
    total += p.timeDeltas[i];
  });
  console.log(`${file}\n  ${(total / 1000).toFixed(0)} ms of CPU samples (idle excluded); self time:`);
  for (const [k, us] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
  }
}

async function inProcessProfile<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  const post = <R>(method: string, params: object = {}) =>
    new Promise<R>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as R))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  const result = await fn();
  const { profile } = await post<{ profile: object }>('Profiler.stop');
  fs.mkdirSync(PROFILES, { recursive: true });
  const file = path.join(PROFILES, `${name}.cpuprofile`);
  fs.writeFileSync(file, JSON.stringify(profile));
  summarizeProfile(file);
  return result;
}

const commands: Record<string, () => Promise<void>> = {
  /** Time from USERAUTH_SUCCESS ('ready') to the first exec's callback, with and without a pause after ready. */
  async stall() {
    await withBed(1, async (bed) => {
      const h = bed.hosts[0];
      const key = fs.readFileSync(bed.clientKeyPath);
      const listeners = [bed.listenerPid(h.name)];
      for (const pauseMs of [0, 150]) {
        const gaps: number[] = [];
        for (let i = 0; i < 30; i++) {
          await quiesce(listeners, 30);
          gaps.push(
            await new Promise<number>((resolve, reject) => {
              const sock = net.connect({ host: h.address, port: h.port });
              sock.setNoDelay(true);
              const c = new Client();
              c.on('error', reject);
              c.on('ready', () =>
                setTimeout(() => {
                  const t = performance.now();
                  c.exec('true', (err, ch) => {
                    if (err) return reject(err);
                    const gap = performance.now() - t;
                    ch.resume();
                    ch.on('close', () => (c.end(), resolve(gap)));
                  });
                }, pauseMs),
              );
              c.connect({ sock, username: bed.user, privateKey: key, hostVerifier: () => true });
            }),
          );
        }
        const stalled = gaps.filter((g) => g > 30).length;
        console.log(
          `exec issued ${pauseMs} ms after 'ready': channel usable after median ${fmt(med(gaps))} ms; ${stalled}/${gaps.length} waited > 30 ms`,
        );
      }
      console.log(
        "\nRight after auth sshd writes hostkeys-00, then two SSH_MSG_DEBUG packets ('key options: …') in a segment of\n" +
          'their own. Nagle is still on (sshd sets TCP_NODELAY only when the exec starts), so its CHANNEL_OPEN_CONFIRMATION,\n' +
          "written at once (strace), sits in the kernel until the client ACKs that segment — and the client's delayed ACK\n" +
          "takes ~40 ms when its last packet (hostkeys-prove) went out just before the DEBUG segment arrived. A pause after\n" +
          "'ready' lets the ACK go first. A keepalive ping does not help (its reply is one more unacked segment); an\n" +
          'SSH_MSG_IGNORE sent when the DEBUG packets arrive would, but ssh2 has no public way to send one.',
      );
    });
  },

  /** The engine's HostSession.open() + run() on one host, with ssh2 events stamped. */
  async session() {
    await withBed(1, async (bed) => {
      const h = bed.hosts[0];
      const cfg = SshConfigFile.load(bed.sshConfigPath);
      const listeners = [bed.listenerPid(h.name)];
      const proto = Client.prototype as unknown as { emit: (event: string, ...args: unknown[]) => boolean };
      const emit = proto.emit;
      let marks: Record<string, number> = {};
      let t0 = 0;
      proto.emit = function (this: unknown, event: string, ...args: unknown[]) {
        if (event === 'ready' || event === 'hostkeys') marks[event] ??= performance.now() - t0;
        return emit.call(this, event, ...args);
      };
      const rows: Record<string, number>[] = [];
      try {
        for (let i = 0; i < 20; i++) {
          await quiesce(listeners, 30);
          marks = {};
          const s = new HostSession(h.name);
          t0 = performance.now();
          await s.open({ sshConfig: cfg, strictHostKeyChecking: 'yes' });
          const opened = performance.now() - t0;
          await s.run({ text: 'uname -n', fileName: 'x.sh', args: [] }, { line: () => true, drained: async () => undefined }, {});
          const ran = performance.now() - t0;
          s.close();
          rows.push({ ready: marks.ready, hostkeys: marks.hostkeys ?? NaN, opened, ran });
        }
      } finally {
        proto.emit = emit;
      }
      const col = (k: string) => med(rows.map((r) => r[k]).filter(Number.isFinite));
      console.log(`median over ${rows.length} cold opens (ms since connect started):`);
      console.log(`  ready (auth done)        ${fmt(col('ready'))}`);
      console.log(`  hostkeys-00 proved       ${fmt(col('hostkeys'))}   (${rows.filter((r) => r.hostkeys - r.ready > 30).length}/${rows.length} after a > 30 ms stall)`);
      console.log(`  session open (hello in)  ${fmt(col('opened'))}`);
      console.log(`  first run ended          ${fmt(col('ran'))}`);
      const percall = (cmd: string) => {
        const n = 50;
        const t = performance.now();
        spawnSync('sh', ['-c', `i=0; while [ $i -lt ${n} ]; do ${cmd} >/dev/null 2>&1; i=$((i+1)); done`]);
        return (performance.now() - t) / n;
      };
      console.log('\nthe hello program\'s commands on this box (= the host), per call:');
      for (const cmd of ['ps -o pgid= -p $$', 'd=$(mktemp -d) && rm -rf "$d"', 'read -r s </proc/$$/stat', 'bash --noprofile --norc -c :']) {
        console.log(`  ${fmt(percall(cmd))} ms  ${cmd}`);
      }
    });
  },

  /** RSS per idle session with the bed's shared 100-line known_hosts vs a 1-line file per host. */
  async memory() {
    const childrenDir = path.join(TMP, 'children');
    await buildChildren(REPO, childrenDir);
    await withBed(100, async (bed) => {
      const lines = fs.readFileSync(bed.knownHostsPath, 'utf8').trim().split('\n');
      const dir = path.join(bed.dir, 'per-host-known-hosts');
      fs.mkdirSync(dir);
      let i = 0;
      const escaped = bed.knownHostsPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const perHostConfig = fs.readFileSync(bed.sshConfigPath, 'utf8').replace(new RegExp(`UserKnownHostsFile ${escaped}`, 'g'), () => {
        const f = path.join(dir, `kh${i}`);
        fs.writeFileSync(f, lines[i++] + '\n');
        return `UserKnownHostsFile ${f}`;
      });
      fs.writeFileSync(path.join(dir, 'ssh_config'), perHostConfig);
      for (const [label, cfg] of [
        [`one known_hosts of ${lines.length} lines`, bed.sshConfigPath],
        ['one 1-line known_hosts per host', path.join(dir, 'ssh_config')],
      ]) {
        for (const mode of ['engine', 'floor']) {
          const job = { mode, sshConfigPath: cfg, hosts: bed.hosts, user: bed.user, keyPath: bed.clientKeyPath, idleMs: 500 };
          const r = spawnSync(process.execPath, ['--expose-gc', path.join(childrenDir, 'idleSessions.js'), JSON.stringify(job)], { encoding: 'utf8' });
          const o = JSON.parse(r.stdout.trim().split('\n').pop()!);
          const kb = (o.after.rssKb - o.before.rssKb) / o.opened;
          const heap = (o.after.heapUsed + o.after.external - o.before.heapUsed - o.before.external) / 1024 / o.opened;
          console.log(`${label.padEnd(36)} ${mode.padEnd(7)} ${kb.toFixed(0).padStart(5)} KiB RSS/session, ${heap.toFixed(0).padStart(4)} KiB heap+external/session`);
        }
      }
    });
  },

  /** What resolving every host and loading known_hosts per connection cost as the inventory grows. */
  async resolve() {
    const key = 'AAAAC3NzaC1lZDI1NTE5AAAAIB6VUj3nN4n0Oa1gGlLjKq8M0DfXW5Jb8pJzqYg0gQyU';
    for (const n of [100, 1000]) {
      const cfg: string[] = [];
      const kh: string[] = [];
      for (let i = 0; i < n; i++) {
        const addr = `127.1.${i >> 8}.${i & 255}`;
        cfg.push(`Host host${i + 1}`, `  HostName ${addr}`, '  Port 2222', '  IdentityFile /nonexistent', '  StrictHostKeyChecking yes', '');
        kh.push(`[${addr}]:2222 ssh-ed25519 ${key}`);
      }
      const file = path.join(TMP, `known_hosts-${n}`);
      fs.mkdirSync(TMP, { recursive: true });
      fs.writeFileSync(file, kh.join('\n') + '\n');
      const config = SshConfigFile.fromText(cfg.join('\n'));
      config.resolve('host1');
      const t0 = performance.now();
      for (let i = 0; i < n; i++) config.resolve(`host${i + 1}`);
      const t1 = performance.now();
      for (let i = 0; i < 20; i++) KnownHosts.load([file], file);
      const t2 = performance.now();
      console.log(
        `${String(n).padStart(5)} hosts: SshConfigFile.resolve ${((t1 - t0) / n).toFixed(2)} ms per host (${(t1 - t0).toFixed(0)} ms for all); ` +
          `KnownHosts.load ${((t2 - t1) / 20).toFixed(2)} ms per connection (${(((t2 - t1) / 20) * n).toFixed(0)} ms for all)`,
      );
    }
  },

  async 'profile-stream'() {
    const childrenDir = path.join(TMP, 'children');
    await buildChildren(REPO, childrenDir);
    await withBed(1, async (bed) => {
      const h = bed.hosts[0];
      fs.rmSync(path.join(PROFILES, 'stream'), { recursive: true, force: true });
      for (const mode of ['engine', 'engine-session', 'floor']) {
        const job = { mode, sshConfigPath: bed.sshConfigPath, host: h, user: bed.user, keyPath: bed.clientKeyPath, command: `yes ${'x'.repeat(99)} | head -c 100000000` };
        const dir = path.join(PROFILES, 'stream', mode);
        const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, path.join(childrenDir, 'throughput.js'), JSON.stringify(job)], { encoding: 'utf8' });
        console.log(`\n${mode}: ${r.stdout.trim()}`);
        summarizeProfile(path.join(dir, fs.readdirSync(dir)[0]));
      }
    });
  },

  async 'profile-fanout'() {
    await withBed(50, async (bed) => {
      const cfg = SshConfigFile.load(bed.sshConfigPath);
      const names = bed.hosts.map((h) => h.name);
      const listeners = names.map((n) => bed.listenerPid(n));
      await engineFanout({ sshConfig: cfg }, names, 'uname -n');
      await quiesce(listeners);
      const cpu0 = process.cpuUsage();
      await inProcessProfile('fanout-50', async () => {
        for (let i = 0; i < 3; i++) {
          await engineFanout({ sshConfig: cfg }, names, 'uname -n');
          await quiesce(listeners, 0);
        }
      });
      const cpu = process.cpuUsage(cpu0);
      console.log(`client CPU per host: ${((cpu.user + cpu.system) / 1000 / (3 * names.length)).toFixed(2)} ms`);
    });
  },

  async 'profile-activate'() {
    const dist = await buildWithProjectConfig(REPO, path.join(TMP, 'ship'), true);
    const childrenDir = path.join(TMP, 'children');
    await buildChildren(REPO, childrenDir);
    const dir = path.join(PROFILES, 'activate');
    fs.rmSync(dir, { recursive: true, force: true });
    const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, path.join(childrenDir, 'activate.js'), path.join(dist, 'extension.js')], { encoding: 'utf8' });
    console.log(r.stdout.trim().slice(0, 300));
    summarizeProfile(path.join(dir, fs.readdirSync(dir)[0]));
  },
};

const which = process.argv[2];
const command = which ? commands[which] : undefined;
if (!command) {
  console.error(`usage: npx tsx bench/diagnose.ts ${Object.keys(commands).join('|')}`);
  process.exit(2);
}
command().catch((err) => {
  console.error(err);
  process.exit(1);
});
