// Starts a real VS Code (the workbench served by code-server, with its Node extension host) and
// opens it in headless Chromium through playwright-core. Used by run.ts for both the in-host mocha
// suite and the Playwright UI flows.
//
// Why code-server: VS Code cannot be downloaded on machines that reach only npm and Debian, and
// code-server 4.100.3 from npm hosts the same VS Code build (1.100.3). Its CLI rejects
// --extensionDevelopmentPath/--extensionTestsPath, so they travel the way VS Code's own web
// integration tests pass them: in the workbench URL's `payload`, as vscode-remote:// URIs. The
// workbench then calls window.codeAutomationLog (extension host output) and
// window.codeAutomationExit (the test result) on the page.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as util from 'node:util';

export const REPO = path.resolve(__dirname, '../..');
export const CACHE = process.env.VSCODE_TEST_CACHE || path.join(REPO, '.vscode-test');
const CODE_SERVER = process.env.CODE_SERVER || path.join(CACHE, 'code-server/node_modules/.bin/code-server');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/* The few playwright-core shapes used here. playwright-core lives in the test cache (installed by
   setup.sh), not in the repo's dependencies, so its own typings are not available to `tsc`. */
export interface Page {
  goto(url: string, options?: { timeout?: number }): Promise<unknown>;
  reload(): Promise<unknown>;
  on(event: string, listener: (arg: any) => void): void;
  exposeFunction(name: string, fn: (...args: any[]) => unknown): Promise<void>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<Buffer>;
  locator(selector: string, options?: { hasText?: string | RegExp; has?: any }): any;
  getByRole(role: string, options?: { name?: string | RegExp; exact?: boolean }): any;
  getByText(text: string | RegExp, options?: { exact?: boolean }): any;
  frameLocator(selector: string): any;
  keyboard: { press(key: string): Promise<void>; type(text: string, options?: { delay?: number }): Promise<void> };
  mouse: { click(x: number, y: number, options?: { button?: 'left' | 'right' }): Promise<void>; move(x: number, y: number): Promise<void> };
  waitForTimeout(ms: number): Promise<void>;
  waitForFunction(fn: string | ((arg: any) => unknown), arg?: unknown, options?: { timeout?: number }): Promise<unknown>;
  evaluate<T>(fn: string | ((arg: any) => T), arg?: unknown): Promise<T>;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
}
interface BrowserContext {
  pages(): Page[];
  newPage(): Promise<Page>;
  route(url: string, handler: (route: any) => unknown): Promise<void>;
  close(): Promise<void>;
}

export interface WorkbenchOptions {
  /** Folder opened as the workspace. */
  workspace: string;
  /** Extension under development (folder with package.json). */
  extensionDevelopmentPath: string;
  /** Compiled mocha entry exporting run(); absent = a plain workbench for UI flows. */
  extensionTestsPath?: string;
  /** User settings.json content (merged over the hygiene defaults). */
  settings?: Record<string, unknown>;
  /** Extra environment for the server and so the extension host. */
  env?: Record<string, string>;
  /** Where run artefacts (logs, user data, screenshots on failure) go. */
  runDir: string;
  /** Extension host / workbench log lines. */
  log?: (line: string) => void;
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
}

export interface Workbench {
  page: Page;
  port: number;
  /** Resolves with the exit code the workbench reports (tests finished) — only with extensionTestsPath. */
  exitCode: Promise<number>;
  close(): Promise<void>;
}

const HYGIENE_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'chat.commandCenter.enabled': false,
  'window.commandCenter': false,
  // The run directories live inside the repo: keep git from offering to open it.
  'git.openRepositoryInParentFolders': 'never',
  'git.autoRepositoryDetection': false,
  'files.exclude': { '**/.vscode': true },
};

export function loadPlaywright(): { chromium: { launchPersistentContext(dir: string, options: object): Promise<BrowserContext> } } {
  const req = createRequire(path.join(CACHE, 'driver/package.json'));
  try {
    return req('playwright-core');
  } catch (err) {
    throw new Error(`playwright-core is not installed in ${CACHE}/driver: run test/vscode/setup.sh (${err})`);
  }
}

/** "1.100.3 (code-server 4.100.3)": the VS Code build code-server serves, for the test log and README. */
export function codeServerVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(CACHE, 'code-server/node_modules/code-server/package.json'), 'utf8'));
    const vscodeVersion = JSON.parse(fs.readFileSync(path.join(CACHE, 'code-server/node_modules/code-server/lib/vscode/package.json'), 'utf8')).version;
    return `${vscodeVersion} (code-server ${pkg.version})`;
  } catch {
    return '(code-server, version unknown)';
  }
}

