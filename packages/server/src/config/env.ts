/**
 * The environment variables the configuration reads, and how they are laid over the file.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Environment variables read, with what each sets. */
export const ENV_VARS = {
  BLGV_CONFIG: 'path of a JSON file with any part of the configuration',
  BLGV_HOST: 'server.host: address the HTTP server listens on (default 127.0.0.1)',
  BLGV_PORT: 'server.port: HTTP port (default 8080; 0 picks a free one)',
  BLGV_TLS_CERT: 'server.tls.certPath: PEM certificate to serve HTTPS with (set with BLGV_TLS_KEY)',
  BLGV_TLS_KEY: "server.tls.keyPath: the certificate's PEM private key",
  DATABASE_URL: 'database: Postgres URL; when unset, embedded PGlite is used',
  BLGV_DATA_DIR:
    "database.dataDir for PGlite (default: in memory with the regtest network, else ~/.local/share/blgv-lsp/pglite; 'memory' keeps it in memory)",
  LND_RPC_ADDRESS: 'lightning: host:port of an existing LND; when unset, a regtest network is started',
  LND_TLS_CERT_PATH: "lightning.tlsCertPath: LND's tls.cert",
  LND_MACAROON_PATH: 'lightning.macaroonPath: an LND macaroon (admin.macaroon)',
  LOG_LEVEL: 'logLevel: fatal, error, warn, info (default), debug or trace',
  BLGV_SECRETS_KEY:
    'secretsKey: 64 hex chars encrypting API secrets at rest (required with a persistent database)',
  BLGV_REPLICA: "jobs.replicaName: this replica's name in the job lease table (default: random)",
  BLGV_METRICS_TOKEN: 'monitoring.prometheusToken: bearer token for GET /metrics (unset: not served)',
} as const;

/** Environment variables by name. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The file's configuration with what the environment sets laid over it. */
export function fromEnv(env: Env, file: Record<string, unknown>): Record<string, unknown> {
  const server = { ...(file.server as object | undefined) } as Record<string, unknown>;
  if (env.BLGV_HOST) server.host = env.BLGV_HOST;
  if (env.BLGV_PORT) server.port = /^\d+$/.test(env.BLGV_PORT) ? Number(env.BLGV_PORT) : env.BLGV_PORT;
  if (env.BLGV_TLS_CERT || env.BLGV_TLS_KEY)
    server.tls = { certPath: env.BLGV_TLS_CERT, keyPath: env.BLGV_TLS_KEY };

  let lightning = (file.lightning as Record<string, unknown> | undefined) ?? { mode: 'regtest' };
  const lndVars = [env.LND_RPC_ADDRESS, env.LND_TLS_CERT_PATH, env.LND_MACAROON_PATH];
  if (lndVars.some(Boolean)) {
    lightning = {
      mode: 'lnd',
      rpcAddress: env.LND_RPC_ADDRESS,
      tlsCertPath: env.LND_TLS_CERT_PATH,
      macaroonPath: env.LND_MACAROON_PATH,
    };
  }

  let database = file.database;
  // The URL from the environment; the pool's settings (timeouts, size) stay the file's.
  const fileDb = file.database as Record<string, unknown> | undefined;
  const pool = fileDb?.kind === 'postgres' ? { ...fileDb } : {};
  delete pool.url;
  if (env.DATABASE_URL) database = { ...pool, kind: 'postgres', url: env.DATABASE_URL };
  else if (env.BLGV_DATA_DIR) database = { kind: 'pglite', dataDir: resolve(env.BLGV_DATA_DIR) };
  else if (!database) {
    // The embedded regtest chain lives for one run, and so, by default, does its database.
    const dir =
      lightning.mode === 'regtest' ? 'memory' : join(homedir(), '.local', 'share', 'blgv-lsp', 'pglite');
    database = { kind: 'pglite', dataDir: dir };
  }
  const secretsKey = env.BLGV_SECRETS_KEY ?? file.secretsKey;
  const jobs = env.BLGV_REPLICA
    ? { ...(file.jobs as object | undefined), replicaName: env.BLGV_REPLICA }
    : file.jobs;
  const monitoring = env.BLGV_METRICS_TOKEN
    ? { ...(file.monitoring as object | undefined), prometheusToken: env.BLGV_METRICS_TOKEN }
    : file.monitoring;
  return {
    ...file,
    ...(jobs !== undefined ? { jobs } : {}),
    ...(monitoring !== undefined ? { monitoring } : {}),
    server,
    database,
    lightning,
    logLevel: env.LOG_LEVEL ?? file.logLevel ?? 'info',
    ...(secretsKey !== undefined ? { secretsKey } : {}),
  };
}
