/**
 * The server's configuration: one validated object built at boot from an optional JSON file
 * (`BLGV_CONFIG`) and environment variables (which win), then passed down.
 */
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { errorMessage } from '../error-message.ts';
import { holdCltvProblem } from '../lsps1/hold-timing.ts';
import { type Config, ConfigSchema } from './config-schema.ts';
import { type Env, fromEnv } from './env.ts';

export { type Config, ConfigSchema } from './config-schema.ts';
export { ENV_VARS } from './env.ts';

/** Configuration that cannot be used; `problems` lists every reason. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
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
      throw new ConfigError([`BLGV_CONFIG ${env.BLGV_CONFIG}: ${errorMessage(err)}`]);
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
  const config = candidate as Config;
  const persistent = !(config.database.kind === 'pglite' && config.database.dataDir === 'memory');
  if (problems.length === 0 && persistent && !config.secretsKey) {
    problems.push(
      '/secretsKey: required with a persistent database (set BLGV_SECRETS_KEY to 64 hex characters)',
    );
  }
  if (config.channels?.minCapacity > config.channels?.maxCapacity)
    problems.push('/channels: minCapacity is above maxCapacity');
  if (config.channels?.minFeeRate > config.channels?.maxFeeRate)
    problems.push('/channels: minFeeRate is above maxFeeRate');
  if (config.reservations?.minAmount > config.reservations?.maxAmount)
    problems.push('/reservations: minAmount is above maxAmount');
  if (config.reservations?.minDurationMs > config.reservations?.maxDurationMs)
    problems.push('/reservations: minDurationMs is above maxDurationMs');
  if (config.hosting?.portFrom > config.hosting?.portTo) problems.push('/hosting: portFrom is above portTo');
  if (config.webhooks?.retryBaseMs > config.webhooks?.retryMaxMs)
    problems.push('/webhooks: retryBaseMs is above retryMaxMs');
  const holdTiming = {
    holdInvoiceCltv: config.lsps1?.holdInvoiceCltv,
    lndHoldExpiryDelta: config.lsps1?.lndHoldExpiryDelta,
    openDeadlineSeconds: config.lsps1?.openDeadlineSeconds,
    openTimeoutSeconds: config.channels?.openTimeoutSeconds,
  };
  if (Object.values(holdTiming).every(Number.isInteger)) {
    const hold = holdCltvProblem(holdTiming as Parameters<typeof holdCltvProblem>[0]);
    if (hold) problems.push(`/lsps1: ${hold}`);
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return config;
}
