import * as vscode from 'vscode';
import type { HostKeyAnswer, HostKeyInfo } from '../core';

/** A reviewed key's answer. */
export type ReviewAnswer = 'once' | 'remember' | 'reject';

/** Keys asked for within this quiet time of each other are reviewed together. */
const GATHER_QUIET_MS = 1000;
/** …but the first one waits at most this long for company (a thousand new hosts' key exchanges on two cores take seconds). */
const GATHER_MAX_MS = 10000;

export const ACCEPT_ALL = 'Accept All and Remember';
export const ONE_BY_ONE = 'Review One by One';
export const SKIP = 'Skip This Host';
export const ACCEPT_ONCE = 'Accept Once';
export const ACCEPT_REMEMBER = 'Accept and Remember';

/** "web1 — ED25519 SHA256:…" and, on the next line, where the key was offered. */
export function describeKey(info: HostKeyInfo): string {
  return `${info.host} — ${info.keyType} ${info.fingerprint}\n    at ${info.knownHostsName}`;
}

/**
 * Reviews a run's unknown host keys together: its hosts whose keys are unknown ask within a moment
 * of each other, and get one dialog listing every host by its alias with its fingerprint (the
 * address in the detail). "Accept All and Remember" records them all; "Review One by One" asks
 * per host; Cancel refuses them all. No default button accepts: the first button (the one Enter
 * presses) never does. A run has one review (a new instance is made per run): a key asked for
 * once the review has been shown is not covered by it and is refused, with an error that says so
 * and how to accept it. A changed key never reaches here (the engine refuses it).
 */
export class HostKeyReview {
  private batch: { info: HostKeyInfo; resolve: (a: HostKeyAnswer) => void }[] = [];
  private quiet: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  /** The review has been shown: later keys are not in it. */
  private shown = false;

  ask(info: HostKeyInfo): Promise<HostKeyAnswer> {
    if (this.shown) return Promise.resolve({ refused: notInReview(info) });
    return new Promise((resolve) => {
      this.batch.push({ info, resolve });
      clearTimeout(this.quiet);
      this.quiet = setTimeout(() => this.close(), GATHER_QUIET_MS);
      this.deadline ??= setTimeout(() => this.close(), GATHER_MAX_MS);
    });
  }

  private close(): void {
    clearTimeout(this.quiet);
    clearTimeout(this.deadline);
    this.quiet = this.deadline = undefined;
    const batch = this.batch;
    this.batch = [];
    if (!batch.length) return;
    this.shown = true;
    void reviewHostKeys(batch.map((b) => b.info)).then(
      (answers) => batch.forEach((b, i) => b.resolve(answers[i] ?? 'reject')),
      () => batch.forEach((b) => b.resolve('reject')),
    );
  }
}

/** Why a key that asked after the run's review was refused, and how to accept it. */
export function notInReview(info: HostKeyInfo): string {
  return (
    `${info.host} was not in this run's host-key review (its key was asked for after the review was shown). ` +
    `To review and accept it, use Test Connection on ${info.host}, or run again.`
  );
}

/** One review for these keys; the answers in the same order. Also for Test Connection. */
export async function reviewHostKeys(keys: HostKeyInfo[]): Promise<ReviewAnswer[]> {
  if (keys.length === 1) return [await askOne(keys[0], false)];
  const choice = await vscode.window.showWarningMessage(
    `${keys.length} hosts have host keys that are not known yet.`,
    {
      modal: true,
      detail:
        keys.map(describeKey).join('\n') +
        '\n\nCheck each fingerprint against the one the host\'s administrator gives you before you accept. ' +
        `"${ACCEPT_ALL}" adds all of them to known_hosts; Cancel connects to none of them.`,
    },
    ONE_BY_ONE,
    ACCEPT_ALL,
  );
  if (choice === ACCEPT_ALL) return keys.map(() => 'remember');
  if (choice !== ONE_BY_ONE) return keys.map(() => 'reject');
  const answers: ReviewAnswer[] = [];
  for (const [i, key] of keys.entries()) {
    const answer = await askOne(key, true, `${i + 1} of ${keys.length}`);
    if (answer === undefined) return [...answers, ...keys.slice(i).map(() => 'reject' as const)];
    answers.push(answer);
  }
  return answers;
}

/** One host's key. undefined = Cancel during a one-by-one review (refuse the rest too). */
async function askOne(info: HostKeyInfo, inReview: true, position?: string): Promise<ReviewAnswer | undefined>;
async function askOne(info: HostKeyInfo, inReview: false): Promise<ReviewAnswer>;
async function askOne(info: HostKeyInfo, inReview: boolean, position?: string): Promise<ReviewAnswer | undefined> {
  const choice = await vscode.window.showWarningMessage(
    `The authenticity of host "${info.host}" can't be established.${position ? ` (${position})` : ''}`,
    {
      modal: true,
      detail:
        `${info.keyType} key fingerprint is ${info.fingerprint}.\nAddress: ${info.knownHostsName}\n\n` +
        "Check it against the fingerprint the host's administrator gives you before you accept. " +
        `"${ACCEPT_REMEMBER}" adds it to known_hosts.${inReview ? ' Cancel refuses this host and the ones after it.' : ''}`,
    },
    SKIP,
    ACCEPT_ONCE,
    ACCEPT_REMEMBER,
  );
  if (choice === ACCEPT_REMEMBER) return 'remember';
  if (choice === ACCEPT_ONCE) return 'once';
  if (choice === SKIP) return 'reject';
  return inReview ? undefined : 'reject';
}
