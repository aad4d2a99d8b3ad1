/**
 * The server's configuration: one validated object built at boot from an optional JSON file
 * (`BLGV_CONFIG`) and environment variables (which win), then passed down.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const LogLevel = Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)));

/** The schema of the configuration (also documented in the README). */
export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
      },
      { additionalProperties: false, default: {} },
    ),
    database: Type.Union([
      Type.Object(
        { kind: Type.Literal('postgres'), url: Type.String({ pattern: '^postgres(ql)?://' }) },
        { additionalProperties: false },
      ),
      Type.Object(
        { kind: Type.Literal('pglite'), dataDir: Type.String({ minLength: 1 }) },
        { additionalProperties: false },
      ),
    ]),
    lightning: Type.Union([
      Type.Object({ mode: Type.Literal('regtest') }, { additionalProperties: false }),
      Type.Object(
        {
          mode: Type.Literal('lnd'),
          rpcAddress: Type.String({ pattern: '^[^\\s:]+:\\d+$' }),
          tlsCertPath: Type.String({ minLength: 1 }),
          macaroonPath: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
    ]),
    logLevel: LogLevel,
  },
  { additionalProperties: false },
);

/** The validated configuration. */
export type Config = Static<typeof ConfigSchema>;

/** Configuration that cannot be used; `problems` lists every reason. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Environment variables read, with what each sets. */
export const ENV_VARS = {
  BLGV_CONFIG: 'path of a JSON file with any part of the configuration',
  BLGV_HOST: 'server.host: address the HTTP server listens on (default 127.0.0.1)',
  BLGV_PORT: 'server.port: HTTP port (default 8080; 0 picks a free one)',
  DATABASE_URL: 'database: Postgres URL; when unset, embedded PGlite is used',
  BLGV_DATA_DIR:
    "database.dataDir for PGlite (default: in memory with the regtest network, else ~/.local/share/blgv-lsp/pglite; 'memory' keeps it in memory)",
  LND_RPC_ADDRESS: 'lightning: host:port of an existing LND; when unset, a regtest network is started',
  LND_TLS_CERT_PATH: "lightning.tlsCertPath: LND's tls.cert",
  LND_MACAROON_PATH: 'lightning.macaroonPath: an LND macaroon (admin.macaroon)',
  LOG_LEVEL: 'logLevel: fatal, error, warn, info (default), debug or trace',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function fromEnv(env: Env, file: Record<string, unknown>): Record<string, unknown> {
  const server = { ...(file.server as object | undefined) } as Record<string, unknown>;
  if (env.BLGV_HOST) server.host = env.BLGV_HOST;
  if (env.BLGV_PORT) server.port = /^\d+$/.test(env.BLGV_PORT) ? Number(env.BLGV_PORT) : env.BLGV_PORT;

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
  if (env.DATABASE_URL) database = { kind: 'postgres', url: env.DATABASE_URL };
  else if (env.BLGV_DATA_DIR) database = { kind: 'pglite', dataDir: resolve(env.BLGV_DATA_DIR) };
  else if (!database) {
    // The embedded regtest chain lives for one run, and so, by default, does its database.
    const dir =
      lightning.mode === 'regtest' ? 'memory' : join(homedir(), '.local', 'share', 'blgv-lsp', 'pglite');
    database = { kind: 'pglite', dataDir: dir };
  }
  return { ...file, server, database, lightning, logLevel: env.LOG_LEVEL ?? file.logLevel ?? 'info' };
}

/** Builds and validates the configuration; throws {@link ConfigError} naming every problem. */
export function loadConfig(
  env: Env = process.env,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): Config {
  let file: Record<string, unknown> = {};
  if (env.BLGV_CONFIG) {
    try {
      file = JSON.parse(readFile(env.BLGV_CONFIG)) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([
        `BLGV_CONFIG ${env.BLGV_CONFIG}: ${err instanceof Error ? err.message : String(err)}`,
      ]);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      throw new ConfigError([`BLGV_CONFIG ${env.BLGV_CONFIG}: must hold a JSON object`]);
    }
  }
  const candidate = Value.Default(ConfigSchema, fromEnv(env, file));
  const problems = [...Value.Errors(ConfigSchema, candidate)].map(
    (e) =>
      `${e.path || '/'}: ${e.message}${e.value === undefined ? '' : ` (got ${JSON.stringify(e.value)})`}`,
  );
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return candidate as Config;
}
