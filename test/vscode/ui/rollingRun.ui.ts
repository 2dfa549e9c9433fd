// UI flow: right-click a script → Rolling Run on Hosts… → batches of 2, failure budget 1 → all 8
// hosts → the run stops once two hosts have failed; the last batch is Skipped and the results view
// says why. Saves media/screenshots/rolling-run-stopped.png (shown by the README).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTestBed } from '../../support/sshd';
import type { UiFlow } from '../run';
import { REPO, type Page } from '../workbench';
import { explorerContextMenu, extensionReady, giveArguments, pickAllHosts, resultsFrame, useTheme } from './steps';

const UPDATE = !!process.env.UPDATE_SCREENSHOTS;

/** Replaces the prefilled value of the input box titled `title` and accepts it. */
async function answerInput(page: Page, title: string, value: string): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: 30_000 });
  await page.keyboard.press('Control+A');
  await page.keyboard.type(value);
  await page.keyboard.press('Enter');
}

const flow: UiFlow = {
  name: 'Explorer → Rolling Run on Hosts… → stopped on its failure budget',
  async run(ctx) {
    const bed = await startTestBed({ count: 8, namePrefix: 'web' });
    try {
      const { page } = await ctx.start({ settings: { 'remoteInvoke.sshConfigFile': bed.sshConfigPath } });
      await extensionReady(page);
      await useTheme(page, 'Dark Modern');
      const SCREENSHOTS = UPDATE ? path.join(REPO, 'media/screenshots') : path.join(ctx.runDir, 'screenshots');
      fs.mkdirSync(SCREENSHOTS, { recursive: true });

      await explorerContextMenu(page, 'rolling-deploy.sh', 'Rolling Run on Hosts…');
      await answerInput(page, 'Rolling run (1/2): batch sizes', '2');
      await answerInput(page, 'Rolling run (2/2): failure budget', '1');
      await pickAllHosts(page, 'web8');
      await giveArguments(page, 'rolling-deploy.sh', '');

      const results = resultsFrame(page);
      await results.locator('.row', { hasText: 'web8' }).locator('.status', { hasText: 'Skipped' }).waitFor({ timeout: 60_000 });
      await results.locator('#summary', { hasText: 'stopped: 3 hosts failed' }).waitFor({ timeout: 15_000 });
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
      const shot = path.join(SCREENSHOTS, 'rolling-run-stopped.png');
      await page.screenshot({ path: shot });
      ctx.log(`screenshot: ${path.relative(REPO, shot)}`);
    } finally {
      await bed.stop();
    }
  },
};
export default flow;
