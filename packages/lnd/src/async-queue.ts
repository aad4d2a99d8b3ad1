/**
 * A small push-based async iterable: producers `push`, one consumer iterates. Used to turn
 * gRPC event emitters into `for await` loops.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #waiting: ((r: IteratorResult<T>) => void) | undefined;
  #failWaiting: ((err: unknown) => void) | undefined;
  #ended = false;
  #error: unknown;
  readonly #onReturn: (() => void) | undefined;

  /** `onReturn` runs when the consumer stops iterating early (`break`, `return`, a throw). */
  constructor(onReturn?: () => void) {
    this.#onReturn = onReturn;
  }

  /** Adds an item; dropped if the queue has ended. */
  push(item: T): void {
    if (this.#ended) return;
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      this.#failWaiting = undefined;
      waiting({ value: item, done: false });
    } else {
      this.#items.push(item);
    }
  }

  /** Ends the iteration, with an error if given, after the queued items are consumed. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    const waiting = this.#waiting;
    const fail = this.#failWaiting;
    this.#waiting = undefined;
    this.#failWaiting = undefined;
    if (error !== undefined && fail) fail(error);
    else waiting?.({ value: undefined, done: true });
  }

  get ended(): boolean {
    return this.#ended;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.#items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.#ended) {
          return this.#error === undefined
            ? Promise.resolve({ value: undefined, done: true })
            : Promise.reject(this.#error);
        }
        return new Promise((resolve, reject) => {
          this.#waiting = resolve;
          this.#failWaiting = reject;
        });
      },
      return: () => {
        this.end();
        this.#onReturn?.();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
