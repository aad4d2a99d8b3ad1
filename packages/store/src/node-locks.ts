/**
 * One hosted node's locks across replicas, on Postgres: a session advisory lock
 * (`pg_advisory_lock(hashtext('hosted-node'), hashtext(nodeId))` for its lifecycle,
 * `hashtext('hosted-node-deletion')` for its deletion's steps; `hashtext('lsps-admission')` for
 * an LSPS order owner's admission) held on a connection of its own for the length of one call,
 * and released when the call settles.
 *
 * Why a session lock on its own connections, not `pg_advisory_xact_lock` on the store's pool:
 * a start can take two minutes, and the call itself reads and writes through the pool. Holding
 * a pool connection (or a transaction) for that long would starve the pool, and with as many
 * starts at once as the pool has connections every call would wait for a connection held by
 * another call. The lock connections come from a small pool of their own that nothing else
 * uses, so a call's lock never holds one of the store's connections.
 *
 * The wait is bounded: by `lock_timeout` on the server (the lock's `maxWaitMs`), and by the
 * caller's signal (the wait is then cancelled on the server, `pg_cancel_backend`, which gives
 * up its place in the queue). A lock that cannot be had is a `conflict` naming the node; a database that cannot be
 * reached to take it is `database_unavailable`. Either way the call does not run.
 *
 * What it does not do: when the lock's connection dies while the call runs (the database
 * restarted), the lock is gone and the call is not told; it runs to its end unfenced.
 * PGlite needs none of this: it serves one process, whose in-process queue is enough
 * (`oneProcessNodeLocks`).
 */
import { ErrorCode, LspError, type NodeLockKind, type NodeLocks } from '@blgv/core';
import pg from 'pg';

/** How long a lifecycle call waits for the node's lock by default: more than a start may take. */
export const NODE_LOCK_WAIT_MS = 150_000;
/**
 * The most lock connections of each kind open at once: calls beyond it (more than this many
 * nodes starting, or being stepped through their deletion, or owners' LSPS requests being
 * admitted, at once on one replica) wait for one, within the same bound as for the lock itself.
 * Each kind has a pool of its own: a deletion step takes its node's lifecycle lock while it
 * holds the deletion lock, so deletion locks holding every connection of a shared pool would
 * leave none for the lifecycle locks they wait for. An admission holds its lock for a count and
 * an insert (milliseconds), so it needs fewer.
 */
const MAX_LOCK_CONNECTIONS: Record<NodeLockKind, number> = { lifecycle: 10, deletion: 10, admission: 4 };
/**
 * How long opening a lock connection may take before the database counts as unreachable: apart
 * from the wait for a free one (the lock's bound), so a slow connect on a busy server is not
 * taken for a busy node, nor a short bound for an unreachable database.
 */
const CONNECT_TIMEOUT_MS = 10_000;
/** Each kind of lock's class (the advisory lock's first key) and what holds it, for refusals. */
const KINDS: Record<
  NodeLockKind,
  { readonly space: string; readonly holder: string; readonly name: (key: string) => string }
> = {
  lifecycle: { space: 'hosted-node', holder: 'its start or stop', name: (key) => `node ${key}` },
  deletion: { space: 'hosted-node-deletion', holder: 'a step of its deletion', name: (key) => `node ${key}` },
  admission: {
    space: 'lsps-admission',
    holder: 'its earlier request',
    name: (key) => `LSPS order owner ${key}`,
  },
};
/** Postgres' code for a lock not had within `lock_timeout`. */
const LOCK_NOT_AVAILABLE = '55P03';

/** {@link NodeLocks} on Postgres advisory locks, shared by every replica on one database. */
export class PostgresNodeLocks implements NodeLocks {
  readonly #pools: Record<NodeLockKind, pg.Pool>;
  readonly #client: pg.ClientConfig;
  readonly #maxWaitMs: number;

