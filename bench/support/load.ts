/**
 * The load generator, in its own process so its work (and the client's signing) does not
 * share the server's thread: `node load.ts SPEC`, SPEC a JSON {@link LoadSpec}. Prints one JSON
 * line, a {@link LoadResult}. Built on undici: one keep-alive connection per worker, one request
 * in flight on each; signing with `node:crypto` (what a server-side client would use), so the
 * generator's own CPU stays small next to the server's.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { AUTH_HEADERS, canonicalStringWithBodyHash } from '@blgv/protocol';
import { Client } from 'undici';
import type { LoadResult, LoadSpec } from './run-load.ts';

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
const target = new URL(spec.url);
const path = `${target.pathname}${target.search}`;
const method = spec.method ?? 'GET';
const body = spec.body ?? '';
const bodyHash = createHash('sha256').update(body).digest('hex');
const baseHeaders: Record<string, string> = body ? { 'content-type': 'application/json' } : {};

/** The request's headers: signed afresh (new timestamp and nonce) when a key is given. */
function headers(): Record<string, string> {
  const signing = spec.signing;
  if (!signing) return baseHeaders;
  const timestamp = String(Date.now());
  const nonce = randomUUID();
  const canonical = canonicalStringWithBodyHash({ timestamp, nonce, method, path }, bodyHash);
  return {
    ...baseHeaders,
    [AUTH_HEADERS.key]: signing.keyId,
    [AUTH_HEADERS.timestamp]: timestamp,
    [AUTH_HEADERS.nonce]: nonce,
    [AUTH_HEADERS.signature]: createHmac('sha256', signing.secret).update(canonical).digest('hex'),
  };
}

const latencies: number[] = [];
let non2xx = 0;
let errors = 0;
let firstError: string | undefined;
let sent = 0;
const cpuAtStart = process.cpuUsage();
const started = performance.now();
const endsAt = spec.durationS === undefined ? Number.POSITIVE_INFINITY : started + spec.durationS * 1000;
const more = () => (spec.requests === undefined || sent < spec.requests) && performance.now() < endsAt;

async function worker(): Promise<void> {
  const client = new Client(target.origin, { pipelining: 1 });
  try {
    while (more()) {
      sent++;
      const t0 = performance.now();
      try {
        const res = await client.request({ path, method, headers: headers(), ...(body ? { body } : {}) });
        const text = await res.body.text();
        if (res.statusCode < 200 || res.statusCode > 299) {
          non2xx++;
          firstError ??= `${res.statusCode} ${text.slice(0, 200)}`;
        }
      } catch (err) {
        errors++;
        firstError ??= String(err);
      }
      latencies.push(performance.now() - t0);
    }
  } finally {
    await client.close();
  }
}

await Promise.all(Array.from({ length: spec.connections }, worker));
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuAtStart);
latencies.sort((a, b) => a - b);
const result: LoadResult = {
  rps: latencies.length / seconds,
  p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0,
  requests: latencies.length,
  non2xx,
  errors,
  ...(firstError ? { firstError } : {}),
  cpuCores: (cpu.user + cpu.system) / 1e6 / seconds,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
