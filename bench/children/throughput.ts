// Child process: pull 100 MB of output from one host and report time and this process's peak
// RSS (VmHWM). Run in its own process so the peak belongs to the client alone.
//   node throughput.js '<json ThroughputJob>'
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { invoke, SessionPool, SshConfigFile } from '../../src/core';
import { floorConnect, floorExec } from '../lib/floor';

export interface ThroughputJob {
  mode: 'engine' | 'engine-session' | 'floor';
  sshConfigPath: string;
  host: { name: string; address: string; port: number; hostKeyPub: string };
  user: string;
  keyPath: string;
  command: string;
}

function vmKb(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as ThroughputJob;
  const baseRssKb = vmKb('VmRSS');
  let bytes = 0;
  let lines = 0;
  let ok = false;
  let started = 0;
  let cpuAtStart = process.cpuUsage();
  let detail = '';
  if (job.mode === 'floor') {
    started = performance.now();
    cpuAtStart = process.cpuUsage();
    const client = await floorConnect(job.host, { user: job.user, privateKey: fs.readFileSync(job.keyPath) });
    const r = await floorExec(client, job.command, (chunk) => {
      bytes += chunk.length;
    });
    client.end();
    ok = r.code === 0;
  } else {
    const sshConfig = SshConfigFile.load(job.sshConfigPath);
    const sessions = job.mode === 'engine-session' ? new SessionPool() : undefined;
    const request = { targets: [job.host.name], sshConfig, strictHostKeyChecking: 'yes' as const, sessions };
    if (sessions) {
      // open the session first: this mode measures the stream alone
      const warm = invoke({ ...request, script: { text: 'true' } });
      for await (const _ of warm);
      await warm.results;
    }
    started = performance.now();
    cpuAtStart = process.cpuUsage();
    const run = invoke({ ...request, script: { text: job.command } });
    // batches() is how the CLI and the extension read a run: one await per batch, not per line.
    for await (const batch of run.batches()) {
      for (const event of batch) {
        if (event.type === 'output') {
          lines++;
          // The generator prints ASCII only, so characters are bytes; Buffer.byteLength would
          // cost this reader ~55 ns a line, more than the engine's own per-line work.
          bytes += event.line.length + 1;
        }
      }
    }
    const [result] = await run.results;
    ok = result.status === 'Completed';
    detail = result.error ?? '';
    await sessions?.dispose();
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  // the client's CPU while the clock ran: near `ms` means the client, not the link, sets the pace
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(JSON.stringify({ ms, cpuMs, bytes, lines, ok, detail, peakRssKb: vmKb('VmHWM'), baseRssKb }) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, detail: String(err?.stack ?? err) }) + '\n');
  process.exit(1);
});
