/**
 * Webhooks from config: how they are sent (the outbound policy, shared with LSPS5) and retried.
 */
import { readFileSync } from 'node:fs';
import type { WebhookRetryPolicy } from '@blgv/core';
import type { Config } from '../config/config.ts';
import type { OutboundPolicy } from './outbound.ts';

/** The outbound policy: private targets only on the embedded regtest network unless set. */
export function outboundPolicyFromConfig(config: Config): OutboundPolicy {
  const w = config.webhooks;
  return {
    allowPrivateTargets: w.allowPrivateTargets ?? config.lightning.mode === 'regtest',
    timeoutMs: w.timeoutMs,
    maxResponseBytes: w.maxResponseBytes,
    ...(w.caCertPath ? { ca: readFileSync(w.caCertPath, 'utf8') } : {}),
  };
}

/** How deliveries are retried. */
export function retryPolicyFromConfig(config: Config): WebhookRetryPolicy {
  const w = config.webhooks;
  return { baseDelayMs: w.retryBaseMs, maxDelayMs: w.retryMaxMs, windowMs: w.retryWindowSeconds * 1000 };
}
