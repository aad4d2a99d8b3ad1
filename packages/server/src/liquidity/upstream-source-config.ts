/**
 * The upstream liquidity source a configuration asks for (`liquidity.upstream`): an LSPS1
 * provider reached as `pubkey@host:port`.
 */
import { parsePubkey } from '@blgv/core';
import type { Database } from '@blgv/store';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { UpstreamLsps1Source } from './upstream-lsps1-source.ts';
import type { UpstreamLsps1SourceLightning } from './upstream-source-lightning.ts';

/**
 * The upstream source the config asks for (`liquidity.upstream`), or `undefined` when none is
 * configured. Its `run` must be started with the server's jobs.
 */
export function liquiditySourceFromConfig(
  config: Pick<Config, 'liquidity'>,
  deps: { lightning: UpstreamLsps1SourceLightning; database: Database; log: Logger },
): UpstreamLsps1Source | undefined {
  const u = config.liquidity.upstream;
  if (!u) return undefined;
  const at = u.uri.indexOf('@');
  return new UpstreamLsps1Source({
    ...deps,
    settings: {
      pubkey: parsePubkey(u.uri.slice(0, at).toLowerCase()),
      host: u.uri.slice(at + 1),
      headroomPpm: BigInt(u.headroomPpm),
      channelExpiryBlocks: u.channelExpiryBlocks,
      requiredConfirmations: u.requiredConfirmations,
      fundingConfirmsWithinBlocks: u.fundingConfirmsWithinBlocks,
      paymentTargetConf: u.paymentTargetConf,
      timeoutMs: u.timeoutSeconds * 1000,
      pollIntervalMs: u.pollIntervalMs,
      callTimeoutMs: u.callTimeoutMs,
    },
  });
}
