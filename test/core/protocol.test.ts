/**
 * The session protocol's text, spoken to real local shells (bash and /bin/sh) without SSH: how a
 * script reaches the shell (here-document on fd 9, the file fallback, interpreter files), and
 * the private directory that only exists when a run needs a file.
 */
import * as assert from 'assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { helloProgram, newToken, parseEndMarker, parseExitMarker, parseHello, runProgram, shellQuote, WRAPPER_OUTLIVES_STOP, type Hello, type RunProgram } from '../../src/core/session/protocol';
import { execFileSync } from 'child_process';
import { tmpDir } from './helpers/engine';

/** One local shell driven by the protocol, as the engine drives a remote one. */
class LocalSession {
  readonly token = newToken();
  private readonly shell: ChildProcessWithoutNullStreams;
  private out = '';
  private err = '';
  private runId = 0;
  private waiter: (() => void) | undefined;
  private readonly ended: Promise<void>;

  /**
   * `asSession`: as sshd starts a session shell, under a wrapper that stays its parent and over
   * real pipes (Node's are socket pairs, which the framing cannot reopen by /proc path), so that
   * a shell that ends can go on (a fork, or a restart).
   */
  constructor(argv: string[], env: NodeJS.ProcessEnv, asSession = false) {
    const wrapped = `cat | { /bin/sh -c '${WRAPPER_OUTLIVES_STOP} "$@"; exit $?' sh ${argv.map(shellQuote).join(' ')} 2>&1 >&3 | cat >&2; } 3>&1 | cat`;
    this.shell = asSession ? spawn('/bin/sh', ['-c', wrapped], { env, stdio: 'pipe' }) : spawn(argv[0], argv.slice(1), { env, stdio: 'pipe' });
    this.ended = new Promise((resolve) => this.shell.once('exit', () => resolve()));
    this.shell.stdin.on('error', () => undefined); // a shell that has ended by itself
    this.shell.stdout.on('data', (d: Buffer) => this.onData('out', d));
    this.shell.stderr.on('data', (d: Buffer) => this.onData('err', d));
  }

  private onData(stream: 'out' | 'err', d: Buffer): void {
    if (stream === 'out') this.out += d.toString();
    else this.err += d.toString();
    this.waiter?.();
  }

