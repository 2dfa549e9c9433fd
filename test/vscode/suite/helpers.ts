// Shared by the in-extension-host tests: the extension's API, one test bed of real sshd hosts for
// the whole suite, and polling helpers (the UI updates asynchronously).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RemoteInvokeApi } from '../../../src/extension/extension';
import { closedPort, startTestBed, type TestBed } from '../../support/sshd';

export const EXTENSION_ID = 'remote-invoke.remote-invoke';

let bedPromise: Promise<TestBed> | undefined;
let downPort = 0;

/** Two real sshd hosts (host1, host2) plus `down`, an ssh_config entry whose port refuses connections. */
export function testBed(): Promise<TestBed> {
  bedPromise ??= (async () => {
    const bed = await startTestBed({ count: 2 });
    downPort = await closedPort();
    fs.appendFileSync(bed.sshConfigPath, `\nHost down\n  HostName 127.0.0.1\n  Port ${downPort}\n  ConnectTimeout 5\n`);
    await vscode.workspace.getConfiguration('remoteInvoke').update('sshConfigFile', bed.sshConfigPath, vscode.ConfigurationTarget.Global);
    return bed;
  })();
  return bedPromise;
}

export async function stopTestBed(): Promise<void> {
  if (bedPromise) await (await bedPromise).stop();
  bedPromise = undefined;
}

export async function api(): Promise<RemoteInvokeApi> {
  const ext = vscode.extensions.getExtension<RemoteInvokeApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** Polls until `probe` returns a truthy value; fails with the last value after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<Exclude<T, undefined | null | false | '' | 0>> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as Exclude<T, undefined | null | false | '' | 0>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need a workspace folder');
  return vscode.Uri.file(path.join(folder.uri.fsPath, name));
}

/** A process that is gone or a zombie (killed, not yet reaped: in a container nobody may reap it). */
export function processGone(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** The repository the extension under test was loaded from (bin/remote-invoke.js is there). */
export function extensionPath(): string {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.extensionPath;
}