  /** `client` says how to reach the database (as the store's pool does). */
  constructor(client: pg.ClientConfig, options: { maxWaitMs?: number } = {}) {
    this.#client = client;
    this.#maxWaitMs = options.maxWaitMs ?? NODE_LOCK_WAIT_MS;
    const pool = (kind: NodeLockKind) => {
      const p = new pg.Pool({
        ...client,
        max: MAX_LOCK_CONNECTIONS[kind],
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: Math.max(this.#maxWaitMs, CONNECT_TIMEOUT_MS),
        allowExitOnIdle: true,
      });
      // An idle lock connection that breaks is dropped by the pool; it must not crash the process.
      p.on('error', () => {});
      return p;
    };
    this.#pools = { lifecycle: pool('lifecycle'), deletion: pool('deletion'), admission: pool('admission') };
  }

  async withLock<T>(
    nodeId: string,
    signal: AbortSignal,
    op: () => Promise<T>,
    kind: NodeLockKind = 'lifecycle',
  ): Promise<T> {
    const { space, holder } = KINDS[kind];
    const subject = KINDS[kind].name(nodeId);
    if (signal.aborted) throw gaveUp(subject, signal.reason);
    const client = await this.#connect(kind, subject, signal);
    let broken = false;
    let released = false;
    const release = (destroy: boolean) => {
      if (released) return;
      released = true;
      client.release(destroy);
    };
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    const onAbort = () => {
      // The wait is cancelled on the server (a closed connection would keep its place in the
      // lock's queue until it got the lock); when that fails the connection is closed.
      void this.#cancel(client).catch(() => release(true));
    };
    let held = false;
    try {
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await client.query(`select set_config('lock_timeout', $1, false)`, [`${this.#maxWaitMs}ms`]);
        await client.query('select pg_advisory_lock(hashtext($1), hashtext($2))', [space, nodeId]);
        held = true;
      } catch (err) {
        if (signal.aborted) throw gaveUp(subject, err);
        if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE)
          throw new LspError(
            ErrorCode.Conflict,
            `${subject} is busy: ${holder} on another server did not end within ${Math.round(this.#maxWaitMs / 1000)} s`,
            undefined,
            { cause: err },
          );
        throw new LspError(
          ErrorCode.DatabaseUnavailable,
          `${subject}: its lock could not be taken (${(err as Error).message})`,
          undefined,
          { cause: err },
        );
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      if (signal.aborted) throw gaveUp(subject, signal.reason);
      return await op();
    } finally {
      // Unlocked for the next caller; a connection whose unlock fails (or that broke) is
      // closed, which unlocks too.
      const unlocked =
        released || broken
          ? false
          : held
            ? await client
                .query('select pg_advisory_unlock(hashtext($1), hashtext($2)) as ok', [space, nodeId])
                .then((r) => r.rows[0]?.ok === true)
                .catch(() => false)
            : true;
      client.off('error', onError);
      release(!unlocked);
    }
  }

  /**
   * A lock connection: `conflict` when none is free within the bound or before `signal` aborts
   * (one had later goes back to the pool), `database_unavailable` when none can be opened.
   */
  async #connect(kind: NodeLockKind, subject: string, signal: AbortSignal): Promise<pg.PoolClient> {
    const pool = this.#pools[kind];
    // Every lock connection in use: the wait for one is bounded like the wait for the lock.
    const full = pool.totalCount >= MAX_LOCK_CONNECTIONS[kind] && pool.idleCount === 0;
    const connecting = pool.connect();
    let onAbort: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(gaveUp(subject, signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      if (full)
        timer = setTimeout(
          () => reject(new Error('timeout exceeded waiting for a lock connection')),
          this.#maxWaitMs,
        );
    });
    try {
      return await Promise.race([connecting, aborted]);
    } catch (err) {
      // One had after the bound goes back to the pool.
      if (!signal.aborted && /timeout exceeded waiting/.test((err as Error).message))
        connecting.then(
          (c) => c.release(),
          () => {},
        );
      if (signal.aborted) {
        connecting.then(
          (c) => c.release(),
          () => {},
        );
        throw gaveUp(subject, signal.reason);
      }
      if (/timeout exceeded/i.test((err as Error).message))
        throw new LspError(
          ErrorCode.Conflict,
          `${subject} is busy: no connection for its lock was free within ${Math.round(this.#maxWaitMs / 1000)} s`,
          undefined,
          { cause: err },
        );
      throw new LspError(
        ErrorCode.DatabaseUnavailable,
        `${subject}: the database cannot be reached to take its lock`,
        undefined,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  /** Cancels what `client`'s connection runs on the server (its wait for a lock). */
  async #cancel(client: pg.PoolClient): Promise<void> {
    const pid = (client as unknown as { processID?: number }).processID;
    if (!pid) throw new Error('no backend pid');
    const canceller = new pg.Client(this.#client);
    canceller.on('error', () => {});
    try {
      await canceller.connect();
      await canceller.query('select pg_cancel_backend($1)', [pid]);
    } finally {
      await canceller.end().catch(() => {});
    }
  }

  /** Closes the lock connections (none may be held). */
  async close(): Promise<void> {
    await Promise.all([...new Set(Object.values(this.#pools))].map((p) => p.end()));
  }
}

function gaveUp(subject: string, cause: unknown): LspError {
  return new LspError(ErrorCode.Conflict, `${subject}: gave up waiting for its lock`, undefined, {
    cause,
  });
}
