/**
 * The composition root: builds the Lightning backend, the database and the HTTP server from
 * the configuration, and stops them in reverse order.
 */
import { readFileSync } from 'node:fs';
import type { LightningBackend, NodeInfo } from '@blgv/core';
import { lndBackend, lndConnectionFromFiles } from '@blgv/lnd';
import { ApiKeysRepository, type Database, migrate, openDatabase } from '@blgv/store';
import type { Logger } from 'pino';
import type { CreatedKey } from '../auth/api-keys.ts';
import { type Config, ConfigError } from '../config/config.ts';
import type { EmbeddedNetwork, EmbeddedNetworkStarter } from '../embedded-network.ts';
import { type HostingRuntime, hostingFromConfig } from '../hosting/hosting-setup.ts';
import { resolveWatchtower, towerUri } from '../hosting/node-watchtower.ts';
import { buildApp } from './build-app.ts';
import { createServices, type LspServices } from './services.ts';

/** How long a start waits for the LSPS peer-message stream before reporting ready anyway. */
const PEER_MESSAGES_WAIT_MS = 15_000;

/** A running LSP. */
export interface RunningLsp {
  readonly url: string;
  readonly node: NodeInfo;
  /** The embedded network, when no LND is configured (the regtest demo). */
  readonly network: EmbeddedNetwork | undefined;
  readonly database: Database;
  readonly services: LspServices;
  /** The admin key made at first start (its secret is shown this once). */
  readonly bootstrapKey: CreatedKey | undefined;
  stop(): Promise<void>;
}

/** On a database with no admin key, creates the `operator` tenant and an admin key. */
async function bootstrapAdmin(database: Database, services: LspServices): Promise<CreatedKey | undefined> {
  if (await new ApiKeysRepository(database.db).hasActiveAdmin()) return undefined;
  const existing = (await services.tenants.list()).find((t) => t.name === 'operator');
  const tenant = existing ?? (await services.tenants.create('operator'));
  return services.apiKeys.create(tenant.id, 'admin', 'created at first start');
}

/** Options of {@link startLsp} for embedding (tests, tools). */
export interface StartOptions {
  /**
   * Starts the network to run on when no LND is configured (`lightning.mode` `regtest`):
   * `blgv-lsp start` passes the embedded regtest demo, composed outside the server.
   */
  readonly embeddedNetwork?: EmbeddedNetworkStarter;
  /** Wraps the LND backend before anything uses it (e.g. a fault-injecting wrapper in tests). */
  readonly wrapLightning?: (lightning: LightningBackend) => LightningBackend;
  /** Wraps the hosted nodes' runtime (e.g. tests injecting faults into the driver). */
  readonly wrapHosting?: (hosting: HostingRuntime) => HostingRuntime;
}

/** Starts everything the configuration asks for. */
export async function startLsp(config: Config, log: Logger, options: StartOptions = {}): Promise<RunningLsp> {
  const cleanup: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of cleanup.reverse())
      await step().catch((err: unknown) => log.error({ err }, 'stop step failed'));
  };
  try {
    let network: EmbeddedNetwork | undefined;
    let lightning: LightningBackend;
    if (config.lightning.mode === 'regtest') {
      if (!options.embeddedNetwork)
        throw new ConfigError([
          'no LND configured: set LND_RPC_ADDRESS, LND_TLS_CERT_PATH and LND_MACAROON_PATH (`blgv-lsp start` starts the embedded regtest network instead)',
        ]);
      const started = await options.embeddedNetwork(log.child({ sub: 'regtest' }));
      network = started;
      cleanup.push(() => started.stop());
      lightning = started.lsp.lnd;
    } else {
      const { rpcAddress, tlsCertPath, macaroonPath } = config.lightning;
      const lndLog = log.child({ sub: 'lnd' });
      const backend = lndBackend(lndConnectionFromFiles(rpcAddress, tlsCertPath, macaroonPath), {
        onStreamRetry: (name, err, delayMs) =>
          lndLog.warn({ stream: name, err: err.message, delayMs }, 'stream retry'),
      });
      cleanup.push(async () => backend.close());
      lightning = backend;
    }
    if (options.wrapLightning) lightning = options.wrapLightning(lightning);
    const node = await lightning.getInfo(AbortSignal.timeout(15_000));
    log.info({ pubkey: node.pubkey, alias: node.alias, height: node.blockHeight }, 'connected to LND');

    const database = await openDatabase(config.database);
    cleanup.push(() => database.close());
    const applied = await migrate(database.db);
    log.info({ database: config.database.kind, applied }, 'database ready');

    const { tower, why } = config.hosting.enabled
      ? await resolveWatchtower(config.hosting.watchtower, lightning, AbortSignal.timeout(15_000))
      : {};
    const configured = hostingFromConfig(config, {
      ...(network ? { regtest: { chain: network.btcd.chain, dir: network.dir } } : {}),
      lspPubkey: node.pubkey,
      ...(tower ? { watchtower: tower } : {}),
      log,
    });
    const hosting = configured && options.wrapHosting ? options.wrapHosting(configured) : configured;
    if (hosting) {
      // Without outliveServer (the demo) this stops the nodes; otherwise they keep running.
      cleanup.push(() => hosting.orchestrator.close());
      log.info({ driver: hosting.orchestrator.driver }, 'hosted nodes enabled');
      if (tower) log.info({ tower: towerUri(tower) }, 'hosted nodes back up to the watchtower');
      else log.warn(`hosted nodes are not watched while offline: ${why} (docs/hosting.md, Watchtower)`);
    }
    const services = createServices({ config, database, lightning, log, ...(hosting ? { hosting } : {}) });
    cleanup.push(async () => services.hosting?.close());
    const bootstrapKey = await bootstrapAdmin(database, services);
    const jobs = new AbortController();
    const runner = services.startJobs(jobs.signal);
    cleanup.push(async () => {
      jobs.abort();
      await runner.stopped();
    });

    const { tls } = config.server;
    const app = buildApp({
      log,
      lightning,
      database,
      services,
      rateLimit: config.auth.rateLimit,
      ...(tls ? { tls: { cert: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) } } : {}),
    });
    cleanup.push(() => app.close());
    const url = await app.listen({ host: config.server.host, port: config.server.port });
    // Ready means ready for peers too: an LSPS message sent before the LSP listens is lost.
    const peers = await services.untilPeerMessages(PEER_MESSAGES_WAIT_MS);
    if (peers === 'late')
      log.warn(
        { waitedMs: PEER_MESSAGES_WAIT_MS },
        'not yet listening for LSPS peer messages; clients may have to retry',
      );
    else log.info({ lspsPeerMessages: peers }, 'LSPS peer messages served');
    return { url, node, network, database, services, bootstrapKey, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
