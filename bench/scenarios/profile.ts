// Where the time of one cold host goes, for the report's "why" section: the engine's cold path
// split into its steps (connect, open the session shell and wait for its hello, run, close),
// the floor's (connect, first exec), both on one quiet host, one at a time; and what the
// session set-up commands cost on this box (every loopback host is this machine).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, HostSession } from '../../src/core';
import { helloProgram, newToken, runProgram, SESSION_SHELL_COMMAND } from '../../src/core/session/protocol';
import type { BenchContext } from '../lib/context';
import { floorConnect, floorExec } from '../lib/floor';
import { quiesce, runProcess } from '../lib/proc';
import { quantile, round3 } from '../lib/stats';
import { COMMAND } from './cold';

export interface PhaseStats {
  median: number;
  p90: number;
  /** share of samples above 30 ms — the ~40 ms delayed-ACK stalls show up here */
  over30ms?: number;
}

export interface ProfileResults {
  iterations: number;
  floor: Record<'connect' | 'firstExec' | 'total', PhaseStats>;
  engine: Record<'connect' | 'openShell' | 'run' | 'close' | 'total', PhaseStats>;
  /** per call, measured by running them 50 times in one local sh */
  remoteCommands: { command: string; role?: string; ms: number }[];
  /**
   * What one cold host's run asks of the host itself, no SSH: the login shell running the
   * floor's exec (`bash -c 'uname -n'`) against the engine's session shell command fed its hello
   * and a one-shot run. Per call, 50 calls in one local sh.
   */
  hostSide?: { floorMs: number; engineMs: number };
}

function stats(xs: number[], stalls = false): PhaseStats {
  const s = [...xs].sort((a, b) => a - b);
  const out: PhaseStats = { median: round3(quantile(s, 0.5)), p90: round3(quantile(s, 0.9)) };
  if (stalls) out.over30ms = round3(xs.filter((x) => x > 30).length / xs.length);
  return out;
}

async function perCall(command: string, times = 50, env?: NodeJS.ProcessEnv): Promise<number> {
  const r = await runProcess('sh', ['-c', `i=0; while [ $i -lt ${times} ]; do ${command} >/dev/null 2>&1; i=$((i+1)); done`], { env });
  const base = await runProcess('sh', ['-c', `i=0; while [ $i -lt ${times} ]; do : ; i=$((i+1)); done`]);
  return round3((r.ms - base.ms) / times);
}

export async function profile(ctx: BenchContext): Promise<ProfileResults> {
  const host = ctx.bed.hosts[0];
  const iterations = ctx.options.quick ? 10 : 30;
  const settings = { sshConfig: ctx.sshConfig, strictHostKeyChecking: 'yes' as const };
  const f = { connect: [] as number[], firstExec: [] as number[], total: [] as number[] };
  const e = { connect: [] as number[], openShell: [] as number[], run: [] as number[], close: [] as number[], total: [] as number[] };
  const sink = { line: () => true, drained: async () => undefined };
  for (let i = 0; i < iterations + 2; i++) {
    const keep = i >= 2; // two warm-up rounds
    await quiesce(ctx.listeners, 50);
    const t0 = performance.now();
    const client = await floorConnect(host, ctx.auth);
    const t1 = performance.now();
    await floorExec(client, COMMAND);
    const t2 = performance.now();
    client.end();
    if (keep) {
      f.connect.push(t1 - t0);
      f.firstExec.push(t2 - t1);
      f.total.push(t2 - t0);
    }

    // connect() alone, to split the session open into its connect and shell parts
    await quiesce(ctx.listeners, 50);
    const c0 = performance.now();
    const bare = await connect(ctx.sshConfig.resolve(host.name), { strictHostKeyChecking: 'yes' });
    const c1 = performance.now();
    bare.end();

    await quiesce(ctx.listeners, 50);
    const session = new HostSession(host.name);
    const s0 = performance.now();
    await session.open(settings);
    const s1 = performance.now();
    await session.run({ text: COMMAND, fileName: 'bench.sh', args: [] }, sink, {});
    const s2 = performance.now();
    session.close();
    const s3 = performance.now();
    if (keep) {
      e.connect.push(c1 - c0);
      e.openShell.push(s1 - s0 - (c1 - c0));
      e.run.push(s2 - s1);
      e.close.push(s3 - s2);
      e.total.push(s3 - s0);
    }
  }
  const remoteCommands = [];
  const commands = [
    { command: `/bin/sh -c 'exec bash --noprofile --norc -c :'`, role: 'the session shell start: /bin/sh picks bash when it is the login shell' },
    { command: 'bash --noprofile --norc -c :', role: 'a bash start alone' },
    { command: 'uname -n', role: 'the command itself' },
    { command: 'd=$(mktemp -d) && rm -rf "$d"', role: 'a private directory: made only when a run needs a file (an interpreter)' },
    { command: 'ps -o pgid= -p $$', role: 'the process group, where /proc cannot be read' },
  ];
  for (const { command, role } of commands) {
    remoteCommands.push({ command, role, ms: await perCall(command) });
  }
  const result: ProfileResults = {
    hostSide: await hostSide(),
    iterations,
    floor: { connect: stats(f.connect), firstExec: stats(f.firstExec, true), total: stats(f.total) },
    engine: {
      connect: stats(e.connect),
      openShell: stats(e.openShell, true),
      run: stats(e.run, true),
      close: stats(e.close),
      total: stats(e.total),
    },
    remoteCommands,
  };
  ctx.log(`  floor: connect ${result.floor.connect.median} ms, first exec ${result.floor.firstExec.median} ms`);
  ctx.log(`  engine: connect ${result.engine.connect.median} ms, shell+hello ${result.engine.openShell.median} ms, run ${result.engine.run.median} ms`);
  return result;
}

/** The host-side work of one cold host, run locally as sshd would start it (see ProfileResults). */
async function hostSide(): Promise<{ floorMs: number; engineMs: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remote-invoke-bench-host-'));
  try {
    const token = newToken();
    const input = path.join(dir, 'input');
    fs.writeFileSync(input, helloProgram(token) + runProgram(token, { runId: 1, text: COMMAND, fileName: 'run-script', args: [], exitAfter: true }));
    const env = { ...process.env, RI_SESSION: SESSION_SHELL_COMMAND, RI_INPUT: input, RI_COMMAND: COMMAND };
    const login = '"${SHELL:-/bin/sh}" -c';
    return {
      floorMs: await perCall(`${login} "$RI_COMMAND" </dev/null`, 50, env),
      engineMs: await perCall(`${login} "$RI_SESSION" <"$RI_INPUT"`, 50, env),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
