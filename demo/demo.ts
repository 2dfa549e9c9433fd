// `npm run demo`: three throw-away local sshd hosts, the sample script run on all of them with
// the CLI, then VS Code with the extension and those hosts ready (desktop `code` when present,
// else code-server in the browser). `--cli` stops after the CLI part.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestBed } from '../test/support/sshd';

const REPO = path.resolve(__dirname, '..');
const say = (text: string) => process.stdout.write(`\x1b[1m${text}\x1b[0m\n`);

function cli(args: string[], env: NodeJS.ProcessEnv): void {
  say(`\n$ remote-invoke ${args.map((a) => (/[\s"$]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  spawnSync(process.execPath, [path.join(REPO, 'bin/remote-invoke.js'), ...args], { stdio: 'inherit', env });
}

function hasDesktopCode(): boolean {
  return spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
  const bed = await startTestBed({ count: 3, namePrefix: 'web' });
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-demo-state-'));
  const env = { ...process.env, REMOTE_INVOKE_STATE_DIR: stateDir };
  const config = bed.sshConfigPath;
  const scripts = path.join(REPO, 'demo/scripts');
  try {
    say(`Three local OpenSSH hosts are up: ${bed.hosts.map((h) => `${h.name} (${h.address}:${h.port})`).join(', ')}`);
    say(`Their ssh_config: ${config}`);
    cli(['run', '-F', config, '-H', 'web1,web2,web3', '-f', path.join(scripts, 'check-disk.sh'), '--', '/', '90'], env);
    cli(['run', '-F', config, '-H', 'web1,web2,web3', '--json', '-f', path.join(scripts, 'facts.py'), '--', 'a b', "it's"], env);
    cli(['run', '-F', config, '-H', 'web1,web2', '--session', 'demo', '-f', path.join(scripts, 'counter.sh')], env);
    cli(['run', '-F', config, '--session', 'demo', '-f', path.join(scripts, 'counter.sh')], env);
    cli(['session', 'remove', 'demo', '-F', config], env);
    if (process.argv.includes('--cli')) return;

    if (hasDesktopCode()) {
      say('\nOpening VS Code with the extension; the Remote Invoke view lists web1..web3.');
      spawnSync('code', ['--extensionDevelopmentPath', REPO, '--new-window', scripts], {
        stdio: 'inherit',
        env: { ...env, REMOTE_INVOKE_SSH_CONFIG: config },
      });
    } else {
      say('\nNo desktop VS Code here: starting code-server (VS Code in the browser) with the extension.');
      const { startCodeServer } = await import('../test/vscode/workbench');
      const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-demo-'));
      const workspace = path.join(runDir, 'workspace');
      fs.cpSync(scripts, workspace, { recursive: true });
      const server = await startCodeServer({
        runDir,
        workspace,
        extensionDevelopmentPath: REPO,
        settings: { 'remoteInvoke.sshConfigFile': config },
      });
      say(`Open ${server.url} — tick hosts in the Remote Invoke view, right-click a script → Run File on Hosts…`);
      say('Press Ctrl-C to stop the demo.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  } finally {
    await bed.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
