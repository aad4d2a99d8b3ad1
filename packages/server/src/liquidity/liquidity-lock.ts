/**
 * The LSP node's liquidity as reservations see it, and the one way to act on it atomically.
 *
 * What the node can spend comes from LND (concurrent reads share one call); what is promised
 * comes from the database. A decision ("is there enough for this?") runs in a transaction
 * holding the allocation lock, so across replicas one decision happens at a time. A payment
 * that succeeded after LND was read makes the read stale (its money left the node, and it no
 * longer counts as in flight): the `liquidity_epoch` shows it, and the read is repeated.
 */
import {
  availableLiquidity,
  type ChannelsPort,
  ErrorCode,
  LspError,
  type Sat,
  spendableOutbound,
} from '@blgv/core';
import type { Schema } from '@blgv/store';
import { type Database, ReservationsRepository, type TenantPosition, type Transaction } from '@blgv/store';

/** One read of the node's spendable balance, tagged with the epoch read before it. */
export interface SpendableReading {
  readonly spendable: Sat;
  readonly epoch: bigint;
}

const READ_TIMEOUT_MS = 10_000;
/** Reads repeated when payments keep succeeding in between; then the caller is told to retry. */
const MAX_STALE_READS = 5;

/** Reads the node's spendable outbound balance; concurrent callers share one LND call. */
export class SpendableReader {
  readonly #database: Database;
  readonly #lightning: Pick<ChannelsPort, 'listChannels'>;
  #inflight: Promise<SpendableReading> | undefined;

  constructor(deps: { database: Database; lightning: Pick<ChannelsPort, 'listChannels'> }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
  }

  /** A fresh reading (or the one in flight: it started after the caller's last decision). */
  read(): Promise<SpendableReading> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(): Promise<SpendableReading> {
    // The epoch first: a payment succeeding after this point shows as a new epoch.
    const epoch = await new ReservationsRepository(this.#database.db).epoch();
    const channels = await this.#lightning.listChannels(AbortSignal.timeout(READ_TIMEOUT_MS));
    return { epoch, spendable: spendableOutbound(channels) };
  }
}

/**
 * Runs `decide` in a transaction that holds the allocation lock, with the liquidity available
 * at that moment: spendable minus unused reservations minus payments in flight. `onLocked` is
 * told when the transaction holds the lock (before `decide` runs); `lockTenants` are locked
 * with it, and `decide` gets their positions, read with what is committed.
 */
export async function withAvailableLiquidity<T>(
  deps: {
    readonly database: Database;
    readonly spendable: SpendableReader;
    readonly onLocked?: () => void;
    /** Tenants whose rows `decide` needs locked, and whose positions it is given. */
    readonly lockTenants?: readonly string[];
  },
  decide: (trx: Transaction<Schema>, available: Sat, positions: Map<string, TenantPosition>) => Promise<T>,
): Promise<T> {
  for (let read = 0; read < MAX_STALE_READS; read++) {
    const reading = await deps.spendable.read();
    const outcome = await deps.database.db.transaction().execute(async (trx) => {
      const reservations = new ReservationsRepository(trx);
      // Three round trips under the lock: the locks, what is committed, then `decide`'s.
      await reservations.lockAllocation(deps.lockTenants);
      deps.onLocked?.();
      const { positions, ...committed } = await reservations.committed(deps.lockTenants);
      if (committed.epoch !== reading.epoch) return { stale: true as const };
      const available = availableLiquidity({ spendable: reading.spendable, ...committed });
      return { stale: false as const, value: await decide(trx, available, positions) };
    });
    if (!outcome.stale) return outcome.value;
  }
  throw new LspError(
    ErrorCode.LightningUnavailable,
    'the LSP node balance kept changing while checking liquidity; retry',
  );
}
