/**
 * The tables of tenants and their API keys.
 */
import type { ColumnType, Generated } from 'kysely';

/** `tenants`: the customers of the LSP; every record of theirs points here. */
export interface TenantsTable {
  id: string;
  name: string;
  /** The running balance, kept with each ledger entry (0007). */
  balance_sat: ColumnType<bigint, never, never>;
  created_at: ColumnType<Date, never, never>;
}

/** `api_keys`: key ids, scopes and encrypted secrets. */
export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  scope: 'admin' | 'tenant';
  secret_ciphertext: string;
  label: Generated<string>;
  created_at: ColumnType<Date, never, never>;
  revoked_at: Date | null;
}

/** `api_nonce_digests` (0033): nonces seen per key within the signature window, one digest each. */
export interface ApiNonceDigestsTable {
  /** The first 16 bytes of SHA-256(`${keyId} ${nonce}`), as a uuid. */
  digest: string;
  /** The request's timestamp plus the signature window: until then a replay could be accepted. */
  expires_at: Date;
}
