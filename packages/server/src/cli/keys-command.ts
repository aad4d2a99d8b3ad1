/**
 * `blgv-lsp keys create|revoke`: API key management straight on the database (for Postgres,
 * or PGlite while the server is stopped). A running server offers the same through
 * `POST /v1/admin/keys` and `DELETE /v1/admin/keys/:id`.
 */
import { parseArgs } from 'node:util';
import { ApiKeysRepository, migrate, openDatabase, TenantsRepository } from '@blgv/store';
import { ApiKeys } from '../auth/api-keys.ts';
import { SecretBox } from '../auth/secret-box.ts';
import type { Config } from '../config/config.ts';

/** Usage of the keys command. */
export const KEYS_USAGE = `usage:
  blgv-lsp keys create --tenant NAME [--scope tenant|admin] [--label TEXT]
      creates the tenant if it does not exist, then a key; prints the key id and the secret (once)
  blgv-lsp keys revoke KEY_ID`;

/** Runs `keys …`; returns the text to print. */
export async function keysCommand(config: Config, args: readonly string[]): Promise<string> {
  if (config.database.kind === 'pglite' && config.database.dataDir === 'memory') {
    throw new Error(
      'the database is in memory (the embedded regtest default): use the admin API with the key printed at start, or set DATABASE_URL or BLGV_DATA_DIR',
    );
  }
  if (!config.secretsKey) throw new Error('BLGV_SECRETS_KEY must be set (the same key the server uses)');
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      scope: { type: 'string', default: 'tenant' },
      label: { type: 'string', default: '' },
    },
  });
  const database = await openDatabase(config.database);
  try {
    await migrate(database.db);
    const keys = new ApiKeys(
      new ApiKeysRepository(database.db),
      new SecretBox(Buffer.from(config.secretsKey, 'hex')),
    );
    if (sub === 'create') {
      const scope = values.scope;
      if (!values.tenant) throw new Error(`--tenant is required\n${KEYS_USAGE}`);
      if (scope !== 'tenant' && scope !== 'admin')
        throw new Error(`--scope must be tenant or admin, not ${scope}`);
      const tenants = new TenantsRepository(database.db);
      const tenant =
        (await tenants.list()).find((t) => t.name === values.tenant) ?? (await tenants.create(values.tenant));
      const key = await keys.create(tenant.id, scope, values.label);
      return `tenant:  ${tenant.name} (${tenant.id})\nscope:   ${key.scope}\nkey id:  ${key.keyId}\nsecret:  ${key.secret}\n(the secret is shown once; store it now)\n`;
    }
    if (sub === 'revoke') {
      const [keyId] = positionals;
      if (!keyId) throw new Error(`a key id is required\n${KEYS_USAGE}`);
      if (!(await keys.revoke(keyId))) throw new Error(`no active key ${keyId}`);
      return `revoked ${keyId}\n`;
    }
    throw new Error(KEYS_USAGE);
  } finally {
    await database.close();
  }
}