  private until(done: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer; stdout=${JSON.stringify(this.out)} stderr=${JSON.stringify(this.err)}`)), 10_000);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
      this.waiter = check;
      check();
    });
  }

  async hello(): Promise<Hello> {
    this.shell.stdin.write(helloProgram(this.token));
    let hello: Hello | undefined;
    await this.until(() => !!(hello = this.out.split('\n').map((l) => parseHello(this.token, l)).find(Boolean)));
    this.out = '';
    await this.until(() => this.err.includes(`${this.token} H `));
    this.err = '';
    return hello as Hello;
  }

  /** Runs one program; returns the run's stdout and stderr without the framing (`shellEnded`: the shell exited instead; `functionsLost`: it restarted without them). */
  async run(
    program: Omit<RunProgram, 'runId' | 'fileName'> & { fileName?: string },
  ): Promise<{ out: string; err: string; status: number; shellEnded?: boolean; functionsLost?: boolean }> {
    const runId = ++this.runId;
    this.shell.stdin.write(runProgram(this.token, { fileName: 'run-script', ...program, runId }));
    const ended = (text: string) => text.split('\n').some((l) => parseEndMarker(this.token, l)?.runId === runId || parseExitMarker(this.token, l));
    await this.until(() => ended(this.out) && ended(this.err));
    const shellEnded = !new RegExp(`${this.token} E ${runId} `).test(this.out);
    const marker = shellEnded ? `\n${this.token} X ` : `\n${this.token} E ${runId} `;
    const cut = (text: string) => text.slice(0, text.lastIndexOf(marker));
    const status = Number(new RegExp(shellEnded ? `${this.token} X (\\d+)` : `${this.token} E ${runId} (\\d+)`).exec(this.out)?.[1]);
    const functionsLost = this.out.split('\n').some((l) => parseEndMarker(this.token, l)?.functionsLost);
    const result = { out: cut(this.out), err: cut(this.err), status, ...(shellEnded ? { shellEnded } : {}), ...(functionsLost ? { functionsLost } : {}) };
    this.out = '';
    this.err = '';
    return result;
  }

  async close(): Promise<void> {
    this.shell.stdin.end('exit\n');
    await this.ended;
  }
}

const SHELLS: [string, string[]][] = [
  ['bash', ['bash', '--noprofile', '--norc']],
  ['/bin/sh', ['/bin/sh']],
];

describe('session protocol in real local shells', function () {
  this.timeout(30_000);
  let tmp: string;
  before(() => (tmp = tmpDir('protocol')));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const privateDirs = () => fs.readdirSync(tmp).filter((n) => n.startsWith('remote-invoke.'));

  for (const [name, argv] of SHELLS) {
    describe(name, () => {
      let session: LocalSession;
      beforeEach(async () => {
        session = new LocalSession(argv, { PATH: process.env.PATH, TMPDIR: tmp });
        await session.hello();
      });
      afterEach(() => session.close());

      it('a sourced script arrives literally: quotes, $, backslashes, its own here-document, no last newline', async () => {
        const script = [
          // printf, not echo: dash's echo reads backslash escapes itself
          `printf '%s ' 'single' "double" \\$HOME; printf '%s\\n' \\\\back`,
          `cat <<'EOF'`,
          `$not_expanded \\ 'quoted'`,
          'EOF',
          `echo "${session.token}S999"`,
          'printf %s no-newline',
        ].join('\n');
        const r = await session.run({ text: script, args: [], sourceAs: 'sh' });
        assert.strictEqual(r.err, '');
        assert.strictEqual(r.out, `single double $HOME \\back\n$not_expanded \\ 'quoted'\n${session.token}S999\nno-newline`);
        assert.strictEqual(r.status, 0);
      });

      it('state carries over and no private directory is made for sourced scripts', async () => {
        await session.run({ text: 'kept=yes\n', args: [] });
        const r = await session.run({ text: 'echo "kept=$kept $#:$*"', args: ['a b', 'c'] });
        assert.strictEqual(r.out, 'kept=yes 2:a b c\n');
        assert.deepStrictEqual(privateDirs(), []);
      });

      it('a script larger than a pipe holds (300 KB) is sourced whole', async () => {
        const lines = Array.from({ length: 20_000 }, (_, i) => `n=${i} # ${'p'.repeat(2)}`);
        const r = await session.run({ text: lines.join('\n') + '\necho "last n=$n"\n', args: [] });
        assert.strictEqual(r.out, 'last n=19999\n');
        assert.strictEqual(r.err, '');
      });

      it("a script holding this run's delimiter line still runs, written to a private file instead", async () => {
        const delimiter = `${session.token}S1`;
        const r = await session.run({ text: `echo before\ncat >/dev/null <<'${delimiter}'\nhidden\n${delimiter}\necho after`, args: [] });
        assert.strictEqual(r.out, 'before\nafter\n');
        assert.deepStrictEqual(privateDirs().length, 1);
      });

      it('where /dev/fd cannot be used, the script is copied to a 0700 private directory and still sourced', async () => {
        await session.run({ text: 'unset __ri_fdok', args: [] });
        const r = await session.run({ text: 'x=from-file\necho "$x"; (exit 3)', args: [] });
        assert.strictEqual(r.out, 'from-file\n');
        assert.strictEqual(r.status, 3);
        const dirs = privateDirs();
        assert.strictEqual(dirs.length, 1);
        assert.strictEqual(fs.statSync(path.join(tmp, dirs[0])).mode & 0o777, 0o700);
        await session.close();
        assert.deepStrictEqual(privateDirs(), [], 'the private directory outlived its shell');
        session = new LocalSession(argv, { PATH: process.env.PATH, TMPDIR: tmp });
        await session.hello();
      });

      it('an interpreter gets a real file with the exact bytes, in a 0700 directory removed at exit', async () => {
        const text = "echo \"$0\"\n# it's here, byte for byte, with no newline at the end";
        const r = await session.run({ text, args: [], interpreter: ['/bin/sh'], fileName: 'run-tool.sh' });
        const [file] = r.out.split('\n');
        assert.match(file, /\/remote-invoke\.[0-9a-f]+\/run-tool\.sh$/);
        assert.strictEqual(fs.readFileSync(file, 'utf8'), text);
        assert.strictEqual(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
        await session.close();
        assert.strictEqual(fs.existsSync(path.dirname(file)), false);
        session = new LocalSession(argv, { PATH: process.env.PATH, TMPDIR: tmp });
        await session.hello();
      });
    });
  }
});

