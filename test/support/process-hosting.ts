/**
 * What a story needs to run the LSP as its own process with hosted nodes, as an operator runs it:
 * the test network (alice with a channel to the LSP to pay top-ups), a throwaway Postgres
 * database, a secrets key, and a config file with the hosting section (nodes in a directory of
 * their own, ports of their own, the network's btcd, fast keeper and billing ticks). `stop`
 * leaves no node process, file or database behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sat } from '@blgv/core';
import { type Database, openDatabase, sql } from '@blgv/store';
import {
  hostedPortRange,
  type Network,
  type NetworkOptions,
  removeHostedNodes,
  startNetwork,
} from '@blgv/testkit';

/** A network, a database and a hosting config for server processes. */
export interface ProcessHosting {
  readonly net: Network;
  /** A directory of the story's own (the config file, the nodes under `nodes/`). */
  readonly dir: string;
  /** Where the hosted nodes' data lives. */
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly secretsKey: string;
  /** The config file (`BLGV_CONFIG`). */
  readonly configPath: string;
  stop(): Promise<void>;
}

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** What a story adds: the network's nodes' options, config sections beside `hosting`. */
export interface ProcessHostingOptions {
  readonly network?: NetworkOptions;
  readonly config?: Record<string, unknown>;
  /** The Postgres pool's settings (`database` besides its URL: timeouts, size). */
  readonly pool?: Record<string, unknown>;
}

/** Starts it all; `label` names the database and the directory. */
export async function startProcessHosting(
  label: string,
  options: ProcessHostingOptions = {},
): Promise<ProcessHosting> {
  const dbName = `lsp_${label}_${randomBytes(4).toString('hex')}`;
  const admin: Database = await openDatabase({ kind: 'postgres', url: adminUrl });
  await sql.raw(`create database ${dbName}`).execute(admin.db);
  const net = await startNetwork(options.network);
  await net.h.openChannel(net.alice, net.lsp, sat(3_000_000));
  const databaseUrl = adminUrl.replace(/\/[^/]*$/, `/${dbName}`);
  const dir = mkdtempSync(join(tmpdir(), `blgv-${label}-`));
  const dataDir = join(dir, 'nodes');
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      channels: { batchWindowMs: 100 },
      hosting: {
        dataDir,
        ...hostedPortRange(),
        chain: net.h.btcd.chain,
        checkIntervalMs: 500,
        billingIntervalMs: 500,
      },
      ...options.config,
      ...(options.pool ? { database: { kind: 'postgres', url: databaseUrl, ...options.pool } } : {}),
    }),
  );
  return {
    net,
    dir,
    dataDir,
    databaseUrl,
    secretsKey: randomBytes(32).toString('hex'),
    configPath,
    async stop() {
      removeHostedNodes(dataDir);
      rmSync(dir, { recursive: true, force: true });
      await net.h.stop();
      await sql.raw(`drop database if exists ${dbName} with (force)`).execute(admin.db);
      await admin.close();
    },
  };
}
