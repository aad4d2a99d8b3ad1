/**
 * Reads coalesced per turn of the event loop: the keys asked for by every request parsed in one
 * turn go to the database as one read. Nothing is cached: each key is read after it was asked.
 */
import DataLoader from 'dataloader';

/** A loader whose batch is what one turn of the event loop asked for (`read` gets each key once or more). */
export function turnBatched<K, V>(read: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
  return new DataLoader<K, V>(read, {
    cache: false,
    maxBatchSize: 500,
    batchScheduleFn: (run) => setImmediate(run),
  });
}
