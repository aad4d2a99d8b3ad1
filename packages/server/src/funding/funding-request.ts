/**
 * What the `ChannelFunder` is built with (the Lightning calls it makes), and what callers hand
 * it and get back: the channels to fund, how, the commit that passes with their own machines,
 * and what became of each channel.
 */
import type { ChannelsPort, FundingPort, Hex32, PsbtOpenRequest, Sat } from '@blgv/core';
import type { Database, Schema, Transaction } from '@blgv/store';
import type { Logger } from 'pino';
import type { AfterCommit } from '../machines/apply-step.ts';

/**
 * The Lightning calls the funder makes: the whole PSBT funding flow, and the pending and open
 * channels its sweep reads to abandon those of cancelled fundings.
 */
export type ChannelFunderLightning = FundingPort &
  Pick<ChannelsPort, 'abandonChannel' | 'listChannels' | 'pendingChannels'>;

/** What the funder is built with. */
export interface ChannelFunderDeps {
  readonly database: Database;
  readonly lightning: ChannelFunderLightning;
  readonly log: Logger;
  /** Told before inputs are picked (LSPS1 receipts keep theirs leased). */
  readonly guard?: FundingGuard;
}

/** A channel to fund, and who it is for. */
export interface FundingChannel {
  /** Names the channel's owner, e.g. `channel_request:<id>`: outcomes are keyed by it. */
  readonly owner: string;
  readonly open: Omit<PsbtOpenRequest, 'pendingChanId'>;
}

/** A channel that passed the commit point. */
export interface CommittedChannel {
  readonly owner: string;
  readonly outputIndex: number;
}

/** A funding transaction at its commit point. */
export interface FundingCommit {
  readonly fundingId: string;
  readonly txid: Hex32;
  /** What the transaction pays the miners. */
  readonly fee: Sat;
  readonly vsize: number;
  readonly channels: readonly CommittedChannel[];
}

/** How to fund. */
export interface FundOptions {
  /** sat/vB of the funding transaction. */
  readonly feeRate: bigint;
  /** How long peers have to accept and then to sign, each. */
  readonly deadlineMs: number;
  /**
   * Runs in the database transaction that passes the commit point: the callers persist their
   * own machines' transitions here, so they commit together with the funding. Their steps'
   * effects go on `after` (applyStep's `afterCommit`): the funder performs them once the
   * transaction is written and the funding published, before {@link ChannelFunder.fund}
   * resolves.
   */
  commit(trx: Transaction<Schema>, commit: FundingCommit, after: AfterCommit): Promise<void>;
  /** Ends the negotiation early (as a failure, before the commit point). */
  readonly signal?: AbortSignal;
  /**
   * Told once the transaction's inputs are chosen and leased: from then on another funding can
   * pick the wallet's coins without racing this one for them.
   */
  readonly onInputsLeased?: () => void;
  /**
   * Keep the transaction back at the commit point (`withheld`): every peer has signed, so a
   * zero-conf channel is usable, but the LSP signs and publishes only when the caller
   * {@link ChannelFunder.release}s it, or gives it up with {@link ChannelFunder.withdraw}.
   */
  readonly withhold?: boolean;
}

/** What became of a set of channels: those committed together, and those never to be funded. */
export interface FundingResult {
  readonly committed?: FundingCommit;
  /** Owner -> why its channel will not be funded (nothing was spent for it). */
  readonly failed: ReadonlyMap<string, string>;
  /**
   * Owners whose client node refused the channel (it answered with an error, or asked for
   * terms LND would not take), as opposed to not answering in time or going away.
   */
  readonly refused: ReadonlySet<string>;
}

/**
 * Runs right before the wallet picks a funding's inputs (`FundPsbt`): whoever holds wallet
 * coins that are not the LSP's to spend leases them here. A guard that fails fails the
 * attempt, before anything is funded.
 */
export interface FundingGuard {
  beforeFunding(signal: AbortSignal): Promise<void>;
}

/** What one attempt ended with. */
export interface AttemptResult {
  readonly committed?: FundingCommit;
  readonly failed: Map<string, string>;
  readonly refused: Set<string>;
  /** Channels that did nothing wrong but were cancelled with the attempt. */
  readonly retry: readonly FundingChannel[];
  /**
   * The LSP's own node could not negotiate yet (LND refuses opens while it catches up with a
   * new block): the whole attempt is to be made again after a pause.
   */
  readonly nodeNotReady?: boolean;
  /**
   * No peer accepted, and those in `retry` failed on their node's own internal error (not a
   * decision): they are asked again after a pause, within the attempts the funding has left.
   */
  readonly clientFault?: boolean;
}
