import * as vscode from 'vscode';
import { PASSWORD_ATTEMPTS, type HostKeyAnswer, type HostKeyInfo, type InteractionCallbacks } from '../core';
import { HostKeyReview } from './hostKeyReview';

const SECRET_PREFIX = 'remoteInvoke.secret/';
const REMEMBER_ON = new vscode.ThemeIcon('lock');
const REMEMBER_OFF = new vscode.ThemeIcon('unlock');

/**
 * The engine's questions, asked in the VS Code UI: passwords, key passphrases,
 * keyboard-interactive prompts and unknown host keys. A new instance is made per run so that a
 * secret remembered in SecretStorage is tried once per run and, when it is asked for again in the
 * same run (it was rejected), forgotten and asked of the user. The engine's SharedCredentials
 * already makes hosts that share a credential wait on one prompt.
 */
export class InteractivePrompts implements InteractionCallbacks {
  private readonly askedUsers = new Set<string>();
  /** host (or `tried:<key>`) → the SecretStorage key whose value it was given. */
  private readonly served = new Map<string, string>();
  private readonly servedPassphrases = new Set<string>();
  /** Unknown host keys of this run, reviewed together: one review per run. */
  private readonly hostKeys = new HostKeyReview();

  constructor(private readonly secrets: SecretVault) {}

  async askPassword(host: string, user: string, prompt: string, attempt = 0): Promise<string | undefined> {
    const shared = `password/${user}`;
    const perHost = `password/${user}@${host}`;
    const detail = prompt?.trim() && !/^password:?$/i.test(prompt.trim()) ? prompt.trim() : undefined;
    if (!this.askedUsers.has(user)) {
      // The engine asks once per user and run and gives the answer to every host logging in as
      // that user; a host's own remembered password wins over the shared one.
      this.askedUsers.add(user);
      for (const key of [perHost, shared]) {
        const stored = await this.secrets.get(key);
        if (stored !== undefined) {
          this.served.set(host, key);
          return stored;
        }
      }
      return this.promptSecret(shared, {
        title: `Password for ${user}@${host}`,
        prompt: detail ?? `Used for every host of this run that logs in as ${user}`,
      });
    }
    // Asked again in this run: the answer given for the user did not work on this host.
    const failed = this.served.get(host);
    if (failed === perHost) await this.secrets.delete(perHost);
    if (failed !== perHost && !this.served.has(`tried:${perHost}`)) {
      this.served.set(`tried:${perHost}`, perHost);
      const own = await this.secrets.get(perHost);
      if (own !== undefined) {
        this.served.set(host, perHost);
        return own;
      }
    }
    // A remembered shared password this host refused has most likely changed: a new one kept
    // replaces it; otherwise what is kept is this host's own.
    // The engine asks once per user and attempt: every host that refused the password gets the new one.
    return this.promptSecret(failed === perHost ? perHost : shared, {
      title: `Password for ${user}@${host}`,
      prompt: `Permission denied, try again (attempt ${attempt + 1} of ${PASSWORD_ATTEMPTS})`,
    });
  }

  /**
   * The sudo password, once per run for every host that needs it (the engine shares the answer);
   * it may be kept in SecretStorage, and a kept one sudo refused is forgotten and asked again.
   */
  async askBecomePassword(host: string, loginUser: string, asUser: string): Promise<string | undefined> {
    return this.secret(`sudo/${loginUser}`, {
      title: `sudo password for ${loginUser} (to run as ${asUser})`,
      prompt: `The sudo password of ${loginUser}, for every host of this run that asks for it (first: ${host}). It reaches sudo on its stdin only.`,
    });
  }

  async askPassphrase(keyPath: string): Promise<string | undefined> {
    return this.secret(`passphrase/${keyPath}`, { title: `Passphrase for ${keyPath}`, prompt: 'The private key is encrypted' });
  }

  async askKeyboardInteractive(
    host: string,
    user: string,
    prompts: { prompt: string; echo: boolean }[],
  ): Promise<string[] | undefined> {
    const answers: string[] = [];
    for (const p of prompts) {
      // A lone password prompt is a password: it may be remembered like one.
      if (prompts.length === 1 && !p.echo && /password/i.test(p.prompt)) {
        const pw = await this.askPassword(host, user, p.prompt);
        return pw === undefined ? undefined : [pw];
      }
      const answer = await vscode.window.showInputBox({
        title: `${user}@${host}`,
        prompt: p.prompt.trim(),
        password: !p.echo,
        ignoreFocusOut: true,
      });
      if (answer === undefined) return undefined;
      answers.push(answer);
    }
    return answers;
  }

