/**
 * Processes that outlive us: hosted customer nodes keep running while the API server restarts.
 *
 * A detached process is started in its own session without the parent-death signal, its pid is
 * written to a file next to its data, and a later process adopts it from that file. A pid alone
 * could be reused by an unrelated process after the node died, so adoption also checks that the
 * process's command line names the node's own directory.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import type { ManagedProcess } from './processes.ts';
import { pidAlive } from './processes.ts';

/** How often an adopted process is looked at to learn that it has exited. */
const EXIT_POLL_MS = 250;

/**
 * Starts `binary` detached (it survives our exit, even SIGKILL), output appended to `logFile`,
 * pid written to `pidFile`. `marker` is a string of its command line that identifies it (its
 * data directory), checked when it is adopted later.
 */
export function startDetached(
  name: string,
  binary: string,
  args: readonly string[],
  files: { readonly logFile: string; readonly pidFile: string },
): ManagedProcess {
  const fd = openSync(files.logFile, 'a');
  const child = spawn(binary, [...args], { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`cannot start ${name} (${binary})`);
  child.unref();
  // Reap it if it dies while we still run (no zombie); the pid file is what later processes use.
  child.once('exit', () => undefined);
  writeFileSync(files.pidFile, `${child.pid}\n`);
  return watchPid(name, child.pid);
}

/**
 * The process recorded in `pidFile` if it is still running and its command line contains
 * `marker`; `undefined` otherwise.
 */
export function adoptDetached(name: string, pidFile: string, marker: string): ManagedProcess | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid) || !commandLine(pid).includes(marker))
    return undefined;
  return watchPid(name, pid);
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function watchPid(name: string, pid: number): ManagedProcess {
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    const timer = setInterval(() => {
      if (pidAlive(pid)) return;
      running = false;
      clearInterval(timer);
      resolve('exited');
    }, EXIT_POLL_MS);
    timer.unref();
  });
  return {
    name,
    pid,
    exited,
    get running() {
      return running && pidAlive(pid);
    },
    async stop(graceMs = 15_000) {
      if (!pidAlive(pid)) return;
      signal(pid, 'SIGTERM');
      const timer = setTimeout(() => signal(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}
