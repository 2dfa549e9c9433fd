// UI flow through the real workbench: right-click a script in the Explorer → Run File on Hosts…
// → pick the hosts → give arguments → the output panel and the results view show both hosts.
// Saves media/screenshots/run-file-on-hosts.png (shown by the README).
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTestBed } from '../../support/sshd';
import type { UiFlow } from '../run';
import { REPO } from '../workbench';

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

      // Menus are snapshots: wait until the extension's contributions are registered (its activity bar entry shows).
      await page.locator('.activitybar a.action-label[aria-label^="Remote Invoke"]').waitFor({ timeout: 30_000 });
      // The Extension Development Host of the web workbench ignores a theme from settings: pick it as a user would.
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+T');
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Dark Modern' }).first().waitFor();
      await page.keyboard.type('Dark Modern');
      await page.keyboard.press('Enter');
      await page.locator('.monaco-workbench.vs-dark').waitFor();

      const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'check-host.sh' });
      await row.waitFor({ timeout: 30_000 });
      await step('explorer');
      await row.click({ button: 'right' });
      const item = page.locator('.monaco-menu .action-item', { hasText: 'Run File on Hosts…' });
      await item.waitFor();
      await step('context-menu');
      const SCREENSHOTS = UPDATE ? path.join(REPO, 'media/screenshots') : path.join(ctx.runDir, 'screenshots');
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'explorer-context-menu.png') });
      await item.click();

      // No host is checked in the Hosts view, so the targets are asked for.
      const quickInput = page.locator('.quick-input-widget');
      await quickInput.locator('.quick-input-list .monaco-list-row', { hasText: 'web2' }).waitFor({ timeout: 30_000 });
      await step('pick-hosts');
      if (process.env.UI_DUMP) fs.writeFileSync(path.join(ctx.runDir, 'quick-input.html'), await quickInput.evaluate((e: { outerHTML: string }) => e.outerHTML));
      await quickInput.getByRole('checkbox', { name: 'Toggle all checkboxes' }).click();
      await page.keyboard.press('Enter');

      // Arguments, remembered for this file.
      await quickInput.locator('.quick-input-title', { hasText: 'Arguments for check-host.sh' }).waitFor();
      await page.keyboard.type(`--env staging "two words"`);
      await step('arguments');
      await page.keyboard.press('Enter');

      // The output panel of the first host shows its run, headed and ended.
      const panel = page.locator('.part.panel');
      await panel.locator('.view-lines', { hasText: '■ Completed' }).waitFor({ timeout: 30_000 });
      const outputText = (await panel.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');
      assert.match(outputText, /▶ .*check-host\.sh --env staging 'two words'/);
      assert.match(outputText, /\[two words\]/);

      // The results view lists both hosts as completed.
      const results = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await results.locator('tr.row', { hasText: 'web2' }).locator('.status', { hasText: 'Completed' }).waitFor({ timeout: 15_000 });
      await results.locator('tr.row', { hasText: 'web1' }).locator('.status', { hasText: 'Completed' }).waitFor();
      await page.keyboard.press('Escape'); // close leftover notifications' focus
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'run-file-on-hosts.png') });
      ctx.log(`screenshot: ${path.relative(REPO, path.join(SCREENSHOTS, 'run-file-on-hosts.png'))}`);

      // The Hosts view: both sessions are open now, and stay open for the next run.
      await page.locator('.activitybar a.action-label[aria-label^="Remote Invoke"]').click();
      const hostRow = (name: string) => page.locator('.part.sidebar .monaco-list-row', { hasText: name });
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
