/**
 * Child for roundTrips.test.ts, run inside a network namespace the test made (`ip netns exec`):
 * shapes its lo like Ethernet with a delay (bench/wan/net.ts, delayd), starts one sshd, captures
 * the connection with tcpdump, runs a cold one-shot through invoke(), and prints one JSON line:
 * how many client flights waited on the server before the script's first output arrived.
 *
 *   node -r tsx/cjs test/core/helpers/roundTrips.ts DELAYD_BINARY RTT_MS ACCEPT_ENV(0|1)
 *
 * A flight is a run of client data segments (or the SYN) sent after a server segment: each one
 * waited for the server, so their count is the round trips on the critical path, whatever the
 * CPU load does to the timing. Flights sent after the output was on its way are not counted.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Delay, shapeLoopback } from '../../../bench/wan/net';
import { invoke, SshConfigFile } from '../../../src/core';
import { startTestBed } from '../../support/sshd';

interface Segment {
  t: number; // epoch ms
  fromClient: boolean;
  /** the client's address.port */
  client: string;
  flags: string;
  length: number;
}

function parseTcpdump(text: string, serverPort: number): Segment[] {
  const out: Segment[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+\.\d+) IP (\S+) > (\S+): Flags \[([^\]]+)\].*length (\d+)/.exec(line);
    if (!m) continue;
    const fromClient = m[3].endsWith(`.${serverPort}`);
    out.push({ t: Number(m[1]) * 1000, fromClient, client: fromClient ? m[2] : m[3], flags: m[4], length: Number(m[5]) });
  }
  return out;
}

/** Client flights (SYN or data) that each followed a server segment, sent before `until`. */
export function countFlights(segments: Segment[], until: number): number {
  let flights = 0;
  let lastFromServer = true; // the SYN opens the first flight
  for (const s of segments) {
    if (s.t >= until) break;
    const carries = s.length > 0 || s.flags.includes('S');
    if (!carries) continue;
    if (s.fromClient && lastFromServer) flights++;
    lastFromServer = !s.fromClient;
  }
  return flights;
}

async function main(): Promise<void> {
  const [delaydBinary, rttText, acceptEnv] = process.argv.slice(2);
  const rtt = Number(rttText);
  shapeLoopback();
  const delay = new Delay(delaydBinary, 120);
  await delay.set(rtt);
  const bed = await startTestBed({ count: 1, extraSshdConfig: acceptEnv === '1' ? 'AcceptEnv LANG LC_*' : '' });
  const host = bed.hosts[0];
  const captureFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ri-rt-')), 'tcpdump.txt');
  const tcpdump = spawn('tcpdump', ['-i', 'lo', '-n', '-l', '-tt', `tcp port ${host.port}`], {
    stdio: ['ignore', fs.openSync(captureFile, 'w'), 'pipe'],
  });
  // tcpdump says "listening on lo" once it captures.
  await new Promise<void>((resolve) => tcpdump.stderr!.on('data', (d: Buffer) => /listening/.test(String(d)) && resolve()));
  let firstOutputAt = 0;
  let status = '';
  try {
    const run = invoke({ script: { text: 'uname -n' }, targets: [host.name], sshConfig: SshConfigFile.load(bed.sshConfigPath) });
    for await (const e of run) {
      if (e.type === 'output' && !firstOutputAt) firstOutputAt = Date.now();
      if (e.type === 'result') status = e.status;
    }
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 300));
    tcpdump.kill('SIGINT');
    await new Promise((resolve) => tcpdump.once('exit', resolve));
    await bed.stop();
    await delay.stop();
  }
  // Only our connection: the first SYN's client port (the bed's own readiness probe may linger).
  const all = parseTcpdump(fs.readFileSync(captureFile, 'utf8'), host.port);
  const syn = all.find((x) => x.fromClient && x.flags === 'S');
  const segments = all.filter((x) => x.client === syn?.client);
  fs.rmSync(path.dirname(captureFile), { recursive: true, force: true });
  // The flight the output answers left a round trip (plus the host's own time) before the output
  // arrived. The stdin copy answers the exec reply, which travels just ahead of the output, so it
  // leaves less than the host's time before the output arrives: cut off at 3/4 of a round trip
  // before it (the host may take up to that long to run the script and still be counted right).
  const flights = countFlights(segments, firstOutputAt - (rtt * 3) / 4);
  if (process.env.RI_RT_DEBUG) {
    const t0 = segments[0]?.t ?? 0;
    for (const s of segments) if (s.length || s.flags.includes('S')) process.stderr.write(`${(s.t - t0).toFixed(1)} ${s.fromClient ? 'C>S' : '   S>C'} ${s.length}\n`);
    process.stderr.write(`first output at ${(firstOutputAt - t0).toFixed(1)}\n`);
  }
  process.stdout.write(JSON.stringify({ status, flights, segments: segments.length }) + '\n');
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
