/**
 * Running the load generator (`load.ts`) in a child process from a benchmark, and the shapes
 * of what it is asked and what it answers.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** What to send: to `url`, `connections` at a time, for `durationS` or `requests` in all. */
export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly durationS?: number;
  readonly requests?: number;
  readonly method?: string;
  /** A JSON body, sent with `content-type: application/json`. */
  readonly body?: string;
  /** Each request signed afresh with this key. */
  readonly signing?: { readonly keyId: string; readonly secret: string };
}

/** What the load generator measured. */
export interface LoadResult {
  readonly rps: number;
  /** Milliseconds, nearest rank. */
  readonly p99: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  /** The first refusal or error, for the message of a failed run. */
  readonly firstError?: string;
  /** The generator's own CPU, in cores (user + system time over the run). */
  readonly cpuCores: number;
}

const loader = join(import.meta.dirname, 'load.ts');

/** Runs the load generator in a child process; throws when any request failed. */
export async function load(spec: LoadSpec): Promise<LoadResult> {
  const child = spawn(process.execPath, [loader, JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  const r = JSON.parse(out) as LoadResult;
  if (r.non2xx > 0 || r.errors > 0) {
    throw new Error(`${spec.url}: ${r.non2xx} non-2xx, ${r.errors} errors (first: ${r.firstError})`);
  }
  return r;
}
