/**
 * Runs the benchmarks: `npm run bench` runs all but the hour-long soak, `npm run bench -- <name>`
 * one (the soak only so). Each prints
 * `RESULT <name> <value> <unit>` lines.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length));
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; have: ${all.join(', ')}\n`);
  process.exit(2);
}
/** Run only when named: the soak lasts an hour by default. */
const ONLY_WHEN_NAMED = ['soak'];
let failed = false;
if (wanted.length === 0)
  process.stdout.write(`# not run unless named: ${ONLY_WHEN_NAMED.join(', ')} (npm run bench -- soak)\n`);
for (const name of wanted.length > 0 ? wanted : all.filter((n) => !ONLY_WHEN_NAMED.includes(n))) {
  process.stdout.write(`# ${name}\n`);
  const r = spawnSync(process.execPath, [join(dir, `${name}.bench.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
