// UI flow through the real workbench: right-click a script in the Explorer → Run File on Hosts…
// → pick the hosts → give arguments → the output panel and the results view show both hosts.
// Saves media/screenshots/run-file-on-hosts.png (shown by the README).
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTestBed } from '../../support/sshd';
import type { UiFlow } from '../run';
import { REPO } from '../workbench';
import { explorerContextMenu, extensionReady, giveArguments, pickAllHosts, plain, resultsFrame, useTheme, sidebarView } from './steps';

// The README's screenshots are refreshed only on request (npm run screenshots), so that a test run
// does not rewrite tracked files; otherwise they go to the run directory.
const UPDATE = !!process.env.UPDATE_SCREENSHOTS;

const flow: UiFlow = {
  name: 'Explorer → Run File on Hosts… → output and results visible',
  async run(ctx) {
    const bed = await startTestBed({ count: 2, namePrefix: 'web' });
    try {
      const { page } = await ctx.start({
        settings: { 'remoteInvoke.sshConfigFile': bed.sshConfigPath },
      });
      const step = async (name: string) => {
        if (process.env.UI_STEPS) await page.screenshot({ path: path.join(ctx.runDir, `step-${name}.png`) });
        ctx.log(`step: ${name}`);
      };

      await extensionReady(page);
      await useTheme(page, 'Dark Modern');
      const SCREENSHOTS = UPDATE ? path.join(REPO, 'media/screenshots') : path.join(ctx.runDir, 'screenshots');
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      await step('explorer');
      await explorerContextMenu(page, 'check-host.sh', 'Run File on Hosts…', async () => {
        await step('context-menu');
        await page.screenshot({ path: path.join(SCREENSHOTS, 'explorer-context-menu.png') });
      });
      // No host is checked in the Hosts view, so the targets are asked for.
      await pickAllHosts(page, 'web2');
      await step('pick-hosts');
      // Arguments, remembered for this file.
      await giveArguments(page, 'check-host.sh', `--env staging "two words"`);
      await step('arguments');

      // The output panel of the first host shows its run, headed and ended.
      const panel = page.locator('.part.panel');
      await panel.locator('.view-lines', { hasText: '■ Completed' }).waitFor({ timeout: 30_000 });
      const outputText = plain(await panel.locator('.view-lines').innerText());
      assert.match(outputText, /▶ .*check-host\.sh --env staging 'two words'/);
      assert.match(outputText, /\[two words\]/);

      // The results view lists both hosts as completed.
      const results = resultsFrame(page);
      await results.locator('.row', { hasText: 'web2' }).locator('.status', { hasText: 'Completed' }).waitFor({ timeout: 15_000 });
      await results.locator('.row', { hasText: 'web1' }).locator('.status', { hasText: 'Completed' }).waitFor();
      await page.keyboard.press('Escape'); // close leftover notifications' focus
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'run-file-on-hosts.png') });
      ctx.log(`screenshot: ${path.relative(REPO, path.join(SCREENSHOTS, 'run-file-on-hosts.png'))}`);

      // The Hosts view: both sessions are open now, and stay open for the next run.
      await page.locator('.activitybar a.action-label[aria-label^="Remote Invoke"]').click();
      const hostRow = (name: string) => sidebarView(page, 'Hosts').locator('.monaco-list-row', { hasText: name });
      await hostRow('web1').locator('.label-description', { hasText: 'connected' }).waitFor({ timeout: 10_000 });
      await hostRow('web2').locator('.label-description', { hasText: 'connected' }).waitFor();
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'hosts-view.png') });
      ctx.log(`screenshot: ${path.relative(REPO, path.join(SCREENSHOTS, 'hosts-view.png'))}`);
    } finally {
      await bed.stop();
    }
  },
};
export default flow;
