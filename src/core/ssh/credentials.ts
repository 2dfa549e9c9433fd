import type { HostKeyAnswer, HostKeyInfo, InteractionCallbacks } from '../types';

/**
 * Wraps the caller's callbacks so that hosts sharing a credential are asked once per run:
 * concurrent hosts waiting on the same key share one prompt, and the answer is reused.
 * A host whose attempt with the shared answer fails asks again under its own key.
 */
export class SharedCredentials implements InteractionCallbacks {
  private readonly answers = new Map<string, Promise<string | undefined>>();
  private readonly hostKeyAnswers = new Map<string, Promise<HostKeyAnswer>>();

  constructor(private readonly inner: InteractionCallbacks = {}) {}

  private memo(key: string, ask: () => Promise<string | undefined>): Promise<string | undefined> {
    let answer = this.answers.get(key);
    if (!answer) {
      answer = ask().catch(() => undefined);
      this.answers.set(key, answer);
    }
    return answer;
  }

  askPassword(host: string, user: string, prompt: string, attempt = 0): Promise<string | undefined> {
    const ask = this.inner.askPassword;
    if (!ask) return Promise.resolve(undefined);
    // Hosts that shared a rejected password fail it at about the same time: one new prompt per
    // attempt serves them all (a host that accepted it never asks again).
    const key = `password\0${user}\0${attempt}`;
    return this.memo(key, () => ask.call(this.inner, host, user, prompt, attempt));
  }

  askPassphrase(keyPath: string, attempt = 0): Promise<string | undefined> {
    const ask = this.inner.askPassphrase;
    if (!ask) return Promise.resolve(undefined);
    return this.memo(`passphrase\0${keyPath}\0${attempt}`, () => ask.call(this.inner, keyPath));
  }

  /**
   * The sudo password of `loginUser`, to run as `asUser`: one prompt per run for every host
   * (and one more after a wrong answer), not one per host.
   */
  askBecomePassword(host: string, loginUser: string, asUser: string, attempt = 0): Promise<string | undefined> {
    const ask = this.inner.askBecomePassword;
    if (!ask) return Promise.resolve(undefined);
    return this.memo(`become\0${loginUser}\0${asUser}\0${attempt}`, () => ask.call(this.inner, host, loginUser, asUser, attempt));
  }

  askKeyboardInteractive(host: string, user: string, prompts: { prompt: string; echo: boolean }[]) {
    return this.inner.askKeyboardInteractive?.(host, user, prompts) ?? Promise.resolve(undefined);
  }

  confirmHostKey(info: HostKeyInfo): Promise<HostKeyAnswer> {
    const ask = this.inner.confirmHostKey;
    if (!ask) return Promise.resolve('reject');
    const key = `${info.knownHostsName}\0${info.fingerprint}`;
    let answer = this.hostKeyAnswers.get(key);
    if (!answer) {
      answer = ask.call(this.inner, info).catch(() => 'reject' as const);
      this.hostKeyAnswers.set(key, answer);
    }
    return answer;
  }

  get canAskHostKey(): boolean {
    return !!this.inner.confirmHostKey;
  }

  get canAskKeyboardInteractive(): boolean {
    return !!this.inner.askKeyboardInteractive;
  }
}
