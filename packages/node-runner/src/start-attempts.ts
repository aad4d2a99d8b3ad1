/**
 * Starting a fresh process again when it exits while starting (a port taken between our check
 * and its bind, a crash): in an emptied directory, on the fresh ports the next attempt picks.
 */
import { rmSync } from 'node:fs';
import { WaitAbandoned } from './wait.ts';

/** Attempts at starting a process that exits while starting. */
export const START_ATTEMPTS = 3;

/**
 * Runs `start` until it succeeds; an attempt that fails with {@link WaitAbandoned} (the process
 * exited) is reported on stderr and, after `dir` is emptied, tried again, up to
 * {@link START_ATTEMPTS} times. Any other failure ends it at once.
 */
export async function startWithRetries<T>(name: string, dir: string, start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof WaitAbandoned) || attempt >= START_ATTEMPTS) throw err;
      process.stderr.write(`${err.message}\n(starting ${name} again, attempt ${attempt + 1})\n`);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
