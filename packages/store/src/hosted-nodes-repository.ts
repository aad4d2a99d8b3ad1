/**
 * Hosted nodes (0011): who owns each, what it was asked to be, where it is reached, its sealed
 * secrets, how far its hosting is paid, its latest channel backup, and the keeper's up/down
 * intervals.
 */
import type { HostedNodeState } from '@blgv/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import { type Page, type PageRequest, readPage } from './keyset-page.ts';
import { moveState } from './move-state.ts';
import type { Schema } from './schema.ts';
import type { HostedNodesTable } from './tables/hosting.ts';

/** A hosted node as stored. */
export interface HostedNodeRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly alias: string;
  readonly color: string;
  readonly config: unknown;
  readonly state: HostedNodeState;
  readonly pubkey: string | null;
  readonly rpcAddress: string | null;
  readonly publicRpcAddress: string | null;
  readonly restAddress: string | null;
  readonly p2pAddress: string | null;
  readonly tlsCert: string | null;
  readonly sealedSecrets: string | null;
  readonly sealedCustomerMacaroon: string | null;
  readonly paidUntil: Date | null;
  /** How far billing from the node's own `ListPayments` reached before 0018 (no longer moved). */
  readonly billedPaymentIndex: bigint;
  readonly suspendedAt: Date | null;
  readonly failure: string | null;
  readonly backup: string | null;
  readonly backupAt: Date | null;
  readonly createdAt: Date;
  /** The `Idempotency-Key` it was created under, if any. */
  readonly idempotencyKey: string | null;
  /** A digest of the creation request (a repeat under the same key must match it). */
  readonly requestHash: string | null;
  /** The creating process's last beat (a `creating` node without a recent one was abandoned). */
  readonly creationHeartbeatAt: Date | null;
  /** Until when a repeated creation request is shown the seed again (unless acknowledged). */
  readonly seedAvailableUntil: Date | null;
  readonly seedAcknowledgedAt: Date | null;
  /** The watchtower (`pubkey@host:port`) registered with the node; null while none watches it. */
  readonly watchtower: string | null;
}

/** What a provisioned node records (endpoints and sealed secrets). */
export interface ProvisionedNode {
  readonly pubkey: string;
  readonly rpcAddress: string;
  readonly publicRpcAddress: string;
  readonly restAddress: string;
  readonly p2pAddress: string;
  readonly tlsCert: string;
  readonly sealedSecrets: string;
  readonly sealedCustomerMacaroon: string;
}

/** Arbitrary constant naming the node creation lock (`pg_advisory_xact_lock`). */
const CREATION_LOCK_ID = 7_242_011;

const LIVE: readonly HostedNodeState[] = ['creating', 'running', 'stopped', 'suspended', 'deleting'];

function toRecord(r: Selectable<HostedNodesTable>): HostedNodeRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    alias: r.alias,
    color: r.color,
    config: r.config,
    state: r.state,
    pubkey: r.pubkey,
    rpcAddress: r.rpc_address,
    publicRpcAddress: r.public_rpc_address,
    restAddress: r.rest_address,
    p2pAddress: r.p2p_address,
    tlsCert: r.tls_cert,
    sealedSecrets: r.sealed_secrets,
    sealedCustomerMacaroon: r.sealed_customer_macaroon,
    paidUntil: r.paid_until,
    billedPaymentIndex: BigInt(r.billed_payment_index),
    suspendedAt: r.suspended_at,
    failure: r.failure,
    backup: r.backup,
    backupAt: r.backup_at,
    createdAt: r.created_at,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    creationHeartbeatAt: r.creation_heartbeat_at,
    seedAvailableUntil: r.seed_available_until,
    seedAcknowledgedAt: r.seed_acknowledged_at,
    watchtower: r.watchtower,
  };
}

