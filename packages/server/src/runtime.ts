/**
 * The composition root: builds the Lightning backend, the database and the HTTP server from
 * the configuration, and stops them in reverse order.
 */
import type { LightningBackend, NodeInfo } from '@blgv/core';
import { LndBackend, lndConnectionFromFiles } from '@blgv/lnd';
import { type Database, migrate, openDatabase } from '@blgv/store';
import type { Logger } from 'pino';
import type { Config } from './config/config.ts';
import { buildApp } from './http/app.ts';
import { type RegtestNetwork, startRegtestNetwork } from './regtest-network.ts';

/** A running LSP. */
export interface RunningLsp {
  readonly url: string;
  readonly node: NodeInfo;
  /** The embedded network, when the LSP runs on regtest. */
  readonly regtest: RegtestNetwork | undefined;
  readonly database: Database;
  stop(): Promise<void>;
}

/** Starts everything the configuration asks for. */
export async function startLsp(config: Config, log: Logger): Promise<RunningLsp> {
  const cleanup: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of cleanup.reverse())
      await step().catch((err: unknown) => log.error({ err }, 'stop step failed'));
  };
  try {
    let regtest: RegtestNetwork | undefined;
    let lightning: LightningBackend;
    if (config.lightning.mode === 'regtest') {
      regtest = await startRegtestNetwork(log.child({ sub: 'regtest' }));
      const harness = regtest.harness;
      cleanup.push(() => harness.stop());
      lightning = regtest.lsp.lnd;
    } else {
      const { rpcAddress, tlsCertPath, macaroonPath } = config.lightning;
      const lndLog = log.child({ sub: 'lnd' });
      const backend = new LndBackend(lndConnectionFromFiles(rpcAddress, tlsCertPath, macaroonPath), {
        onStreamRetry: (name, err, delayMs) =>
          lndLog.warn({ stream: name, err: err.message, delayMs }, 'stream retry'),
      });
      cleanup.push(async () => backend.close());
      lightning = backend;
    }
    const node = await lightning.getInfo(AbortSignal.timeout(15_000));
    log.info({ pubkey: node.pubkey, alias: node.alias, height: node.blockHeight }, 'connected to LND');

    const database = await openDatabase(config.database);
    cleanup.push(() => database.close());
    const applied = await migrate(database.db);
    log.info({ database: config.database.kind, applied }, 'database ready');

    const app = buildApp({ log, lightning, database });
    cleanup.push(() => app.close());
    const url = await app.listen({ host: config.server.host, port: config.server.port });
    return { url, node, regtest, database, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
