/**
 * The routing-fees job's record: each fee it set on a channel (or would set, in dry-run) with
 * its reason, written as one row (and so one `routing_fee` event, by trigger 0020), and the
 * policy's settings as an operator changed them at runtime.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Schema } from './schema.ts';

/** One fee change (or, in dry-run, one the job would have made). */
export interface RoutingFeeChange {
  readonly channelPoint: string;
  readonly scid: string;
  readonly state: 'applied' | 'dry_run';
  readonly baseFeeMsat: bigint;
  readonly feeRatePpm: bigint;
  readonly previousFeeRatePpm: bigint;
  readonly inboundFeeRatePpm: bigint;
  readonly outboundSharePpm: bigint;
  readonly reason: string;
}

/** A recorded change, with when it was made. */
export interface RoutingFeeChangeRecord extends RoutingFeeChange {
  readonly id: string;
  readonly createdAt: Date;
}

/** Reads and writes the routing-fees record and the runtime policy settings. */
export class RoutingFeesRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Records a change (its event is written with it). */
  async record(change: RoutingFeeChange): Promise<RoutingFeeChangeRecord> {
    const row = await this.#db
      .insertInto('routing_fee_changes')
      .values({
        id: randomUUID(),
        channel_point: change.channelPoint,
        scid: change.scid,
        state: change.state,
        base_fee_msat: change.baseFeeMsat,
        fee_rate_ppm: change.feeRatePpm,
        previous_fee_rate_ppm: change.previousFeeRatePpm,
        inbound_fee_rate_ppm: change.inboundFeeRatePpm,
        outbound_share_ppm: change.outboundSharePpm,
        reason: change.reason,
      })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
    return { ...change, id: row.id, createdAt: row.created_at };
  }

  /** When each channel (by channel point) last had a change in `state`. */
  async lastChanges(state: 'applied' | 'dry_run'): Promise<Map<string, Date>> {
    const rows = await this.#db
      .selectFrom('routing_fee_changes')
      .select((eb) => ['channel_point', eb.fn.max('created_at').as('at')])
      .where('state', '=', state)
      .groupBy('channel_point')
      .execute();
    return new Map(rows.map((r) => [r.channel_point, new Date(r.at)]));
  }

  /** Every change of one channel, oldest first. */
  async changes(channelPoint: string): Promise<RoutingFeeChangeRecord[]> {
    const rows = await this.#db
      .selectFrom('routing_fee_changes')
      .selectAll()
      .where('channel_point', '=', channelPoint)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at,
      channelPoint: r.channel_point,
      scid: r.scid,
      state: r.state,
      baseFeeMsat: BigInt(r.base_fee_msat),
      feeRatePpm: BigInt(r.fee_rate_ppm),
      previousFeeRatePpm: BigInt(r.previous_fee_rate_ppm),
      inboundFeeRatePpm: BigInt(r.inbound_fee_rate_ppm),
      outboundSharePpm: BigInt(r.outbound_share_ppm),
      reason: r.reason,
    }));
  }

  /** The settings an operator set at runtime, or `undefined` when none (the config's apply). */
  async settings(): Promise<Record<string, unknown> | undefined> {
    const row = await this.#db
      .selectFrom('routing_policy')
      .select('settings')
      .where('id', '=', 1)
      .executeTakeFirst();
    return row?.settings;
  }

  /** Stores the runtime settings (replacing any earlier ones). */
  async saveSettings(settings: Record<string, unknown>): Promise<void> {
    const json = JSON.stringify(settings);
    await this.#db
      .insertInto('routing_policy')
      .values({ id: 1, settings: json })
      .onConflict((oc) => oc.column('id').doUpdateSet({ settings: json, updated_at: new Date() }))
      .execute();
  }
}
