import * as vscode from 'vscode';

/**
 * Opens a view that starts collapsed while it is empty (package.json `"visibility": "collapsed"`)
 * once it gets content: TreeView.reveal() of its first row opens the view's pane (VS Code's
 * openView expands it), without selecting or focusing anything. It does so only while the Remote
 * Invoke side bar is on screen (one of its other views is visible), so that a new session never pulls the side bar
 * away from the Explorer; otherwise it waits until the side bar is shown. It acts once per
 * empty-to-filled change: a pane the user collapses again while it has content stays collapsed.
 */
export class ExpandWhenFilled<T> implements vscode.Disposable {
  /** Empty when last looked at (the views start collapsed because they start empty). */
  private wasEmpty: boolean;
  /** Filled since it was empty, and not open yet. */
  private pending = false;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly view: vscode.TreeView<T>,
    private readonly firstRow: () => T | undefined,
    onDidChangeContent: vscode.Event<unknown>,
    /** The other views of the same side bar: one of them visible means the side bar is on screen. */
    private readonly siblings: vscode.TreeView<unknown>[],
  ) {
    this.wasEmpty = firstRow() === undefined;
    this.disposables = [onDidChangeContent(() => this.onContent()), ...siblings.map((v) => v.onDidChangeVisibility(() => this.tryOpen()))];
  }

  private onContent(): void {
    const empty = this.firstRow() === undefined;
    if (this.wasEmpty && !empty) this.pending = true;
    if (empty) this.pending = false;
    this.wasEmpty = empty;
    this.tryOpen();
  }

  private tryOpen(): void {
    if (!this.pending) return;
    if (this.view.visible) {
      this.pending = false;
      return;
    }
    const row = this.firstRow();
    if (!row || !this.siblings.some((v) => v.visible)) return;
    this.pending = false;
    this.view.reveal(row, { select: false, focus: false, expand: false }).then(undefined, () => undefined);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
