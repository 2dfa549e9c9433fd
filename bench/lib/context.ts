// What every scenario shares: the hosts, the peers' files, the engine's ssh_config, the options,
// and one way to take a measurement (quiet hosts first, CPU accounted on both sides).
import * as fs from 'node:fs';
import { SshConfigFile } from '../../src/core';
import type { TestBed } from '../../test/support/sshd';
import { clientCpuMs, serverCpuMs } from './cpu';
import type { FloorAuth, FloorHost } from './floor';
import type { PeerWorkspace } from './peers';
import { quiesce } from './proc';
import { summarize, type Summary } from './stats';

export interface BenchOptions {
  quick: boolean;
  runs: number;
  sizes: number[];
  only?: Set<string>;
  roundTripIterations: number;
  throughputBytes: number;
  idleSessions: number;
  repo: string;
  tmp: string;
  /** dist/ of `node esbuild.config.mjs` built for this run (CLI, dev extension bundle) */
  devBuild?: string;
  /** bin/remote-invoke.js next to that dist/ */
  cli?: string;
  log(line: string): void;
}

export interface Sample {
  ms: number;
  ok: number;
  failures: string[];
  clientCpuMs?: number;
  serverCpuMs?: number;
}

export interface ToolResult {
  tool: string;
  label: string;
  kind: 'engine' | 'floor' | 'peer';
  n?: number;
  time: Summary;
  /** medians of the CPU spent per run, ms */
  clientCpuMs?: number;
  serverCpuMs?: number;
  /** every run answered on every host */
  complete: boolean;
  failures: string[];
  skipped?: string;
  note?: string;
}

export class BenchContext {
  readonly sshConfig: SshConfigFile;
  readonly auth: FloorAuth;
  readonly listeners: number[];
  /** Connections meant to stay open (warm scenarios): quiet means no more than these. */
  openConnections = 0;

  constructor(
    readonly bed: TestBed,
    readonly ws: PeerWorkspace,
    readonly options: BenchOptions,
  ) {
    this.sshConfig = SshConfigFile.load(bed.sshConfigPath);
    this.auth = { user: bed.user, privateKey: fs.readFileSync(bed.clientKeyPath) };
    this.listeners = bed.hosts.map((h) => bed.listenerPid(h.name));
  }

  floorHosts(n: number): FloorHost[] {
    return this.bed.hosts.slice(0, n);
  }

  names(n: number): string[] {
    return this.ws.names(n);
  }

  log(line: string): void {
    this.options.log(line);
  }

  /**
   * One timed run: waits until every earlier connection is gone, then runs, then waits again so
   * the server CPU billed to this run is complete.
   */
  async measure(run: () => Promise<{ ms: number; ok: number; failures: string[] }>): Promise<Sample> {
    await quiesce(this.listeners, 150, this.openConnections);
    const server0 = serverCpuMs(this.listeners);
    const client0 = clientCpuMs();
    const r = await run();
    const client1 = clientCpuMs();
    await quiesce(this.listeners, 0, this.openConnections);
    const server1 = serverCpuMs(this.listeners);
    return { ...r, clientCpuMs: client1 - client0, serverCpuMs: server1 - server0 };
  }
}

export function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  return summarize(xs).median;
}

export function toolResult(
  base: Pick<ToolResult, 'tool' | 'label' | 'kind' | 'n' | 'note'>,
  samples: Sample[],
  expected: number,
): ToolResult {
  const failures = samples.flatMap((s) => s.failures).slice(0, 5);
  const cpu = (k: 'clientCpuMs' | 'serverCpuMs') => {
    const xs = samples.map((s) => s[k]).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : undefined;
  };
  return {
    ...base,
    time: summarize(samples.map((s) => s.ms)),
    clientCpuMs: cpu('clientCpuMs'),
    serverCpuMs: cpu('serverCpuMs'),
    complete: samples.every((s) => s.ok === expected && s.failures.length === 0),
    failures,
  };
}

export function skippedResult(base: Pick<ToolResult, 'tool' | 'label' | 'kind' | 'n'>, why: string): ToolResult {
  return { ...base, time: summarize([]), complete: false, failures: [], skipped: why };
}
