/**
 * The default throttle. A fixed number of hosts in flight (PowerShell's ThrottleLimit) is right
 * when every host costs CPU here — on loopback two cores drown in key exchanges without it — and
 * wrong across a WAN, where a host spends almost all of its ~10 round trips waiting on the
 * network: 32 slots then mostly wait. So, without an explicit throttle, every host may be in
 * flight, and only the CPU-bound phase, the key exchange and authentication of a host whose CPU
 * may be ours, takes one of `slots`. A host shows where it is by its TCP connect: a connect that
 * takes `farMs` or more crossed a network (its sshd has its own CPU, and the handshake's cost here
 * is a few ms of crypto), so it gives its slot back and proceeds; a near one keeps its slot until
 * it is authenticated.
 */
export class HandshakeGate {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly slots: number,
    readonly farMs = 10,
  ) {
    this.free = slots;
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
