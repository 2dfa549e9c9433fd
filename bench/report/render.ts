// Re-renders latest.md and fanout.svg from a latest.json (after a change to the report code):
//   npx tsx bench/report/render.ts [results dir, default bench/results]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { markdown } from './markdown';
import type { BenchResults } from './results';
import { fanoutSvg } from './svg';
import { checkTargets } from './targets';

const dir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'results'));
const results = JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8')) as BenchResults;
results.targets = checkTargets(results);
fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
fs.writeFileSync(path.join(dir, 'latest.md'), markdown(results));
fs.writeFileSync(path.join(dir, 'fanout.svg'), fanoutSvg(results));
console.log(`rendered ${dir}/latest.md and fanout.svg`);
