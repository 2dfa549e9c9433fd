import { execFile } from 'node:child_process';
import type { HostKeyInfo, InteractionCallbacks } from '../core';

// Terminal prompts for the CLI, following OpenSSH: SSH_ASKPASS when there is no terminal (or
// SSH_ASKPASS_REQUIRE=force), else the controlling terminal with echo off. One prompt at a time,
// however many hosts are connecting.

let chain: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(task: () => Promise<T>): Promise<T> {
  const next = chain.then(task, task);
  chain = next.catch(() => undefined);
  return next;
}

function useAskpass(): boolean {
  const askpass = process.env.SSH_ASKPASS;
  if (!askpass) return false;
  const require = process.env.SSH_ASKPASS_REQUIRE;
  if (require === 'never') return false;
  return require === 'force' || !process.stdin.isTTY;
}

function askpass(prompt: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(process.env.SSH_ASKPASS as string, [prompt], { timeout: 5 * 60_000 }, (err, stdout) =>
      resolve(err ? undefined : stdout.replace(/\r?\n$/, '')),
    );
  });
}

function readTty(prompt: string, echo: boolean): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    process.stderr.write(prompt);
    let answer = '';
    stdin.setRawMode(true);
    stdin.resume();
    const done = (value: string | undefined) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      resolve(value);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(answer);
        if (ch === '\u0003' || ch === '\u0004') return done(undefined);
        if (ch === '\u007f') answer = answer.slice(0, -1);
        else {
          answer += ch;
          if (echo) process.stderr.write(ch);
        }
      }
    };
    stdin.on('data', onData);
  });
}

function ask(prompt: string, echo = false): Promise<string | undefined> {
  return oneAtATime(() => (useAskpass() ? askpass(prompt) : readTty(prompt, echo)));
}

export const terminalCallbacks: InteractionCallbacks = {
  askPassword: (_host, user, prompt) => ask(`${prompt} `.replace(/^Password/, `(${user}) Password`)),
  // Named as sudo's password, and whose: the login user's own, to run as another user.
  askBecomePassword: (_host, loginUser, asUser, attempt) =>
    ask(`${attempt ? 'Sorry, try again.\n' : ''}[sudo] password for ${loginUser} (sudo password, to run as ${asUser}): `),
  askPassphrase: (keyPath) => ask(`Enter passphrase for key '${keyPath}': `),
  askKeyboardInteractive: async (_host, _user, prompts) => {
    const answers: string[] = [];
    for (const p of prompts) {
      const a = await ask(p.prompt, p.echo);
      if (a === undefined) return undefined;
      answers.push(a);
    }
    return answers;
  },
  confirmHostKey: async (info: HostKeyInfo) => {
    const answer = await ask(
      `The authenticity of host '${info.knownHostsName}' can't be established.\n` +
        `${info.keyType} key fingerprint is ${info.fingerprint}.\n` +
        `Are you sure you want to continue connecting (yes/no)? `,
      true,
    );
    return answer?.trim().toLowerCase() === 'yes' ? 'remember' : 'reject';
  },
};

/** Whether anything can be asked at all (else policy `ask` behaves like `yes`). */
export function canPrompt(): boolean {
  return useAskpass() || !!process.stdin.isTTY;
}
