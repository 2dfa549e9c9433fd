import * as vscode from 'vscode';
import type { ResultsStore } from './results';

/** A status bar item while runs are active: what runs and how many hosts are done; click for the results. */
export class RunStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('remoteInvoke.runs', vscode.StatusBarAlignment.Left, 50);
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly store: ResultsStore) {
    this.item.name = 'Remote Invoke runs';
    this.item.command = 'remoteInvoke.showResults';
    this.subscription = store.onDidChangeRun(() => {
      this.timer ??= setTimeout(() => this.update(), 100);
    });
  }

  private update(): void {
    this.timer = undefined;
    const active = this.store.active();
    if (!active.length) {
      this.item.hide();
      return;
    }
    const done = active.reduce((n, r) => n + r.done, 0);
    const total = active.reduce((n, r) => n + r.hosts.size, 0);
    const what = active.length === 1 ? active[0].info.title : `${active.length} runs`;
    this.item.text = `$(sync~spin) ${what} ${done}/${total}`;
    this.item.tooltip = new vscode.MarkdownString(
      active.map((r) => `**${r.label}**: ${r.done}/${r.hosts.size} hosts done`).join('\n\n') + '\n\nClick to show the results.',
    );
    this.item.accessibilityInformation = { label: `Remote Invoke: ${what}, ${done} of ${total} hosts done` };
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscription.dispose();
    this.item.dispose();
  }
}
