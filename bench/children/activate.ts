// Child process: load the bundled extension with a fake `vscode` module injected into
// require.cache, and time require() and activate(). A fresh process per sample, so the require
// is a cold load as in a new extension host.
//   node activate.js <bundle.js>
import Module from 'node:module';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fakeContext, makeVscode, touched } from './fakeVscode';

async function main(): Promise<void> {
  const bundle = path.resolve(process.argv[2]);
  const fakePath = path.join(path.dirname(bundle), '__fake_vscode__.js');
  const fake = new Module(fakePath);
  fake.filename = fakePath;
  fake.loaded = true;
  fake.exports = makeVscode();
  require.cache[fakePath] = fake;
  const moduleApi = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const resolve = moduleApi._resolveFilename;
  moduleApi._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? fakePath : resolve.call(this, request, ...rest);
  };

  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ext = require(bundle) as { activate(ctx: unknown): unknown; deactivate?(): unknown };
  const t1 = performance.now();
  const context = fakeContext(path.dirname(path.dirname(bundle)));
  await ext.activate(context);
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  const subscriptions = (context.subscriptions as { dispose(): unknown }[]).length;
  const commands = ((fake.exports as Record<string, unknown>).registeredCommands as string[]).length;
  for (const d of context.subscriptions as { dispose(): unknown }[]) {
    try {
      d.dispose();
    } catch {
      /* a stub */
    }
  }
  process.stdout.write(
    JSON.stringify({ ok: true, requireMs: t1 - t0, activateMs: t2 - t1, totalMs: t2 - t0, cpuMs: (cpu.user + cpu.system) / 1000, subscriptions, commands, stubs: [...touched.keys()].sort() }) + '\n',
  );
  process.exit(0);
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, detail: String(err?.stack ?? err), stubs: [...touched.keys()] }) + '\n');
  process.exit(1);
});
