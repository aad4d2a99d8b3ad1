/**
 * Creating, verifying and revoking API keys. A key is a public id (`key_…`) plus a secret
 * (`sk_…`) shown once at creation and stored only encrypted.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, LspError } from '@blgv/core';
import {
  AUTH_HEADERS,
  canonicalStringWithBodyHash,
  NONCE_PATTERN,
  SIGNATURE_WINDOW_MS,
} from '@blgv/protocol';
import type { ApiKeyRecord, ApiKeysRepository } from '@blgv/store';
import { type NonceStore, NonceWriter } from './nonce-writer.ts';
import type { SecretBox } from './secret-box.ts';

/**
 * What a key id can look like (ours are `key_` and 24 hex digits): anything else is refused
 * before a lookup, so a made-up id costs no database read and the unknown-id cache holds short
 * strings only.
 */
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The refusal of a replayed request. */
export function nonceReused(): LspError {
  return new LspError(ErrorCode.NonceReused, 'this nonce was already used with this key');
}

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

/** How long a key read from the database is trusted before it is read again. */
const KEY_CACHE_MS = 5_000;
const KEY_CACHE_MAX = 10_000;
/** How long an unknown (or revoked) key id is answered from memory by default. */
export const UNKNOWN_KEY_CACHE_MS = 30_000;
const EMPTY_SHA256 = createHash('sha256').digest('hex');

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
  /**
   * Recently read keys with their decrypted secrets. An entry lives `cacheMs`: a revocation
   * on this server takes effect at once, on other replicas within `cacheMs`.
   */
  readonly #cache = new Map<string, { key: ApiKeyRecord; secret: string; at: number }>();
  readonly #cacheMs: number;
  /**
   * Key ids the database did not know (or knew revoked), with when it was asked: a request
   * naming one is refused without a read for `unknownCacheMs`. A key created in this process
   * is dropped from it at once; one created elsewhere has a fresh random id, never asked for.
   */
  readonly #unknown = new Map<string, number>();
  readonly #unknownCacheMs: number;
  readonly #nonces: NonceWriter;
  /** Reads of keys in flight, shared by the requests that need them meanwhile. */
  readonly #loading = new Map<string, Promise<{ key: ApiKeyRecord; secret: string } | undefined>>();
  /** Counts revocations: a key read while one happened is used once but not cached. */
  #revocations = 0;

  constructor(
    repo: ApiKeysRepository,
    box: SecretBox,
    options: {
      now?: () => number;
      cacheMs?: number;
      unknownCacheMs?: number;
      /** Where read-only requests' nonces are recorded (`Database.relaxedDb`); `repo` if not given. */
      readNonces?: NonceStore;
    } = {},
  ) {
    this.#repo = repo;
    this.#box = box;
    this.#now = options.now ?? Date.now;
    this.#cacheMs = options.cacheMs ?? KEY_CACHE_MS;
    this.#unknownCacheMs = options.unknownCacheMs ?? UNKNOWN_KEY_CACHE_MS;
    this.#nonces = new NonceWriter(repo, options.readNonces);
  }

  /** Creates a key for a tenant. */
  async create(tenantId: string, scope: 'admin' | 'tenant', label = ''): Promise<CreatedKey> {
    const keyId = `key_${randomBytes(12).toString('hex')}`;
    const secret = `sk_${randomBytes(32).toString('base64url')}`;
    this.#unknown.delete(keyId);
    await this.#repo.insert({ id: keyId, tenantId, scope, secretCiphertext: this.#box.seal(secret), label });
    return { keyId, secret, tenantId, scope };
  }

  /** Revokes a key; false if unknown or already revoked. */
  revoke(keyId: string): Promise<boolean> {
    this.#cache.delete(keyId);
    this.#loading.delete(keyId);
    this.#revocations++;
    return this.#repo.revoke(keyId);
  }

  /**
   * Verifies a signed request and records its nonce. Refusals are 401s: `stale_timestamp` and
   * `nonce_reused` (neither helps forge a request), otherwise `unauthorized` with no hint of
   * which part failed.
   */
  async authenticate(req: SignedRequest): Promise<Principal> {
    const { principal, nonceIsNew } = await this.verify(req);
    if (!(await nonceIsNew)) throw nonceReused();
    return principal;
  }

  /**
   * Verifies the signature and starts recording the nonce without waiting for it: a caller
   * serving a read-only request may do its read meanwhile, but must not answer before
   * `nonceIsNew` resolves true (see {@link nonceReused}).
   */
  async verify(req: SignedRequest): Promise<{ principal: Principal; nonceIsNew: Promise<boolean> }> {
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
    if (!KEY_ID_PATTERN.test(keyId) || !NONCE_PATTERN.test(nonce) || !/^[0-9a-f]{64}$/.test(sig))
      throw refuse();
    const found = await this.#key(keyId);
    if (!found) throw refuse();
    const { key, secret } = found;
    const bodyHash =
      req.body.length === 0 ? EMPTY_SHA256 : createHash('sha256').update(req.body).digest('hex');
    const canonical = canonicalStringWithBodyHash(
      { timestamp, nonce, method: req.method, path: req.url },
      bodyHash,
    );
    const expected = createHmac('sha256', secret).update(canonical).digest();
    if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) throw refuse();
    return {
      principal: { keyId, tenantId: key.tenantId, scope: key.scope },
      // Kept until a request with this timestamp would be refused as stale, however far the
      // client's clock is ahead: a replay is refused on the nonce until then, on time after.
      nonceIsNew: this.#nonces.remember(
        keyId,
        nonce,
        new Date(Number(timestamp) + SIGNATURE_WINDOW_MS),
        req.method === 'GET' || req.method === 'HEAD',
      ),
    };
  }

  /**
   * Forgets nonces whose requests could no longer be accepted (a replay of them now fails on
   * the timestamp). A minute of margin covers clock drift between replicas.
   */
  pruneNonces(): Promise<bigint> {
    return this.#repo.pruneNonces(new Date(this.#now() - 60_000));
  }

  async #key(keyId: string): Promise<{ key: ApiKeyRecord; secret: string } | undefined> {
    const now = this.#now();
    const cached = this.#cache.get(keyId);
    if (cached && now - cached.at < this.#cacheMs) return cached;
    const unknownAt = this.#unknown.get(keyId);
    if (unknownAt !== undefined && now - unknownAt < this.#unknownCacheMs) return undefined;
    // Requests arriving while the key is read (as when its cache entry just lapsed under load)
    // share that read instead of each making its own.
    let loading = this.#loading.get(keyId);
    if (!loading) {
      loading = this.#load(keyId, now).finally(() => this.#loading.delete(keyId));
      this.#loading.set(keyId, loading);
    }
    return loading;
  }

  async #load(keyId: string, now: number): Promise<{ key: ApiKeyRecord; secret: string } | undefined> {
    const revocations = this.#revocations;
    const key = await this.#repo.get(keyId);
    if (!key || key.revokedAt) {
      this.#cache.delete(keyId);
      this.#rememberUnknown(keyId, now);
      return undefined;
    }
    this.#unknown.delete(keyId);
    const entry = { key, secret: this.#box.open(key.secretCiphertext), at: now };
    if (revocations !== this.#revocations) return entry;
    if (this.#cache.size >= KEY_CACHE_MAX) this.#cache.clear();
    this.#cache.set(keyId, entry);
    return entry;
  }

  #rememberUnknown(keyId: string, now: number): void {
    if (this.#unknownCacheMs <= 0) return;
    if (this.#unknown.size >= KEY_CACHE_MAX) {
      for (const [id, at] of this.#unknown) if (now - at >= this.#unknownCacheMs) this.#unknown.delete(id);
      // Still full: a flood of fresh ids within the window; start over rather than grow.
      if (this.#unknown.size >= KEY_CACHE_MAX) this.#unknown.clear();
    }
    this.#unknown.set(keyId, now);
  }
}
