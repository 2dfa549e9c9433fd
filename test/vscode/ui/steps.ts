// Workbench steps shared by the UI flows, written the way a user does them.
import type { Page } from '../workbench';

/** Waits until the extension's contributions are registered: menus are snapshots taken when they open. */
export async function extensionReady(page: Page): Promise<void> {
  await page.locator('.activitybar a.action-label[aria-label^="Remote Invoke"]').waitFor({ timeout: 90_000 });
}

/** The web Extension Development Host ignores a theme from settings: pick it as a user would. */
export async function useTheme(page: Page, theme: string): Promise<void> {
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+T');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: theme }).first().waitFor();
  await page.keyboard.type(theme);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** Right-click a file in the Explorer and choose an entry of its context menu. */
export async function explorerContextMenu(page: Page, file: string, entry: string, beforeClick?: () => Promise<void>): Promise<void> {
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: file });
  await row.waitFor({ timeout: 30_000 });
  await row.click({ button: 'right' });
  const item = page.locator('.monaco-menu .action-item', { hasText: entry });
  await item.waitFor();
  // The menu ignores a click that lands while it is still being laid out.
  await page.waitForTimeout(300);
  await beforeClick?.();
  await item.click();
}

/** In the hosts quick pick: check every host and accept. */
export async function pickAllHosts(page: Page, expectHost: string): Promise<void> {
  const quickInput = page.locator('.quick-input-widget');
  await quickInput.locator('.quick-input-list .monaco-list-row', { hasText: expectHost }).waitFor({ timeout: 30_000 });
  await quickInput.getByRole('checkbox', { name: 'Toggle all checkboxes' }).click();
  await page.keyboard.press('Enter');
}

/** Answer the arguments prompt of Run File on Hosts…. */
export async function giveArguments(page: Page, file: string, args: string): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: `Arguments for ${file}` }).waitFor({ timeout: 30_000 });
  if (args) await page.keyboard.type(args);
  await page.keyboard.press('Enter');
}

/** The results webview's document (webviews nest two iframes). */
export function resultsFrame(page: Page): any {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** Monaco renders spaces as non-breaking ones. */
export function plain(text: string): string {
  return text.replace(/\u00a0/g, ' ');
}

/** A view of the side bar (Hosts, Sessions, Jobs…) by its title. */
export function sidebarView(page: Page, title: string): any {
  return page.locator('.part.sidebar .pane', { has: page.locator('.pane-header h3.title', { hasText: new RegExp(`^${title}$`, 'i') }) });
}

/**
 * Hovers a tree row (its inline actions show on hover) and clicks one of them by its title, until
 * `done` shows. A tree that refreshes while something runs (the Jobs view) can draw the row anew
 * between press and release: the click then lands on the row, not the action, and is made again.
 */
export async function inlineAction(row: any, action: string, done: any): Promise<void> {
  const button = row.locator(`.actions .action-label[aria-label="${action}"]`);
  for (let attempt = 1; ; attempt++) {
    await row.hover();
    await button.waitFor();
    await button.click();
    if (await done.waitFor({ timeout: 10_000 }).then(() => true, () => false)) return;
    await row.hover();
    // The action is gone from the row: it was taken, only slowly.
    if (attempt === 3 || (await button.count()) === 0) return done.waitFor({ timeout: 20_000 });
  }
}

/** Runs a command by its title from the Command Palette. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await runCommandWhenListed(page, title, 2, 15_000);
}

/** Like runCommand, for a command the palette may not list yet (a window still starting): tries again. */
export async function runCommandWhenListed(page: Page, title: string, attempts = 5, waitMs = 3000): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    // Filled, not typed: keys typed under load before the box has focus go to the tree behind it.
    await input.fill('>' + title);
    const listed = await page
      .locator('.quick-input-widget .monaco-list-row', { hasText: title })
      .first()
      .waitFor({ timeout: waitMs })
      .then(() => true, () => false);
    if (listed) {
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
      return;
    }
    await page.keyboard.press('Escape');
    if (attempt >= attempts) throw new Error(`the command palette does not list '${title}'`);
    await page.waitForTimeout(1000);
  }
}
