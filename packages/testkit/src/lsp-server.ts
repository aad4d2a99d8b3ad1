/**
 * Runs the LSP server against a test network's `lsp` node, listening on a real port, and
 * hands out SDK clients: tests then talk to it as customers would, over HTTP.
 */
import { randomBytes } from 'node:crypto';
import type { LightningBackend } from '@blgv/core';
import { LSPClient } from '@blgv/lsp-client';
import type { LndNode } from '@blgv/regtest';
import {
  buildApp,
  type Config,
  createLogger,
  createServices,
  type HostingRuntime,
  loadConfig,
} from '@blgv/server';
import { type Database, migrate, openDatabase, openMigratedMemoryDatabase, sql } from '@blgv/store';
import type { Network } from './network.ts';

/** A running server and an admin client. */
export interface TestLsp {
  readonly url: string;
  readonly admin: LSPClient;
  readonly database: Database;
  /** Creates a tenant and returns a client signed with a fresh tenant key. */
  newTenant(name: string): Promise<{ client: LSPClient; tenantId: string; keyId: string; secret: string }>;
  /**
   * Stops the server and starts a new one on the same database (nothing kept in memory), with
   * its configuration as `change` makes it (an operator's edit between two runs).
   */
  restart(change?: (config: Config) => Config): Promise<void>;
  /** Stops the server (its jobs and HTTP), keeping the database: the LSP is down. */
  down(): Promise<void>;
  /** Starts a new server on the same database and port after {@link down}. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** How long a (re)start waits for the LSP to listen for LSPS peer messages before going on. */
const PEER_MESSAGES_WAIT_MS = 30_000;

/**
 * Starts the server on a throwaway schema of the test Postgres (native Postgres leaves the two
 * cores to LND and the stories); `postgres: false` runs it on the embedded PGlite instead, as
 * `npm start` does (the stories that keep PGlite say so). `TEST_DATABASE=pglite` runs every
 * story on PGlite.
 */
export async function startTestLsp(
  net: Network,
  options: {
    /** Default true (unless `TEST_DATABASE=pglite`). */
    postgres?: boolean;
    /**
     * The Postgres to run on (default `TEST_DATABASE_URL`, else the machine's test Postgres),
     * e.g. a story's own `startTestPostgres` that it crashes; implies `postgres`.
     */
    databaseUrl?: string;
    env?: Record<string, string>;
    file?: Record<string, unknown>;
    /** The LND node the server runs on (default: the network's `lsp`), e.g. an upstream LSP's. */
    node?: LndNode;
    /** Wraps the node's backend (e.g. to inject faults around the real LND). */
    wrap?: (lightning: LightningBackend) => LightningBackend;
    /** Hosted nodes' drivers, from the config (one runtime kept across restarts). */
    hosting?: (config: Config) => HostingRuntime | undefined;
  } = {},
): Promise<TestLsp> {
  const node = (options.node ?? net.lsp).lnd;
  const lightning = options.wrap ? options.wrap(node) : node;
  const schema = `lsp_test_${randomBytes(4).toString('hex')}`;
  // A fixed secrets key, as in production: a restarted server must read what the last one sealed.
  let config: Config = loadConfig(
    {
      BLGV_PORT: '0',
      BLGV_SECRETS_KEY: randomBytes(32).toString('hex'),
      ...(options.file ? { BLGV_CONFIG: 'test-config.json' } : {}),
      ...options.env,
    },
    () => JSON.stringify(options.file ?? {}),
  );
  const onPostgres =
    options.databaseUrl !== undefined || (options.postgres ?? process.env.TEST_DATABASE !== 'pglite');
  const databaseUrl = options.databaseUrl ?? postgresUrl;
  const database = onPostgres
    ? await openDatabase({ kind: 'postgres', url: databaseUrl, schema })
    : await openMigratedMemoryDatabase();
  await migrate(database.db);
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', false);
  const hosting = options.hosting?.(config);
  const boot = async (port: number) => {
    const services = createServices({ config, database, lightning, log, ...(hosting ? { hosting } : {}) });
    const jobs = new AbortController();
    const runner = services.startJobs(jobs.signal);
    // The signed API's limit per tenant as configured (the default unless a story sets it).
    const app = buildApp({ log, lightning, database, services, rateLimit: config.auth.rateLimit });
    const url = await app.listen({ host: '127.0.0.1', port });
    // As a start does: LSPS messages a test sends next must not be lost.
    await services.untilPeerMessages(PEER_MESSAGES_WAIT_MS);
    /** Stops the jobs (giving their leases back) and the HTTP server. */
    const halt = async () => {
      jobs.abort();
      await Promise.all([runner.stopped(), app.close()]);
      services.hosting?.close();
    };
    return { services, halt, app, url };
  };
  let server = await boot(0);
  const { services, url } = server;
  const operator = await services.tenants.create('operator');
  const adminKey = await services.apiKeys.create(operator.id, 'admin');
  const admin = new LSPClient({ endpoint: url, apiKey: adminKey.keyId, apiSecret: adminKey.secret });
  return {
    url,
    admin,
    database,
    async newTenant(name) {
      const tenant = await admin.admin.createTenant(name);
      const key = await admin.admin.createKey(tenant.id, 'tenant');
      return {
        client: new LSPClient({ endpoint: url, apiKey: key.keyId, apiSecret: key.secret }),
        tenantId: tenant.id,
        keyId: key.keyId,
        secret: key.secret,
      };
    },
    async restart(change) {
      await server.halt();
      if (change) config = change(config);
      server = await boot(Number(new URL(url).port));
    },
    async down() {
      await server.halt();
    },
    async up() {
      server = await boot(Number(new URL(url).port));
    },
    async stop() {
      await server.halt();
      if (onPostgres) await sql.raw(`drop schema if exists ${schema} cascade`).execute(database.db);
      await database.close();
    },
  };
}
