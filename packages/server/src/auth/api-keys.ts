/**
 * Creating, verifying and revoking API keys. A key is a public id (`key_…`) plus a secret
 * (`sk_…`) shown once at creation and stored only encrypted.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, LspError } from '@blgv/core';
import { AUTH_HEADERS, NONCE_PATTERN, SIGNATURE_WINDOW_MS, signature } from '@blgv/protocol';
import type { ApiKeysRepository } from '@blgv/store';
import type { SecretBox } from './secret-box.ts';

/** Who made a request. */
export interface Principal {
  readonly keyId: string;
  readonly tenantId: string;
  readonly scope: 'admin' | 'tenant';
}

/** A freshly created key; the secret is never shown again. */
export interface CreatedKey {
  readonly keyId: string;
  readonly secret: string;
  readonly tenantId: string;
  readonly scope: 'admin' | 'tenant';
}

/** The parts of an HTTP request that authentication looks at. */
export interface SignedRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly method: string;
  /** Path with query, exactly as received. */
  readonly url: string;
  readonly body: Uint8Array;
}

const refuse = () => new LspError(ErrorCode.Unauthorized, 'request signature is missing or invalid');

function header(req: SignedRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** API key management and request verification. */
export class ApiKeys {
  readonly #repo: ApiKeysRepository;
  readonly #box: SecretBox;
  readonly #now: () => number;
  /** Decrypted secrets by ciphertext: decrypting is the costly part, the row is read each time. */
  readonly #secrets = new Map<string, string>();

  constructor(repo: ApiKeysRepository, box: SecretBox, now: () => number = Date.now) {
    this.#repo = repo;
    this.#box = box;
    this.#now = now;
  }

  /** Creates a key for a tenant. */
  async create(tenantId: string, scope: 'admin' | 'tenant', label = ''): Promise<CreatedKey> {
    const keyId = `key_${randomBytes(12).toString('hex')}`;
    const secret = `sk_${randomBytes(32).toString('base64url')}`;
    await this.#repo.insert({ id: keyId, tenantId, scope, secretCiphertext: this.#box.seal(secret), label });
    return { keyId, secret, tenantId, scope };
  }

  /** Revokes a key; false if unknown or already revoked. */
  revoke(keyId: string): Promise<boolean> {
    return this.#repo.revoke(keyId);
  }

  /**
   * Verifies a signed request and records its nonce. Refusals are 401s: `stale_timestamp` and
   * `nonce_reused` (neither helps forge a request), otherwise `unauthorized` with no hint of
   * which part failed.
   */
  async authenticate(req: SignedRequest): Promise<Principal> {
    const keyId = header(req, AUTH_HEADERS.key);
    const timestamp = header(req, AUTH_HEADERS.timestamp);
    const nonce = header(req, AUTH_HEADERS.nonce);
    const sig = header(req, AUTH_HEADERS.signature);
    if (!keyId || !timestamp || !nonce || !sig) throw refuse();
    if (!/^\d{1,16}$/.test(timestamp) || Math.abs(this.#now() - Number(timestamp)) > SIGNATURE_WINDOW_MS) {
      throw new LspError(
        ErrorCode.StaleTimestamp,
        'request timestamp is outside the 5 minute window; check the client clock',
      );
    }
    if (!NONCE_PATTERN.test(nonce) || !/^[0-9a-f]{64}$/.test(sig)) throw refuse();
    const key = await this.#repo.get(keyId);
    if (!key || key.revokedAt) throw refuse();
    const secret = this.#secret(key.secretCiphertext);
    const expected = signature(secret, {
      timestamp,
      nonce,
      method: req.method,
      path: req.url,
      body: req.body,
    });
    if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(sig, 'hex'))) throw refuse();
    if (!(await this.#repo.rememberNonce(keyId, nonce))) {
      throw new LspError(ErrorCode.NonceReused, 'this nonce was already used with this key');
    }
    return { keyId, tenantId: key.tenantId, scope: key.scope };
  }

  /** Forgets nonces older than the signature window (a replay of them fails on the timestamp). */
  pruneNonces(): Promise<bigint> {
    return this.#repo.pruneNonces(new Date(this.#now() - SIGNATURE_WINDOW_MS - 60_000));
  }

  #secret(ciphertext: string): string {
    let s = this.#secrets.get(ciphertext);
    if (s === undefined) {
      s = this.#box.open(ciphertext);
      this.#secrets.set(ciphertext, s);
    }
    return s;
  }
}
