/**
 * For the server's own HTTP-level tests (never imported by production code): the whole
 * application, every room's routes and hosting's included, on an in-memory PGlite and a stand-in
 * for the Lightning node that only estimates fees, makes hold invoices and gives an address (any
 * other call fails, so a test that reaches LND further shows it), with no job running. Requests
 * are signed with a real key, as a customer's are.
 */
import { randomBytes } from 'node:crypto';
import type { FeeEstimate, LightningBackend } from '@blgv/core';
import { signRequest } from '@blgv/protocol';
import { type Database, openMigratedMemoryDatabase } from '@blgv/store';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { loadConfig } from '../config/config.ts';
import type { HostingRuntime } from '../hosting/hosting-setup.ts';
import { createLogger } from '../logger.ts';
import { buildApp } from './build-app.ts';
import { createServices } from './services.ts';

/** A key's id and secret. */
export interface TestKey {
  readonly keyId: string;
  readonly secret: string;
}

/** The application in process, its keys, and signed requests to it. */
export interface InProcessApp {
  readonly app: FastifyInstance;
  readonly database: Database;
  readonly admin: TestKey;
  /** Creates a tenant and returns a tenant key of it. */
  newTenant(name: string): Promise<TestKey & { readonly tenantId: string }>;
  /**
   * A signed request. `body` is sent as it is (a string) or as JSON; with no body, no
   * content type is sent.
   */
  send(
    key: TestKey,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** The address every `newAddress` of the test's node answers (regtest, P2WPKH). */
export const TEST_NODE_ADDRESS = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

/**
 * A Lightning node on regtest that estimates fees (2 sat/vB for every target), makes hold
 * invoices (a string that is no invoice) and gives one address; any other call fails.
 */
function regtestStandIn(): LightningBackend {
  const calls: Partial<Record<keyof LightningBackend, unknown>> = {
    estimateFee: async (targetConf: number): Promise<FeeEstimate> => ({ satPerVbyte: 2n, targetConf }),
    addHoldInvoice: async () => ({ paymentRequest: `lnbcrt-test-${randomBytes(8).toString('hex')}` }),
    newAddress: async () => TEST_NODE_ADDRESS,
  };
  return new Proxy({} as LightningBackend, {
    get: (_, name) => {
      if (name === 'then') return undefined;
      return (
        calls[name as keyof LightningBackend] ??
        (async () => {
          throw new Error(`no Lightning node in this test: ${String(name)} was called`);
        })
      );
    },
  });
}

/** Hosting drivers that are never called (no job runs): `/v1/nodes` is served on regtest. */
const idleHosting: HostingRuntime = {
  orchestrator: {} as HostingRuntime['orchestrator'],
  wallets: {} as HostingRuntime['wallets'],
  connect: {} as HostingRuntime['connect'],
  reannounceIntervalMs: 60_000,
  network: 'regtest',
  archiveDir: '/nonexistent/blgv-lsp-test-archives',
};

/**
 * Starts the application in process, configured by `file` (as a `BLGV_CONFIG` file holds it),
 * logging to `options.log` (nowhere by default).
 */
export async function startInProcessApp(
  file: Record<string, unknown> = {},
  options: { readonly log?: Logger } = {},
): Promise<InProcessApp> {
  const database = await openMigratedMemoryDatabase();
  const config = loadConfig(
    { BLGV_PORT: '0', BLGV_SECRETS_KEY: randomBytes(32).toString('hex'), BLGV_CONFIG: 'test-config.json' },
    () => JSON.stringify(file),
  );
  const log = options.log ?? createLogger('silent', false);
  const lightning = regtestStandIn();
  const services = createServices({ config, database, lightning, log, hosting: idleHosting });
  const app = buildApp({ log, lightning, database, services, rateLimit: config.auth.rateLimit });
  await app.ready();
  const operator = await services.tenants.create('operator');
  const admin = await services.apiKeys.create(operator.id, 'admin');
  const send: InProcessApp['send'] = (key, method, path, body, headers = {}) => {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    return app.inject({
      method: method as 'GET',
      url: path,
      headers: {
        ...signRequest({ keyId: key.keyId, secret: key.secret, method, path, body: text }),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: text } : {}),
    });
  };
  return {
    app,
    database,
    admin: { keyId: admin.keyId, secret: admin.secret },
    send,
    async newTenant(name) {
      const tenant = await services.tenants.create(name);
      const key = await services.apiKeys.create(tenant.id, 'tenant');
      return { tenantId: tenant.id, keyId: key.keyId, secret: key.secret };
    },
    async close() {
      await app.close();
      services.hosting?.close();
      await database.close();
    },
  };
}
