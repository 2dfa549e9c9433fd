import * as vscode from 'vscode';
import { parseBatchSpec, parseFailureBudget, type BatchSize, type FailureBudget } from '../core';

// The run flow's options: "Run as root" as a toggle on the host pick, and the rolling-run step
// (batch sizes and failure budget), each validated as the CLI validates --batch/--max-failures.

const ROOT_ON = new vscode.ThemeIcon('shield', new vscode.ThemeColor('charts.orange'));
const ROOT_OFF = new vscode.ThemeIcon('person');

export interface HostPickItem extends vscode.QuickPickItem {
  label: string;
}

/** A multi-select host pick with a "Run as root" toggle button. undefined = cancelled. */
export function pickHostsWithRootToggle(
  items: HostPickItem[],
  options: { title: string; placeHolder: string },
  runAsRoot: boolean,
): Promise<{ hosts: string[]; runAsRoot: boolean } | undefined> {
  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick<HostPickItem>();
    let root = runAsRoot;
    const rootButton = (): vscode.QuickInputButton => ({
      iconPath: root ? ROOT_ON : ROOT_OFF,
      tooltip: root ? 'Run as root: on (sudo; the password is asked once for the run) — click to run as yourself' : 'Run as root: off — click to run as root through sudo',
    });
    const describe = () => `${options.title}${root ? ' — as root' : ''}`;
    pick.items = items;
    pick.canSelectMany = true;
    pick.matchOnDescription = true;
    pick.ignoreFocusOut = true;
    pick.title = describe();
    pick.placeholder = options.placeHolder;
    pick.buttons = [rootButton()];
    let done = false;
    const finish = (value: { hosts: string[]; runAsRoot: boolean } | undefined) => {
      if (done) return;
      done = true;
      resolve(value);
      pick.dispose();
    };
    pick.onDidTriggerButton(() => {
      root = !root;
      pick.buttons = [rootButton()];
      pick.title = describe();
    });
    pick.onDidAccept(() => finish(pick.selectedItems.length ? { hosts: pick.selectedItems.map((i) => i.label), runAsRoot: root } : undefined));
    pick.onDidHide(() => finish(undefined));
    pick.show();
  });
}

export interface RolloutChoice {
  batch?: BatchSize[];
  maxFailures?: FailureBudget;
  /** As typed, for the results view's title. */
  text: string;
}

const validated = (parse: (t: string) => unknown) => (value: string) => {
  if (!value.trim()) return undefined;
  try {
    parse(value.trim());
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};

/** The rolling-run options step; previous answers are offered again. undefined = cancelled. */
export async function askRolloutOptions(state: vscode.Memento): Promise<RolloutChoice | undefined> {
  const batchText = await vscode.window.showInputBox({
    title: 'Rolling run (1/2): batch sizes',
    prompt: 'Hosts per batch, like Ansible serial: 1,5,25% runs 1 host, then 5, then 25% at a time. A batch starts when the previous one has ended. Empty: one batch.',
    value: state.get<string>('remoteInvoke.rollout.batch', '1,5,25%'),
    ignoreFocusOut: true,
    validateInput: validated((t) => parseBatchSpec(t, 'batch sizes')),
  });
  if (batchText === undefined) return undefined;
  const budgetText = await vscode.window.showInputBox({
    title: 'Rolling run (2/2): failure budget',
    prompt: 'Once more hosts than this (a number, or N% of the hosts) have failed or could not run, no new host starts; the rest are Skipped. Empty: no budget.',
    value: state.get<string>('remoteInvoke.rollout.maxFailures', '0'),
    ignoreFocusOut: true,
    validateInput: validated((t) => parseFailureBudget(t, 'failure budget')),
  });
  if (budgetText === undefined) return undefined;
  await state.update('remoteInvoke.rollout.batch', batchText);
  await state.update('remoteInvoke.rollout.maxFailures', budgetText);
  const batch = batchText.trim() ? parseBatchSpec(batchText.trim()) : undefined;
  const maxFailures = budgetText.trim() ? parseFailureBudget(budgetText.trim()) : undefined;
  const text = [batch ? `batches ${batchText.trim()}` : '', maxFailures ? `budget ${budgetText.trim()}` : ''].filter(Boolean).join(', ');
  return { batch, maxFailures, text };
}
