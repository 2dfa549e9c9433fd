// UI flow: the Sessions and Jobs views (and Run File on Hosts' key, Ctrl+Alt+R). On a first open both are collapsed (empty); each opens by
// itself when it first gets content: Sessions at once (the Remote Invoke side bar is on screen
// when the run opens the sessions), Jobs when the side bar is shown again after jobs were started
// from the Explorer. A run opens durable sessions on two hosts; one is
// disconnected from its inline action (its shell keeps running). Two scripts start as background
// jobs from the Explorer; one completes, the other is still running when its output is received
// into a document that keeps filling (the suite covers the ends of jobs; this flow stops there). Saves media/screenshots/sessions-and-jobs.png (README).
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTestBed } from '../../support/sshd';
import type { UiFlow } from '../run';
import { REPO } from '../workbench';
import { explorerContextMenu, extensionReady, inlineAction, pickAllHosts, plain, resultsFrame, runCommand, sidebarView, useTheme } from './steps';

const UPDATE = !!process.env.UPDATE_SCREENSHOTS;

/** Waits until a side bar view's pane is expanded (or collapsed), as its header says. */
async function paneExpanded(pane: any, expanded: boolean, what: string): Promise<void> {
  const header = pane.locator('.pane-header');
  for (const started = Date.now(); ; ) {
    if ((await header.getAttribute('aria-expanded')) === String(expanded)) return;
    if (Date.now() - started > 15_000) throw new Error(`${what}: the pane is not ${expanded ? 'expanded' : 'collapsed'}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const flow: UiFlow = {
  name: 'Sessions and Jobs views: disconnect a session, run files as jobs, receive a running job',
  async run(ctx) {
    const bed = await startTestBed({ count: 2, namePrefix: 'web' });
    try {
      const { page } = await ctx.start({
        settings: { 'remoteInvoke.sshConfigFile': bed.sshConfigPath, 'remoteInvoke.promptForArguments': false },
      });
      const shots = UPDATE ? path.join(REPO, 'media/screenshots') : path.join(ctx.runDir, 'screenshots');
      fs.mkdirSync(shots, { recursive: true });
      await extensionReady(page);
      await useTheme(page, 'Dark Modern');

      // The script open in an editor (from the Explorer).
      const activity = (name: string) => page.locator(`.activitybar a.action-label[aria-label^="${name}"]`);
      const scriptRow = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'set-state.sh' });
      await scriptRow.waitFor({ timeout: 30_000 });
      await scriptRow.click();
      await page.locator('.tabs-container .tab', { hasText: 'set-state.sh' }).waitFor();
      // First open: the Remote Invoke side bar with Sessions and Jobs collapsed, as they are empty.
      await activity('Remote Invoke').click();
      const sessions = sidebarView(page, 'Sessions');
      const jobs = sidebarView(page, 'Jobs');
      await paneExpanded(sessions, false, 'Sessions on a first open');
      await paneExpanded(jobs, false, 'Jobs on a first open');

      // A run (Ctrl+Alt+R in the editor, the side bar still on screen) opens a durable session on each host.
      await page.locator('.part.editor .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+Alt+R');
      await pickAllHosts(page, 'web2');
      const results = resultsFrame(page);
      for (const h of ['web1', 'web2']) {
        await results.locator('.row', { hasText: h }).locator('.status', { hasText: 'Completed' }).waitFor({ timeout: 30_000 });
      }
      // Sessions opened by itself; Jobs, still empty, stays collapsed.
      await paneExpanded(sessions, true, 'Sessions once it has sessions');
      await paneExpanded(jobs, false, 'Jobs while it is empty');
      await activity('Explorer').click();

      // Two background jobs: a quick one and one that takes a few seconds.
      await explorerContextMenu(page, 'check-host.sh', 'Run File as Job on Hosts…');
      await pickAllHosts(page, 'web2');
      await page.locator('.notifications-toasts', { hasText: 'Job1 started on 2 hosts' }).waitFor({ timeout: 30_000 });
      await explorerContextMenu(page, 'backup.sh', 'Run File as Job on Hosts…');
      await pickAllHosts(page, 'web2');
      await page.locator('.notifications-toasts', { hasText: 'Job2 started on 2 hosts' }).waitFor({ timeout: 30_000 });

      // Back to the Remote Invoke side bar: Jobs, filled while the Explorer was shown, opens now.
      await activity('Remote Invoke').click();
      await paneExpanded(jobs, true, 'Jobs once the side bar is shown again');
      await paneExpanded(sessions, true, 'Sessions');
      const hostsHeader = sidebarView(page, 'Hosts').locator('.pane-header');
      if ((await hostsHeader.getAttribute('aria-expanded')) === 'true') await hostsHeader.click();
      const sessionRow = (host: string) => sessions.locator('.monaco-list-row', { hasText: host });
      await sessionRow('web1').locator('.label-description', { hasText: /^Opened · idle/ }).waitFor({ timeout: 15_000 });
      await inlineAction(sessionRow('web2'), 'Disconnect Session', sessionRow('web2').locator('.label-description', { hasText: /^Disconnected/ }));

      const jobRow = (name: string) => jobs.locator('.monaco-list-row', { hasText: name });
      await jobRow('Job1').locator('.label-description', { hasText: /^Completed · check-host\.sh/ }).waitFor({ timeout: 20_000 });
      await jobRow('Job2').locator('.label-description', { hasText: /^Running · backup\.sh/ }).waitFor({ timeout: 20_000 });
      await inlineAction(jobRow('Job2'), 'Receive Job Output', page.locator('.tabs-container .tab', { hasText: 'Job2' }));

      // The job's output document fills while it runs.
      const editor = page.locator('.part.editor .editor-instance .view-lines');
      await editor.filter({ hasText: 'archived /srv/www' }).first().waitFor({ timeout: 30_000 });
      assert.match(plain(await editor.first().innerText()), /── web1 · Running · since .*──\s+backup of \/srv on .* started/);
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'View: Hide Panel');
      await page.mouse.move(1000, 450); // no hover on the trees
      await page.waitForTimeout(500);
      await jobRow('Job2').locator('.label-description', { hasText: /^Running/ }).waitFor({ timeout: 1000 });
      await page.screenshot({ path: path.join(shots, 'sessions-and-jobs.png') });
      ctx.log(`screenshot: ${path.relative(REPO, path.join(shots, 'sessions-and-jobs.png'))}`);
    } finally {
      await bed.stop();
    }
  },
};
export default flow;
