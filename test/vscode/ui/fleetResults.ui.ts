// UI flow: the results view at 42 hosts — 37 complete, 3 fail (stderr), 2 are unreachable. The
// failures come first, the filter bar counts them ("Failed 3 · Unreachable 2 · Completed 37"),
// one click on "Show only failures" leaves the five, a click on a row expands it (its stderr line
// drawn apart), and the filter survives a window reload. The screenshot is the README's.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closedPort, startTestBed } from '../../support/sshd';
import type { UiFlow } from '../run';
import { REPO } from '../workbench';
import { explorerContextMenu, extensionReady, giveArguments, pickAllHosts, plain, resultsFrame, runCommandWhenListed, useTheme } from './steps';

const UPDATE = !!process.env.UPDATE_SCREENSHOTS;

const flow: UiFlow = {
  name: 'results at 42 hosts: failures first, counts, one click for only the failures, kept across a reload',
  async run(ctx) {
    const bed = await startTestBed({ count: 2 });
    try {
      const [ok, failing] = bed.hosts;
      const down = await closedPort();
      const names = Array.from({ length: 42 }, (_, i) => `web${String(i + 1).padStart(2, '0')}`);
      const target = (i: number) => (i < 37 ? ok : i < 40 ? failing : { address: '127.0.0.1', port: down });
      fs.writeFileSync(
        bed.sshConfigPath,
        names
          .map((n, i) => `Host ${n}\n  HostName ${target(i).address}\n  Port ${target(i).port}\n  User ${bed.user}\n  IdentityFile ${bed.clientKeyPath}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${bed.knownHostsPath}\n  StrictHostKeyChecking yes\n  ConnectTimeout 5\n`)
          .join('\n'),
      );
      fs.writeFileSync(
        path.join(ctx.workspace, 'fleet-check.sh'),
        `#!/bin/sh\n# disk and load of every host\nset -- $SSH_CONNECTION\nif [ "$3" = "${failing.address}" ]; then\n  echo "/var 97% used"\n  echo "fleet-check: /var is almost full" >&2\n  (exit 3)\nelse\n  echo "/var 41% used, load $(cut -d' ' -f1 /proc/loadavg)"\nfi\n`,
      );
      const shots = UPDATE ? path.join(REPO, 'media/screenshots') : path.join(ctx.runDir, 'screenshots');
      fs.mkdirSync(shots, { recursive: true });
      const { page } = await ctx.start({ settings: { 'remoteInvoke.sshConfigFile': bed.sshConfigPath } });
      await extensionReady(page);
      await useTheme(page, 'Dark Modern');
      await explorerContextMenu(page, 'fleet-check.sh', 'Run File on Hosts…');
      await pickAllHosts(page, 'web01');
      // 42 hosts are more than remoteInvoke.confirmAbove (20): the run asks first.
      const confirm = page.locator('.monaco-dialog-box');
      await confirm.locator('.dialog-buttons .monaco-button', { hasText: 'Run on 42 Hosts' }).click({ timeout: 30_000 });
      await giveArguments(page, 'fleet-check.sh', '');

      const results = resultsFrame(page);
      await results.locator('#summary', { hasText: '42/42 done' }).waitFor({ timeout: 90_000 });
      const chips = plain(await results.locator('#filters').innerText()).replace(/\s+/g, ' ');
      assert.match(chips, /Failed 3 · Unreachable 2 · Completed 37/, chips);
      // No host wrote objects: no Hosts | Objects tabs.
      assert.ok(await results.locator('#tabs').isHidden(), 'the Objects tab shows only for a run with objects');
      // Failed and unreachable first.
      const firstHosts = (await results.locator('.row .host').allInnerTexts()).slice(0, 5).map((t: string) => t.trim());
      assert.deepStrictEqual(firstHosts, ['web38', 'web39', 'web40', 'web41', 'web42']);

      // One click: only the failures.
      await results.locator('#only-failures').click();
      await results.locator('.chip.on', { hasText: 'Failed 3' }).waitFor();
      assert.strictEqual(await results.locator('.row').count(), 5);
      // A click on a row expands it: the stderr line is drawn apart from stdout.
      await results.locator('.row', { hasText: 'web38' }).locator('.host').click();
      const stderr = results.locator('.row', { hasText: 'web38' }).locator('.line.stderr');
      await stderr.waitFor();
      assert.strictEqual(plain(await stderr.innerText()), 'fleet-check: /var is almost full');
      // A row drawn again between finding a line and reading it leaves a detached element, whose
      // computed colour is empty: read again until the line is in the page.
      const colorOf = async (line: typeof stderr) => {
        for (let i = 0; i < 20; i++) {
          const color = await line.evaluate((e: unknown) => (globalThis as any).getComputedStyle(e).color as string);
          if (color) return color;
          await page.waitForTimeout(100);
        }
        return '';
      };
      const [outColor, errColor] = [
        await colorOf(results.locator('.row', { hasText: 'web38' }).locator('.line:not(.stderr)').first()),
        await colorOf(stderr),
      ];
      assert.ok(outColor && errColor, `${outColor} / ${errColor}`);
      assert.notStrictEqual(outColor, errColor, 'stderr is coloured apart from stdout');
      await page.keyboard.press('Escape');
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(shots, 'results-fleet-filter.png') });

      // The filter is kept across a window reload.
      await page.reload();
      await extensionReady(page);
      const restored = await resultsFrame(page).locator('.row').first().waitFor({ timeout: 20_000 }).then(() => true, () => false);
      if (!restored) await runCommandWhenListed(page, 'Remote Invoke: Show Results');
      await resultsFrame(page).locator('.chip.on', { hasText: 'Failed 3' }).waitFor({ timeout: 15_000 });
      assert.strictEqual(await resultsFrame(page).locator('.row').count(), 5);
    } finally {
      await bed.stop();
    }
  },
};
export default flow;
