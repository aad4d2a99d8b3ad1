/**
 * Funding wrapped invoices' channels: withheld at their commit point and, with
 * `wrapped.batchWindowMs`, batched with others ready together (under `lsps2`'s
 * `maxBatchChannels`, `batchMaxWaitMs`, `batchWithheld`), released by the wallet's preimage, and
 * given up when the
 * wallet never settles: withdrawn, or, when its batch went out with another wallet's preimage,
 * its channel closed (`funding/withheld-batch.ts`).
 */
import type { WrappedInvoiceState } from '@blgv/core';
import {
  type Database,
  UnpaidChannelsRepository,
  type WrappedInvoiceRecord,
  WrappedInvoicesRepository,
} from '@blgv/store';
import type { Logger } from 'pino';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { FundingBatcher, type FundingBatchLimits } from '../funding/funding-batcher.ts';
import type { FundingChannel, FundingResult, FundOptions } from '../funding/funding-request.ts';
import {
  WithheldBatch,
  type WithheldBatchLightning,
  type WithheldMember,
  type WithheldMembers,
  withheldMember,
  withheldMembers,
} from '../funding/withheld-batch.ts';

const STANDING: Partial<Record<WrappedInvoiceState, WithheldMember['standing']>> = {
  paying: 'may_settle',
  settling: 'settled',
  completed: 'settled',
  failed: 'unpaid',
};

/** A wrapped invoice past its commit point as a member of its funding. */
export function wrappedMember(w: WrappedInvoiceRecord): WithheldMember {
  return withheldMember(w, wrappedFundingOwner(w.id), w.walletPubkey, STANDING);
}

/** A wrapped invoice's channel's owner in its funding. */
export function wrappedFundingOwner(id: string): string {
  return `wrapped:${id}`;
}

/** The wrapped invoices of withheld fundings. */
export function wrappedMembers(database: Database): WithheldMembers {
  const repo = () => new WrappedInvoicesRepository(database.db);
  return withheldMembers(
    'wrapped:',
    {
      ofFunding: (fundingId) => repo().byFunding(fundingId),
      unpaidWentOut: () => repo().failedWithFundingOut(),
    },
    wrappedMember,
  );
}

/** Funds, releases and gives up wrapped invoices' withheld channels. */
export class WrappedFunding {
  readonly #funder: ChannelFunder;
  readonly #batcher: FundingBatcher;
  readonly #withheld: WithheldBatch;

  constructor(deps: {
    database: Database;
    funder: ChannelFunder;
    lightning: WithheldBatchLightning;
    batches: FundingBatchLimits;
    log: Logger;
    /** The running runner's signal. */
    signal: () => AbortSignal;
  }) {
    this.#funder = deps.funder;
    this.#batcher = new FundingBatcher({ funder: deps.funder, limits: deps.batches, log: deps.log });
    this.#withheld = new WithheldBatch({
      ...deps,
      members: wrappedMembers(deps.database),
      unpaid: new UnpaidChannelsRepository(deps.database.db),
    });
  }

  /** Funds the wallet's channel, withheld, with others ready together. */
  fund(channel: FundingChannel, options: Omit<FundOptions, 'withhold'>): Promise<FundingResult> {
    return this.#batcher.fund(channel, { ...options, withhold: true });
  }

  /** The wallet settled: its funding (and its batch's) is published; members unpaid before are closed. */
  async release(w: WrappedInvoiceRecord, signal: AbortSignal): Promise<void> {
    if (!w.fundingId) return;
    await this.#funder.release(w.fundingId, signal);
    await this.#withheld.released(wrappedMember(w));
  }

  /** The wallet never settled: its funding is withdrawn, kept for its batch, or its channel closed. */
  async withdraw(w: WrappedInvoiceRecord): Promise<void> {
    if (!w.fundingId) return;
    await this.#withheld.withdraw(wrappedMember(w), w.failure ?? 'the wallet never settled');
  }

  /** After a restart: unpaid members whose batch went out, their channels still open, are closed. */
  recover(): Promise<void> {
    return this.#withheld.recover();
  }
}
