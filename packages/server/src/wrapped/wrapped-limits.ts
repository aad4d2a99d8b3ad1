/** What the wrapped invoices' runner and its open step read from the configuration. */
import type { FundingBatchLimits } from '../funding/funding-batcher.ts';

/** The settings the runner reads (config `wrapped`, `lsps2` channel sizes, `channels`). */
export interface WrappedRunnerLimits {
  /** How channels ready together share a funding (`wrapped.batchWindowMs`, `lsps2`'s other batch settings). */
  readonly batches: FundingBatchLimits;
  readonly minChannelSize: number;
  readonly maxChannelSize: number;
  readonly maxClientToSelfDelay: number;
  readonly openTimeoutSeconds: number;
  readonly payTimeoutSeconds: number;
  readonly minFeeRate: number;
  readonly maxFeeRate: number;
}
