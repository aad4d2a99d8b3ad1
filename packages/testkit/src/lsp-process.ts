/**
 * The environment of an LSP server process (`blgv-lsp start`, `blgv-lsp audit`, the fault
 * server) running on a test network's node and a Postgres database, as an operator sets it.
 */
import { join } from 'node:path';
import type { LndNode } from '@blgv/regtest';

/** The CLI's entry point. */
export const CLI = join(import.meta.dirname, '..', '..', 'cli', 'src', 'main.ts');

/** Env for a server process on `node`'s LND and the database at `databaseUrl`. */
export function lspProcessEnv(
  node: LndNode,
  options: { databaseUrl: string; secretsKey: string; extra?: Record<string, string> },
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BLGV_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    DATABASE_URL: options.databaseUrl,
    BLGV_SECRETS_KEY: options.secretsKey,
    LND_RPC_ADDRESS: `127.0.0.1:${node.rpcPort}`,
    LND_TLS_CERT_PATH: join(node.dir, 'tls.cert'),
    LND_MACAROON_PATH: join(node.dir, 'data', 'chain', 'bitcoin', 'regtest', 'admin.macaroon'),
    ...options.extra,
  };
}
