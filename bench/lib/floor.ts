// The floor: a bare ssh2 loop that does nothing but connect, exec and read (with Nagle off and
// the host key compared, as any honest client must). The engine is held to within 1.2x of it.
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client } from 'ssh2';

export interface FloorHost {
  name: string;
  address: string;
  port: number;
  /** "ssh-ed25519 AAAA..." */
  hostKeyPub: string;
}

export interface FloorAuth {
  user: string;
  privateKey: Buffer;
}

export interface Negotiated {
  kex?: string;
  cipher?: string;
  serverHostKey?: string;
}

export function floorConnect(host: FloorHost, auth: FloorAuth, onHandshake?: (n: Negotiated) => void): Promise<Client> {
  const expected = Buffer.from(host.hostKeyPub.split(' ')[1], 'base64');
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: host.address, port: host.port });
    sock.setNoDelay(true);
    const client = new Client();
    client.on('handshake', (n: { kex: string; cs: { cipher: string }; serverHostKey: string }) =>
      onHandshake?.({ kex: n.kex, cipher: n.cs.cipher, serverHostKey: n.serverHostKey }),
    );
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({
      sock,
      username: auth.user,
      privateKey: auth.privateKey,
      hostVerifier: (key: Buffer) => key.equals(expected),
      readyTimeout: 60_000,
    });
  });
}

/** exec on an open connection; resolves with stdout once the channel closes. */
export function floorExec(client: Client, command: string, onData?: (chunk: Buffer) => void): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let code: number | null = null;
      stream.on('data', (d: Buffer) => (onData ? onData(d) : (stdout += d.toString())));
      stream.stderr.resume();
      stream.on('exit', (c: number | null) => (code = c));
      stream.on('close', () => resolve({ stdout, code }));
    });
  });
}

export interface FanoutOutcome {
  ms: number;
  ok: number;
  failures: string[];
  negotiated: Negotiated[];
}

/** Connect, exec, read, close — `limit` hosts in flight. */
export async function floorFanout(hosts: FloorHost[], auth: FloorAuth, command: string, limit: number): Promise<FanoutOutcome> {
  const negotiated: Negotiated[] = [];
  const failures: string[] = [];
  let ok = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < hosts.length) {
      const host = hosts[next++];
      try {
        const client = await floorConnect(host, auth, (n) => negotiated.push(n));
        const { stdout, code } = await floorExec(client, command);
        client.end();
        if (code === 0 && stdout.trim()) ok++;
        else failures.push(`${host.name}: exit ${code}`);
      } catch (err) {
        failures.push(`${host.name}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, hosts.length) }, worker));
  return { ms: performance.now() - started, ok, failures, negotiated };
}