/** Reads and writes hosted nodes. */
export class HostedNodesRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Records a node being created (its creation's heartbeat starts now). */
  async insert(node: {
    id: string;
    tenantId: string;
    alias: string;
    color: string;
    config: unknown;
    idempotencyKey?: string;
    requestHash?: string;
    seedAvailableUntil?: Date;
  }): Promise<void> {
    await this.#db
      .insertInto('hosted_nodes')
      .values({
        id: node.id,
        tenant_id: node.tenantId,
        alias: node.alias,
        color: node.color,
        config: JSON.stringify(node.config),
        state: 'creating',
        idempotency_key: node.idempotencyKey ?? null,
        request_hash: node.requestHash ?? null,
        creation_heartbeat_at: sql`now()`,
        seed_available_until: node.seedAvailableUntil ?? null,
      })
      .execute();
  }

  /** A tenant's node created under `idempotencyKey` (whatever its state). */
  async byIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<HostedNodeRecord | undefined> {
    const r = await this.#db
      .selectFrom('hosted_nodes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
    return r ? toRecord(r) : undefined;
  }

  /** The creating process is alive: beats the node's creation heartbeat. */
  async beatCreation(id: string): Promise<void> {
    await this.#db
      .updateTable('hosted_nodes')
      .set({ creation_heartbeat_at: sql`now()` })
      .where('id', '=', id)
      .where('state', '=', 'creating')
      .execute();
  }

  /** Nodes `creating` whose creation has not beaten for `staleMs`: their creator died. */
  async abandonedCreations(staleMs: number): Promise<HostedNodeRecord[]> {
    const rows = await this.#db
      .selectFrom('hosted_nodes')
      .selectAll()
      .where('state', '=', 'creating')
      .where(
        sql<boolean>`coalesce(creation_heartbeat_at, created_at) < now() - make_interval(secs => ${staleMs / 1000})`,
      )
      .execute();
    return rows.map(toRecord);
  }

  /** The tenant has its seed: it is never shown again. */
  async acknowledgeSeed(id: string): Promise<void> {
    await this.#db
      .updateTable('hosted_nodes')
      .set({ seed_acknowledged_at: sql`coalesce(seed_acknowledged_at, now())` })
      .where('id', '=', id)
      .execute();
  }

  async get(id: string): Promise<HostedNodeRecord | undefined> {
    const r = await this.#db.selectFrom('hosted_nodes').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRecord(r) : undefined;
  }

  /**
   * A tenant's node (`undefined` for another tenant's). A deleted node is still found: its
   * tenant reads what became of it (the sweep, the archive) until its archive is purged.
   */
  async getOwned(tenantId: string, id: string): Promise<HostedNodeRecord | undefined> {
    const r = await this.#db
      .selectFrom('hosted_nodes')
      .selectAll()
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return r ? toRecord(r) : undefined;
  }

  /**
   * A page of a tenant's nodes, newest (last created) first, deleted ones left out: the list of
   * `GET /v1/nodes`.
   */
  async listOwned(tenantId: string, page: PageRequest): Promise<Page<HostedNodeRecord>> {
    const q = this.#db
      .selectFrom('hosted_nodes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('state', '!=', 'deleted');
    return readPage(q, 'seq', page, toRecord);
  }

  /** A tenant's nodes (all tenants' without one), oldest first, deleted ones left out. */
  async list(tenantId?: string): Promise<HostedNodeRecord[]> {
    let q = this.#db.selectFrom('hosted_nodes').selectAll().where('state', '!=', 'deleted');
    if (tenantId) q = q.where('tenant_id', '=', tenantId);
    return (await q.orderBy('created_at').orderBy('id').execute()).map(toRecord);
  }

  /** Nodes not in a final state (the keeper's and the billing job's work). */
  async live(): Promise<HostedNodeRecord[]> {
    const rows = await this.#db
      .selectFrom('hosted_nodes')
      .selectAll()
      .where('state', 'in', [...LIVE])
      .orderBy('created_at')
      .execute();
    return rows.map(toRecord);
  }

  /**
   * Takes the creation lock until the surrounding transaction ends, so that on every replica
   * one node at a time is counted against the limits and inserted.
   */
  async lockCreation(): Promise<void> {
    await sql`select pg_advisory_xact_lock(${CREATION_LOCK_ID})`.execute(this.#db);
  }

  /** How many live nodes the tenant has, and in total. */
  async counts(tenantId: string): Promise<{ tenant: number; total: number }> {
    const r = await this.#db
      .selectFrom('hosted_nodes')
      .select([
        sql<string>`count(*) filter (where tenant_id = ${tenantId})`.as('tenant'),
        sql<string>`count(*)`.as('total'),
      ])
      .where('state', 'in', [...LIVE])
      .executeTakeFirstOrThrow();
    return { tenant: Number(r.tenant), total: Number(r.total) };
  }

  /**
   * Moves a node from `from` to `to` (compare-and-set): false when it was not in `from`.
   * Runs in the caller's transaction when given one.
   */
  transition(
    id: string,
    from: HostedNodeState,
    to: HostedNodeState,
    patch: {
      failure?: string;
      suspendedAt?: Date | null;
    } = {},
    db: Kysely<Schema> = this.#db,
  ): Promise<boolean> {
    return moveState(db, { table: 'hosted_nodes' }, id, from, { state: to, ...patch });
  }

  /**
   * Records what a creation has reached so far (each step as soon as it is done, so a creation
   * cut short is resumed from there): where the node is reached, its sealed secrets, its pubkey,
   * the customer's macaroon.
   */
  async provisioned(id: string, p: Partial<ProvisionedNode>, db: Kysely<Schema> = this.#db): Promise<void> {
    const set = {
      ...(p.pubkey !== undefined ? { pubkey: p.pubkey } : {}),
      ...(p.rpcAddress !== undefined ? { rpc_address: p.rpcAddress } : {}),
      ...(p.publicRpcAddress !== undefined ? { public_rpc_address: p.publicRpcAddress } : {}),
      ...(p.restAddress !== undefined ? { rest_address: p.restAddress } : {}),
      ...(p.p2pAddress !== undefined ? { p2p_address: p.p2pAddress } : {}),
      ...(p.tlsCert !== undefined ? { tls_cert: p.tlsCert } : {}),
      ...(p.sealedSecrets !== undefined ? { sealed_secrets: p.sealedSecrets } : {}),
      ...(p.sealedCustomerMacaroon !== undefined
        ? { sealed_customer_macaroon: p.sealedCustomerMacaroon }
        : {}),
    };
    await db
      .updateTable('hosted_nodes')
      .set({ ...set, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Forgets a removed node's secrets and channel backup once its archive is purged (the end of
   * the retention period): nothing of its wallet stays with the LSP.
   */
  async forgetSecrets(id: string): Promise<void> {
    await this.#db
      .updateTable('hosted_nodes')
      .set({ sealed_secrets: null, sealed_customer_macaroon: null, backup: null, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('state', 'in', ['deleted', 'failed'])
      .execute();
  }

  /** Extends the paid period. */
  async setPaidUntil(id: string, paidUntil: Date, db: Kysely<Schema> = this.#db): Promise<void> {
    await db
      .updateTable('hosted_nodes')
      .set({ paid_until: paidUntil, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** Records the watchtower registered with the node (`pubkey@host:port`), or none. */
  async setWatchtower(id: string, tower: string | null): Promise<void> {
    await this.#db.updateTable('hosted_nodes').set({ watchtower: tower }).where('id', '=', id).execute();
  }

  /** Keeps the latest static channel backup (base64). */
  async setBackup(id: string, backup: string): Promise<void> {
    await this.#db
      .updateTable('hosted_nodes')
      .set({ backup, backup_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Records a check. When the node's last check was at most `maxGapMs` ago, its interval runs
   * on to this check (the state it saw held until one saw otherwise) and, if `up` changed, a new
   * interval opens here; after a longer silence (not watched) a new interval opens.
   */
  async recordCheck(nodeId: string, up: boolean, maxGapMs: number): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      const last = await tx
        .selectFrom('hosted_node_checks')
        .select([
          'since',
          'up',
          // The database's clock on both sides, whatever the server's.
          sql<boolean>`until >= now() - make_interval(secs => ${maxGapMs / 1000})`.as('recent'),
        ])
        .where('node_id', '=', nodeId)
        .orderBy('since', 'desc')
        .limit(1)
        .forUpdate()
        .executeTakeFirst();
      // A recent last interval runs on to this check (its state held until one saw otherwise):
      // consecutive checks leave no uncounted gap, whatever their states.
      if (last?.recent) {
        await tx
          .updateTable('hosted_node_checks')
          .set({ until: sql`now()` })
          .where('node_id', '=', nodeId)
          // Compared in the database: Postgres keeps microseconds, a JavaScript Date does not.
          .where('since', '=', (eb) =>
            eb
              .selectFrom('hosted_node_checks')
              .select(sql<Date>`max(since)`.as('since'))
              .where('node_id', '=', nodeId),
          )
          .execute();
      }
      if (!last?.recent || last.up !== up) {
        await tx.insertInto('hosted_node_checks').values({ node_id: nodeId, up }).execute();
      }
    });
  }
}
