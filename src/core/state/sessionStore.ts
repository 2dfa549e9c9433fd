import type { DurableShellRecord } from '../session/durable';
import { RecordStore } from './stateStore';

/** A named set of durable sessions (New-PSSession -Name), one shell per host. */
export interface NamedSessionRecord {
  name: string;
  createdAt: string;
  hosts: string[];
  shells: Record<string, DurableShellRecord>;
}

export class SessionStore extends RecordStore<NamedSessionRecord> {
  constructor(stateDir: string) {
    super(stateDir, 'sessions');
  }
}
