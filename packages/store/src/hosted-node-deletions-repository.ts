/**
 * Deletions of hosted nodes (0017): what the tenant asked, what the keeper did (closes, sweeps),
 * what the node held at the last look and why it stays, and the archive of its data once it is
 * removed.
 */
import type {
  ChannelCloseRecord,
  DeletionPhase,
  DeletionProgress,
  DeletionRequest,
  HoldingsSummary,
  SweepRecord,
} from '@blgv/core';
import { type Hex32, sat } from '@blgv/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Schema } from './schema.ts';
import type { HostedNodeDeletionsTable } from './tables/hosting.ts';

/** A deletion as stored. */
export interface HostedNodeDeletion extends DeletionProgress {
  readonly nodeId: string;
  readonly requestedAt: Date;
  /** The chain height when asked (sweeps are looked for from here). */
  readonly startHeight: number | null;
  readonly phase: DeletionPhase | 'removed';
  /** What the node held at the last look (null before it). */
  readonly holdings: HoldingsSummary | null;
  /** Why the node is not removed yet. */
  readonly reasons: readonly string[];
  readonly checkedAt: Date | null;
  readonly removedAt: Date | null;
  /** The driver's reference of the archive of the node's data, until purged. */
  readonly archiveRef: string | null;
  readonly archiveExpiresAt: Date | null;
  readonly archivePurgedAt: Date | null;
  /** Deleted before deletions were recorded. */
  readonly legacy: boolean;
}

type StoredSweep = Omit<SweepRecord, 'amount'> & { readonly amount: string };
type StoredSummary = Record<keyof HoldingsSummary, string | number>;

function toDeletion(r: Selectable<HostedNodeDeletionsTable>): HostedNodeDeletion {
  const holdings = r.holdings as StoredSummary | null;
  return {
    nodeId: r.node_id,
    closeChannels: r.close_channels,
    sweepAddress: r.sweep_address,
    requestedAt: r.requested_at,
    startHeight: r.start_height,
    closes: (r.closes ?? {}) as Record<string, ChannelCloseRecord>,
    sweeps: ((r.sweeps ?? []) as StoredSweep[]).map((s) => ({
      ...s,
      txid: s.txid as Hex32,
      amount: sat(s.amount),
    })),
    phase: r.phase,
    holdings: holdings
      ? {
          openChannels: Number(holdings.openChannels),
          openingChannels: Number(holdings.openingChannels),
          closingChannels: Number(holdings.closingChannels),
          channelSat: sat(holdings.channelSat),
          timeLockedSat: sat(holdings.timeLockedSat),
          onchainConfirmedSat: sat(holdings.onchainConfirmedSat),
          onchainUnconfirmedSat: sat(holdings.onchainUnconfirmedSat),
        }
      : null,
    reasons: (r.reasons ?? []) as string[],
    checkedAt: r.checked_at,
    removedAt: r.removed_at,
    archiveRef: r.archive_ref,
    archiveExpiresAt: r.archive_expires_at,
    archivePurgedAt: r.archive_purged_at,
    legacy: r.legacy,
  };
}

function summaryJson(s: HoldingsSummary): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(s).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v])),
  );
}

/** What one look of the keeper found and did. */
export interface DeletionLook {
  readonly phase: DeletionPhase;
  readonly holdings: HoldingsSummary;
  readonly reasons: readonly string[];
  readonly closes: Readonly<Record<string, ChannelCloseRecord>>;
  readonly sweeps: readonly SweepRecord[];
}

