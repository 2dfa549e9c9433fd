// Child process: open K persistent sessions (or, for comparison, K bare ssh2 connections), let
// them sit idle, and report this process's memory before and after.
//   node --expose-gc idleSessions.js '<json IdleJob>'
import * as fs from 'node:fs';
import { invoke, SessionPool, SshConfigFile } from '../../src/core';
import { floorConnect, type FloorHost } from '../lib/floor';

export interface IdleJob {
  mode: 'engine' | 'floor';
  sshConfigPath: string;
  hosts: FloorHost[];
  user: string;
  keyPath: string;
  idleMs: number;
}

function vmKb(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function settle(): Promise<{ rssKb: number; heapUsed: number; external: number; arrayBuffers: number }> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
  const m = process.memoryUsage();
  return { rssKb: vmKb('VmRSS'), heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as IdleJob;
  const names = job.hosts.map((h) => h.name);
  const privateKey = fs.readFileSync(job.keyPath);
  const sshConfig = SshConfigFile.load(job.sshConfigPath);
  const openEngine = async (pool: SessionPool, targets: string[]) => {
    const run = invoke({ script: { text: 'true' }, targets, sshConfig, strictHostKeyChecking: 'yes', sessions: pool, throttle: 32 });
    for await (const _ of run);
    const results = await run.results;
    return results.filter((r) => r.status === 'Completed').length;
  };
  // Warm-up: load and JIT the code paths with one session, then close it, so the baseline
  // holds the code and the deltas hold only what each session keeps.
  if (job.mode === 'engine') {
    const warm = new SessionPool();
    await openEngine(warm, names.slice(0, 1));
    await warm.dispose();
  } else {
    (await floorConnect(job.hosts[0], { user: job.user, privateKey })).end();
  }
  await sleep(200);
  const before = await settle();
  let opened = 0;
  const keep: unknown[] = [];
  if (job.mode === 'engine') {
    const pool = new SessionPool();
    keep.push(pool);
    opened = await openEngine(pool, names);
  } else {
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < job.hosts.length) {
          const host = job.hosts[next++];
          keep.push(await floorConnect(host, { user: job.user, privateKey }));
          opened++;
        }
      }),
    );
  }
  const justOpened = await settle();
  await sleep(job.idleMs);
  const after = await settle();
  process.stdout.write(JSON.stringify({ ok: opened === names.length, opened, before, justOpened, after, peakRssKb: vmKb('VmHWM') }) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, detail: String(err?.stack ?? err) }) + '\n');
  process.exit(1);
});