export interface CodeServer {
  port: number;
  /** The workbench URL: the workspace, and the extension (and tests) as the payload. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts code-server on 127.0.0.1 (port 0 = any free one) with everything it writes (user data,
 * XDG dirs, TMPDIR) kept in the run directory, in its own process group so close() can end the
 * extension host too.
 */
export async function startCodeServer(opts: Omit<WorkbenchOptions, 'log' | 'viewport' | 'colorScheme'> & { port?: number }): Promise<CodeServer> {
  if (!fs.existsSync(CODE_SERVER)) throw new Error(`code-server not found at ${CODE_SERVER}: run test/vscode/setup.sh`);
  const run = opts.runDir;
  const xdg = {
    XDG_CONFIG_HOME: `${run}/xdg/config`,
    XDG_DATA_HOME: `${run}/xdg/data`,
    XDG_CACHE_HOME: `${run}/xdg/cache`,
    XDG_STATE_HOME: `${run}/xdg/state`,
  };
  for (const d of Object.values(xdg)) fs.mkdirSync(d, { recursive: true });
  // TMPDIR holds the server's IPC sockets, whose paths must stay under 108 bytes: keep it short.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-vsc-'));
  const settings = JSON.stringify({ ...HYGIENE_SETTINGS, ...opts.settings }, null, 2);
  // Written to User, to Machine (machine-scoped settings of the remote extension host) and to the
  // workspace: the web workbench's Extension Development Host window reads some from each.
  for (const d of [`${run}/user-data/User`, `${run}/user-data/Machine`, `${opts.workspace}/.vscode`]) {
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(`${d}/settings.json`, settings);
  }
  fs.writeFileSync(`${run}/config.yaml`, `bind-addr: 127.0.0.1:${opts.port ?? 0}\nauth: none\ncert: false\n`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...xdg,
    TMPDIR: tmp,
    // The extension gallery points at a closed loopback port: tests never leave 127.0.0.0/8.
    EXTENSIONS_GALLERY: '{"serviceUrl":"http://127.0.0.1:9/vscode/gallery","itemUrl":"http://127.0.0.1:9/vscode/item"}',
    ...opts.env,
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  const server: ChildProcess = spawn(
    CODE_SERVER,
    [
      '--config', `${run}/config.yaml`,
      '--user-data-dir', `${run}/user-data`,
      '--extensions-dir', `${run}/extensions`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
    ],
    // Own process group: the extension host outlives the browser, so the whole group is killed.
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  const serverLog = fs.createWriteStream(`${run}/server.log`);
  server.stderr!.pipe(serverLog);
  const killServer = (signal: NodeJS.Signals = 'SIGTERM') => {
    try {
      if (server.pid) process.kill(-server.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const onExit = () => killServer();
  process.once('exit', onExit);
  const close = async () => {
    const exited = new Promise((r) => (server.exitCode !== null || server.signalCode !== null ? r(0) : server.once('exit', r)));
    killServer();
    const timer = setTimeout(() => killServer('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    // What is left of the group (the extension host and its children) goes too.
    killServer('SIGKILL');
    process.removeListener('exit', onExit);
    fs.rmSync(tmp, { recursive: true, force: true });
  };

  try {
    const port = await new Promise<number>((resolve, reject) => {
      let buf = '';
      server.stdout!.on('data', (d: Buffer) => {
        serverLog.write(d);
        buf += d.toString();
        const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(buf);
        if (m) resolve(Number(m[1]));
      });
      server.once('exit', (code) => reject(new Error(`code-server exited early (${code}); see ${run}/server.log`)));
      setTimeout(() => reject(new Error('code-server did not start within 30 s')), 30_000).unref();
    });
    const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload: [string, string][] = [
      ['extensionDevelopmentPath', remote(opts.extensionDevelopmentPath)],
      ['skipWelcome', 'true'],
    ];
    if (opts.extensionTestsPath) payload.push(['extensionTestsPath', remote(opts.extensionTestsPath)]);
    const url =
      `http://127.0.0.1:${port}/?folder=${encodeURIComponent(opts.workspace)}` +
      `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    return { port, url, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** code-server plus headless Chromium on the workbench, with the extension host's log streamed. */
export async function startWorkbench(opts: WorkbenchOptions): Promise<Workbench> {
  const log = opts.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const server = await startCodeServer(opts);
  const { port, url } = server;
  let ctx: BrowserContext | undefined;
  const close = async () => {
    await ctx?.close().catch(() => undefined);
    await server.close();
  };
  try {
    const { chromium } = loadPlaywright();
    ctx = await chromium.launchPersistentContext(`${opts.runDir}/chromium-profile`, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: opts.viewport ?? { width: 1400, height: 900 },
      colorScheme: opts.colorScheme ?? 'dark',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
    await ctx.route('**/*', (r: any) =>
      ['127.0.0.1', 'localhost'].includes(new URL(r.request().url()).hostname) ? r.continue() : r.abort(),
    );
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (e: Error) => log(`[pageerror] ${e.message.slice(0, 300)}`));
    if (process.env.VERBOSE) page.on('console', (m: any) => log(`[page ${m.type()}] ${m.text().slice(0, 300)}`));

    let reportExit!: (code: number) => void;
    const exitCode = new Promise<number>((resolve) => (reportExit = resolve));
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      // Mocha's reporter writes whole lines; the host adds its own trailing newline per call.
      const text = util.format(...([] as unknown[]).concat(args)).replace(/\n$/, '');
      if (/ECONNREFUSED 127\.0\.0\.1:9\b/.test(text)) return; // the disabled extension gallery
      log(type === 'log' || type === 'info' ? text : `[${type}] ${text}`);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => reportExit(code));
    await page.goto(url, { timeout: 90_000 }); // a loaded machine serves the workbench slowly
    return { page, port, exitCode, close };
  } catch (err) {
    await close();
    throw err;
  }
}
