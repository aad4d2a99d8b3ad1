/**
 * Outbound webhook requests, shared by the tenants' REST webhooks and LSPS5: only `https`
 * URLs; targets that resolve to loopback, private, link-local or other non-public addresses
 * refused unless the operator allows them (checked when the URL is registered and again on
 * every connection, so a DNS answer that changes cannot slip one through); a bounded time and
 * response size; redirects never followed (a 3xx is just not a 200).
 */
import { AsyncResource } from 'node:async_hooks';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { ErrorCode, LspError } from '@blgv/core';
import { assertLeaseHeld } from '@blgv/store';

/** How webhooks may be sent. */
export interface OutboundPolicy {
  /** Allow targets on loopback, private and link-local addresses (the regtest demo, tests). */
  readonly allowPrivateTargets: boolean;
  /** Whole request, connect to last byte. */
  readonly timeoutMs: number;
  /** A longer answer is cut off (the status still counts). */
  readonly maxResponseBytes: number;
  /** Extra CA certificates (PEM) trusted besides the system's, e.g. a test receiver's. */
  readonly ca?: string;
}

/** What one POST came to. */
export type OutboundResult =
  | { readonly ok: true; readonly status: number; readonly durationMs: number }
  | {
      readonly ok: false;
      readonly status: number | undefined;
      readonly error: string;
      readonly durationMs: number;
    };

// One list per family: a list holding IPv4-mapped IPv6 ranges would also match IPv4 queries.
const NON_PUBLIC_V4 = new BlockList();
const NON_PUBLIC_V6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  // TEST-NET-1, -2 and -3 (documentation): routed nowhere public, sometimes somewhere inside.
  ['192.0.2.0', 24],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NON_PUBLIC_V4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  // IPv4-compatible (and ::, ::1) and IPv4-mapped written in hex: an IPv4 address inside.
  ['::', 96],
  ['::ffff:0:0', 96],
  // NAT64, 6to4 and Teredo reach IPv4 addresses (private ones too) through a gateway.
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['2002::', 16],
  ['2001::', 32],
  ['100::', 64],
  ['fc00::', 7],
  ['fe80::', 10],
  // Site-local (deprecated, still routed inside some networks) and documentation.
  ['fec0::', 10],
  ['2001:db8::', 32],
  ['ff00::', 8],
] as const)
  NON_PUBLIC_V6.addSubnet(net, prefix, 'ipv6');

/** True when `address` (an IP literal) is not a public unicast address. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return NON_PUBLIC_V4.check(mapped, 'ipv4');
  return family === 6 ? NON_PUBLIC_V6.check(address, 'ipv6') : NON_PUBLIC_V4.check(address, 'ipv4');
}

function refused(reason: string, field: string): LspError {
  return new LspError(ErrorCode.WebhookUrlRefused, `the webhook URL is refused: ${reason}`, {
    field,
    reason,
  });
}

/** How long a URL's host may take to resolve when it is registered. */
const RESOLVE_TIMEOUT_MS = 5_000;

/** Every address `host` resolves to; rejects after {@link RESOLVE_TIMEOUT_MS}. */
function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('DNS timeout')), RESOLVE_TIMEOUT_MS);
    dnsLookup(host, { all: true }, (err, addresses) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(addresses);
    });
  });
}

/**
 * Parses and checks a webhook URL: `https`, no credentials, a host that resolves, and (unless
 * allowed) only to public addresses. Throws `webhook_url_refused` naming `field`.
 */
export async function checkWebhookUrl(text: string, policy: OutboundPolicy, field = 'url'): Promise<URL> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refused('not a URL', field);
  }
  if (url.protocol !== 'https:') throw refused('only https URLs are allowed', field);
  if (url.username || url.password) throw refused('credentials in the URL are not allowed', field);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolveAll(host);
  } catch {
    throw refused(`the host ${host} does not resolve (in ${RESOLVE_TIMEOUT_MS / 1000} s)`, field);
  }
  if (!policy.allowPrivateTargets) {
    const inner = addresses.find((a) => isNonPublicAddress(a.address));
    // Which address a name resolves to is not told: a caller could map the LSP's own network.
    if (inner)
      throw refused(
        isIP(host) ? `${host} is a non-public address` : `${host} resolves to a non-public address`,
        field,
      );
  }
  return url;
}

/** A `lookup` for `https.request` that refuses non-public answers (unless allowed). */
function guardedLookup(policy: OutboundPolicy) {
  return (
    hostname: string,
    options: { all?: boolean },
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const usable = policy.allowPrivateTargets
        ? addresses
        : addresses.filter((a) => !isNonPublicAddress(a.address));
      if (usable.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`${hostname} resolves only to non-public addresses`);
        e.code = 'EWEBHOOKTARGET';
        return callback(e, []);
      }
      const first = usable[0] as LookupAddress;
      if (options.all) callback(null, usable);
      else callback(null, first.address, first.family);
    });
  };
}

/**
 * POSTs `body` (sent byte for byte as given, so what was signed is what arrives) to `url`.
 * A failure to connect, a timeout or a non-2xx answer is a result. Sent for a job (the webhook
 * and LSPS5 deliveries) whose lease this replica can no longer hold, nothing is sent and it
 * rejects with `lease_lost`: the replica that holds the lease now sends it. The lease is asked
 * twice: before connecting, and again once the connection is up, right before the request is
 * written. A replica frozen while it connected (a stalled VM, a long pause) would otherwise
 * write, once it runs again, a request the replica that took its job over has sent since.
 */
export function postWebhook(
  url: URL,
  body: string,
  headers: Readonly<Record<string, string>>,
  policy: OutboundPolicy,
): Promise<OutboundResult> {
  const what = 'a webhook POST';
  try {
    assertLeaseHeld(what);
  } catch (err) {
    return Promise.reject(err);
  }
  // Bound to this call's context: a socket's events may not carry the job's fence.
  const leaseHeld = AsyncResource.bind(() => assertLeaseHeld(what));
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !policy.allowPrivateTargets && isNonPublicAddress(host)) {
      resolve({ ok: false, status: undefined, error: `${host} is not a public address`, durationMs: 0 });
      return;
    }
    let refusedBy: unknown;
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body).toString(),
          'user-agent': 'blgv-lsp-webhooks',
        },
        lookup: guardedLookup(policy) as never,
        timeout: policy.timeoutMs,
        // `ca` replaces Node's trusted roots: give them back beside the operator's.
        ...(policy.ca ? { ca: [...rootCertificates, policy.ca] } : {}),
        signal: AbortSignal.timeout(policy.timeoutMs),
      },
      (res) => {
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > policy.maxResponseBytes) res.destroy();
        });
        const done = () => {
          const status = res.statusCode ?? 0;
          resolve(
            status >= 200 && status < 300
              ? { ok: true, status, durationMs: elapsed() }
              : { ok: false, status, error: `answered ${status}`, durationMs: elapsed() },
          );
        };
        res.once('end', done);
        res.once('close', done);
      },
    );
    // Nothing is written until the connection is up (TLS included) and the lease still held.
    const write = () => {
      try {
        leaseHeld();
      } catch (err) {
        refusedBy = err;
        req.destroy(err as Error);
        return;
      }
      req.end(body);
    };
    req.once('socket', (socket) => {
      // A kept-alive connection is up already; a new one is once its TLS handshake is done.
      if (req.reusedSocket) write();
      else socket.once('secureConnect', write);
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${policy.timeoutMs} ms`)));
    req.once('error', (err) =>
      refusedBy
        ? reject(refusedBy)
        : resolve({ ok: false, status: undefined, error: err.message, durationMs: elapsed() }),
    );
  });
}
