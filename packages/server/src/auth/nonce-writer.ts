/**
 * Coalesces nonce writes: nonces of requests arriving in the same turn of the event loop are
 * recorded with one multi-row INSERT, so a busy server makes one database round trip for many
 * requests instead of one each. A replay is still refused: the database's primary key decides
 * which nonce is new, within a batch and across batches, replicas and restarts.
 */
import type { ApiKeysRepository } from '@blgv/store';

/** Most nonces written in one statement. */
const MAX_BATCH = 200;

interface Pending {
  readonly keyId: string;
  readonly nonce: string;
  readonly expiresAt: Date;
  readonly done: (isNew: boolean) => void;
  readonly fail: (err: unknown) => void;
}

/** Batches `remember` calls into `rememberNonces` statements. */
export class NonceWriter {
  readonly #repo: Pick<ApiKeysRepository, 'rememberNonces'>;
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(repo: Pick<ApiKeysRepository, 'rememberNonces'>) {
    this.#repo = repo;
  }

  /**
   * Resolves true when the nonce was new for the key, false when it was seen before. The nonce
   * is kept until `expiresAt` (when a request carrying it could no longer be accepted).
   */
  remember(keyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    return new Promise((done, fail) => {
      this.#queue.push({ keyId, nonce, expiresAt, done, fail });
      if (this.#queue.length >= MAX_BATCH) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue.splice(0, MAX_BATCH);
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
    this.#repo.rememberNonces(pairs).then(
      (inserted) => {
        for (const p of pairs) p.done(inserted.has(`${p.keyId} ${p.nonce}`));
      },
      (err: unknown) => {
        for (const p of pairs) p.fail(err);
      },
    );
  }
}
