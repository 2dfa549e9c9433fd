// UI flow: the configured ssh_config opens under the extension's ssh_config language; the language
// server marks a mistyped keyword (with "did you mean"), a bad Port and a setting shadowed by
// `Host *`; Ctrl+. offers the fix and Enter applies it. Saves
// media/screenshots/ssh-config-quick-fix.png (README) with the Problems panel and the fix list open.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { UiFlow } from '../run';
import { REPO } from '../workbench';
import { extensionReady, plain, useTheme } from './steps';

const UPDATE = !!process.env.UPDATE_SCREENSHOTS;

const CONFIG = `# the web fleet
Host *
  User deploy
  ServerAliveInterval 30

Host web1
  HostNme 10.0.0.11
  Port 2201
  Tag web prod

Host web2
  HostName 10.0.0.12
  Port abc
  User admin
  Tag web
`;

const flow: UiFlow = {
  name: 'ssh_config: diagnostics from the language server, quick fix applied from Ctrl+.',
  async run(ctx) {
    const config = path.join(ctx.workspace, 'ssh_config');
    fs.writeFileSync(config, CONFIG);
    const shots = UPDATE ? path.join(REPO, 'media/screenshots') : path.join(ctx.runDir, 'screenshots');
    fs.mkdirSync(shots, { recursive: true });
    const { page } = await ctx.start({ settings: { 'remoteInvoke.sshConfigFile': config } });
    await extensionReady(page);
    await useTheme(page, 'Dark Modern');

    // Open it as a user does: from the Explorer.
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'ssh_config' });
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    // The status bar names the language once the client has set it.
    await page.locator('.statusbar-item', { hasText: 'SSH Config (Remote Invoke)' }).waitFor({ timeout: 30_000 });
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60_000 });

    // The Problems panel lists what the server found.
    await page.keyboard.press('Control+Shift+M');
    const problems = page.locator('.markers-panel');
    await problems.locator('.monaco-list-row', { hasText: "Did you mean 'HostName'?" }).waitFor({ timeout: 30_000 });
    await problems.locator('.monaco-list-row', { hasText: "Port must be a port number from 1 to 65535, not 'abc'" }).waitFor();
    await problems.locator('.monaco-list-row', { hasText: 'User here has no effect' }).waitFor();

    // Cursor on the typo, then Ctrl+. : the fix is offered.
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+G');
    await page.keyboard.type('7:4');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
    await page.keyboard.press('Control+.');
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: "Change to 'HostName'" });
    await fix.waitFor({ timeout: 30_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shots, 'ssh-config-quick-fix.png') });
    ctx.log(`screenshot: ${path.relative(REPO, path.join(shots, 'ssh-config-quick-fix.png'))}`);

    await page.keyboard.press('Enter');
    const editor = page.locator('.monaco-editor .view-lines').first();
    await editor.locator('.view-line', { hasText: 'HostName 10.0.0.11' }).waitFor({ timeout: 10_000 });
    assert.ok(!plain(await editor.innerText()).includes('HostNme'));
    await problems.locator('.monaco-list-row', { hasText: "Did you mean 'HostName'?" }).waitFor({ state: 'detached', timeout: 30_000 });
  },
};
export default flow;
