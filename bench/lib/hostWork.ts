// The hosts' own share of a warm fan-out, with no SSH at all: N shells started beforehand on
// this machine (which is where every loopback host runs), each told through its stdin to run
// the command and say when it is done. No tool that runs the command in a shell on each host
// can finish sooner on this box, so it bounds what any ratio against a warm peer can reach.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const DONE = '__bench_host_work_done__';

export class LocalShells {
  private readonly shells: ChildProcessWithoutNullStreams[];

  constructor(count: number) {
    this.shells = Array.from({ length: count }, () => spawn('bash', ['--noprofile', '--norc'], { stdio: 'pipe' }));
  }

  /** All `n` shells run `command` at once; resolves when each has printed its done line. */
  async run(n: number, command: string): Promise<{ ms: number; ok: number; failures: string[] }> {
    const started = performance.now();
    const outcomes = await Promise.all(this.shells.slice(0, n).map((shell) => runIn(shell, command)));
    const failures = outcomes.filter((o): o is string => o !== true);
    return { ms: performance.now() - started, ok: outcomes.length - failures.length, failures };
  }

  close(): void {
    for (const shell of this.shells) shell.kill();
  }
}

function runIn(shell: ChildProcessWithoutNullStreams, command: string): Promise<true | string> {
  return new Promise((resolve) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const done = new RegExp(`${DONE} (\\d+)\n`).exec(seen);
      if (!done) return;
      shell.stdout.off('data', onData);
      resolve(done[1] === '0' ? true : `exit ${done[1]}`);
    };
    shell.stdout.on('data', onData);
    shell.stdin.write(`${command}; echo ${DONE} $?\n`);
  });
}
