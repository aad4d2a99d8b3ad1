/**
 * Sends what is due without any send waiting for another: at most `concurrency` sends in
 * flight, at most `perKey` of them to one key (a webhook endpoint), each started as soon as a
 * slot frees. A receiver that takes its whole timeout to answer (or never answers) holds its
 * own slots for that long, never the others': the other endpoints' deliveries keep flowing.
 *
 * What is due is read (`read`) when asked (`fill`, every tick of the job) and again whenever a
 * send ends while slots are free, one read at a time; items in flight are left out of what a
 * read brings (a read may see them still pending).
 */

/** How soon after a send ends the pool reads what came due. */
const REREAD_AFTER_MS = 10;
/**
 * How long what a read brought may wait for a slot before it is read again: meanwhile its
 * webhook may have been disabled, changed or removed, or the item given up.
 */
const QUEUE_FRESH_MS = 250;

/** What the pool needs. */
export interface SendPoolDeps<T> {
  /**
   * Items due now, at most `limit`, at most `perKey` of one key, oldest first; those whose id
   * is in `inFlight` may be left out (they are dropped from what is read anyway).
   */
  readonly read: (limit: number, perKey: number, inFlight: ReadonlySet<string>) => Promise<readonly T[]>;
  /** The item's identity (in flight at most once). */
  readonly id: (item: T) => string;
  /** What the per-key bound counts by. */
  readonly key: (item: T) => string;
  /**
   * Items sharing this are never in flight together (a webhook's deliveries of one subject: they
   * go in order). A read may bring one while another is in flight, e.g. a delivery redelivered
   * meanwhile; it waits for the one in flight to end. Default: the item's id.
   */
  readonly exclusive?: (item: T) => string;
  /** Sends one item; its failure is the caller's to record (a rejection is only logged). */
  readonly send: (item: T) => Promise<void>;
  /** Told of a send that rejected, or a read that failed. */
  readonly failed: (err: unknown, item?: T) => void;
  readonly concurrency: number;
  readonly perKey: number;
  /**
   * The job's: once it aborts (the lease lost, the job stopping) nothing more is started, not
   * even what was already read (another replica may have sent it since).
   */
  readonly signal: AbortSignal;
}

/** Keeps up to `concurrency` sends going. */
export class SendPool<T> {
  readonly #deps: SendPoolDeps<T>;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #perKey = new Map<string, number>();
  /** The exclusive keys of the items in flight. */
  readonly #exclusive = new Set<string>();
  #queue: T[] = [];
  /** When the queue was read. */
  #queuedAt = 0;
  #reading: Promise<void> | undefined;
  /**
   * Items, and keys, whose send ended during the read in progress (its answer may show them
   * still due, and what else of the key waits as it was before that send's outcome).
   */
  #endedDuring = { ids: new Set<string>(), keys: new Set<string>() };
  #again = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: SendPoolDeps<T>) {
    this.#deps = deps;
  }

  /** Sends in flight now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Reads what is due and starts what the free slots take. Resolves once read and started. */
  fill(): Promise<void> {
    if (this.#halted()) return Promise.resolve();
    if (this.#reading) {
      this.#again = true; // read once more after this one: something may have come due since
      return this.#reading;
    }
    this.#reading = this.#read().finally(() => {
      this.#reading = undefined;
      if (this.#again) {
        this.#again = false;
        void this.fill();
      }
    });
    return this.#reading;
  }

  /**
   * A read shortly (not at once: a send that ends at once, e.g. a refused connection, does not
   * make the pool read in a tight loop).
   */
  #soon(): void {
    if (this.#timer || this.#halted()) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.fill();
    }, REREAD_AFTER_MS);
  }

  /** Starts nothing more; resolves once every send in flight has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queue = [];
    clearTimeout(this.#timer);
    await this.#reading?.catch(() => {});
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  async #read(): Promise<void> {
    const { concurrency, perKey } = this.#deps;
    if (this.#inFlight.size >= concurrency) return;
    this.#endedDuring = { ids: new Set(), keys: new Set() };
    const endedDuring = this.#endedDuring;
    let due: readonly T[];
    try {
      due = await this.#deps.read(concurrency * 4, perKey, new Set(this.#inFlight.keys()));
    } catch (err) {
      this.#deps.failed(err);
      return;
    }
    // Neither what is in flight nor what ended while the read ran (it may have read the item
    // before its attempt was recorded: sent again, it would go twice, or out of order), nor
    // the rest of a key one of whose sends ended meanwhile (read again after it).
    this.#queuedAt = Date.now();
    this.#queue = due.filter((item) => {
      const id = this.#deps.id(item);
      return (
        !this.#inFlight.has(id) && !endedDuring.ids.has(id) && !endedDuring.keys.has(this.#deps.key(item))
      );
    });
    this.#start();
  }

  /** True once stopped, or once the job's signal aborted: nothing more is started. */
  #halted(): boolean {
    return this.#stopped || this.#deps.signal.aborted;
  }

  /** True when a queued item's key is under its bound (a freed slot can take it). */
  #startable(): boolean {
    return this.#queue.some(
      (item) =>
        (this.#perKey.get(this.#deps.key(item)) ?? 0) < this.#deps.perKey &&
        !this.#exclusive.has(this.#exclusiveKey(item)),
    );
  }

  #exclusiveKey(item: T): string {
    return (this.#deps.exclusive ?? this.#deps.id)(item);
  }

  /** Starts queued items while slots are free and their key is under its bound. */
  #start(): void {
    const { concurrency, perKey, id, key } = this.#deps;
    if (Date.now() - this.#queuedAt > QUEUE_FRESH_MS) this.#queue = [];
    for (let i = 0; i < this.#queue.length && this.#inFlight.size < concurrency && !this.#halted(); ) {
      const item = this.#queue[i] as T;
      const k = key(item);
      const only = this.#exclusiveKey(item);
      const taken = this.#perKey.get(k) ?? 0;
      if (taken >= perKey || this.#inFlight.has(id(item)) || this.#exclusive.has(only)) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#perKey.set(k, taken + 1);
      this.#exclusive.add(only);
      let rejected = false;
      const sending = this.#deps
        .send(item)
        .catch((err: unknown) => {
          rejected = true;
          this.#deps.failed(err, item);
        })
        .finally(() => {
          this.#inFlight.delete(id(item));
          this.#exclusive.delete(only);
          // What of its key waits was read before this send's outcome (which may have given
          // the webhook up and disabled it): read again, not started from the queue.
          this.#queue = this.#queue.filter((q) => key(q) !== k);
          if (this.#reading) {
            this.#endedDuring.ids.add(id(item));
            this.#endedDuring.keys.add(k);
          }
          const left = (this.#perKey.get(k) ?? 1) - 1;
          if (left > 0) this.#perKey.set(k, left);
          else this.#perKey.delete(k);
          if (this.#halted()) return;
          // A slot is free: what is queued first, then what came due meanwhile. A send that
          // failed without recording its attempt is still due: it waits for the next tick,
          // not a read right away (no tight loop of failing sends).
          this.#start();
          if (!rejected && !this.#startable()) this.#soon();
        });
      this.#inFlight.set(id(item), sending);
    }
  }
}
