/**
 * HTTPS for stories: a self-signed certificate made with the system's `openssl` (an operator's
 * certificate stands in for it), and a `fetch` that trusts exactly that certificate, as a
 * customer's HTTPS client trusts a public CA.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';

/** A certificate and key (PEM files in `dir`) for `ip`. */
export interface TestCertificate {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: string;
}

/** Makes a self-signed P-256 certificate naming the IP address `ip`, valid for a day. */
export function selfSignedCertificate(dir: string, ip = '127.0.0.1'): TestCertificate {
  const certPath = join(dir, 'server.cert');
  const keyPath = join(dir, 'server.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${ip}`,
      '-addext',
      `subjectAltName=IP:${ip}`,
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: 'pipe' },
  );
  return { certPath, keyPath, cert: readFileSync(certPath, 'utf8') };
}

/** A `fetch` whose HTTPS connections trust `cert` (and nothing else). */
export function fetchTrusting(cert: string): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: cert } });
  return ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}
