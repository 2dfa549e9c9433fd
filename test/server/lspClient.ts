// A minimal LSP client for the server tests: spawns `node dist/server.js --stdio` and speaks
// JSON-RPC to it with vscode-jsonrpc, as an editor would. Diagnostics are collected per URI.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

export const REPO = path.resolve(__dirname, '../..');
export const SERVER = path.join(REPO, 'dist/server.js');

/** Builds dist/ when dist/server.js is missing or older than a source file (npm test has built it already). */
export function ensureServerBuilt(): void {
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).mtimeMs), 0);
  const built = fs.existsSync(SERVER) ? fs.statSync(SERVER).mtimeMs : 0;
  if (built < newest(path.join(REPO, 'src'))) execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: REPO, stdio: 'inherit' });
}

export class LspClient {
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  private readonly waiters: (() => void)[] = [];
  private readonly versions = new Map<string, number>();
  readonly stderr: string[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly connection: MessageConnection,
  ) {
    connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.set(p.uri, p);
      for (const w of this.waiters.splice(0)) w();
    });
    connection.onRequest('workspace/configuration', () => []);
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('workspace/codeLens/refresh', () => null);
    connection.onNotification('window/logMessage', (m: { message: string }) => void this.stderr.push(m.message));
  }

  /** Starts the server and completes the initialize handshake. */
  static async start(initializationOptions: unknown, env: NodeJS.ProcessEnv = {}): Promise<LspClient> {
    if (!fs.existsSync(SERVER)) throw new Error(`${SERVER} missing: run npm run build`);
    const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspClient(child, connection);
    child.stderr!.on('data', (d: Buffer) => client.stderr.push(d.toString()));
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { textDocument: { publishDiagnostics: { relatedInformation: true } }, workspace: { codeLens: { refreshSupport: true } } },
      initializationOptions,
    });
    await connection.sendNotification('initialized', {});
    return client;
  }

  async open(file: string, languageId: string, text = fs.readFileSync(file, 'utf8')): Promise<string> {
    const uri = pathToFileURL(file).href;
    this.versions.set(uri, 1);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return uri;
  }

  async change(uri: string, text: string): Promise<void> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    this.diagnostics.delete(uri);
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  async configure(settings: unknown): Promise<void> {
    this.diagnostics.clear();
    await this.connection.sendNotification('workspace/didChangeConfiguration', { settings: { remoteInvoke: settings } });
  }

  /** The diagnostics published for a URI (waits for the first publication, or for one that passes `until`). */
  async diagnosticsOf(uri: string, until: (d: Diagnostic[]) => boolean = () => true, timeoutMs = 30_000): Promise<Diagnostic[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const got = this.diagnostics.get(uri);
      if (got && until(got.diagnostics)) return got.diagnostics;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no matching diagnostics for ${uri} after ${timeoutMs} ms; last: ${JSON.stringify(got?.diagnostics)}\n${this.stderr.join('')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.connection.sendRequest(method, params) as Promise<T>;
  }

  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    await this.connection.sendRequest('shutdown').catch(() => undefined);
    await this.connection.sendNotification('exit').catch(() => undefined);
    const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 3000))]);
    if (this.child.exitCode === null) this.child.kill();
    this.connection.dispose();
    return code;
  }
}
