// UI flow: host keys. Six hosts' keys are unknown (StrictHostKeyChecking ask): one review lists
// them all by alias with their SHA256 fingerprints (addresses in the detail), its default button
// does not accept, and "Accept All and Remember" records all six in known_hosts. host2's
// known_hosts entry holds another key: the host is refused, and the error shows both fingerprints
// with no button that would connect anyway. app6 reaches its host 6 s late (a ProxyCommand that
// sleeps first): its key is asked for after the review was shown, so the review does not cover it
// and it is refused, with an error that says so and how to accept it.
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
  name: 'host keys: six unknown → one review (alias + fingerprint, no accepting default), accept all; changed → refused',
  async run(ctx) {
    const bed = await startTestBed({ count: 2 });
    try {
      const [h1, h2] = bed.hosts;
      // host1 and five more aliases have unknown keys (each alias is its own known_hosts name);
      // host2's known_hosts entry holds another key: a changed key.
      const aliases = ['app1', 'app2', 'app3', 'app4', 'app5'];
      const base = fs.readFileSync(bed.sshConfigPath, 'utf8').replace(/StrictHostKeyChecking yes/g, 'StrictHostKeyChecking ask');
      const extra = aliases
        .map((a, i) => {
          const h = bed.hosts[i % 2];
          return `Host ${a}\n  HostName ${h.address}\n  Port ${h.port}\n  User ${bed.user}\n  IdentityFile ${bed.clientKeyPath}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${bed.knownHostsPath}\n  StrictHostKeyChecking ask\n  HostKeyAlias ${a}.keys\n`;
        })
        .join('\n');
      // app6: the same host, reached through a ProxyCommand that waits 6 s first.
      const proxy = path.join(ctx.runDir, 'late-proxy.sh');
      fs.writeFileSync(proxy, `#!/bin/bash\nsleep 6\nexec 3<>/dev/tcp/${h1.address}/${h1.port}\ncat <&3 &\nexec cat >&3\n`, { mode: 0o755 });
      const late = `Host app6\n  HostName ${h1.address}\n  Port ${h1.port}\n  User ${bed.user}\n  IdentityFile ${bed.clientKeyPath}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${bed.knownHostsPath}\n  StrictHostKeyChecking ask\n  HostKeyAlias app6.keys\n  ProxyCommand ${proxy}\n`;
      fs.writeFileSync(bed.sshConfigPath, base + '\n' + extra + '\n' + late);
      fs.writeFileSync(bed.knownHostsPath, `[${h2.address}]:${h2.port} ${h1.hostKeyPub}\n`);
      const keyOf = (name: string) => (name === 'host1' ? h1 : bed.hosts[aliases.indexOf(name) % 2]).hostKeyPub;

      const shots = UPDATE ? path.join(REPO, 'media/screenshots') : path.join(ctx.runDir, 'screenshots');
      fs.mkdirSync(shots, { recursive: true });
      const { page } = await ctx.start({ settings: { 'remoteInvoke.sshConfigFile': bed.sshConfigPath } });
      await extensionReady(page);
      await useTheme(page, 'Dark Modern');
      await explorerContextMenu(page, 'hello.sh', 'Run File on Hosts…');
      await pickAllHosts(page, 'host1');
      await giveArguments(page, 'hello.sh', '');

      // One review for the six unknown keys: each host by its alias, with its fingerprint; the address in the detail.
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.locator('.dialog-message-text', { hasText: '6 hosts have host keys that are not known yet' }).waitFor({ timeout: 60_000 });
      const detail = plain(await dialog.locator('.dialog-message-detail').innerText());
      for (const name of ['host1', ...aliases]) {
        assert.match(detail, new RegExp(`^${name} — \\S+ ${fingerprint(keyOf(name)).replace(/[+/]/g, '\\$&')}$`, 'm'), `${name} and its fingerprint in: ${detail}`);
      }
      assert.ok(detail.includes(`at [${h1.address}]:${h1.port}`), `host1's address in the detail: ${detail}`);
      assert.ok(detail.includes('at app3.keys'), detail);
      assert.ok(!detail.includes('host2'), 'a changed key is not offered for review');
      assert.ok(!detail.includes('app6'), 'app6 asks only later');
      const buttons = (await dialog.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((t: string) => t.trim());
      assert.deepStrictEqual([...buttons].sort(), ['Accept All and Remember', 'Cancel', 'Review One by One'].sort());
      // The default button (the one Enter presses: focused when the dialog opens) never accepts.
      const focused = plain(await page.evaluate<string>('document.activeElement ? document.activeElement.innerText || document.activeElement.textContent || "" : ""'));
      assert.ok(!/accept/i.test(focused), `focused button: ${focused}`);
      await page.screenshot({ path: path.join(shots, 'host-key-review.png') });
      await dialog.locator('.dialog-buttons .monaco-button', { hasText: 'Accept All and Remember' }).click();

      // Changed key: refused, both fingerprints, nothing to click through.
      await dialog.locator('.dialog-message-text', { hasText: 'has CHANGED' }).waitFor({ timeout: 60_000 });
      const changed = plain(await dialog.locator('.dialog-message-detail').innerText());
      assert.ok(changed.includes(fingerprint(h1.hostKeyPub)), 'the known key');
      assert.ok(changed.includes(fingerprint(h2.hostKeyPub)), 'the offered key');
      const changedButtons = (await dialog.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((t: string) => t.trim());
      assert.ok(!changedButtons.some((b: string) => /accept|connect|continue|trust/i.test(b)), `no click-through: ${changedButtons}`);
      await page.screenshot({ path: path.join(shots, 'host-key-changed.png') });
      await page.keyboard.press('Escape');

      // The six ran and their keys are remembered; host2 did not run.
      const results = resultsFrame(page);
      for (const name of ['host1', ...aliases]) {
        await results.locator('.row', { hasText: name }).locator('.status', { hasText: 'Completed' }).waitFor({ timeout: 30_000 });
      }
      await results.locator('.row', { hasText: 'host2' }).locator('.status', { hasText: 'HostKeyRejected' }).waitFor();
      // app6 asked after the review: refused, saying it was not in the review and how to accept it.
      const app6 = results.locator('.row', { hasText: 'app6' });
      await app6.locator('.status', { hasText: 'HostKeyRejected' }).waitFor({ timeout: 30_000 });
      const why = plain(await app6.locator('.output').innerText());
      assert.match(why, /host key for app6\.keys \(\S+ SHA256:\S+\) was not accepted: app6 was not in this run's host-key review/, why);
      assert.match(why, /Test Connection on app6, or run again/, why);
      const knownHosts = fs.readFileSync(bed.knownHostsPath, 'utf8').split('\n').filter(Boolean);
      assert.strictEqual(knownHosts.length, 7, knownHosts.join('\n'));
      for (const a of aliases) assert.ok(knownHosts.some((l) => l.startsWith(`${a}.keys `)), `${a} remembered`);
      assert.ok(!knownHosts.some((l) => l.startsWith('app6.keys ')), 'app6 not remembered');
    } finally {
      await bed.stop();
    }
  },
};
export default flow;