  confirmHostKey(info: HostKeyInfo): Promise<HostKeyAnswer> {
    return this.hostKeys.ask(info);
  }

  /** A stored secret the first time this run asks for it; otherwise ask the user, offering to store the answer. */
  private async secret(key: string, text: { title: string; prompt: string }): Promise<string | undefined> {
    if (!this.servedPassphrases.has(key)) {
      this.servedPassphrases.add(key);
      const stored = await this.secrets.get(key);
      if (stored !== undefined) return stored;
    } else {
      // Asked again in the same run: the remembered value did not work.
      await this.secrets.delete(key);
    }
    return this.promptSecret(key, text);
  }

  /** Asks the user; stores the answer under `key` when they chose to keep it. */
  private async promptSecret(key: string, text: { title: string; prompt: string }): Promise<string | undefined> {
    const answer = await askSecret(text.title, text.prompt);
    if (!answer) return undefined;
    if (answer.remember) await this.secrets.store(key, answer.value);
    return answer.value;
  }
}

/**
 * For work nobody asked for just now (refreshing the Jobs view, polling a job's output, a
 * session's remote status): kept secrets are used, but nothing is ever asked, so a timer never
 * pops up a prompt. An unknown host key is refused.
 */
export class StoredSecretsOnly implements InteractionCallbacks {
  constructor(private readonly secrets: SecretVault) {}

  async askPassword(host: string, user: string): Promise<string | undefined> {
    return (await this.secrets.get(`password/${user}@${host}`)) ?? (await this.secrets.get(`password/${user}`));
  }

  async askPassphrase(keyPath: string): Promise<string | undefined> {
    return this.secrets.get(`passphrase/${keyPath}`);
  }

  async askKeyboardInteractive(host: string, user: string, prompts: { prompt: string; echo: boolean }[]): Promise<string[] | undefined> {
    if (prompts.length !== 1 || prompts[0].echo || !/password/i.test(prompts[0].prompt)) return undefined;
    const pw = await this.askPassword(host, user);
    return pw === undefined ? undefined : [pw];
  }

  async confirmHostKey(): Promise<'reject'> {
    return 'reject';
  }
}

/** A password box with a toggle button: keep the answer in VS Code's SecretStorage (never in settings or files). */
function askSecret(title: string, prompt: string): Promise<{ value: string; remember: boolean } | undefined> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    let remember = false;
    const rememberButton = (): vscode.QuickInputButton => ({
      iconPath: remember ? REMEMBER_ON : REMEMBER_OFF,
      tooltip: remember ? 'Will be kept in VS Code\'s secret storage (click to not keep it)' : 'Keep in VS Code\'s secret storage',
    });
    box.title = title;
    box.prompt = prompt;
    box.password = true;
    box.ignoreFocusOut = true;
    box.buttons = [rememberButton()];
    let done = false;
    const finish = (v: { value: string; remember: boolean } | undefined) => {
      if (done) return;
      done = true;
      resolve(v);
      box.dispose();
    };
    box.onDidTriggerButton(() => {
      remember = !remember;
      box.buttons = [rememberButton()];
      box.prompt = remember ? `${prompt} — will be remembered` : prompt;
    });
    box.onDidAccept(() => finish({ value: box.value, remember }));
    box.onDidHide(() => finish(undefined));
    box.show();
  });
}

/**
 * Passwords and passphrases the user chose to keep, in VS Code's SecretStorage. The list of keys
 * (not the secrets) is kept in globalState so that they can all be forgotten at once.
 */
export class SecretVault {
  private static readonly indexKey = 'remoteInvoke.secretKeys';

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
  ) {}

  private get index(): string[] {
    return this.state.get<string[]>(SecretVault.indexKey, []);
  }

  get(key: string): Thenable<string | undefined> {
    return this.secrets.get(SECRET_PREFIX + key);
  }

  async store(key: string, value: string): Promise<void> {
    await this.secrets.store(SECRET_PREFIX + key, value);
    if (!this.index.includes(key)) await this.state.update(SecretVault.indexKey, [...this.index, key]);
  }

  async delete(key: string): Promise<void> {
    await this.secrets.delete(SECRET_PREFIX + key);
    await this.state.update(SecretVault.indexKey, this.index.filter((k) => k !== key));
  }

  /** Forgets every kept secret; returns how many there were. */
  async forgetAll(): Promise<number> {
    const keys = this.index;
    for (const k of keys) await this.secrets.delete(SECRET_PREFIX + k);
    await this.state.update(SecretVault.indexKey, []);
    return keys.length;
  }
}
