/**
 * Wrapped invoices from the configuration: the request service and the job, wired together
 * (a proposal wakes the job at once), or nothing when `wrapped.enabled` is false.
 */
import type { FeeSchedule, LightningBackend } from '@blgv/core';
import type { Database } from '@blgv/store';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { ChannelFunder } from '../funding/channel-funder.ts';
import { WrappedRunner } from './wrapped-runner.ts';
import { WrappedService } from './wrapped-service.ts';

/** The wrapped-invoice service and job, and what their routes read. */
export interface WrappedParts {
  readonly service: WrappedService;
  readonly runner: WrappedRunner;
  readonly routes: { readonly bearerToken: string | undefined; readonly requestsPerMinute: number };
}

/** Builds the wrapped-invoice parts, or undefined when they are off. */
export function wrappedFromConfig(
  config: Config,
  deps: {
    database: Database;
    lightning: LightningBackend;
    funder: ChannelFunder;
    fees: FeeSchedule;
    log: Logger;
  },
): WrappedParts | undefined {
  const c = config.wrapped;
  if (!c.enabled) return undefined;
  const log = deps.log.child({ sub: 'wrapped' });
  const feeRates = { minFeeRate: config.channels.minFeeRate, maxFeeRate: config.channels.maxFeeRate };
  const runner = new WrappedRunner({
    database: deps.database,
    lightning: deps.lightning,
    funder: deps.funder,
    schedule: deps.fees,
    limits: {
      batches: {
        windowMs: c.batchWindowMs,
        maxChannels: config.lsps2.maxBatchChannels,
        maxWaitMs: config.lsps2.batchMaxWaitMs,
        withheld: config.lsps2.batchWithheld,
      },
      minChannelSize: config.lsps2.minChannelSize,
      maxChannelSize: config.lsps2.maxChannelSize,
      maxClientToSelfDelay: config.lsps2.maxClientToSelfDelay,
      openTimeoutSeconds: config.channels.openTimeoutSeconds,
      payTimeoutSeconds: c.payTimeoutSeconds,
      ...feeRates,
    },
    log,
  });
  const service = new WrappedService({
    database: deps.database,
    lightning: deps.lightning,
    schedule: deps.fees,
    limits: { ...c, ...feeRates },
    log,
    created: () => runner.created(),
  });
  return { service, runner, routes: { bearerToken: c.bearerToken, requestsPerMinute: c.requestsPerMinute } };
}
