/**
 * Coalesces nonce writes: nonces of requests arriving in the same turn of the event loop are
 * recorded with one multi-row INSERT, so a busy server makes one database round trip for many
 * requests instead of one each. A replay is still refused: the database's primary key decides
 * which nonce is new, within a batch and across batches, replicas and restarts.
 *
 * Nonces of read-only requests (GET, HEAD) go through a store whose commits do not wait for the
 * disk (`Database.relaxedDb`); those of every other request through the durable one. A crash of
 * Postgres itself can forget the read-only nonces of its last fraction of a second, so a
 * read-only request captured in that fraction could be answered twice within its signature
 * window; a request that changes anything never can. The write is what a signed read waits for
 * (twice as long on the durable store on a busy two-core machine: docs/performance.md).
 */
import type { ApiKeysRepository } from '@blgv/store';

/** Most nonces written in one statement. */
const MAX_BATCH = 200;

/** The one repository method the writer needs. */
export type NonceStore = Pick<ApiKeysRepository, 'rememberNonces'>;

interface Pending {
  readonly keyId: string;
  readonly nonce: string;
  readonly expiresAt: Date;
  readonly done: (isNew: boolean) => void;
  readonly fail: (err: unknown) => void;
}

/** One store's queue: what arrived this turn, written together. */
class Queue {
  readonly #store: NonceStore;
  #pending: Pending[] = [];
  #scheduled = false;

  constructor(store: NonceStore) {
    this.#store = store;
  }

  push(p: Pending): void {
    this.#pending.push(p);
    if (this.#pending.length >= MAX_BATCH) this.#flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    // The same pair twice in one batch: only the first may succeed.
    const first = new Map<string, Pending>();
    const duplicates: Pending[] = [];
    for (const p of batch) {
      const k = `${p.keyId} ${p.nonce}`;
      if (first.has(k)) duplicates.push(p);
      else first.set(k, p);
    }
    for (const d of duplicates) d.done(false);
    const pairs = [...first.values()];
    this.#store.rememberNonces(pairs).then(
      (inserted) => {
        for (const p of pairs) p.done(inserted.has(`${p.keyId} ${p.nonce}`));
      },
      (err: unknown) => {
        for (const p of pairs) p.fail(err);
      },
    );
  }
}

/** Batches `remember` calls into `rememberNonces` statements, one per store and turn. */
export class NonceWriter {
  readonly #durable: Queue;
  readonly #relaxed: Queue;

  /** `readOnly` records the nonces of read-only requests (the durable store when not given). */
  constructor(durable: NonceStore, readOnly: NonceStore = durable) {
    this.#durable = new Queue(durable);
    this.#relaxed = readOnly === durable ? this.#durable : new Queue(readOnly);
  }

  /**
   * Resolves true when the nonce was new for the key, false when it was seen before. The nonce
   * is kept until `expiresAt` (when a request carrying it could no longer be accepted). Both
   * stores are one table: a nonce is new only if neither way recorded it before.
   */
  remember(keyId: string, nonce: string, expiresAt: Date, readOnly = false): Promise<boolean> {
    return new Promise((done, fail) => {
      (readOnly ? this.#relaxed : this.#durable).push({ keyId, nonce, expiresAt, done, fail });
    });
  }
}
