// Drives the engine (src/core) the way the CLI and the extension do: invoke() with or without a
// SessionPool. Also records the key exchange its ssh2 connections negotiate.
import { performance } from 'node:perf_hooks';
import { Client } from 'ssh2';
import { invoke, SessionPool, SshConfigFile, type InvokeRequest } from '../../src/core';
import type { Negotiated } from './floor';

export interface EngineRun {
  ms: number;
  ok: number;
  lines: number;
  failures: string[];
}

export interface EngineTarget {
  sshConfig: SshConfigFile;
}

export async function engineFanout(
  target: EngineTarget,
  names: string[],
  command: string,
  options: { sessions?: SessionPool; throttle?: number } = {},
): Promise<EngineRun> {
  const request: InvokeRequest = {
    script: { text: command },
    targets: names,
    throttle: options.throttle ?? 32,
    sshConfig: target.sshConfig,
    strictHostKeyChecking: 'yes',
    sessions: options.sessions,
  };
  const started = performance.now();
  const run = invoke(request);
  let lines = 0;
  for await (const event of run) if (event.type === 'output') lines++;
  const results = await run.results;
  const ms = performance.now() - started;
  const failures = results.filter((r) => r.status !== 'Completed').map((r) => `${r.host}: ${r.status} ${r.error ?? ''}`);
  return { ms, ok: results.length - failures.length, lines, failures };
}

/**
 * Every ssh2 Client in this process reports its negotiated algorithms here while the watch is on
 * (the engine's clients are created inside connect(), so the prototype is the one place to look).
 */
export function watchHandshakes(): { negotiated: Negotiated[]; stop(): void } {
  const negotiated: Negotiated[] = [];
  const proto = Client.prototype as unknown as { emit: (event: string, ...args: unknown[]) => boolean };
  const original = proto.emit;
  proto.emit = function (this: unknown, event: string, ...args: unknown[]) {
    if (event === 'handshake') {
      const n = args[0] as { kex: string; cs: { cipher: string }; serverHostKey: string };
      negotiated.push({ kex: n.kex, cipher: n.cs.cipher, serverHostKey: n.serverHostKey });
    }
    return original.call(this, event, ...args);
  };
  return { negotiated, stop: () => void (proto.emit = original) };
}
