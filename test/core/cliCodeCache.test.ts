/**
 * bin/remote-invoke.js loads the CLI bundle with a V8 code cache (issue 14: CLI start time). The
 * cache is code the CLI will run, so it must be private: a directory of ours with mode 0700 and
 * files 0600; anything else is not used. A rejected (corrupt or stale) cache is replaced, and
 * REMOTE_INVOKE_CODE_CACHE=0 turns it off. Every case still runs the CLI correctly.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BIN, ensureBuilt, modeOf, ROOT } from './helpers/durable';

const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;

describe('CLI start: the private V8 code cache of bin/remote-invoke.js', function () {
  this.timeout(60_000);
  let base: string;
  before(() => ensureBuilt());
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'ri-codecache-'));
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const dir = () => path.join(base, 'remote-invoke');
  const caches = () => (fs.existsSync(dir()) ? fs.readdirSync(dir()).filter((f) => f.endsWith('.v8cache')) : []);
  function version(env: NodeJS.ProcessEnv = {}): void {
    const r = spawnSync(process.execPath, [BIN, '--version'], { env: { ...process.env, XDG_CACHE_HOME: base, ...env }, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(r.stdout, `${VERSION}\n`);
  }

  it('the first run writes one cache file, 0600 in a 0700 directory; the next run uses it as it is', () => {
    version();
    const [file] = caches();
    assert.ok(file, 'a cache file was written');
    assert.strictEqual(modeOf(dir()), '700');
    assert.strictEqual(modeOf(path.join(dir(), file)), '600');
    const before = fs.statSync(path.join(dir(), file)).mtimeMs;
    version();
    assert.deepStrictEqual(caches(), [file]);
    assert.strictEqual(fs.statSync(path.join(dir(), file)).mtimeMs, before, 'an accepted cache is not rewritten');
  });

  it('a corrupt cache is rejected by V8 and replaced; the CLI runs either way', () => {
    version();
    const file = path.join(dir(), caches()[0]);
    fs.writeFileSync(file, Buffer.alloc(4096, 7), { mode: 0o600 });
    version();
    assert.notDeepStrictEqual(fs.readFileSync(file), Buffer.alloc(4096, 7), 'the corrupt cache was replaced');
  });

  it('a directory others can write is not used (nothing read from it, nothing written to it)', () => {
    fs.mkdirSync(dir(), { mode: 0o700 });
    fs.chmodSync(dir(), 0o777);
    version();
    assert.deepStrictEqual(caches(), []);
    // A planted cache there is ignored too: the CLI still prints its own version.
    fs.writeFileSync(path.join(dir(), 'cli-planted.v8cache'), 'x');
    version();
  });

  it('a cache file others can write is not read', () => {
    version();
    const file = path.join(dir(), caches()[0]);
    fs.chmodSync(file, 0o666);
    const before = fs.readFileSync(file);
    version(); // not read, so "missing": a new one is written over it with 0600
    assert.strictEqual(modeOf(file), '600');
    assert.ok(before.length > 0);
  });

  it('REMOTE_INVOKE_CODE_CACHE=0: no cache at all', () => {
    version({ REMOTE_INVOKE_CODE_CACHE: '0' });
    assert.ok(!fs.existsSync(dir()));
  });
});
