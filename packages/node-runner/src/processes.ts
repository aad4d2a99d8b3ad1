/**
 * Child processes (btcd, lnd) that never outlive us.
 *
 * Three layers make sure of it:
 * 1. each child is started through `setpriv --pdeathsig SIGKILL`, so the kernel kills it if
 *    our process dies in any way, even by SIGKILL;
 * 2. on `exit`, every child still registered gets SIGKILL;
 * 3. on SIGINT/SIGTERM, registered shutdown hooks (harness `stop()`) run, then we exit.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

const live = new Set<ChildProcess>();
const shutdownHooks = new Set<() => Promise<void>>();
let handlersInstalled = false;
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p) && supportsPdeathsig(p));

function supportsPdeathsig(path: string): boolean {
  return spawnSync(path, ['--pdeathsig', 'SIGKILL', 'true']).status === 0;
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      const hooks = [...shutdownHooks];
      Promise.allSettled(hooks.map((h) => h())).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
}

/** Registers `hook` to run when the process gets SIGINT/SIGTERM; returns an unregister function. */
export function onShutdown(hook: () => Promise<void>): () => void {
  installHandlers();
  shutdownHooks.add(hook);
  return () => shutdownHooks.delete(hook);
}

/** A managed child process. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it is still running after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  readonly running: boolean;
}

/**
 * Starts `binary` with `args`, stdout and stderr appended to `logFile`; `env` adds to (or
 * overrides) this process's environment.
 */
export function startProcess(
  name: string,
  binary: string,
  args: readonly string[],
  logFile: string,
  env?: Readonly<Record<string, string>>,
): ManagedProcess {
  installHandlers();
  const fd = openSync(logFile, 'a');
  const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'SIGKILL', binary, ...args]] : [binary, [...args]];
  const child = spawn(cmd, argv, {
    stdio: ['ignore', fd, fd],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`cannot start ${name} (${binary})`);
  live.add(child);
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    name,
    pid: child.pid,
    exited,
    get running() {
      return running;
    },
    async stop(graceMs = 15_000) {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Linux's process table as files: read, not spawned (see {@link pidAlive}). */
const HAS_PROC = existsSync('/proc/self/stat');

/**
 * True while a process with this pid exists (and is not a zombie). On Linux it reads the state
 * letter in `/proc/<pid>/stat`: the keeper asks this of every hosted node on every tick, and
 * spawning `ps` for each (synchronously) stalled the server's event loop with 50 nodes.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (HAS_PROC) {
    try {
      // `pid (comm) S ...`: the state follows the last `)` (a command name may hold one).
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state !== 'Z' && state !== 'X';
    } catch {
      return false; // gone between the two looks
    }
  }
  const stat = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
  return stat !== '' && !stat.startsWith('Z');
}

/** The last `lines` lines of a process's log file (empty when there is none), for error messages. */
export function logTail(logFile: string, lines = 15): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
