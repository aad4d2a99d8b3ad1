/**
 * What the stories of the webhook jobs on their own stand on: a real database (embedded
 * PGlite, migrated), a real HTTPS receiver trusted by the delivery policy, the webhook service
 * over them and one tenant. The story starts the jobs it tells of.
 */
import { readFileSync } from 'node:fs';
import type { WebhookRetryPolicy } from '@blgv/core';
import { createLogger, SecretBox } from '@blgv/server';
import { type Database, openMigratedMemoryDatabase, TenantsRepository } from '@blgv/store';
import { WebhookService } from '../../packages/server/src/webhooks/webhook-service.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

/** The world of a webhook job story. */
export interface WebhookJobWorld {
  readonly database: Database;
  readonly receiver: WebhookReceiver;
  readonly box: SecretBox;
  readonly policy: {
    readonly allowPrivateTargets: true;
    readonly timeoutMs: number;
    readonly maxResponseBytes: number;
    readonly ca: string;
  };
  readonly log: ReturnType<typeof createLogger>;
  readonly service: WebhookService;
  readonly tenantId: string;
  /** Closes the receiver and the database (stop the jobs first). */
  close(): Promise<void>;
}

/** Starts a world whose deliveries are retried by `retry`. */
export async function startWebhookJobWorld(retry: WebhookRetryPolicy): Promise<WebhookJobWorld> {
  const database = await openMigratedMemoryDatabase();
  const receiver = await startWebhookReceiver();
  const box = SecretBox.ephemeral();
  const policy = {
    allowPrivateTargets: true as const,
    timeoutMs: 2_000,
    maxResponseBytes: 1_000,
    ca: readFileSync(receiver.certPath, 'utf8'),
  };
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
  const service = new WebhookService({ database, box, policy, retry, maxEndpointsPerTenant: 5, log });
  const tenantId = (await new TenantsRepository(database.db).create('platform')).id;
  return {
    database,
    receiver,
    box,
    policy,
    log,
    service,
    tenantId,
    async close() {
      await receiver.close();
      await database.close();
    },
  };
}
