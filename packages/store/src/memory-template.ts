/**
 * In-memory PGlite databases that start migrated, from a template: a PGlite data directory
 * dumped right after every migration ran, kept on disk by the digest of PGlite's version and the
 * migrations (under `$BLGV_LSP_CACHE/pglite`, default `~/.cache/blgv-lsp/pglite`), built once by
 * the first process that needs it. A database made from it skips PGlite's `initdb` and the
 * migrations: about 0.4 s where a fresh one takes 2.3 s here. For the embedded regtest network's
 * in-memory database and for tests, which open one per test file or more.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { type Database, openDatabase } from './database.ts';
import { listMigrations, migrate } from './migrate.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { Schema } from './schema.ts';

/** The template of this process, read or built once. */
let template: Promise<Blob> | undefined;

/**
 * A new in-memory PGlite database with every migration applied (and the machine tables' state
 * checks synced to this code's machines, as {@link migrate} leaves them).
 */
export async function openMigratedMemoryDatabase(): Promise<Database> {
  template ??= readOrBuildTemplate().catch((err: unknown) => {
    template = undefined;
    throw err;
  });
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory', template: await template });
  await migrate(database.db);
  return database;
}

/** Where templates are kept. */
function templateDir(): string {
  return join(process.env.BLGV_LSP_CACHE ?? join(homedir(), '.cache', 'blgv-lsp'), 'pglite');
}

/** The template's name: PGlite's version and every migration, digested. */
function templateName(): string {
  const digest = createHash('sha256').update(`pglite ${pgliteVersion()}\n`);
  for (const m of listMigrations()) digest.update(`${m.version} ${m.name}\n${m.sql}\n`);
  return `migrated-${digest.digest('hex').slice(0, 16)}.tar`;
}

/** The installed PGlite's version (its dump's format goes with it), from its package.json. */
function pgliteVersion(): string {
  // Its `exports` do not name package.json: found from its entry point up.
  for (let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite'))); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: the next directory up
    }
    if (dirname(dir) === dir) throw new Error("PGlite's package.json was not found");
  }
}

async function readOrBuildTemplate(): Promise<Blob> {
  const dir = templateDir();
  const path = join(dir, templateName());
  try {
    return new Blob([readFileSync(path)]);
  } catch {
    // Not built yet (or unreadable): built here, and written whole or not at all (processes
    // building it at once each rename their own complete copy over the name).
  }
  const client = new PGlite();
  const db = new Kysely<Schema>({ dialect: new PGliteDialect(client) });
  try {
    await migrate(db);
    const dump = await client.dumpDataDir('none');
    mkdirSync(dir, { recursive: true });
    const partial = `${path}.partial-${randomUUID()}`;
    try {
      writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
      renameSync(partial, path);
    } catch {
      rmSync(partial, { force: true }); // a cache that cannot be written: used from memory only
    }
    return dump;
  } finally {
    await db.destroy();
  }
}
