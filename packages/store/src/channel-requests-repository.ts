/**
 * Channels sold through the REST API and the states they pass through.
 */
import { type Sat, sat } from '@blgv/core';
import { CompiledQuery, type Kysely, type Selectable } from 'kysely';
import { type Page, type PageRequest, readPage } from './keyset-page.ts';
import { moveState } from './move-state.ts';
import { prepared } from './prepared-statements.ts';
import type { Schema } from './schema.ts';
import type { ChannelRequestState, ChannelRequestsTable } from './tables/channels.ts';
import { isUuid } from './uuid.ts';

/** Every column of `channel_requests`, in the table's order. */
const COLUMNS = `id, seq, tenant_id, idempotency_key, idempotency_fingerprint, client_pubkey, capacity_sat,
  push_sat, fee_rate_sat_per_vbyte, private, fee_sat, network_fee_sat, funding_id, state, funding_txid,
  funding_output_index, failure, estimated_blocks, created_at, updated_at`;

/** A signed channel read's statement (every request reads through it, coalesced per turn). */
const CHANNELS_BY_ID = prepared(
  'channels_by_id',
  `select ${COLUMNS} from channel_requests where id = any($1::uuid[])`,
);

/** A channel request as stored. */
export interface ChannelRequest {
  readonly id: string;
  readonly tenantId: string;
  readonly idempotencyKey: string | null;
  /** What the idempotency key was first used with (a digest of the request body). */
  readonly idempotencyFingerprint: string | null;
  readonly clientPubkey: string;
  readonly capacity: Sat;
  readonly push: Sat;
  readonly feeRateSatPerVbyte: bigint | null;
  readonly private: boolean;
  /** The opening fee charged. */
  readonly fee: Sat;
  /** The network fee charged (its share of the funding transaction). */
  readonly networkFee: Sat;
  readonly state: ChannelRequestState;
  readonly fundingTxid: string | null;
  readonly fundingOutputIndex: number | null;
  /** The funding transaction it was committed in. */
  readonly fundingId: string | null;
  readonly failure: string | null;
  readonly estimatedBlocks: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Fields a state change may set. */
export interface ChannelRequestUpdate {
  readonly state: ChannelRequestState;
  readonly fundingTxid?: string;
  readonly fundingOutputIndex?: number;
  readonly fundingId?: string;
  readonly failure?: string;
}

/** Reads and writes channel requests. */
export class ChannelRequestsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async insert(
    r: Omit<
      ChannelRequest,
      'state' | 'fundingTxid' | 'fundingOutputIndex' | 'fundingId' | 'failure' | 'createdAt' | 'updatedAt'
    >,
  ): Promise<ChannelRequest> {
    const row = await this.#db
      .insertInto('channel_requests')
      .values({
        id: r.id,
        tenant_id: r.tenantId,
        idempotency_key: r.idempotencyKey,
        idempotency_fingerprint: r.idempotencyFingerprint,
        client_pubkey: r.clientPubkey,
        capacity_sat: r.capacity,
        push_sat: r.push,
        fee_rate_sat_per_vbyte: r.feeRateSatPerVbyte,
        private: r.private,
        fee_sat: r.fee,
        network_fee_sat: r.networkFee,
        state: 'queued',
        estimated_blocks: r.estimatedBlocks,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRequest(row);
  }

  /** One tenant's request by id (another tenant's is `undefined`). */
  async get(tenantId: string, id: string): Promise<ChannelRequest | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.#db
      .selectFrom('channel_requests')
      .selectAll()
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row && toRequest(row);
  }

  /** A page of one tenant's requests, newest (last inserted) first. */
  async list(tenantId: string, page: PageRequest): Promise<Page<ChannelRequest>> {
    const q = this.#db.selectFrom('channel_requests').selectAll().where('tenant_id', '=', tenantId);
    return readPage(q, 'seq', page, toRequest);
  }

  /** A request by id, whoever's it is. */
  async getAny(id: string): Promise<ChannelRequest | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.#db
      .selectFrom('channel_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toRequest(row);
  }

  /** Many requests by id in one query (any tenant: callers check ownership). */
  async getMany(ids: readonly string[]): Promise<Map<string, ChannelRequest>> {
    const valid = ids.filter((id) => isUuid(id));
    if (valid.length === 0) return new Map();
    const { rows } = await this.#db.executeQuery<Selectable<ChannelRequestsTable>>(
      CompiledQuery.raw(CHANNELS_BY_ID, [valid]),
    );
    return new Map(rows.map((r) => [r.id, toRequest(r)]));
  }

  async byIdempotencyKey(tenantId: string, key: string): Promise<ChannelRequest | undefined> {
    const row = await this.#db
      .selectFrom('channel_requests')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row && toRequest(row);
  }

  async byOutpoint(txid: string, outputIndex: number): Promise<ChannelRequest | undefined> {
    const row = await this.#db
      .selectFrom('channel_requests')
      .selectAll()
      .where('funding_txid', '=', txid)
      .where('funding_output_index', '=', outputIndex)
      .executeTakeFirst();
    return row && toRequest(row);
  }

  /** Every request, oldest first (for the audit). */
  async all(): Promise<ChannelRequest[]> {
    const rows = await this.#db.selectFrom('channel_requests').selectAll().orderBy('created_at').execute();
    return rows.map(toRequest);
  }

  async inStates(states: readonly ChannelRequestState[]): Promise<ChannelRequest[]> {
    const rows = await this.#db
      .selectFrom('channel_requests')
      .selectAll()
      .where('state', 'in', [...states])
      .orderBy('created_at')
      .execute();
    return rows.map(toRequest);
  }

  /** Requests committed in one funding transaction. */
  async byFunding(fundingId: string): Promise<ChannelRequest[]> {
    const rows = await this.#db
      .selectFrom('channel_requests')
      .selectAll()
      .where('funding_id', '=', fundingId)
      .execute();
    return rows.map(toRequest);
  }

  /** Moves a request to a new state, only from one of `from`; false if it was elsewhere. */
  transition(
    id: string,
    from: readonly ChannelRequestState[],
    update: ChannelRequestUpdate,
  ): Promise<boolean> {
    return moveState(this.#db, { table: 'channel_requests' }, id, from, update);
  }
}

function toRequest(r: Selectable<ChannelRequestsTable>): ChannelRequest {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    idempotencyKey: r.idempotency_key,
    idempotencyFingerprint: r.idempotency_fingerprint,
    clientPubkey: r.client_pubkey,
    capacity: sat(r.capacity_sat),
    push: sat(r.push_sat),
    feeRateSatPerVbyte: r.fee_rate_sat_per_vbyte,
    private: r.private,
    fee: sat(r.fee_sat),
    networkFee: sat(r.network_fee_sat),
    state: r.state,
    fundingTxid: r.funding_txid,
    fundingOutputIndex: r.funding_output_index,
    fundingId: r.funding_id,
    failure: r.failure,
    estimatedBlocks: r.estimated_blocks,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
