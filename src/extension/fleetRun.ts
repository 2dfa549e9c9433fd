import * as vscode from 'vscode';
import { parseBatchSpec, parseFailureBudget, type InvokeRequest } from '../core';
import { askRolloutOptions, type RolloutChoice } from './runOptions';
import type { RunCommands } from './runCommands';
import type { Settings } from './settings';

/** What a run adds to the plain one: a rolling run's batches and budget, and running as root. */
export interface RunExtras {
  batch?: RolloutChoice['batch'];
  maxFailures?: RolloutChoice['maxFailures'];
  runAsRoot?: boolean;
}

/** The engine's fields for root, rolling and agent forwarding, from the settings and the run's own choices. */
export function fleetOptions(settings: Settings, runAsRoot: boolean, extras: RunExtras): Partial<InvokeRequest> {
  const forwardTo = new Set(settings.forwardAgentHosts);
  return {
    ...(runAsRoot ? { become: {} } : {}),
    ...(extras.batch ? { batch: extras.batch } : {}),
    ...(extras.maxFailures ? { maxFailures: extras.maxFailures } : {}),
    // Listed hosts forward the agent; for the others ssh_config's ForwardAgent decides.
    ...(forwardTo.size ? { forwardAgent: (host: string) => (forwardTo.has(host) ? true : undefined) } : {}),
  };
}

/**
 * "Rolling Run…": the run flow with its options step — batch sizes and a failure budget — before
 * the hosts are picked. The results view shows each host's batch and why the run stopped.
 */
export class RollingRun implements vscode.Disposable {
  private readonly disposable: vscode.Disposable;

  constructor(runs: RunCommands, state: vscode.Memento) {
    this.disposable = vscode.commands.registerCommand('remoteInvoke.rollingRun', async (arg?: unknown, more?: unknown) => {
      const programmatic = isRolloutArg(arg) ? arg : undefined;
      const choice = programmatic
        ? {
            batch: programmatic.batch !== undefined ? parseBatchSpec(programmatic.batch) : undefined,
            maxFailures: programmatic.maxFailures !== undefined ? parseFailureBudget(programmatic.maxFailures) : undefined,
          }
        : await askRolloutOptions(state);
      if (!choice) return undefined;
      return runs.forFiles(arg, more, 'Rolling run of', (script, hosts, args) =>
        runs.execute(script, hosts, args, { batch: choice.batch, maxFailures: choice.maxFailures, runAsRoot: programmatic?.runAsRoot }),
      );
    });
  }

  dispose(): void {
    this.disposable.dispose();
  }
}

/** remoteInvoke.rollingRun called with options (tests, other extensions): `{ hosts, file|text, batch: '1,5,25%', maxFailures: '2' }`. */
function isRolloutArg(arg: unknown): arg is { hosts: string[]; batch?: string; maxFailures?: string; runAsRoot?: boolean } {
  return !!arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) && Array.isArray((arg as { hosts?: unknown }).hosts);
}
