// UI flow: host keys. host1's key is unknown (StrictHostKeyChecking ask): the modal shows its
// SHA256 fingerprint, "Accept and Remember" records it in known_hosts and the run completes.
// host2's known_hosts entry holds another key: the host is refused, and the error shows both
// fingerprints with no button that would connect anyway.
import * as assert from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTestBed } from '../../support/sshd';
import type { UiFlow } from '../run';
import { REPO } from '../workbench';
import { explorerContextMenu, extensionReady, giveArguments, pickAllHosts, plain, resultsFrame, useTheme } from './steps';

const UPDATE = !!process.env.UPDATE_SCREENSHOTS;

function fingerprint(pub: string): string {
  const blob = Buffer.from(pub.split(/\s+/)[1], 'base64');
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

const flow: UiFlow = {
  name: 'host keys: unknown → fingerprint prompt, accept and remember; changed → refused',
  async run(ctx) {
    const bed = await startTestBed({ count: 2 });
    try {
      const [h1, h2] = bed.hosts;
      fs.writeFileSync(bed.sshConfigPath, fs.readFileSync(bed.sshConfigPath, 'utf8').replace(/StrictHostKeyChecking yes/g, 'StrictHostKeyChecking ask'));
      // host1 unknown; host2 recorded with host1's key, so host2's real key is a changed key.
      fs.writeFileSync(bed.knownHostsPath, `[${h2.address}]:${h2.port} ${h1.hostKeyPub}\n`);

      const shots = UPDATE ? path.join(REPO, 'media/screenshots') : path.join(ctx.runDir, 'screenshots');
      fs.mkdirSync(shots, { recursive: true });
      const { page } = await ctx.start({ settings: { 'remoteInvoke.sshConfigFile': bed.sshConfigPath } });
      await extensionReady(page);
      await useTheme(page, 'Dark Modern');
      await explorerContextMenu(page, 'hello.sh', 'Run File on Hosts…');
      await pickAllHosts(page, 'host2');
      await giveArguments(page, 'hello.sh', '');

      // Unknown key: the fingerprint, and the three choices.
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.locator('.dialog-message-text', { hasText: "can't be established" }).waitFor({ timeout: 30_000 });
      const detail = plain(await dialog.locator('.dialog-message-detail').innerText());
      assert.ok(detail.includes(fingerprint(h1.hostKeyPub)), `fingerprint ${fingerprint(h1.hostKeyPub)} in: ${detail}`);
      const buttons = (await dialog.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((t: string) => t.trim());
      assert.deepStrictEqual([...buttons].sort(), ['Accept Once', 'Accept and Remember', 'Cancel'].sort());
      await page.screenshot({ path: path.join(shots, 'host-key-unknown.png') });
      await dialog.locator('.dialog-buttons .monaco-button', { hasText: 'Accept and Remember' }).click();

      // Changed key: refused, both fingerprints, nothing to click through.
      await dialog.locator('.dialog-message-text', { hasText: 'has CHANGED' }).waitFor({ timeout: 30_000 });
      const changed = plain(await dialog.locator('.dialog-message-detail').innerText());
      assert.ok(changed.includes(fingerprint(h1.hostKeyPub)), 'the known key');
      assert.ok(changed.includes(fingerprint(h2.hostKeyPub)), 'the offered key');
      const changedButtons = (await dialog.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((t: string) => t.trim());
      assert.ok(!changedButtons.some((b: string) => /accept|connect|continue|trust/i.test(b)), `no click-through: ${changedButtons}`);
      await page.screenshot({ path: path.join(shots, 'host-key-changed.png') });
      await page.keyboard.press('Escape');

      // host1 ran and its key is now remembered; host2 did not run.
      const results = resultsFrame(page);
      await results.locator('.row', { hasText: 'host1' }).locator('.status', { hasText: 'Completed' }).waitFor({ timeout: 15_000 });
      await results.locator('.row', { hasText: 'host2' }).locator('.status', { hasText: 'HostKeyRejected' }).waitFor();
      const knownHosts = fs.readFileSync(bed.knownHostsPath, 'utf8');
      assert.ok(knownHosts.includes(h1.hostKeyPub.split(/\s+/)[1]) && knownHosts.split('\n').filter(Boolean).length === 2, knownHosts);
    } finally {
      await bed.stop();
    }
  },
};
export default flow;
