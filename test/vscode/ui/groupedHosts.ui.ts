// UI flow through the real workbench: the Hosts view with groups from an Ansible inventory and an
// ssh_config Tag. Real clicks: select two host rows (Ctrl+click) and tick one row's checkbox → both
// are checked; tick a group's checkbox → its hosts; a run on more hosts than confirmAbove asks
// first and its default button (Enter) does not run; the progress names the groups; a host that
// was unreachable is decorated and Select Failed checks it.
// Saves media/screenshots/hosts-groups.png (README) under npm run screenshots.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTestBed } from '../../support/sshd';
import type { UiFlow } from '../run';
import { REPO } from '../workbench';
import { explorerContextMenu, extensionReady, plain, runCommand, sidebarView, useTheme } from './steps';

const UPDATE = !!process.env.UPDATE_SCREENSHOTS;

const flow: UiFlow = {
  name: 'Hosts view: groups, multi-select and group checks, confirmation, Select Failed',
  async run(ctx) {
    const bed = await startTestBed({ count: 3, namePrefix: 'web' });
    try {
      fs.writeFileSync(bed.sshConfigPath, fs.readFileSync(bed.sshConfigPath, 'utf8').replace(/^Host web2$/m, 'Host web2\n  Tag canary'));
      fs.writeFileSync(
        path.join(ctx.workspace, 'fleet.ini'),
        '# the fleet\n[frontend]\nweb1\nweb2\n\n[backend]\nweb3\n\n[prod:children]\nfrontend\nbackend\n',
      );
      const shots = UPDATE ? path.join(REPO, 'media/screenshots') : path.join(ctx.runDir, 'screenshots');
      fs.mkdirSync(shots, { recursive: true });
      const { page } = await ctx.start({
        settings: {
          'remoteInvoke.sshConfigFile': bed.sshConfigPath,
          'remoteInvoke.inventoryFiles': ['fleet.ini'],
          'remoteInvoke.confirmAbove': 2,
          'remoteInvoke.promptForArguments': false,
        },
      });
      await extensionReady(page);
      await useTheme(page, 'Dark Modern');
      await page.locator('.activitybar a.action-label[aria-label^="Remote Invoke"]').click({ force: true });
      const view = sidebarView(page, 'Hosts');
      // Rows by their screen-reader label: "Group frontend, 2 hosts" / "web1, user@…, last result …".
      const rows = (label: RegExp) => view.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: label }) });
      const groupRow = (name: string) => view.locator(`.monaco-list-row[aria-label^="Group ${name},"]`);
      const hostRows = (name: string) => view.locator(`.monaco-list-row[aria-label^="${name},"]`);
      const box = (row: any) => row.locator('.custom-view-tree-node-item-checkbox');
      const isChecked = async (row: any) => (await box(row).getAttribute('aria-checked')) === 'true';
      const checkedHosts = async () => {
        const out: string[] = [];
        for (const h of ['web1', 'web2', 'web3']) if (await isChecked(hostRows(h).first())) out.push(h);
        return out;
      };
      await groupRow('prod').waitFor({ timeout: 30_000 });
      await hostRows('web3').first().waitFor();
      // web2 is under frontend and under its Tag group canary.
      assert.strictEqual(await hostRows('web2').count(), 2);
      assert.ok(await rows(/^canary$/).count());

      // Multi-select: click web1, Ctrl+click web3, tick web3's box → both checked (everywhere they appear).
      await hostRows('web1').first().locator('.label-name').click();
      await hostRows('web3').first().locator('.label-name').click({ modifiers: ['Control'] });
      if (process.env.UI_STEPS) await page.screenshot({ path: path.join(ctx.runDir, 'step-multiselect.png') });
      await box(hostRows('web3').first()).click();
      await hostRows('web1').first().locator('.custom-view-tree-node-item-checkbox[aria-checked="true"]').waitFor({ timeout: 10_000 });
      await page.waitForTimeout(300);
      assert.deepStrictEqual(await checkedHosts(), ['web1', 'web3']);
      // frontend is partly checked: its box is not ticked and its description says so.
      assert.strictEqual(await isChecked(groupRow('frontend')), false);
      assert.match(plain(await groupRow('frontend').locator('.label-description').innerText()), /1 of 2 hosts checked/);

      // Tick the partly checked group: all of it; prod is now fully checked.
      await box(groupRow('frontend')).click();
      await groupRow('prod').locator('.custom-view-tree-node-item-checkbox[aria-checked="true"]').waitFor({ timeout: 10_000 });
      assert.deepStrictEqual(await checkedHosts(), ['web1', 'web2', 'web3']);
      assert.ok(await isChecked(hostRows('web2').nth(1)), 'web2 under canary too');

      // Three checked hosts, more than confirmAbove (2): the run asks, and Enter does not run.
      bed.stopHost('web3');
      await page.keyboard.press('Control+Shift+E');
      await explorerContextMenu(page, 'hello.sh', 'Run File on Hosts…');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.locator('.dialog-message-text', { hasText: 'Run hello.sh on 3 hosts?' }).waitFor({ timeout: 30_000 });
      assert.match(plain(await dialog.locator('.dialog-message-detail').innerText()), /3 hosts: prod \(3\)/);
      const buttons = (await dialog.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((t: string) => t.trim());
      assert.ok(buttons.includes('Run on 3 Hosts') && buttons.includes('Review Hosts…'), buttons.join(', '));
      await page.keyboard.press('Enter');
      // The default button reviewed the hosts instead of running: a pick with all three.
      const pick = page.locator('.quick-input-widget');
      await pick.locator('.quick-input-title', { hasText: 'Run hello.sh on…' }).waitFor({ timeout: 10_000 });
      assert.strictEqual(await pick.locator('.quick-input-list .monaco-list-row').count(), 3);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
      assert.strictEqual(await page.locator('.notification-toast', { hasText: 'Running hello.sh' }).count(), 0, 'nothing ran');

      // Now run: the progress names the group.
      await page.keyboard.press('Control+Shift+E');
      await explorerContextMenu(page, 'hello.sh', 'Run File on Hosts…');
      await dialog.locator('.dialog-buttons .monaco-button', { hasText: 'Run on 3 Hosts' }).click();
      await page.locator('.notification-toast', { hasText: 'Running hello.sh on 3 hosts: prod (3)' }).waitFor({ timeout: 20_000 });
      // web3 is down: its row shows Unreachable, decorated; the others Completed.
      await page.locator('.activitybar a.action-label[aria-label^="Remote Invoke"]').click({ force: true });
      await hostRows('web3').first().locator('.label-description', { hasText: 'Unreachable' }).waitFor({ timeout: 30_000 });
      await hostRows('web1').first().locator('.label-description', { hasText: 'Completed' }).waitFor({ timeout: 30_000 });
      const web3Label = hostRows('web3').first().locator('.monaco-icon-label');
      // The decoration comes from its own provider, a moment after the description.
      const decorated = async () => /decoration/.test((await web3Label.getAttribute('class')) ?? '');
      for (const until = Date.now() + 10_000; !(await decorated()) && Date.now() < until; ) await page.waitForTimeout(100);
      assert.ok(await decorated(), 'web3 carries a decoration');

      await runCommand(page, 'Remote Invoke: Select Failed Hosts');
      await hostRows('web1').first().locator('.custom-view-tree-node-item-checkbox[aria-checked="false"]').waitFor({ timeout: 10_000 });
      assert.deepStrictEqual(await checkedHosts(), ['web3']);
      await page.keyboard.press('Escape');
      await page.mouse.move(800, 700); // no hover tooltip in the picture
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(shots, 'hosts-groups.png') });
      ctx.log(`screenshot: ${path.relative(REPO, path.join(shots, 'hosts-groups.png'))}`);
    } finally {
      await bed.stop();
    }
  },
};
export default flow;
