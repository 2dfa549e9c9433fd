// UI flow: password authentication. Two hosts share one account: the password is asked once for
// the run, not once per host; a wrong one is asked again once, for both hosts ("Permission denied,
// try again (attempt 2 of 3)"). Kept in SecretStorage (the lock button of the prompt), it is not
// asked again after the sessions are reset.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensurePasswordUser, removePasswordUser, startTestBed } from '../../support/sshd';
import type { UiFlow } from '../run';
import { explorerContextMenu, extensionReady, pickAllHosts, resultsFrame } from './steps';

// Named per process, so that concurrent test runs do not share (and remove) one account.
const USER = `ri_vsc_${process.pid}`;
const PASSWORD = 'open sesame 42';

const flow: UiFlow = {
  name: 'password asked once for two hosts, a wrong one retried for both, remembered in SecretStorage',
  async run(ctx) {
    if (process.getuid?.() !== 0) {
      ctx.log('skipped: a throw-away account needs root');
      return;
    }
    ensurePasswordUser(USER, PASSWORD);
    const bed = await startTestBed({ count: 2, namePrefix: 'pw', passwordAuth: true });
    try {
      const config = bed.hosts
        .map((h) => [
          `Host ${h.name}`,
          `  HostName ${h.address}`,
          `  Port ${h.port}`,
          `  User ${USER}`,
          `  IdentityFile ${path.join(bed.dir, 'no-such-key')}`,
          '  IdentitiesOnly yes',
          `  UserKnownHostsFile ${bed.knownHostsPath}`,
          '  StrictHostKeyChecking yes',
          '',
        ].join('\n'))
        .join('\n');
      fs.writeFileSync(bed.sshConfigPath, config);
      const { page } = await ctx.start({ settings: { 'remoteInvoke.sshConfigFile': bed.sshConfigPath, 'remoteInvoke.promptForArguments': false } });
      await extensionReady(page);

      const runHello = async () => {
        await explorerContextMenu(page, 'hello.sh', 'Run File on Hosts…');
        await pickAllHosts(page, 'pw2');
      };
      await runHello();
      const quickInput = page.locator('.quick-input-widget');
      await quickInput.locator('.quick-input-title', { hasText: `Password for ${USER}@` }).waitFor({ timeout: 30_000 });
      // A wrong password first: both hosts refuse it, and one new prompt says so.
      await page.keyboard.type('not the password');
      await page.keyboard.press('Enter');
      await quickInput.locator('.quick-input-message', { hasText: 'Permission denied, try again (attempt 2 of 3)' }).waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(ctx.runDir, 'password-retry.png') });
      await quickInput.getByRole('button', { name: /Keep in VS Code's secret storage/ }).click();
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press('Enter');
      // One answer serves both hosts: a second prompt would leave a host waiting and fail this.
      const results = resultsFrame(page);
      for (const h of ['pw1', 'pw2']) {
        await results.locator('.row', { hasText: h }).locator('.status', { hasText: 'Completed' }).waitFor({ timeout: 30_000 });
      }
      const firstRunRows = await results.locator('.row').count();
      if (firstRunRows !== 2) throw new Error(`expected 2 rows, got ${firstRunRows}`);

      // New sessions, no prompt: the password comes from SecretStorage.
      await page.keyboard.press('F1');
      await quickInput.locator('input').fill('>Remote Invoke: Reset Session');
      await quickInput.locator('.quick-input-list .monaco-list-row', { hasText: 'Reset Session' }).first().waitFor();
      await page.keyboard.press('Enter');
      await quickInput.locator('.quick-input-title', { hasText: 'Reset sessions' }).waitFor();
      await page.keyboard.press('Enter');
      await page.waitForTimeout(300);
      await runHello();
      await results.locator('select#run option', { hasText: '#2 hello.sh' }).waitFor({ state: 'attached', timeout: 15_000 });
      for (const h of ['pw1', 'pw2']) {
        await results.locator('.row', { hasText: h }).locator('.status', { hasText: 'Completed' }).waitFor({ timeout: 30_000 });
      }
    } finally {
      await bed.stop();
      removePasswordUser(USER);
    }
  },
};
export default flow;
