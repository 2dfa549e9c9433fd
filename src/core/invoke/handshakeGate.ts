import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * The default throttle. A fixed number of hosts in flight (PowerShell's ThrottleLimit) is right
 * when every host costs CPU here — on loopback two cores drown in key exchanges without it — and
 * wrong across a WAN, where a host spends almost all of its ~10 round trips waiting on the
 * network: 32 slots then mostly wait. So, without an explicit throttle, every host may be in
 * flight, and only the CPU-bound phase, the key exchange and authentication of a host whose CPU
 * may be ours, takes one of `slots`. A host shows where it is by its TCP connect: a connect that
 * takes `farMs` or more crossed a network (its sshd has its own CPU, and the handshake's cost here
 * is a few ms of crypto), so it gives its slot back and proceeds; a near one keeps its slot until
 * it is authenticated. A connect is timed on our event loop, so a busy loop (many handshakes at
 * once on a loaded box) makes a near host look far: the loop's own recent delay is taken off
 * first, and a connect counts as far only beyond twice that delay.
 */
export class HandshakeGate {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  private lag: IntervalHistogram | undefined;

  constructor(
    readonly slots: number,
    readonly farMs = 10,
  ) {
    this.free = slots;
  }

  /** Whether a TCP connect that took `connectMs` (on our clock) crossed a network. */
  isFar(connectMs: number): boolean {
    if (connectMs < this.farMs) return false;
    const lagMs = this.lag ? this.lag.max / 1e6 : 0;
    return connectMs >= this.farMs + 2 * lagMs;
  }

  /** Watches the event loop's delay while hosts connect through the gate; `close` stops it. */
  watchLoop(): void {
    if (this.lag) return;
    this.lag = monitorEventLoopDelay({ resolution: 5 });
    this.lag.enable();
    // The recent past only: an old stall says nothing about this connect.
    this.resetTimer = setInterval(() => this.lag?.reset(), 500);
    this.resetTimer.unref();
  }

  private resetTimer: NodeJS.Timeout | undefined;

  close(): void {
    clearInterval(this.resetTimer);
    this.lag?.disable();
    this.lag = undefined;
  }

  /** Resolves with a release function (idempotent) once a slot is free; rejects on abort. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('cancelled'));
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        let held = true;
        resolve(() => {
          if (!held) return;
          held = false;
          this.release();
        });
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error('cancelled'));
      };
      if (this.free > 0) {
        this.free--;
        return grant();
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** Hosts in flight at once without an explicit throttle: bounded only to spare file descriptors. */
export const MAX_IN_FLIGHT = 1024;
