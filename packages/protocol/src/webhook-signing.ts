/**
 * REST webhooks are signed the Standard Webhooks way (standardwebhooks.com):
 *
 *   webhook-id:        the message id, the same on every retry of one message
 *   webhook-timestamp: seconds since the Unix epoch, when this attempt was sent
 *   webhook-signature: "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))
 *
 * `key` is the base64 part of the endpoint's secret `whsec_<base64>`, decoded; `body` is the
 * exact bytes sent. A receiver recomputes the signature over the body as received, compares
 * in constant time, and refuses a timestamp far from its clock (replays).
 */

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';

/** Header names (lowercase). */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** The prefix of an endpoint secret. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** How far a webhook's timestamp may be from the receiver's clock by default. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** A new endpoint secret: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${base64.encode(randomBytes(32))}`;
}

function keyOf(secret: string): Uint8Array {
  const b64 = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  return base64.decode(b64);
}

/** The `webhook-signature` value of one message. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const mac = hmac(sha256, keyOf(secret), utf8ToBytes(`${id}.${timestamp}.${body}`));
  return `v1,${base64.encode(mac)}`;
}

/** Why a webhook did not verify. */
export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

function equalConstantTime(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Checks a received webhook: its headers (a plain object or `Headers`), the body exactly as
 * received, and the endpoint's secret. Returns the parsed body; throws
 * {@link WebhookVerificationError} when a header is missing, the timestamp is outside the
 * tolerance, or no signature matches.
 */
export function verifyWebhook<T = unknown>(
  headers: Headers | Readonly<Record<string, string | string[] | undefined>>,
  body: string,
  secret: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): T {
  const get = (name: string): string | undefined => {
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
    const entry = Object.entries(headers as Record<string, string | string[] | undefined>).find(
      ([k]) => k.toLowerCase() === name,
    )?.[1];
    return Array.isArray(entry) ? entry[0] : entry;
  };
  const id = get(WEBHOOK_HEADERS.id);
  const timestamp = get(WEBHOOK_HEADERS.timestamp);
  const signatures = get(WEBHOOK_HEADERS.signature);
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing webhook headers');
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('bad webhook-timestamp');
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(now - Number(timestamp)) > tolerance)
    throw new WebhookVerificationError('webhook-timestamp outside the tolerance');
  const expected = signWebhook(secret, id, Number(timestamp), body);
  // Several space-separated signatures may be sent (e.g. while a secret is rotated).
  if (!signatures.split(' ').some((s) => equalConstantTime(s, expected)))
    throw new WebhookVerificationError('no signature matches');
  return JSON.parse(body) as T;
}
