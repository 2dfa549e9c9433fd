/** Whether real PowerShell is on this machine, and the one way a suite skips without it (saying so). */
import { spawnSync } from 'child_process';

export const HAVE_PWSH = spawnSync('pwsh', ['-NoLogo', '-NoProfile', '-NonInteractive', '-c', 'exit 0'], { stdio: 'ignore', timeout: 60_000 }).status === 0;

/** In a `before` hook: skips the suite, with a line saying why, when pwsh is missing. */
export function skipWithoutPwsh(context: Mocha.Context): void {
  if (HAVE_PWSH) return;
  console.log('    (skipped: pwsh is not installed; scripts/setup.sh installs it)');
  context.skip();
}
