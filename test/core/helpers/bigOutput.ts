/**
 * Child-process probe for the memory test: runs one script on one host through invoke(),
 * consumes the event stream (optionally slowly), samples RSS, and prints one JSON line.
 * Run in its own process so the measurement is the engine's alone, not the test runner's.
 *
 *   node -r tsx/cjs test/core/helpers/bigOutput.ts SSH_CONFIG HOST BYTES [slowEveryN]
 */
import { invoke, SshConfigFile } from '../../../src/core';

async function main(): Promise<void> {
  const [configPath, host, bytesText, slowText] = process.argv.slice(2);
  const bytes = Number(bytesText);
  const slowEvery = slowText ? Number(slowText) : 0;
  const lineText = 'x'.repeat(99);
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const started = Date.now();
  const run = invoke({
    script: { text: `yes '${lineText}' | head -c ${bytes}` },
    targets: [host],
    sshConfig: SshConfigFile.load(configPath),
  });
  let lines = 0;
  let received = 0;
  let wrong = 0;
  let stderr = 0;
  for await (const e of run) {
    if (e.type !== 'output') continue;
    if (e.stream === 'stderr') {
      stderr++;
      continue;
    }
    lines++;
    received += Buffer.byteLength(e.line) + 1;
    if (e.line !== lineText) wrong++;
    if (slowEvery && lines % slowEvery === 0) await new Promise((r) => setTimeout(r, 5));
  }
  const [result] = await run.results;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(
    JSON.stringify({
      status: result.status,
      error: result.error,
      lines,
      received,
      wrong,
      stderr,
      ms: Date.now() - started,
      baselineRss: baseline,
      peakRss: peak,
      maxRss: process.resourceUsage().maxRSS * 1024,
    }) + '\n',
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(String(err?.stack ?? err) + '\n');
    process.exit(1);
  },
);
