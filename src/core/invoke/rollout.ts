// Rolling runs: the targets in batches (Ansible's `serial`), and a failure budget that stops new
// hosts from starting once it is spent (Ansible's `max_fail_percentage`, SSM's `MaxErrors`).
// Pure planning and counting; invoke() drives the hosts.

import type { HostResult, HostStatus } from '../types';

/** One entry of `--batch`: a number of hosts or a percentage of the targets. */
export type BatchSize = { hosts: number } | { percent: number };

/** `--max-failures`: more failures than this and no new host starts. */
export type FailureBudget = { hosts: number } | { percent: number };

export type StoppedBy = 'max-failures' | 'cancel';

/** How a rolling run went, beside its per-host results. */
export interface RolloutReport {
  /** The hosts of each batch, in the order the batches ran (or would have run). A run without --batch is one batch. */
  batches: string[][];
  /** Why hosts were left unstarted; null when every host started. */
  stoppedBy: StoppedBy | null;
  /** The same in words, for people: what was spent, and how many hosts were left. */
  stopReason: string | null;
}

/** A status that spends the budget: the host ran and failed, or could not run at all. */
export function spendsBudget(status: HostStatus): boolean {
  return status !== 'Completed' && status !== 'Cancelled' && status !== 'Skipped';
}

function parseSize(flag: string, item: string, allowZero: boolean): { hosts: number } | { percent: number } {
  const text = item.trim();
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  const value = m ? Number(m[1]) : NaN;
  const min = allowZero ? 0 : Number.MIN_VALUE;
  if (!m || !Number.isFinite(value) || value < min) {
    throw new RangeError(`${flag} needs ${allowZero ? 'a number' : 'positive numbers'} of hosts or percentages (like 1,5,25%), got '${item}'`);
  }
  if (m[2]) {
    if (value > 100) throw new RangeError(`${flag}: a percentage above 100 makes no sense, got '${item}'`);
    return { percent: value };
  }
  if (!Number.isInteger(value)) throw new RangeError(`${flag}: a number of hosts must be whole, got '${item}'`);
  return { hosts: value };
}

/** `1,5,25%` → batch sizes; throws RangeError naming the bad entry. */
export function parseBatchSpec(text: string, flag = '--batch'): BatchSize[] {
  const items = text.split(',');
  if (!text.trim() || items.some((i) => !i.trim())) throw new RangeError(`${flag} needs a list like 1,5,25%, got '${text}'`);
  return items.map((item) => parseSize(flag, item, false));
}

/** `2` or `10%` → a budget; 0 means the first failure stops the run. */
export function parseFailureBudget(text: string, flag = '--max-failures'): FailureBudget {
  if (text.includes(',')) throw new RangeError(`${flag} takes one number or percentage, got '${text}'`);
  return parseSize(flag, text, true);
}

/** Hosts a size stands for among `total` targets: percentages round down, but never below 1 (as Ansible). */
function resolveSize(size: BatchSize, total: number): number {
  if ('hosts' in size) return size.hosts;
  return Math.max(1, Math.floor((total * size.percent) / 100));
}

/** Targets cut into batches: the listed sizes in order, the last repeated until every host has one. */
export function planBatches<T>(targets: T[], sizes: BatchSize[] | undefined): T[][] {
  if (!sizes?.length) return targets.length ? [targets.slice()] : [];
  const batches: T[][] = [];
  let next = 0;
  for (let i = 0; next < targets.length; i++) {
    const size = resolveSize(sizes[Math.min(i, sizes.length - 1)], targets.length);
    batches.push(targets.slice(next, next + size));
    next += size;
  }
  return batches;
}

/** Failures allowed before no new host starts (a fraction for percentages: "more than 2.5" is 3). */
export function failureLimit(budget: FailureBudget, total: number): number {
  return 'hosts' in budget ? budget.hosts : (total * budget.percent) / 100;
}

export function describeBudget(budget: FailureBudget): string {
  return 'hosts' in budget ? `${budget.hosts}` : `${budget.percent}%`;
}

/** Counts failures as results come in; `spent` once more than the budget have failed. */
export class FailureCounter {
  private failed = 0;
  private readonly limit: number;

  constructor(
    private readonly budget: FailureBudget | undefined,
    total: number,
  ) {
    this.limit = budget ? failureLimit(budget, total) : Infinity;
  }

  add(result: Pick<HostResult, 'status'>): void {
    if (spendsBudget(result.status)) this.failed++;
  }

  get failures(): number {
    return this.failed;
  }

  get spent(): boolean {
    return this.failed > this.limit;
  }

  /** Why hosts were not started, in words; only meaningful once spent. */
  reason(skipped?: number): string {
    const budget = this.budget ? describeBudget(this.budget) : '∞';
    const spent = `${this.failed} host${this.failed === 1 ? '' : 's'} failed or could not run, more than the failure budget of ${budget} (--max-failures)`;
    return skipped === undefined ? `not started: ${spent}` : `${spent}; ${skipped} host${skipped === 1 ? ' was' : 's were'} not started`;
  }
}

export interface RolloutOptions {
  batch?: BatchSize[];
  maxFailures?: FailureBudget;
  signal: AbortSignal;
}

/**
 * Runs `work` over the targets batch by batch (a batch starts when the previous one has ended),
 * each batch through `fanOut` (the throttle). Once the budget is spent no host starts: each one
 * left gets `skip`'s result. Results come back in target order.
 */
export async function runRollout(
  targets: string[],
  options: RolloutOptions,
  fanOut: (hosts: string[], work: (host: string) => Promise<HostResult>) => Promise<HostResult[]>,
  work: (host: string, batch: number | undefined) => Promise<HostResult>,
  skip: (host: string, batch: number | undefined, reason: string) => HostResult,
): Promise<{ results: HostResult[]; report: RolloutReport }> {
  const batches = planBatches(targets, options.batch);
  const counter = new FailureCounter(options.maxFailures, targets.length);
  const numbered = !!options.batch;
  const byHost = new Map<string, HostResult>();
  let skipped = 0;
  for (const [index, hosts] of batches.entries()) {
    const batch = numbered ? index + 1 : undefined;
    await fanOut(hosts, async (host) => {
      if (counter.spent) {
        skipped++;
        const result = skip(host, batch, counter.reason());
        byHost.set(host, result);
        return result;
      }
      const result = await work(host, batch);
      byHost.set(host, result);
      counter.add(result);
      return result;
    });
  }
  const stoppedBy: StoppedBy | null = skipped ? 'max-failures' : options.signal.aborted ? 'cancel' : null;
  const stopReason = skipped ? counter.reason(skipped) : stoppedBy === 'cancel' ? 'cancelled' : null;
  return { results: targets.map((h) => byHost.get(h) as HostResult), report: { batches, stoppedBy, stopReason } };
}
