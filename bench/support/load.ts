/**
 * The load generator, in its own process so its work (and the client's signing) does not
 * share the server's thread: `node load.ts URL DURATION_S CONNECTIONS [KEY_ID SECRET PATH]`.
 * Prints one JSON line: `{ rps, p99, non2xx, errors }`.
 */
import { signRequest } from '@blgv/protocol';
import autocannon from 'autocannon';

const [url, duration, connections, keyId, secret, path] = process.argv.slice(2);
const signing = keyId && secret && path;
const r = await autocannon({
  url: url!,
  duration: Number(duration),
  connections: Number(connections),
  ...(signing
    ? {
        requests: [
          {
            setupRequest: (req: autocannon.Request) => ({
              ...req,
              headers: { ...req.headers, ...signRequest({ keyId, secret, method: 'GET', path }) },
            }),
          },
        ],
      }
    : {}),
});
process.stdout.write(
  `${JSON.stringify({ rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors })}\n`,
);
