// UI flow: a durable session survives a window reload. set-state.sh sets a variable and a working
// directory in both hosts' sessions; the page is reloaded (a new extension host); the results view
// still shows that run; the Hosts view shows the sessions as disconnected; show-state.sh then
// finds the variable and the directory. The results view's sort, status filter and "Group
// identical output" toggle, set before the reload, are still set after it.
import * as assert from 'node:assert';
import { startTestBed } from '../../support/sshd';
import type { UiFlow } from '../run';
import { explorerContextMenu, extensionReady, pickAllHosts, plain, resultsFrame, runCommandWhenListed, sidebarView } from './steps';

const flow: UiFlow = {
  name: 'durable sessions survive a window reload',
  async run(ctx) {
    const bed = await startTestBed({ count: 2, namePrefix: 'app' });
    try {
      const { page } = await ctx.start({
        settings: { 'remoteInvoke.sshConfigFile': bed.sshConfigPath, 'remoteInvoke.promptForArguments': false },
      });
      await extensionReady(page);
      await explorerContextMenu(page, 'set-state.sh', 'Run File on Hosts…');
      await pickAllHosts(page, 'app2');
      const results = resultsFrame(page);
      for (const h of ['app1', 'app2']) {
        await results.locator('.row', { hasText: h }).locator('.status', { hasText: 'Completed' }).waitFor({ timeout: 30_000 });
      }
      const before = plain(await results.locator('.row', { hasText: 'app1' }).locator('pre.first').innerText());
      const greeting = /set: (.*)/.exec(before)?.[1];
      assert.ok(greeting, before);
      // Sort by host, descending; only Completed hosts; group identical output.
      const hostHeader = results.locator('.head [data-sort="host"]');
      await hostHeader.click();
      await hostHeader.click();
      await results.locator('.head [data-sort="host"][aria-sort="descending"]').waitFor();
      await results.locator('.chip[data-state="Completed"]').click();
      await results.locator('.chip.on[data-state="Completed"]').waitFor();
      await results.locator('#group').check();
      // The view state goes to workspaceState, which the web workbench writes to its storage
      // shortly after (a reload in the same instant can lose the very last change).
      await page.waitForTimeout(1500);

      await page.reload();
      await extensionReady(page);
      // The finished run is still in the results view (kept in workspaceState): in the tab the
      // workbench restores, or, when it has not kept the tab, in the one Show Results opens.
      const kept = resultsFrame(page).locator('.row', { hasText: 'app1' });
      const restored = await kept.waitFor({ timeout: 20_000 }).then(() => true, () => false);
      if (!restored) await runCommandWhenListed(page, 'Remote Invoke: Show Results');
      await kept.locator('.status', { hasText: 'Completed' }).waitFor({ timeout: 15_000 });
      assert.strictEqual(plain(await kept.locator('pre.first').innerText()), before, 'the results view after the reload');
      const after = resultsFrame(page);
      await after.locator('.head [data-sort="host"][aria-sort="descending"]').waitFor({ timeout: 10_000 });
      await after.locator('.chip.on[data-state="Completed"]').waitFor();
      assert.ok(await after.locator('#group').isChecked(), 'Group identical output is still on');
      // The new window knows the sessions from workspaceState and shows them as disconnected.
      await page.locator('.activitybar a.action-label[aria-label^="Remote Invoke"]').click();
      const hostRow = (name: string) => sidebarView(page, 'Hosts').locator('.monaco-list-row', { hasText: name });
      await hostRow('app1').locator('.label-description', { hasText: 'disconnected' }).waitFor({ timeout: 15_000 });
      await page.locator('.activitybar a.action-label[aria-label^="Explorer"]').click();

      await explorerContextMenu(page, 'show-state.sh', 'Run File on Hosts…');
      await pickAllHosts(page, 'app2');
      for (const h of ['app1', 'app2']) {
        // the row of this run, not of the one kept from before the reload
        const row = results.locator('.row', { hasText: h }).filter({ hasText: 'greeting:' });
        await row.locator('.status', { hasText: 'Completed' }).waitFor({ timeout: 30_000 });
        // Rows are one line; expanded, they show the first lines.
        await row.locator('.host').click();
        await row.locator('pre.first .line').nth(1).waitFor({ timeout: 15_000 });
        const text = plain(await row.locator('pre.first').innerText());
        assert.match(text, /greeting: set at .* in session \d+/, `${h}: ${text}`);
        assert.match(text, /cwd: \/tmp/, `${h}: ${text}`);
        if (h === 'app1') assert.ok(text.includes(`greeting: ${greeting}`), `${text} vs ${greeting}`);
      }
    } finally {
      await bed.stop();
    }
  },
};
export default flow;
