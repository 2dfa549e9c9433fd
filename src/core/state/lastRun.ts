import type { HostStatus } from '../types';
import { RecordStore } from './stateStore';

/** The per-host end statuses of the most recent run: what `@failed` and "Select Failed" read. */
export interface LastRunRecord {
  finishedAt: string;
  hosts: { host: string; status: HostStatus }[];
}

/**
 * One record, `last-run/last.json` in the state directory, shared by the CLI and the extension so
 * `@failed` means the same in both: the hosts of the last finished run that did not end Completed
 * (Failed, Unreachable, AuthFailed, HostKeyRejected, TimedOut, Cancelled, Disconnected, Skipped).
 */
export class LastRunStore {
  private readonly store: RecordStore<LastRunRecord>;

  constructor(stateDir: string) {
    this.store = new RecordStore<LastRunRecord>(stateDir, 'last-run');
  }

  /** Called once a run has ended, with one result per host. */
  record(results: readonly { host: string; status: HostStatus }[]): void {
    this.store.put('last', { finishedAt: new Date().toISOString(), hosts: results.map(({ host, status }) => ({ host, status })) });
  }

  read(): LastRunRecord | undefined {
    return this.store.get('last');
  }

  /** Hosts of the last run that did not complete, in that run's order; none if there was no run. */
  failedHosts(): string[] {
    return failedHostsOf(this.read());
  }
}

export function failedHostsOf(record: LastRunRecord | undefined): string[] {
  return (record?.hosts ?? []).filter((h) => h.status !== 'Completed').map((h) => h.host);
}
