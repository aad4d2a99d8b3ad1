/**
 * API keys and the nonces seen with them.
 */
import { createHash } from 'node:crypto';
import { CompiledQuery, type Kysely, type Selectable, sql } from 'kysely';
import { prepared } from './prepared-statements.ts';
import type { Schema } from './schema.ts';
import type { ApiKeysTable } from './tables/tenants.ts';

/** A stored API key (the secret still encrypted). */
export interface ApiKeyRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly scope: ApiKeysTable['scope'];
  readonly secretCiphertext: string;
  readonly label: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

/**
 * Every signed request's statement (docs/performance.md, "Signed endpoint"): one text for any
 * number of nonces, prepared once per connection.
 */
const REMEMBER_NONCES = prepared(
  'remember_nonce_digests',
  `insert into api_nonce_digests (digest, expires_at)
   select * from unnest($1::uuid[], $2::timestamptz[])
   on conflict (digest) do nothing returning digest`,
);

/**
 * A (key, nonce) pair as stored: the first 16 bytes of SHA-256(`${keyId} ${nonce}`) as a uuid
 * (migration 0033 computes the same in SQL). Key ids have no spaces: the pair is one string.
 */
export function nonceDigest(keyId: string, nonce: string): string {
  const h = createHash('sha256').update(`${keyId} ${nonce}`, 'utf8').digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Reads and writes API keys and nonces. */
export class ApiKeysRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async insert(key: Omit<ApiKeyRecord, 'createdAt' | 'revokedAt'>): Promise<ApiKeyRecord> {
    const r = await this.#db
      .insertInto('api_keys')
      .values({
        id: key.id,
        tenant_id: key.tenantId,
        scope: key.scope,
        secret_ciphertext: key.secretCiphertext,
        label: key.label,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(r);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const r = await this.#db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRecord(r);
  }

  /** Keys of one tenant, newest first. */
  async list(tenantId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toRecord);
  }

  /** True when at least one admin key is not revoked. */
  async hasActiveAdmin(): Promise<boolean> {
    const r = await this.#db
      .selectFrom('api_keys')
      .select('id')
      .where('scope', '=', 'admin')
      .where('revoked_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  /** Revokes a key; false when it does not exist or was already revoked. */
  async revoke(id: string): Promise<boolean> {
    const r = await this.#db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /**
   * Records many (key, nonce) pairs in one statement; returns the pairs that were new, as
   * `keyId + ' ' + nonce` strings. A pair not returned was seen before (a replay).
   */
  async rememberNonces(
    pairs: readonly { keyId: string; nonce: string; expiresAt: Date }[],
  ): Promise<Set<string>> {
    if (pairs.length === 0) return new Set();
    const digests = pairs.map((p) => nonceDigest(p.keyId, p.nonce));
    const { rows } = await this.#db.executeQuery<{ digest: string }>(
      CompiledQuery.raw(REMEMBER_NONCES, [digests, pairs.map((p) => p.expiresAt.toISOString())]),
    );
    // A digest inserted is new for the first pair that has it, never for a second one.
    const fresh = new Set(rows.map((r) => r.digest));
    return new Set(
      pairs.filter((_, i) => fresh.delete(digests[i] as string)).map((p) => `${p.keyId} ${p.nonce}`),
    );
  }

  /** Forgets nonces whose requests could no longer be accepted at `now`; returns how many. */
  async pruneNonces(now: Date): Promise<bigint> {
    const r = await this.#db.deleteFrom('api_nonce_digests').where('expires_at', '<', now).executeTakeFirst();
    // What replicas of the version before 0033 wrote while an upgrade ran (0033's trigger).
    await sql`delete from api_nonces where expires_at < ${now}`.execute(this.#db);
    return r.numDeletedRows;
  }
}

function toRecord(r: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    scope: r.scope,
    secretCiphertext: r.secret_ciphertext,
    label: r.label,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}
