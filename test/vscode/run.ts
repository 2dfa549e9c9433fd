// Runs the extension's tests in a real VS Code:
//   1. the mocha suite inside the extension host (out/test/vscode/suite, built by build.mjs),
//      through @vscode/test-electron's runTests() (desktop VS Code, else code-server: launcher.ts);
//   2. the Playwright UI flows in test/vscode/ui/*.ui.ts, driven through the workbench.
// Exit code: 0 when everything passed. Usage (after setup.sh and the builds):
//   tsx test/vscode/run.ts [suite|ui]        REMOTE_INVOKE_TEST_GREP=<re> filters suite tests,
//                                            REMOTE_INVOKE_UI_FLOW=<part of a file name> UI flows
//   tsx test/vscode/run.ts open [port]       code-server with the extension and three loopback sshd
//                                            hosts, for trying it by hand in a browser (Ctrl-C ends it)
//   KEEP_RUN_DIR=1 keeps .vscode-test/runs/<id> (server log, user data, failure screenshots).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { startTestBed } from '../support/sshd';
import { CACHE, codeServerVersion, REPO, startCodeServer, startWorkbench, type Workbench } from './workbench';

export interface UiFlowContext {
  runDir: string;
  /** A fresh copy of test/vscode/fixtures/workspace for this flow. */
  workspace: string;
  log(line: string): void;
  start(options: { settings?: Record<string, unknown>; env?: Record<string, string> }): Promise<Workbench>;
}
export interface UiFlow {
  name: string;
  run(ctx: UiFlowContext): Promise<void>;
}

