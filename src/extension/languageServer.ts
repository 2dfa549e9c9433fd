// The language client: starts dist/server.js (the ssh_config and inventory language server) the
// first time a file it serves is open, never at activation; gives the configured ssh_config and
// its Includes the extension's ssh_config language; keeps the server's settings current; and runs
// the active script on a group when one of the server's code lenses is clicked.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient, LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import { RUN_ON_HOSTS_COMMAND, SSH_CONFIG_LANGUAGE, type RunOnHostsArgs, type ServerSettings } from '../server/protocol';
import type { Settings } from './settings';
import { configFiles } from './sshConfigEditor';

export class LanguageServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  /** The inventories the running client was started for (its document selector). */
  private servedInventories = '';
  /** The last editor showing something other than a served file: "the active file" of a lens. */
  private lastScript: vscode.TextDocument | undefined;
  private readonly disposables: vscode.Disposable[];
  private readonly output = vscode.window.createOutputChannel('Remote Invoke Language Server', { log: true });

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly settings: Settings,
  ) {
    this.disposables = [
      this.output,
      vscode.commands.registerCommand(RUN_ON_HOSTS_COMMAND, (args?: RunOnHostsArgs) => this.runOnHosts(args)),
      vscode.workspace.onDidOpenTextDocument((doc) => this.consider(doc)),
      vscode.window.onDidChangeActiveTextEditor((editor) => this.remember(editor)),
      settings.onDidChange((e) => {
        if (e.affectsConfiguration('remoteInvoke.sshConfigFile') || e.affectsConfiguration('remoteInvoke.inventoryFiles')) void this.settingsChanged();
      }),
    ];
    // After activation returns: documents already open (restored editors) are looked at then.
    setImmediate(() => {
      this.remember(vscode.window.activeTextEditor);
      for (const doc of vscode.workspace.textDocuments) this.consider(doc);
    });
  }

  /** Whether the server is running (for the tests). */
  get running(): boolean {
    return !!this.client?.isRunning();
  }

  private serverSettings(): ServerSettings {
    return { sshConfigFile: this.settings.sshConfigFile, inventoryFiles: this.settings.inventoryFiles };
  }

  private isInventory(doc: vscode.TextDocument): boolean {
    return doc.uri.scheme === 'file' && this.settings.inventoryFiles.includes(path.resolve(doc.uri.fsPath));
  }

  private served(doc: vscode.TextDocument): boolean {
    return doc.languageId === SSH_CONFIG_LANGUAGE || this.isInventory(doc);
  }

  /** A document was opened: give ssh_config files their language, and start the server for a served one. */
  private consider(doc: vscode.TextDocument): void {
    if (doc.uri.scheme === 'file' && doc.languageId !== SSH_CONFIG_LANGUAGE && this.isSshConfigFile(doc.uri.fsPath)) {
      // Reopens the document under the new language; this method runs again for it.
      void vscode.languages.setTextDocumentLanguage(doc, SSH_CONFIG_LANGUAGE).then(undefined, () => undefined);
      return;
    }
    if (this.served(doc)) void this.start();
  }

  private isSshConfigFile(file: string): boolean {
    const resolved = path.resolve(file);
    return configFiles(this.settings.sshConfigFile).some((f) => path.resolve(f) === resolved);
  }

  private remember(editor: vscode.TextEditor | undefined): void {
    const doc = editor?.document;
    if (doc && (doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled') && !this.served(doc)) this.lastScript = doc;
  }

  private start(): Promise<void> {
    this.starting ??= this.startClient().catch((err: Error) => {
      this.starting = undefined;
      this.output.error(`the language server did not start: ${err.message}`);
    });
    return this.starting;
  }

  private async startClient(): Promise<void> {
    // Loaded on first use: activation does not pay for evaluating the client library.
    const { LanguageClient, TransportKind } = await import('vscode-languageclient/node');
    const module = vscode.Uri.joinPath(this.extensionUri, 'dist', 'server.js').fsPath;
    // TransportKind.stdio: the client runs `node dist/server.js --stdio`, as any other editor would.
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.stdio },
      debug: { module, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const inventories = this.settings.inventoryFiles;
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ language: SSH_CONFIG_LANGUAGE }, ...inventories.map((file) => ({ scheme: 'file', pattern: file }))],
      initializationOptions: this.serverSettings(),
      outputChannel: this.output,
    };
    const client = new LanguageClient('remoteInvoke.languageServer', 'Remote Invoke Language Server', serverOptions, clientOptions);
    this.client = client;
    this.servedInventories = inventories.join('\0');
    await client.start();
  }

  /** The server reads the new settings; a changed list of inventories needs a new document selector. */
  private async settingsChanged(): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (this.settings.inventoryFiles.join('\0') !== this.servedInventories) {
      await this.stop();
      for (const doc of vscode.workspace.textDocuments) this.consider(doc);
      return;
    }
    await client.sendNotification('workspace/didChangeConfiguration', { settings: { remoteInvoke: this.serverSettings() } });
    for (const doc of vscode.workspace.textDocuments) this.consider(doc);
  }

  /** A lens's "Run active file on web (12 hosts)": the last script editor, on those hosts, through Run File. */
  private async runOnHosts(args: RunOnHostsArgs | undefined): Promise<unknown> {
    if (!args) return undefined;
    if (!args.hosts.length) {
      void vscode.window.showInformationMessage(`Remote Invoke: ${args.group} has no hosts.`);
      return undefined;
    }
    const active = vscode.window.activeTextEditor?.document;
    const script = active && !this.served(active) ? active : this.lastScript;
    if (!script || script.isClosed) {
      void vscode.window.showInformationMessage(`Remote Invoke: open the script to run on ${args.group} first, then use the lens again.`);
      return undefined;
    }
    return vscode.commands.executeCommand('remoteInvoke.runFile', { file: script.uri, hosts: args.hosts });
  }

  private async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.starting = undefined;
    if (client) await client.stop().catch(() => undefined);
  }

  dispose(): void {
    void this.stop();
    for (const d of this.disposables) d.dispose();
  }
}