/** Reads and writes deletions. */
export class HostedNodeDeletionsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async get(nodeId: string): Promise<HostedNodeDeletion | undefined> {
    const r = await this.#db
      .selectFrom('hosted_node_deletions')
      .selectAll()
      .where('node_id', '=', nodeId)
      .executeTakeFirst();
    return r ? toDeletion(r) : undefined;
  }

  /** Every deletion (for the audit). */
  async all(): Promise<HostedNodeDeletion[]> {
    const rows = await this.#db.selectFrom('hosted_node_deletions').selectAll().execute();
    return rows.map(toDeletion);
  }

  /** The deletions of these nodes, by node id. */
  async forNodes(nodeIds: readonly string[]): Promise<Map<string, HostedNodeDeletion>> {
    if (nodeIds.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom('hosted_node_deletions')
      .selectAll()
      .where('node_id', 'in', [...nodeIds])
      .execute();
    return new Map(rows.map((r) => [r.node_id, toDeletion(r)]));
  }

  /**
   * Records a deletion asked for, or what a repeated request changes (closeChannels and the
   * sweep address): what the keeper already did is kept.
   */
  async request(nodeId: string, request: DeletionRequest, startHeight: number | null): Promise<void> {
    await this.#db
      .insertInto('hosted_node_deletions')
      .values({
        node_id: nodeId,
        close_channels: request.closeChannels,
        sweep_address: request.sweepAddress,
        start_height: startHeight,
      })
      .onConflict((oc) =>
        oc.column('node_id').doUpdateSet({
          close_channels: request.closeChannels,
          sweep_address: request.sweepAddress,
        }),
      )
      .execute();
  }

  /** Records one look of the keeper. */
  async recordLook(nodeId: string, look: DeletionLook): Promise<void> {
    await this.#db
      .updateTable('hosted_node_deletions')
      .set({
        phase: look.phase,
        holdings: summaryJson(look.holdings),
        reasons: JSON.stringify(look.reasons),
        closes: JSON.stringify(look.closes),
        sweeps: JSON.stringify(look.sweeps.map((s) => ({ ...s, amount: s.amount.toString() }))),
        checked_at: sql`now()`,
      })
      .where('node_id', '=', nodeId)
      .where('phase', '!=', 'removed')
      .execute();
  }

  /**
   * Records that the node's removal has begun (its data is about to go): a crash before
   * {@link removed} is then finished by the keeper's next look, not taken for a node lost.
   */
  async removing(nodeId: string): Promise<Date> {
    const at = new Date();
    await this.#db
      .updateTable('hosted_node_deletions')
      .set({ phase: 'removing', checked_at: at })
      .where('node_id', '=', nodeId)
      .where('phase', '!=', 'removed')
      .execute();
    return at;
  }

  /**
   * Records a removal refused at its last look (the node answered holding something, or ran
   * without answering): no longer `removing` but `blocked` with why, until the keeper's next
   * look plans again. A node its driver then misses is not taken for a removal cut short. Only
   * the removal that began at `began` ({@link removing}'s answer) is undone: another one begun
   * since (and maybe past its data already) keeps its phase.
   */
  async removalRefused(nodeId: string, reasons: readonly string[], began: Date): Promise<void> {
    await this.#db
      .updateTable('hosted_node_deletions')
      .set({ phase: 'blocked', reasons: JSON.stringify(reasons), checked_at: sql`now()` })
      .where('node_id', '=', nodeId)
      .where('phase', '=', 'removing')
      .where('checked_at', '=', began)
      .execute();
  }

  /**
   * Records why a look could not be made (the node would not start, say): the tenant reads it.
   * A removal under way keeps its start ({@link removing}'s `checked_at`): its refusal undoes
   * only the removal that began then.
   */
  async recordTrouble(nodeId: string, reasons: readonly string[]): Promise<void> {
    await this.#db
      .updateTable('hosted_node_deletions')
      .set({
        reasons: JSON.stringify(reasons),
        checked_at: sql`case when phase = 'removing' then checked_at else now() end`,
      })
      .where('node_id', '=', nodeId)
      .where('phase', '!=', 'removed')
      .execute();
  }

  /** Records the removal of the node and where its data is archived until `expiresAt`. */
  async removed(
    nodeId: string,
    archive: { readonly ref: string; readonly expiresAt: Date } | undefined,
    db: Kysely<Schema> = this.#db,
  ): Promise<void> {
    await db
      .updateTable('hosted_node_deletions')
      .set({
        phase: 'removed',
        reasons: '[]',
        removed_at: sql`now()`,
        archive_ref: archive?.ref ?? null,
        archive_expires_at: archive?.expiresAt ?? null,
      })
      .where('node_id', '=', nodeId)
      .execute();
  }

  /** Archives whose retention has ended and are not purged yet. */
  async expiredArchives(now: Date): Promise<HostedNodeDeletion[]> {
    const rows = await this.#db
      .selectFrom('hosted_node_deletions')
      .selectAll()
      .where('archive_ref', 'is not', null)
      .where('archive_purged_at', 'is', null)
      .where('archive_expires_at', '<=', now)
      .execute();
    return rows.map(toDeletion);
  }

  /** Records an archive purged. */
  async purged(nodeId: string): Promise<void> {
    await this.#db
      .updateTable('hosted_node_deletions')
      .set({ archive_purged_at: sql`now()` })
      .where('node_id', '=', nodeId)
      .execute();
  }
}
