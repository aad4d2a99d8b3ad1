/**
 * The one place where a background job's writes are fenced: a Kysely dialect wrapping the
 * database's own (Postgres or PGlite). Outside a job (no {@link LeaseFence} in the async
 * context) and for reads it adds nothing. A write made for a job:
 *
 * 1. is refused at once (`lease_lost`) when the fence says locally that the lease can no
 *    longer be held (the replica stalled past it: a GC pause, a frozen VM, a hung renewal);
 * 2. otherwise runs in a transaction (its own, or the one it is part of) that first checks the
 *    lease row: `select ... where name = lease and token = mine and expires_at >
 *    clock_timestamp() for key share`. No row: the token is stale, the write is refused
 *    (`lease_lost`) and the transaction rolled back. A row: it stays key-share locked until the
 *    transaction ends, so a takeover (which changes the token, a key column) waits for the
 *    transaction to end and can never slip in between the check and the commit; a renewal
 *    (which changes `expires_at` only) does not wait.
 *
 * A transaction checks each fence once, before its first write (a rollback to a savepoint
 * forgets the checks). Reads are never checked. What counts as a write: every statement but a
 * `select` (with no writing `with` part), and raw SQL unless it starts with `select`, `values`,
 * `show`, `set` or a transaction command and names no `insert`, `update`, `delete`, `merge`,
 * `truncate` or sequence change (so a raw `select ... for update` is checked too: harmless).
 */
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { currentLeaseFence, type LeaseFence, leaseLost } from './lease-fence.ts';

/** The check of one fence inside a transaction (Postgres and PGlite alike). */
const FENCE_CHECK = `select 1 as held from job_leases
  where name = $1 and token = $2 and expires_at > clock_timestamp()
  for key share`;

const READ_STATEMENT = /^(select|values|show|set|begin|start|commit|rollback|savepoint|release|end)\b/;
const WRITE_WORDS = /\b(insert|update|delete|merge|truncate|nextval|setval)\b/;

/** True when `sql` (raw) may write. */
function rawWrites(text: string): boolean {
  const sql = text
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .trim()
    .toLowerCase();
  if (sql.startsWith('with')) return WRITE_WORDS.test(sql);
  return !READ_STATEMENT.test(sql) || WRITE_WORDS.test(sql);
}

interface Node {
  readonly kind: string;
  readonly with?: { readonly expressions: readonly { readonly expression: Node }[] };
}

/** True when the compiled statement may write. */
export function writes(query: CompiledQuery): boolean {
  const node = query.query as Node;
  if (node.kind === 'RawNode') return rawWrites(query.sql);
  if (node.kind !== 'SelectQueryNode') return true;
  return (node.with?.expressions ?? []).some((cte) => cte.expression.kind !== 'SelectQueryNode');
}

/** A connection that fences the writes made for a job. */
class FencedConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;
  /** While a transaction is open: the fences it has checked. */
  checked: Set<LeaseFence> | undefined;

  constructor(inner: DatabaseConnection) {
    this.inner = inner;
    if (inner.cancelQuery) this.cancelQuery = (p) => inner.cancelQuery?.(p) ?? Promise.resolve();
    if (inner.killSession) this.killSession = (p) => inner.killSession?.(p) ?? Promise.resolve();
    if (inner.collectSessionInfo)
      this.collectSessionInfo = () => inner.collectSessionInfo?.() ?? Promise.resolve();
  }

  cancelQuery?: DatabaseConnection['cancelQuery'];
  killSession?: DatabaseConnection['killSession'];
  collectSessionInfo?: DatabaseConnection['collectSessionInfo'];

  async executeQuery<R>(
    query: CompiledQuery,
    options?: Parameters<DatabaseConnection['executeQuery']>[1],
  ): Promise<QueryResult<R>> {
    const fence = currentLeaseFence();
    if (!fence || !writes(query)) return this.inner.executeQuery<R>(query, options);
    if (!fence.held()) {
      fence.refused('a write', 'clock');
      throw leaseLost(fence, 'a write');
    }
    if (this.checked) {
      if (!this.checked.has(fence)) {
        await this.#check(fence);
        this.checked.add(fence);
      }
      return this.inner.executeQuery<R>(query, options);
    }
    // A write of its own: a transaction of its own, with the check.
    await this.inner.executeQuery(CompiledQuery.raw('begin'));
    try {
      await this.#check(fence);
      const result = await this.inner.executeQuery<R>(query, options);
      await this.inner.executeQuery(CompiledQuery.raw('commit'));
      return result;
    } catch (err) {
      await this.inner.executeQuery(CompiledQuery.raw('rollback')).catch(() => {});
      throw err;
    }
  }

  streamQuery<R>(
    query: CompiledQuery,
    chunkSize: number,
    options?: Parameters<DatabaseConnection['streamQuery']>[2],
  ): AsyncIterableIterator<QueryResult<R>> {
    const fence = currentLeaseFence();
    if (fence && writes(query)) throw leaseLost(fence, 'a streamed write (never fenced)');
    return this.inner.streamQuery<R>(query, chunkSize, options);
  }

  async #check(fence: LeaseFence): Promise<void> {
    const { rows } = await this.inner.executeQuery(
      CompiledQuery.raw(FENCE_CHECK, [fence.lease, fence.token.toString()]),
    );
    if (rows.length > 0) return;
    fence.refused('a write', 'database');
    throw leaseLost(fence, 'a write');
  }
}

/** The wrapped driver: hands out fencing connections and tells them about transactions. */
class FencedDriver implements Driver {
  readonly #inner: Driver;
  readonly #wrapped = new WeakMap<DatabaseConnection, FencedConnection>();

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(options?: Parameters<Driver['init']>[0]): Promise<void> {
    return this.#inner.init(options);
  }

  async acquireConnection(options?: Parameters<Driver['acquireConnection']>[0]): Promise<DatabaseConnection> {
    const inner = await this.#inner.acquireConnection(options);
    let wrapped = this.#wrapped.get(inner);
    if (!wrapped) {
      wrapped = new FencedConnection(inner);
      this.#wrapped.set(inner, wrapped);
    }
    return wrapped;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const c = connection as FencedConnection;
    await this.#inner.beginTransaction(c.inner, settings);
    c.checked = new Set();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as FencedConnection;
    c.checked = undefined;
    await this.#inner.commitTransaction(c.inner);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as FencedConnection;
    c.checked = undefined;
    await this.#inner.rollbackTransaction(c.inner);
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    if (!this.#inner.savepoint) throw new Error('the database does not offer savepoints');
    await this.#inner.savepoint((connection as FencedConnection).inner, name, compile);
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    if (!this.#inner.rollbackToSavepoint) throw new Error('the database does not offer savepoints');
    const c = connection as FencedConnection;
    // Row locks taken after the savepoint go with it: the fences are checked again.
    c.checked = new Set();
    await this.#inner.rollbackToSavepoint(c.inner, name, compile);
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    if (!this.#inner.releaseSavepoint) throw new Error('the database does not offer savepoints');
    await this.#inner.releaseSavepoint((connection as FencedConnection).inner, name, compile);
  }

  releaseConnection(
    connection: DatabaseConnection,
    options?: Parameters<Driver['releaseConnection']>[1],
  ): Promise<void> {
    const c = connection as FencedConnection;
    c.checked = undefined;
    return this.#inner.releaseConnection(c.inner, options);
  }

  destroy(options?: Parameters<Driver['destroy']>[0]): Promise<void> {
    return this.#inner.destroy(options);
  }
}

/** `dialect` with the writes made for a job fenced by the job's lease. */
export function fencedDialect(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new FencedDriver(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}
