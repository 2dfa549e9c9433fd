import type { DurableShellRecord } from '../session/durable';
import type { ReachRecord } from './reach';
import { RecordStore } from './stateStore';

/** A named set of durable sessions (New-PSSession -Name), one shell per host. */
export interface NamedSessionRecord {
  name: string;
  createdAt: string;
  hosts: string[];
  shells: Record<string, DurableShellRecord>;
  /** How the hosts were reached (absent in records from older versions). */
  reach?: ReachRecord;
  /** Each host's durable PowerShell session (pwsh host loop), beside its POSIX shell. */
  pwshShells?: Record<string, DurableShellRecord>;
  /** The root session of the same name (--sudo): each host's shell started under sudo (see cli/rootSessions.ts). */
  rootShells?: Record<string, DurableShellRecord>;
  rootPwshShells?: Record<string, DurableShellRecord>;
}

export class SessionStore extends RecordStore<NamedSessionRecord> {
  constructor(stateDir: string) {
    super(stateDir, 'sessions');
  }
}
