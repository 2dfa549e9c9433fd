#!/usr/bin/env node
// Loads the bundled CLI (dist/cli.js) with a V8 code cache: compiling the 1.3 MB bundle is most
// of our start-up after node's own (measured ~80 ms → ~20 ms for a start; issue 14). Node 20 has
// no built-in compile cache (module.enableCompileCache is Node 22), so this does what it does:
// vm.Script with cachedData, written after a run that had none.
//
// The cache is code this process will run, so it lives only in a directory of the user's own
// that no one else can write (mode 0700, owned by us; checked before every use). Its name carries
// the bundle's size, mtime and inode and node's version: V8 checks only the source's length.
// Any problem with it, and the bundle is simply required. REMOTE_INVOKE_CODE_CACHE=0 turns it off.
'use strict';
const path = require('path');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');

function privateCacheDir(fs, os) {
  if (process.env.REMOTE_INVOKE_CODE_CACHE === '0' || typeof process.getuid !== 'function') return undefined;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const dir = path.join(base, 'remote-invoke');
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return undefined;
  }
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || st.uid !== process.getuid() || (st.mode & 0o077) !== 0) return undefined;
  return dir;
}

/** The bundle compiled with the cache, ready to run; undefined when the cache cannot be used. */
function compileWithCodeCache() {
  const fs = require('fs');
  const os = require('os');
  const vm = require('vm');
  const Module = require('module');
  const dir = privateCacheDir(fs, os);
  if (!dir) return undefined;
  const st = fs.statSync(bundle);
  const key = `${st.size}-${Math.floor(st.mtimeMs)}-${st.ino}-${process.version}-${process.arch}`;
  const cacheFile = path.join(dir, `cli-${key}.v8cache`);
  let cachedData;
  try {
    const c = fs.lstatSync(cacheFile);
    if (c.isFile() && c.uid === process.getuid() && (c.mode & 0o077) === 0) cachedData = fs.readFileSync(cacheFile);
  } catch {
    /* none yet */
  }
  const source = fs.readFileSync(bundle, 'utf8');
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    // Written as this process exits, so it holds the functions this run compiled too.
    process.once('exit', () => {
      try {
        for (const old of fs.readdirSync(dir)) if (old.startsWith('cli-') && old !== path.basename(cacheFile)) fs.rmSync(path.join(dir, old), { force: true });
        const tmp = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600, flag: 'wx' });
        fs.renameSync(tmp, cacheFile);
      } catch {
        /* the next run tries again */
      }
    });
  }
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  mod.paths = Module._nodeModulePaths(path.dirname(bundle));
  const localRequire = (id) => mod.require(id);
  localRequire.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  localRequire.cache = Module._cache;
  const wrapper = script.runInThisContext();
  return () => {
    require.cache[bundle] = mod;
    wrapper(mod.exports, localRequire, mod, bundle, path.dirname(bundle));
    mod.loaded = true;
  };
}

let run;
try {
  run = compileWithCodeCache();
} catch {
  run = undefined;
}
// Run outside the try: an error of the CLI itself must not run it a second time.
if (run) run();
else require(bundle);