const SUITE_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS || 300_000);
const t0 = Date.now();
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1)}s]`;
const say = (line: string) => process.stdout.write(`${stamp()} ${line}\n`);

function freshWorkspace(runDir: string, name: string): string {
  const dir = path.join(runDir, name);
  fs.cpSync(path.join(__dirname, 'fixtures/workspace'), dir, { recursive: true });
  return dir;
}

/**
 * The mocha suite, loaded by the extension host, through @vscode/test-electron's runTests() — the
 * entry well-kept extensions use. With a desktop VS Code (REMOTE_INVOKE_VSCODE=<path to code>, or
 * one runTests() can download) it runs there; where none can be had, the executable is
 * code-server-launcher.sh, which accepts the same arguments and runs them in code-server +
 * headless Chromium. REMOTE_INVOKE_VSCODE=code-server skips the download attempt.
 */
async function runSuite(runDir: string): Promise<boolean> {
  const entry = path.join(REPO, 'out/test/vscode/suite/index.js');
  if (!fs.existsSync(entry)) throw new Error(`${entry} missing: run node test/vscode/build.mjs`);
  const dir = path.join(runDir, 'suite');
  fs.mkdirSync(dir, { recursive: true });
  const executable = await vscodeExecutable();
  say(`suite: @vscode/test-electron runTests() with ${executable.description}`);
  try {
    await runTests({
      vscodeExecutablePath: executable.path,
      extensionDevelopmentPath: REPO,
      extensionTestsPath: entry,
      launchArgs: [freshWorkspace(dir, 'workspace'), `--user-data-dir=${path.join(dir, 'user-data')}`, `--extensions-dir=${path.join(dir, 'extensions')}`],
      extensionTestsEnv: {
        TEST_TIMEOUT_MS: String(SUITE_TIMEOUT_MS),
        ...(process.env.REMOTE_INVOKE_TEST_GREP ? { REMOTE_INVOKE_TEST_GREP: process.env.REMOTE_INVOKE_TEST_GREP } : {}),
      },
    });
    say('suite: passed');
    return true;
  } catch (err) {
    say(`suite: FAILED (${err instanceof Error ? err.message : err})`);
    return false;
  }
}

/** Desktop VS Code when there is one; otherwise the code-server launcher. */
async function vscodeExecutable(): Promise<{ path: string; description: string }> {
  const launcher = { path: path.join(__dirname, 'code-server-launcher.sh'), description: `VS Code ${codeServerVersion()} in headless Chromium` };
  const wanted = process.env.REMOTE_INVOKE_VSCODE;
  if (wanted === 'code-server') return launcher;
  if (wanted) return { path: wanted, description: `desktop VS Code at ${wanted}` };
  try {
    // Its own timeout is per request; where the update service cannot be reached it can retry for
    // minutes, so the whole attempt gets 20 s (a real download keeps going once it has started).
    let started = false;
    const desktop = await Promise.race([
      downloadAndUnzipVSCode({
        cachePath: path.join(CACHE, 'desktop'),
        version: 'stable',
        timeout: 15_000,
        reporter: { report: (r: { stage: string }) => void (started ||= r.stage === 'downloading'), error: () => undefined },
      }),
      new Promise<never>((_, reject) => setTimeout(() => (started ? undefined : reject(new Error('no answer from the VS Code update service in 20 s'))), 20_000).unref()),
    ]);
    return { path: desktop, description: `desktop VS Code ${path.basename(path.dirname(desktop))}` };
  } catch (err) {
    say(`suite: desktop VS Code cannot be downloaded here (${String(err).split('\n')[0]}); using code-server`);
    return launcher;
  }
}

async function runUiFlows(runDir: string): Promise<boolean> {
  const only = process.env.REMOTE_INVOKE_UI_FLOW;
  const files = fs
    .readdirSync(path.join(__dirname, 'ui'))
    .filter((f) => f.endsWith('.ui.ts') && (!only || f.includes(only)))
    .sort();
  let ok = true;
  for (const file of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const flow: UiFlow = require(path.join(__dirname, 'ui', file)).default;
    const dir = path.join(runDir, `ui-${path.basename(file, '.ui.ts')}`);
    fs.mkdirSync(dir, { recursive: true });
    const open: Workbench[] = [];
    const started = Date.now();
    say(`ui: ${flow.name}`);
    try {
      await flow.run({
        runDir: dir,
        workspace: freshWorkspace(dir, 'workspace'),
        log: (l) => process.stdout.write(`  ${l}\n`),
        start: async (o) => {
          const wb = await startWorkbench({
            runDir: dir,
            workspace: path.join(dir, 'workspace'),
            extensionDevelopmentPath: REPO,
            log: (l) => process.stdout.write(`  ${l}\n`),
            ...o,
          });
          open.push(wb);
          return wb;
        },
      });
      say(`ui: ✓ ${flow.name} (${Date.now() - started} ms)`);
    } catch (err) {
      ok = false;
      const shot = path.join(dir, 'failure.png');
      await open[open.length - 1]?.page.screenshot({ path: shot }).catch(() => undefined);
      say(`ui: ✗ ${flow.name}: ${err instanceof Error ? err.stack : err} (screenshot ${shot})`);
    } finally {
      for (const wb of open) await wb.close();
    }
  }
  return ok;
}

/** A workbench for a person: the extension, the sample scripts and three real sshd hosts. */
async function openForHumans(port: number): Promise<number> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-open-'));
  const bed = await startTestBed({ count: 3, namePrefix: 'web' });
  const server = await startCodeServer({
    runDir,
    port,
    workspace: freshWorkspace(runDir, 'workspace'),
    extensionDevelopmentPath: REPO,
    settings: { 'remoteInvoke.sshConfigFile': bed.sshConfigPath },
  });
  say(`hosts web1..web3 from ${bed.sshConfigPath}`);
  say(`open ${server.url}`);
  say('Ctrl-C to stop');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await bed.stop();
  fs.rmSync(runDir, { recursive: true, force: true });
  return 0;
}

async function main(): Promise<number> {
  const only = process.argv[2];
  if (only === 'open') return openForHumans(Number(process.argv[3] ?? 0));
  const runsDir = path.join(CACHE, 'runs');
  fs.mkdirSync(runsDir, { recursive: true });
  const runDir = fs.mkdtempSync(path.join(runsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-`));
  let ok = true;
  try {
    if (!only || only === 'suite') ok = (await runSuite(runDir)) && ok;
    if (!only || only === 'ui') ok = (await runUiFlows(runDir)) && ok;
  } finally {
    if (ok && !process.env.KEEP_RUN_DIR) fs.rmSync(runDir, { recursive: true, force: true });
    else say(`run artefacts kept in ${runDir}`);
  }
  say(ok ? 'VS Code tests passed' : 'VS Code tests FAILED');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
