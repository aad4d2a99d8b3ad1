/**
 * The stories' server processes: `startServerProcess` of the testkit, with an optional fault
 * injected around the real LND or the hosted nodes' driver (run by `fault-server.ts`).
 */
import { join } from 'node:path';
import { type ServerProcess, type ServerProcessOptions, startServerProcess as start } from '@blgv/testkit';

export type { ServerProcess } from '@blgv/testkit';

const FAULT_SERVER = join(import.meta.dirname, 'fault-server.ts');

/** One backend call that goes wrong (see `fault-server.ts`). */
export interface Fault {
  readonly target?: string;
  readonly method: string;
  readonly mode: string;
}

/** Starts a server process (with `fault` injected, if given) and waits until it listens. */
export function startServerProcess(
  options: Omit<ServerProcessOptions, 'script'> & { readonly fault?: Fault },
): Promise<ServerProcess> {
  const { fault, ...rest } = options;
  if (!fault) return start(rest);
  return start({
    ...rest,
    script: FAULT_SERVER,
    env: { ...rest.env, BLGV_TEST_FAULT: JSON.stringify(fault) },
  });
}
