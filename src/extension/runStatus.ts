import * as vscode from 'vscode';
import type { ResultsStore, RunRecord } from './results';
import { formatElapsed, outcomeText } from './runCommands';

/**
 * A status bar item: while runs are active, what runs, how many hosts are done and the time
 * elapsed; afterwards the last run's outcome ("fleet-check.sh: 37 Completed, 3 Failed"), kept
 * until the next run starts. Click for the results.
 */
export class RunStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('remoteInvoke.runs', vscode.StatusBarAlignment.Left, 50);
  private timer: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly store: ResultsStore) {
    this.item.name = 'Remote Invoke runs';
    this.item.command = 'remoteInvoke.showResults';
    this.subscription = store.onDidChangeRun(() => {
      this.timer ??= setTimeout(() => this.update(), 100);
    });
  }

  /** What the item says now (the extension API, used by the tests). */
  get text(): string {
    return this.item.text;
  }

  private update(): void {
    this.timer = undefined;
    const active = this.store.active();
    if (!active.length) {
      clearInterval(this.ticker);
      this.ticker = undefined;
      return this.showOutcome(this.store.latest());
    }
    // Elapsed time counts on between host events.
    this.ticker ??= setInterval(() => this.update(), 1000);
    const done = active.reduce((n, r) => n + r.done, 0);
    const total = active.reduce((n, r) => n + r.hosts.size, 0);
    const what = active.length === 1 ? active[0].info.title : `${active.length} runs`;
    const elapsed = formatElapsed(Date.now() - Math.min(...active.map((r) => r.startedAt.getTime())));
    this.item.text = `$(sync~spin) ${what} ${done}/${total} · ${elapsed}`;
    this.item.backgroundColor = undefined;
    this.item.tooltip = new vscode.MarkdownString(
      active.map((r) => `**${r.label}**: ${r.done}/${r.hosts.size} hosts done, ${formatElapsed(Date.now() - r.startedAt.getTime())} elapsed`).join('\n\n') +
        '\n\nClick to show the results.',
    );
    this.item.accessibilityInformation = { label: `Remote Invoke: ${what}, ${done} of ${total} hosts done, ${elapsed} elapsed` };
    this.item.show();
  }

  private showOutcome(run: RunRecord | undefined): void {
    if (!run) return this.item.hide();
    const failed = [...run.hosts.values()].some((h) => h.result && h.state !== 'Completed');
    const outcome = outcomeText(run);
    this.item.text = `${failed ? '$(error)' : '$(check)'} ${run.info.title}: ${outcome}`;
    this.item.backgroundColor = failed ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.tooltip = new vscode.MarkdownString(`Last run, **${run.label}** (run ${run.id}): ${outcome}.\n\nClick to show the results.`);
    this.item.accessibilityInformation = { label: `Remote Invoke, last run ${run.info.title}: ${outcome}` };
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    this.subscription.dispose();
    this.item.dispose();
  }
}
