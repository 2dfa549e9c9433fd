import * as vscode from 'vscode';
import { AGENT_FORWARDING_WARNING, forwardedAgent, testConnection, type HostResult, type TestConnectionResult } from '../core';
import { reviewHostKeys } from './hostKeyReview';
import type { HostsView } from './hostsView';
import type { HostInventory } from './inventory';
import type { ResultsStore } from './results';
import type { ResultsView } from './resultsView';
import type { Sessions } from './sessions';
import type { Settings } from './settings';

/** One line per fact, as the results view's output column and the row tooltip show them. */
export function describeTestResult(r: TestConnectionResult): string[] {
  const yesNo = (v: boolean | null) => (v === null ? '?' : v ? 'yes' : 'no');
  const lines = [
    `reachable: ${r.reachable ? `yes, TCP connect ${r.tcpConnectMs ?? '?'} ms` : 'no'}`,
    `host key: ${r.hostKey ? `${r.hostKey.keyType} ${r.hostKey.fingerprint} (${r.hostKey.state})` : '—'}`,
    `auth: ${r.authMethod ?? '—'}`,
  ];
  if (r.ok) {
    lines.push(
      `round trip: ${r.roundTripMs} ms (no-op)`,
      `login shell: ${r.loginShell ?? '?'}`,
      `os: ${r.os ?? '?'}`,
      `pwsh: ${yesNo(r.pwsh)}`,
      `durable sessions: ${r.durable ? 'yes' : `no (missing: ${r.durableMissing.join(', ')})`}`,
    );
  }
  if (r.error) lines.push(`error: ${r.error}`);
  return lines;
}

/**
 * "Test Connection" on a host, on the selected hosts, or on the whole Hosts view: the same check
 * as `remote-invoke test`. Each host row gets a mark and a tooltip with the details; the details
 * open as a table in the results view; the unknown host keys found are reviewed together in one
 * dialog, and the hosts whose keys were accepted are tested again.
 */
export class TestConnectionCommand implements vscode.Disposable {
  private readonly disposable: vscode.Disposable;

  constructor(
    private readonly settings: Settings,
    private readonly inventory: HostInventory,
    private readonly sessions: Sessions,
    private readonly results: ResultsStore,
    private readonly resultsView: ResultsView,
    private readonly hostsView: HostsView,
  ) {
    this.disposable = vscode.commands.registerCommand('remoteInvoke.testConnection', (arg?: unknown, selected?: unknown) =>
      this.run(targetsOf(arg, selected) ?? this.inventory.hosts().map((h) => h.name)),
    );
  }

  /** Tests the hosts; resolves to one result per host (after any review of unknown keys). */
  async run(hosts: string[]): Promise<TestConnectionResult[]> {
    hosts = [...new Set(hosts)];
    if (!hosts.length) {
      void vscode.window.showInformationMessage('Remote Invoke: there are no hosts to test.');
      return [];
    }
    const record = this.results.begin(
      { title: 'Test Connection', kind: 'selection', args: [], hosts, script: { text: '', fileName: 'test', title: 'Test Connection', kind: 'selection' } },
      false,
    );
    void this.resultsView.show(record.id);
    const settings = this.sessions.connectionSettings();
    const tested = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Testing ${hosts.length} host${hosts.length === 1 ? '' : 's'}`, cancellable: true },
      async (_progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        for (const h of hosts) this.results.started(record, h);
        const first = await testConnection({ ...settings, targets: hosts, throttle: this.settings.throttleLimit, signal: abort.signal });
        return this.afterKeyReview(first, settings, abort.signal);
      },
    );
    for (const r of tested) {
      for (const line of describeTestResult(r)) this.results.line(record, r.host, 'stdout', line);
      this.results.ended(record, asHostResult(r));
      this.hostsView.annotate(r.host, this.annotation(r));
    }
    this.results.finish(record);
    return tested;
  }

  /** Unknown keys found: one review for all of them; the hosts whose keys were accepted are tested again. */
  private async afterKeyReview(
    results: TestConnectionResult[],
    settings: ReturnType<Sessions['connectionSettings']>,
    signal: AbortSignal,
  ): Promise<TestConnectionResult[]> {
    const unknown = results.filter((r) => !r.ok && r.hostKey?.state === 'unknown');
    if (!unknown.length || signal.aborted) return results;
    const answers = await reviewHostKeys(unknown.map((r) => r.hostKey!));
    const accepted = new Map<string, 'once' | 'remember'>();
    unknown.forEach((r, i) => answers[i] !== 'reject' && accepted.set(r.hostKey!.fingerprint, answers[i] as 'once' | 'remember'));
    const again = unknown.filter((r) => accepted.has(r.hostKey!.fingerprint)).map((r) => r.host);
    if (!again.length) return results;
    const retested = await testConnection({ ...settings, targets: again, strictHostKeyChecking: 'ask', acceptedKeys: accepted, signal });
    return results.map((r) => retested.find((x) => x.host === r.host) ?? r);
  }

  private annotation(r: TestConnectionResult): { description: string; tooltip: string; ok: boolean } {
    const resolved = this.inventory.hosts().find((h) => h.name === r.host)?.resolved;
    const forwarding = resolved && (this.settings.forwardAgentHosts.includes(r.host) || forwardedAgent(resolved, {}) !== undefined);
    return {
      ok: r.ok,
      description: r.ok ? `✓ ${r.roundTripMs} ms` : `✗ ${r.status}`,
      tooltip: [`Test Connection: ${r.ok ? 'OK' : r.status}`, ...describeTestResult(r), ...(forwarding ? [`agent forwarding: on. ${AGENT_FORWARDING_WARNING}`] : [])].join('\n'),
    };
  }

  dispose(): void {
    this.disposable.dispose();
  }
}

/** A test's outcome as the results view's row: Completed when fine, else the status that stopped it. */
function asHostResult(r: TestConnectionResult): HostResult {
  return { type: 'result', host: r.host, status: r.status, exitCode: null, signal: null, durationMs: r.durationMs, error: r.error };
}

/** Tree items (one clicked, several selected), a host name or names, or `{ hosts }`; undefined = the whole view. */
function targetsOf(arg: unknown, selected: unknown): string[] | undefined {
  const nameOf = (x: unknown): string | undefined =>
    typeof x === 'string' ? x : x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string' ? (x as { name: string }).name : undefined;
  if (Array.isArray(selected) && selected.length > 1) return selected.map(nameOf).filter((n): n is string => !!n);
  if (Array.isArray(arg)) return arg.map(nameOf).filter((n): n is string => !!n);
  if (arg && typeof arg === 'object' && Array.isArray((arg as { hosts?: unknown }).hosts)) return (arg as { hosts: string[] }).hosts;
  const one = nameOf(arg);
  return one ? [one] : undefined;
}
