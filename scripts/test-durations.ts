/**
 * A `node --test` reporter that prints, once the run ends, how long each test file took (from
 * the moment the runner takes it up, its first event but the enqueueing every file gets at the
 * start, to its last; its hooks included), longest first, and the run's wall time: where the
 * suite's time goes. Used by `npm test` beside the spec reporter.
 */
import { relative } from 'node:path';

interface Span {
  first: number;
  last: number;
}

/** The reporter: passes nothing through while the run lasts, then the table. */
export default async function* testDurations(
  source: AsyncIterable<{ type: string; data?: { file?: string } }>,
) {
  const start = Date.now();
  const files = new Map<string, Span>();
  for await (const event of source) {
    const file = event.data?.file;
    if (!file) continue;
    const now = Date.now();
    const span = files.get(file);
    if (span) span.last = now;
    else if (event.type !== 'test:enqueue') files.set(file, { first: now, last: now });
  }
  const rows = [...files].map(([file, s]) => ({ file: relative(process.cwd(), file), ms: s.last - s.first }));
  rows.sort((a, b) => b.ms - a.ms);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1).padStart(7)} s`;
  yield `\ntest files by duration (${rows.length} files, ${seconds(Date.now() - start).trim()} in all):\n`;
  for (const r of rows) yield `${seconds(r.ms)}  ${r.file}\n`;
}