/** Which of these shells this machine has (the CI installs them with apt). */
function installed(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Issue 12 item 1 in a plain sh: `exit` ends the run and the very same shell goes on (functions
// included) where the shell lets a `command`ed `.` survive the error that unwinds the script.
// Elsewhere the boot's probe leaves `exit` alone, so it still ends the script at once (the
// session then restarts the shell, as for bash; see exitKeepsSession.test.ts).
describe('exit in plain shells used as /bin/sh', function () {
  this.timeout(30_000);
  let tmp: string;
  before(() => (tmp = tmpDir('protocol-exit')));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const [name, argv] of [
    ['dash', ['dash']],
    ['busybox sh', ['busybox', 'sh']],
  ] as const) {
    it(`${name}: \`exit 3\` ends the run with 3 and the same process keeps its functions`, async function () {
      if (!installed(argv[0])) this.skip();
      const session = new LocalSession([...argv], { PATH: process.env.PATH, TMPDIR: tmp });
      try {
        const hello = await session.hello();
        const exited = await session.run({ text: 'f() { echo "kept in $$"; }; g() { while :; do exit 3; done; }; echo before; g; echo never', args: [] });
        assert.deepStrictEqual([exited.out, exited.status, exited.shellEnded], ['before\n', 3, undefined]);
        const next = await session.run({ text: 'f', args: [] });
        assert.strictEqual(next.out, `kept in ${hello.pid}\n`);
      } finally {
        await session.close();
      }
    });
  }

  for (const name of ['mksh', 'yash']) {
    it(`${name}: where the abort would not stop the script, \`exit\` is the real one and ends the script at once`, async function () {
      if (!installed(name)) this.skip();
      const session = new LocalSession([name], { PATH: process.env.PATH, TMPDIR: tmp });
      try {
        await session.hello();
        // (Without /dev/fd the EXIT trap does not restart the shell, so the shell's end shows here.)
        await session.run({ text: 'unset __ri_fdok', args: [] });
        const exited = await session.run({ text: 'echo before; exit 3; echo never', args: [] });
        assert.deepStrictEqual([exited.out, exited.status, exited.shellEnded], ['before\n', 3, true]);
      } finally {
        await session.close();
      }
    });
  }
});

// Issue 12 item 1: what ends a plain sh for real (a tripped `set -e`, an `exit` the alias cannot
// reach) ends only the run. Where a fork made in the EXIT trap ends as a shell does (dash, mksh),
// the session goes on in that fork with everything; elsewhere (busybox sh, yash) the shell is
// restarted without its functions, and the run's end says so.
describe('a plain sh used as /bin/sh goes on after it ends', function () {
  this.timeout(30_000);
  let tmp: string;
  before(() => (tmp = tmpDir('protocol-goes-on')));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const [name, argv, forks] of [
    ['dash', ['dash'], true],
    ['mksh', ['mksh'], true],
    ['busybox sh', ['busybox', 'sh'], false],
    ['yash', ['yash'], false],
  ] as const) {
    it(`${name}: ${forks ? 'goes on in a fork with its functions and $$' : 'restarts without its functions, and says so'}`, async function () {
      if (!installed(argv[0])) this.skip();
      const session = new LocalSession([...argv], { PATH: process.env.PATH, TMPDIR: tmp }, true);
      try {
        const hello = await session.hello();
        await session.run({ text: 'kept=yes; f() { echo "f in $$"; }', args: [] });
        // yash's `set -e` does not end it; `\exit` (which the alias cannot reach) ends every sh.
        const ends = name === 'yash' ? ['\\exit 3'] : ['set -e; false', '\\exit 3'];
        for (const text of ends) {
          const ended = await session.run({ text: `${text}; echo never`, args: [] });
          assert.deepStrictEqual([ended.out, ended.status, ended.shellEnded, !!ended.functionsLost], ['', text.startsWith('set') ? 1 : 3, undefined, !forks], text);
          const after = await session.run({ text: "echo \"$kept\"; f; trap 'echo usr1' USR1; kill -USR1 $$", args: [] });
          assert.strictEqual(after.out, forks ? `yes\nf in ${hello.pid}\nusr1\n` : 'yes\nusr1\n', text);
        }
      } finally {
        await session.close();
      }
    });
  }
});
