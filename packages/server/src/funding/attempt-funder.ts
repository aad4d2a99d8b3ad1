/**
 * What one funding attempt (`funding-attempt.ts`) needs of the funder running it
 * (`channel-funder.ts`): the database, the Lightning calls, the funder's signal and coins, and
 * how to move or cancel a funding.
 */
import type { FundingEvent } from '@blgv/core';
import type { ChannelFunding, Database, Kysely, Schema } from '@blgv/store';
import type { Logger } from 'pino';
import type { AfterCommit } from '../machines/apply-step.ts';
import type { CoinSupply } from './coin-supply.ts';
import type { ChannelFunderLightning, FundingGuard } from './funding-request.ts';

/** What an attempt needs of the funder running it. */
export interface AttemptFunder {
  readonly database: Database;
  readonly lightning: ChannelFunderLightning;
  readonly log: Logger;
  readonly guard: FundingGuard | undefined;
  /** The funder's own signal (its job's, once it runs). */
  signal(): AbortSignal;
  /** Attempts this process is running (recovery leaves them alone). */
  readonly live: Set<string>;
  /** Our own unconfirmed fundings, and waiting for coins to come back. */
  readonly coins: CoinSupply;
  /** Whether a funding other than `attempt` holds wallet coins (they, or their change, come back). */
  othersHoldCoins(attempt: string): Promise<boolean>;
  /** Applies a funding's event and performs its effects (after `afterCommit`'s transaction). */
  move(
    db: Kysely<Schema>,
    funding: Pick<ChannelFunding, 'id' | 'state' | 'txid' | 'lockId'>,
    event: FundingEvent,
    afterCommit?: AfterCommit,
  ): Promise<boolean>;
  /** Cancels an attempt that never passed the commit point. */
  cancel(funding: ChannelFunding, reason: string): Promise<void>;
}
