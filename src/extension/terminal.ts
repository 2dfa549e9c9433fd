import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import * as vscode from 'vscode';
import type { HostInventory } from './inventory';
import { hostNamesFrom, type Sessions } from './sessions';

/**
 * Enter-PSSession: a VS Code terminal on a host, over a pty shell channel of the host's session
 * connection. Resizes follow the terminal; colours pass through (xterm-256color).
 */
export class RemoteTerminals implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly inventory: HostInventory,
    private readonly sessions: Sessions,
  ) {
    this.disposables = [
      vscode.commands.registerCommand('remoteInvoke.openTerminal', (arg?: unknown) => this.open(hostNamesFrom(arg)[0])),
    ];
  }

  async open(host?: string): Promise<vscode.Terminal | undefined> {
    host ??= (
      await vscode.window.showQuickPick(
        this.inventory.hosts().map((h) => ({ label: h.name, description: this.sessions.state(h.name) })),
        { title: 'Open a terminal on host' },
      )
    )?.label;
    if (!host) return undefined;
    const terminal = vscode.window.createTerminal({
      name: `Remote Invoke: ${host}`,
      pty: new SshPseudoterminal(host, this.sessions),
      iconPath: new vscode.ThemeIcon('remote'),
    });
    terminal.show();
    return terminal;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

class SshPseudoterminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private channel: ClientChannel | undefined;
  private size = { columns: 80, rows: 24 };
  private closed = false;

  constructor(
    private readonly host: string,
    private readonly sessions: Sessions,
  ) {}

  async open(initial: vscode.TerminalDimensions | undefined): Promise<void> {
    if (initial) this.size = initial;
    this.writeEmitter.fire(`\x1b[2mConnecting to ${this.host}…\x1b[0m\r\n`);
    try {
      const channel = await this.sessions.pool.openTerminal(this.host, this.sessions.connectionSettings(), {
        cols: this.size.columns,
        rows: this.size.rows,
        term: 'xterm-256color',
      });
      if (this.closed) {
        channel.end();
        return;
      }
      this.channel = channel;
      // Output arrives in chunks that may split a UTF-8 sequence.
      const out = new StringDecoder('utf8');
      const err = new StringDecoder('utf8');
      channel.on('data', (d: Buffer) => this.writeEmitter.fire(out.write(d)));
      channel.stderr.on('data', (d: Buffer) => this.writeEmitter.fire(err.write(d)));
      channel.on('exit', (code: number | null) => this.end(typeof code === 'number' ? code : undefined));
      channel.on('close', () => this.end());
      // The size may have changed while connecting.
      channel.setWindow(this.size.rows, this.size.columns, 0, 0);
    } catch (e) {
      this.writeEmitter.fire(`\x1b[31m${(e as Error).message}\x1b[0m\r\n\r\nPress any key to close.`);
    }
  }

  handleInput(data: string): void {
    if (this.channel) this.channel.write(data);
    else if (!this.closed) this.end(1);
  }

  setDimensions(d: vscode.TerminalDimensions): void {
    this.size = d;
    this.channel?.setWindow(d.rows, d.columns, 0, 0);
  }

  close(): void {
    this.closed = true;
    this.channel?.end();
  }

  private end(code?: number): void {
    if (this.closed && !this.channel) return;
    const channel = this.channel;
    this.channel = undefined;
    this.closed = true;
    channel?.end();
    this.closeEmitter.fire(code);
  }
}
