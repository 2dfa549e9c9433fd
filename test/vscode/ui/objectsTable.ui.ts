// UI flow: the Objects tab of the results view (issue 9). The seed's Get-UICulture example as a
// .ps1, run on three hosts from the Explorer: the results view gets a Hosts | Objects tab pair,
// and the Objects tab is one grid of all hosts' objects with PSComputerName, as Invoke-Command
// shows them; a click on a column header sorts it, the filter box narrows it. Saves
// media/screenshots/objects-table.png (README) under npm run screenshots. Skipped without pwsh.
import * as assert from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTestBed } from '../../support/sshd';
import type { UiFlow } from '../run';
import { REPO } from '../workbench';
import { explorerContextMenu, extensionReady, pickAllHosts, plain, resultsFrame, runCommand, useTheme } from './steps';

const UPDATE = !!process.env.UPDATE_SCREENSHOTS;

// The seed's Example: Invoke-Command -ComputerName S1, S2 -ScriptBlock { Get-UICulture }, with
// the columns PowerShell's own table shows for a CultureInfo (the whole object has twenty
// properties, nested ones among them). The test hosts have no locale: pwsh reports the invariant
// culture there.
const SCRIPT = `# Invoke-Command -ComputerName S1, S2 -ScriptBlock { Get-UICulture }, as a script
Get-UICulture | Select-Object LCID, Name, DisplayName
`;

const flow: UiFlow = {
  name: 'Objects tab: Get-UICulture on three hosts, one grid with PSComputerName, sorted and filtered',
  async run(ctx) {
    if (spawnSync('pwsh', ['-NoLogo', '-NoProfile', '-NonInteractive', '-c', 'exit 0'], { stdio: 'ignore', timeout: 60_000 }).status !== 0) {
      ctx.log('skipped: pwsh is not installed (scripts/setup.sh installs it)');
      return;
    }
    const bed = await startTestBed({ count: 3, namePrefix: 'web' });
    try {
      fs.writeFileSync(path.join(ctx.workspace, 'ui-culture.ps1'), SCRIPT);
      const { page } = await ctx.start({ settings: { 'remoteInvoke.sshConfigFile': bed.sshConfigPath, 'remoteInvoke.promptForArguments': false } });
      const shots = UPDATE ? path.join(REPO, 'media/screenshots') : path.join(ctx.runDir, 'screenshots');
      fs.mkdirSync(shots, { recursive: true });
      await extensionReady(page);
      await useTheme(page, 'Dark Modern');
      await explorerContextMenu(page, 'ui-culture.ps1', 'Run File on Hosts…');
      await pickAllHosts(page, 'web3');

      const results = resultsFrame(page);
      for (const h of ['web1', 'web2', 'web3']) {
        await results.locator('.row', { hasText: h }).locator('.status', { hasText: 'Completed' }).waitFor({ timeout: 60_000 });
      }
      const objectsTab = results.locator('#tab-objects');
      await objectsTab.waitFor();
      assert.match(plain(await objectsTab.innerText()), /^Objects\s*3$/);
      await objectsTab.click();
      const grid = results.locator('#objects');
      await grid.locator('#ospacer .orow').nth(2).waitFor();
      const header = (await grid.locator('#ohead .oth').allInnerTexts()).map((t: string) => plain(t).trim());
      assert.deepStrictEqual(header, ['PSComputerName', 'LCID', 'Name', 'DisplayName']);
      // One row per host, as Invoke-Command tags them.
      const rows = async () =>
        Promise.all(
          (await grid.locator('#ospacer .orow').all()).map(async (r: any) => (await r.locator('.ocell').allInnerTexts()).map((t: string) => plain(t))),
        );
      const drawn = await rows();
      // The same culture on every host (the invariant one on hosts without a locale).
      assert.match(drawn[0][1], /^\d+$/, 'LCID');
      assert.ok(drawn[0][3], 'DisplayName');
      for (const r of drawn) assert.deepStrictEqual(r.slice(1), drawn[0].slice(1));
      assert.deepStrictEqual(drawn.map((r: string[]) => r[0]).sort(), ['web1', 'web2', 'web3']);

      // Sort by PSComputerName (descending on the second click), then filter.
      const computerHeader = grid.locator('#ohead .oth', { hasText: 'PSComputerName' });
      await computerHeader.click();
      await computerHeader.click();
      await grid.locator('#ohead .oth', { hasText: 'PSComputerName ▼' }).waitFor();
      // Rows are placed absolutely: read them in their on-screen order.
      const placed: [number, string][] = await grid
        .locator('#ospacer .orow')
        .evaluateAll((els: any[]) => els.map((e) => [parseFloat(e.style.top), e.children[0].textContent ?? '']));
      assert.deepStrictEqual(placed.sort((a, b) => a[0] - b[0]).map((p) => p[1]), ['web3', 'web2', 'web1']);

      await grid.locator('#objects-filter').fill('web2');
      await grid.locator('#objects-shown', { hasText: '1 of 3 objects' }).waitFor();
      await grid.locator('#objects-filter').fill('');
      await grid.locator('#objects-shown', { hasText: /^3 objects$/ }).waitFor();

      await runCommand(page, 'View: Hide Panel');
      await runCommand(page, 'Notifications: Clear All Notifications');
      await page.mouse.move(1000, 700);
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(shots, 'objects-table.png') });
      ctx.log(`screenshot: ${path.relative(REPO, path.join(shots, 'objects-table.png'))}`);
    } finally {
      await bed.stop();
    }
  },
};
export default flow;
