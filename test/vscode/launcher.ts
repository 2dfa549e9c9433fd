// A stand-in for the `code` executable, given to @vscode/test-electron's runTests() as
// vscodeExecutablePath where desktop VS Code cannot be downloaded. It accepts the arguments
// runTests() passes to VS Code (`<folder> --extensionDevelopmentPath=… --extensionTestsPath=…
// --user-data-dir=… --extensions-dir=… --no-sandbox …`) and runs them in the same VS Code build
// served by code-server, opened in headless Chromium (see workbench.ts). Its exit code is the
// test run's: 0 passed, 1 failures, 124 timed out — as desktop VS Code's would be.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CACHE, codeServerVersion, startWorkbench } from './workbench';

export interface LaunchArgs {
  folder?: string;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
  userDataDir?: string;
}

/** VS Code's command line, as far as a test run needs it; switches meant for Electron are ignored. */
export function parseLaunchArgs(argv: string[]): LaunchArgs {
  const out: LaunchArgs = {};
  const flags: Record<string, keyof LaunchArgs> = {
    '--extensionDevelopmentPath': 'extensionDevelopmentPath',
    '--extensionTestsPath': 'extensionTestsPath',
    '--user-data-dir': 'userDataDir',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) {
      out.folder ??= path.resolve(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const key = flags[name];
    if (!key) continue; // --no-sandbox, --disable-gpu-sandbox, --skip-welcome, --extensions-dir…
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value !== undefined) out[key] = path.resolve(value);
  }
  return out;
}

async function main(): Promise<number> {
  const args = parseLaunchArgs(process.argv.slice(2));
  if (!args.extensionDevelopmentPath || !args.extensionTestsPath) {
    process.stderr.write('launcher: --extensionDevelopmentPath and --extensionTestsPath are required\n');
    return 2;
  }
  const runDir = args.userDataDir ? path.dirname(args.userDataDir) : fs.mkdtempSync(path.join(CACHE, 'runs', 'launch-'));
  fs.mkdirSync(runDir, { recursive: true });
  const timeoutMs = Number(process.env.TEST_TIMEOUT_MS || 600_000);
  process.stdout.write(`VS Code ${codeServerVersion()} in headless Chromium (no desktop VS Code here)\n`);
  const wb = await startWorkbench({
    runDir,
    workspace: args.folder ?? runDir,
    extensionDevelopmentPath: args.extensionDevelopmentPath,
    extensionTestsPath: args.extensionTestsPath,
    log: (l) => process.stdout.write(`  ${l}\n`),
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(124), timeoutMs)));
  const code = await Promise.race([wb.exitCode, timeout]);
  clearTimeout(timer);
  if (code !== 0) await wb.page.screenshot({ path: path.join(runDir, 'failure.png') }).catch(() => undefined);
  await wb.close();
  if (code === 124) process.stderr.write(`launcher: the tests did not finish within ${timeoutMs} ms\n`);
  return code;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`launcher: ${err instanceof Error ? err.stack : err}\n`);
      process.exit(1);
    },
  );
}
