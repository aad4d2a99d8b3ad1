/**
 * Signed REST requests. The key id travels, the secret never does:
 *
 *   signature = hex(HMAC-SHA256(secret, canonical))
 *   canonical = "BLGV-HMAC-SHA256\n" + timestamp + "\n" + nonce + "\n" + METHOD + "\n"
 *               + path-with-query + "\n" + hex(SHA-256(body))
 *
 * `timestamp` is milliseconds since the Unix epoch as a decimal string; `nonce` is 16–64
 * characters of `[A-Za-z0-9_-]`, never reused with the same key; the body is the exact bytes
 * sent (empty for GET). The four values go in the headers below.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/** The scheme name, first line of the canonical string. */
export const SIGNATURE_SCHEME = 'BLGV-HMAC-SHA256';

/** Header names (lowercase, as Node reports them). */
export const AUTH_HEADERS = {
  key: 'x-blgv-key',
  timestamp: 'x-blgv-timestamp',
  nonce: 'x-blgv-nonce',
  signature: 'x-blgv-signature',
} as const;

/** How far a request's timestamp may be from the server's clock. */
export const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

/** A nonce's allowed shape. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** What the signature covers. */
export interface SignedParts {
  readonly timestamp: string;
  readonly nonce: string;
  readonly method: string;
  /** Path and query exactly as sent, e.g. `/v1/channels/abc?x=1`. */
  readonly path: string;
  readonly body: Uint8Array | string;
}

function bytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? utf8ToBytes(body) : body;
}

/** The canonical string of a request. */
export function canonicalString(parts: SignedParts): string {
  return canonicalStringWithBodyHash(parts, bytesToHex(sha256(bytes(parts.body))));
}

/** The canonical string, given the hex SHA-256 of the body (for callers with faster hashing). */
export function canonicalStringWithBodyHash(parts: Omit<SignedParts, 'body'>, bodySha256Hex: string): string {
  return [
    SIGNATURE_SCHEME,
    parts.timestamp,
    parts.nonce,
    parts.method.toUpperCase(),
    parts.path,
    bodySha256Hex,
  ].join('\n');
}

/** The hex signature of a request under `secret`. */
export function signature(secret: string, parts: SignedParts): string {
  return bytesToHex(hmac(sha256, utf8ToBytes(secret), utf8ToBytes(canonicalString(parts))));
}

/** A fresh random nonce (128 bits, hex). */
export function newNonce(): string {
  return bytesToHex(randomBytes(16));
}

/** The auth headers for a request. */
export function signRequest(input: {
  readonly keyId: string;
  readonly secret: string;
  readonly method: string;
  readonly path: string;
  readonly body?: Uint8Array | string;
  readonly now?: number;
  readonly nonce?: string;
}): Record<string, string> {
  const parts: SignedParts = {
    timestamp: String(input.now ?? Date.now()),
    nonce: input.nonce ?? newNonce(),
    method: input.method,
    path: input.path,
    body: input.body ?? '',
  };
  return {
    [AUTH_HEADERS.key]: input.keyId,
    [AUTH_HEADERS.timestamp]: parts.timestamp,
    [AUTH_HEADERS.nonce]: parts.nonce,
    [AUTH_HEADERS.signature]: signature(input.secret, parts),
  };
}
