/**
 * Opens the database: Postgres when a URL is given, otherwise embedded PGlite in a data
 * directory (or in memory). Both speak the same SQL through the same Kysely types; int8
 * columns come back as `bigint` from both. On both, the writes a background job makes are
 * fenced by its lease's token (`fenced-dialect.ts`).
 */
import { mkdirSync } from 'node:fs';
import { type NodeLocks, oneProcessNodeLocks } from '@blgv/core';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { fencedDialect } from './fenced-dialect.ts';
import { PostgresNodeLocks } from './node-locks.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { preparingConnections } from './prepared-statements.ts';
import type { Schema } from './schema.ts';

/** Where the data lives. */
export type DatabaseConfig =
  | {
      readonly kind: 'postgres';
      readonly url: string;
      readonly schema?: string;
      readonly maxConnections?: number;
      /** How long a query waits for a free connection before it fails (default 10 s). */
      readonly connectionTimeoutMs?: number;
      /** Postgres's `statement_timeout`: a statement running longer is cancelled (default 60 s). */
      readonly statementTimeoutMs?: number;
      /**
       * Postgres's `idle_in_transaction_session_timeout`: a session idle inside an open
       * transaction longer is ended, its locks released (default 120 s).
       */
      readonly idleInTransactionTimeoutMs?: number;
    }
  | {
      readonly kind: 'pglite';
      readonly dataDir: string | 'memory';
      /** An in-memory database's starting data directory (a PGlite dump): see `memory-template.ts`. */
      readonly template?: Blob;
    };

/** An open database. */
export interface Database {
  readonly db: Kysely<Schema>;
  readonly kind: DatabaseConfig['kind'];
  /**
   * The hosted nodes' lifecycle lock shared by every replica on this database: advisory locks
   * on connections of their own on Postgres (see `node-locks.ts`); on PGlite, which serves one
   * process, nothing beyond the caller's in-process queue.
   */
  readonly nodeLocks: NodeLocks;
  /**
   * The same database on connections whose commits do not wait for their write-ahead log to
   * reach the disk (Postgres's `synchronous_commit = off`): a write is as atomic and as visible
   * as on `db`, but a crash of Postgres itself (not of this process, not a clean restart) can
   * forget the writes of its last fraction of a second (at most three times
   * `wal_writer_delay`, 600 ms by default). Only for records whose loss is harmless; see
   * `NonceWriter`. On PGlite, `db` itself.
   */
  readonly relaxedDb: Kysely<Schema>;
  /** Answers once the database does (for health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const INT8_OID = 20;
/** Connections of `relaxedDb`'s pool: its statements are short and coalesced by their callers. */
const RELAXED_CONNECTIONS = 4;

/** The Postgres pool's timeouts when the configuration gives none. */
export const DEFAULT_TIMEOUTS = {
  connectionTimeoutMs: 10_000,
  statementTimeoutMs: 60_000,
  idleInTransactionTimeoutMs: 120_000,
} as const;

/** Opens the database described by `config`. */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  let db: Kysely<Schema>;
  let relaxedDb: Kysely<Schema> | undefined;
  let relaxedPool: pg.Pool | undefined;
  let locks: PostgresNodeLocks | undefined;
  let pgPool: pg.Pool | undefined;
  if (config.kind === 'postgres') {
    const types = {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (v: string) => BigInt(v) : pg.types.getTypeParser(oid, format),
    };
    const client: pg.ClientConfig = {
      connectionString: config.url,
      types,
      ...(config.schema ? { options: `-c search_path=${config.schema}` } : {}),
    };
    const poolOptions = (max: number, options?: string): pg.PoolConfig => ({
      ...client,
      ...(options ? { options: [client.options, options].filter(Boolean).join(' ') } : {}),
      max,
      // Nothing waits for ever: a stalled database (or a hung query, or a transaction left open
      // by a frozen process) ends in an error the caller handles, and its locks are released.
      connectionTimeoutMillis: config.connectionTimeoutMs ?? DEFAULT_TIMEOUTS.connectionTimeoutMs,
      statement_timeout: config.statementTimeoutMs ?? DEFAULT_TIMEOUTS.statementTimeoutMs,
      idle_in_transaction_session_timeout:
        config.idleInTransactionTimeoutMs ?? DEFAULT_TIMEOUTS.idleInTransactionTimeoutMs,
    });
    const pool = new pg.Pool(poolOptions(config.maxConnections ?? 20));
    relaxedPool = new pg.Pool(poolOptions(RELAXED_CONNECTIONS, '-c synchronous_commit=off'));
    // A connection the server ends (idle-in-transaction timeout, a restart, a network cut) emits
    // `error` on its client, idle or checked out: heard here, it costs that connection only (its
    // next query fails and the pool drops it), never the process.
    for (const p of [pool, relaxedPool]) {
      p.on('error', () => {});
      p.on('connect', (c) => c.on('error', () => {}));
      preparingConnections(p);
    }
    pgPool = pool;
    // Node locks wait on `lock_timeout` and their caller's deadline, not the statement timeout.
    locks = new PostgresNodeLocks(client);
    if (config.schema) {
      const c = await pool.connect();
      try {
        await c.query(`create schema if not exists "${config.schema.replaceAll('"', '')}"`);
      } finally {
        c.release();
      }
    }
    db = new Kysely<Schema>({ dialect: fencedDialect(new PostgresDialect({ pool })) });
    relaxedDb = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: relaxedPool }) });
  } else {
    if (config.dataDir !== 'memory') mkdirSync(config.dataDir, { recursive: true });
    const client =
      config.dataDir !== 'memory'
        ? new PGlite(config.dataDir)
        : new PGlite(config.template ? { loadDataDir: config.template } : undefined);
    db = new Kysely<Schema>({ dialect: fencedDialect(new PGliteDialect(client)) });
  }
  return {
    db,
    relaxedDb: relaxedDb ?? db,
    kind: config.kind,
    nodeLocks: locks ?? oneProcessNodeLocks,
    async ping() {
      await db.selectNoFrom((eb) => eb.val(1).as('one')).execute();
    },
    async close() {
      await db.destroy();
      await relaxedDb?.destroy();
      // Kysely ends the pool only once it has used it: one opened and closed unused keeps the
      // connection that created the schema for the pool's idle timeout.
      for (const p of [pgPool, relaxedPool]) if (p && !p.ended) await p.end();
      await locks?.close();
    },
  };
}
