/**
 * The services behind the HTTP routes and LSPS methods, built once from config and passed
 * down. Tests build them the same way.
 */
import { type FeeSchedule, type LightningBackend, sat } from '@blgv/core';
import { ApiKeysRepository, type Database, TenantsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import { Accounts } from './accounts/accounts.ts';
import { watchTopups } from './accounts/topup-watcher.ts';
import { ApiKeys } from './auth/api-keys.ts';
import { SecretBox } from './auth/secret-box.ts';
import { ChannelService } from './channels/channel-service.ts';
import type { Config } from './config/config.ts';

/** Everything the routes use. */
export interface LspServices {
  readonly fees: FeeSchedule;
  readonly apiKeys: ApiKeys;
  readonly tenants: TenantsRepository;
  readonly accounts: Accounts;
  readonly channels: ChannelService;
  /** Starts the background jobs (top-up credits, channel tracking, nonce pruning). */
  startJobs(signal: AbortSignal): void;
}

/** The fee schedule from config, in integers. */
export function feeScheduleFrom(config: Config): FeeSchedule {
  const f = config.fees;
  return {
    channelOpening: {
      baseFee: sat(f.channelOpening.baseFee),
      capacityFeePpm: BigInt(f.channelOpening.capacityFeePpm),
    },
    liquidity: {
      reservationFee: sat(f.liquidity.reservationFee),
      utilizationFeePpm: BigInt(f.liquidity.utilizationFeePpm),
    },
    routing: {
      baseFee: BigInt(f.routing.baseFeeMsat) as FeeSchedule['routing']['baseFee'],
      feeRatePpm: BigInt(f.routing.feeRatePpm),
    },
    hosting: { monthlyFee: sat(f.hosting.monthlyFee), transactionFee: sat(f.hosting.transactionFee) },
  };
}

const NONCE_PRUNE_INTERVAL_MS = 60_000;

/** Builds the services. */
export function createServices(deps: {
  config: Config;
  database: Database;
  lightning: LightningBackend;
  log: Logger;
}): LspServices {
  const { config, database, lightning, log } = deps;
  const box = config.secretsKey
    ? new SecretBox(Buffer.from(config.secretsKey, 'hex'))
    : SecretBox.ephemeral();
  const apiKeys = new ApiKeys(new ApiKeysRepository(database.db), box);
  const accounts = new Accounts({
    database,
    lightning,
    limits: config.topups,
    log: log.child({ sub: 'accounts' }),
  });
  const fees = feeScheduleFrom(config);
  const channels = new ChannelService({
    database,
    lightning,
    accounts,
    schedule: fees,
    limits: config.channels,
    log: log.child({ sub: 'channels' }),
  });
  return {
    fees,
    apiKeys,
    tenants: new TenantsRepository(database.db),
    accounts,
    channels,
    startJobs(signal) {
      void watchTopups({ accounts, database, lightning, log: log.child({ sub: 'topups' }) }, signal);
      void channels.track(signal).catch((err: unknown) => log.error({ err }, 'channel tracker failed'));
      const prune = setInterval(() => void apiKeys.pruneNonces().catch(() => {}), NONCE_PRUNE_INTERVAL_MS);
      prune.unref();
      signal.addEventListener('abort', () => clearInterval(prune), { once: true });
    },
  };
}
