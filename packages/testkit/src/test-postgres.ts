/**
 * A Postgres server of the story's own, to crash and restart under the LSP: Debian's server
 * binaries (`postgresql` package, `/usr/lib/postgresql/<version>/bin`), a cluster made by
 * `initdb` in a temporary directory, trust authentication, a free loopback port and its socket
 * in that directory, `fsync=off` (a crash of the processes loses nothing the kernel holds;
 * commits still wait for their WAL to be written, as in production, so a committed transaction
 * survives the crash).
 *
 * {@link TestPostgres.kill} is a crash: the postmaster is frozen (no new backend can be forked),
 * then it and every process it started get SIGKILL at once, so every client connection drops
 * without a goodbye and nothing is shut down cleanly. {@link TestPostgres.restart} starts the
 * same cluster again on the same port: Postgres replays its WAL (crash recovery) before it
 * accepts connections.
 *
 * initdb and postgres refuse to run as root: as root, they run as the `postgres` user (the
 * directory is given to it). Every process runs under `setpriv --pdeathsig SIGKILL`, so the
 * postmaster dies with the story's process, and its backends follow it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, logTail, onShutdown, pidAlive, waitFor } from '@blgv/regtest';

/** A running (or crashed) Postgres of the story's own. */
export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: the same across restarts. */
  readonly url: string;
  /** True between a {@link kill} and the next {@link restart}. */
  readonly down: boolean;
  /** Crashes it: SIGKILL to the postmaster and all its children at once. Resolves once all are gone. */
  kill(): Promise<void>;
  /** Starts it again (after {@link kill}); resolves once it accepts connections. */
  restart(): Promise<void>;
  /** Stops it (fast shutdown) and removes its directory. */
  stop(): Promise<void>;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/**
 * The directory of Debian's Postgres server binaries: `BLGV_PG_BIN` when set, else the newest
 * `/usr/lib/postgresql/<version>/bin` holding `initdb`.
 */
export function postgresBinDir(): string {
  const given = process.env.BLGV_PG_BIN;
  if (given) return given;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (!newest)
    throw new Error(
      `no Postgres server binaries under ${root}: install Debian's \`postgresql\` package (or set BLGV_PG_BIN)`,
    );
  return join(root, newest, 'bin');
}

/** The uid and gid of `user` (from `id`). */
function idsOf(user: string): { uid: number; gid: number } {
  const id = (flag: string) => {
    const r = spawnSync('id', [flag, user], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`no user ${user} to run Postgres as (root may not): ${r.stderr}`);
    return Number(r.stdout.trim());
  };
  return { uid: id('-u'), gid: id('-g') };
}

/** The command line running `binary` with `args`: as `postgres` when we are root, killed with us. */
function asOwner(binary: string, args: readonly string[]): [string, string[]] {
  if (!SETPRIV) return [binary, [...args]];
  const user = process.getuid?.() === 0 ? ['--reuid=postgres', '--regid=postgres', '--init-groups'] : [];
  return [SETPRIV, [...user, '--pdeathsig', 'SIGKILL', binary, ...args]];
}

/** The pids of the processes whose parent is `pid` (from `/proc`). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // `pid (comm) state ppid ...`: the fields after the last `)`.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return children;
}

/**
 * Makes a cluster with `initdb` in a fresh temporary directory and starts it; resolves once it
 * accepts connections.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'blgv-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  if (process.getuid?.() === 0) {
    const { uid, gid } = idsOf('postgres');
    chownSync(dir, uid, gid);
  }
  const init = spawnSync(
    ...asOwner(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '--encoding=UTF8',
      '--locale=C',
    ]),
    { encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}):\n${init.stdout}\n${init.stderr}`);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let postmaster: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const out = openSync(log, 'a');
    const child = spawn(
      ...asOwner(join(bin, 'postgres'), [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
      ]),
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    postmaster = child;
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitFor(
      () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`postgres exited:\n${logTail(log)}`);
        const ready = spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']);
        return ready.status === 0;
      },
      { what: `postgres to accept connections on port ${port}`, timeoutMs: 60_000, intervalMs: 50 },
    );
  };

  const kill = async () => {
    const pid = postmaster?.pid;
    if (!postmaster || pid === undefined) return;
    // Frozen first: it forks no backend between the listing of its children and their end.
    process.kill(pid, 'SIGSTOP');
    const children = childrenOf(pid);
    process.kill(pid, 'SIGKILL');
    for (const child of children) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await exited;
    postmaster = undefined;
    // Their shared memory is free once they are gone (a zombie holds none).
    await waitFor(() => children.every((c) => !pidAlive(c)), {
      what: "the crashed postgres's backends to be gone",
      timeoutMs: 10_000,
      intervalMs: 20,
    });
  };

  const stop = async () => {
    if (postmaster) {
      postmaster.kill('SIGINT'); // fast shutdown
      const late = setTimeout(() => void kill(), 10_000);
      await exited;
      clearTimeout(late);
      postmaster = undefined;
    }
    if (process.env.BLGV_KEEP_REGTEST !== '1') rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onShutdown(stop);

  try {
    await start();
  } catch (err) {
    await stop();
    unregister();
    throw err;
  }
  return {
    url,
    get down() {
      return postmaster === undefined;
    },
    kill,
    async restart() {
      if (postmaster) throw new Error('postgres is running: kill it before restarting it');
      await start();
    },
    async stop() {
      unregister();
      await stop();
    },
  };
}
