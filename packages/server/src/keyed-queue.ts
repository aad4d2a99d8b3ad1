/**
 * Work that takes turns per key within this process: an operation runs once every one queued
 * before it under the same key has settled (returned or thrown); other keys do not wait. A key
 * is forgotten once its queue is empty, so the map holds only keys with work queued.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `op` after the work queued under `key` before it; answers what `op` answers. */
  run<T>(key: string, op: () => Promise<T>): Promise<T> {
    const run = (this.#tails.get(key) ?? Promise.resolve()).then(op);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, settled);
    void settled.then(() => {
      if (this.#tails.get(key) === settled) this.#tails.delete(key);
    });
    return run;
  }

  /** How many keys have work queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
