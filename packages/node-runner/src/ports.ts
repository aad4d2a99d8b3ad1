/**
 * Free loopback ports for the processes a harness starts.
 *
 * Ports are chosen below the kernel's ephemeral range: an ephemeral port (`listen(0)`) could be
 * taken by any outgoing connection of another process (another test file's lnd dialing its btcd)
 * between our check and the child's own bind; a port below that range is only ever taken by
 * someone who asks for it by number. That part is split in two, so the two ways of asking never
 * meet:
 * - {@link freePort} picks single ports at random from 10,000 to 18,999, checked by binding them
 *   (the harness's btcd and LND nodes bind theirs within seconds); 19,000–19,999 is the hosting
 *   config's default range (a server started with it, as `npm start` does);
 * - {@link claimPortBlock} hands out blocks above 20,000, each held by one process at a time
 *   across processes (a lock file names its pid). A hosted node's ports are recorded when it is
 *   created but bound only once its wallet is unlocked, and again each time it is started: a
 *   check by binding cannot see them, so no random pick may land there.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from './processes.ts';

const handedOut = new Set<number>();
const [low, high] = [10_000, 18_999];
const BLOCKS_FROM = 20_000;
const blocksTo = ephemeralLow() - 1;

/**
 * The first port of the kernel's ephemeral range; 32,768 where it cannot be read or starts too low
 * to leave room for blocks above 20,000.
 */
function ephemeralLow(): number {
  try {
    const [first] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    if (Number(first) > BLOCKS_FROM + 1_000) return Number(first);
  } catch {
    // Not Linux: the usual ephemeral ranges start at 32,768 or above.
  }
  return 32_768;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free port on 127.0.0.1 from 10,000 to 18,999 that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/**
 * A configured range of ports (hosted nodes' gRPC, REST and p2p ports): hands out ports that no
 * recorded node holds and that nothing else has bound.
 */
export class PortRange {
  readonly from: number;
  readonly to: number;

  constructor(from: number, to: number) {
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to > 65_535 || from > to) {
      throw new Error(`bad port range ${from}-${to}`);
    }
    this.from = from;
    this.to = to;
  }

  /** `count` free ports of the range not in `inUse`, lowest first; throws when the range is full. */
  async take(count: number, inUse: ReadonlySet<number>): Promise<number[]> {
    const ports: number[] = [];
    for (let port = this.from; port <= this.to && ports.length < count; port++) {
      if (!inUse.has(port) && (await bindable(port))) ports.push(port);
    }
    if (ports.length < count) throw new Error(`no ${count} free ports left in ${this.from}-${this.to}`);
    return ports;
  }
}

const claimed = new Set<string>();

/** Where {@link claimPortBlock} looks (tests give their own). */
export interface PortBlockOptions {
  /** The lock files' directory (default `<tmpdir>/blgv-port-blocks`, shared by every process). */
  readonly dir?: string;
  /** The ports the blocks are cut from (default 20,000 to just below the ephemeral range). */
  readonly from?: number;
  readonly to?: number;
}

/**
 * A block of `size` ports that no other live process holds, held by this one until it exits
 * (for a story's hosted nodes: `hosting.portFrom`/`portTo`). A block whose holder died without
 * releasing it is taken over.
 */
export function claimPortBlock(size: number, options: PortBlockOptions = {}): { from: number; to: number } {
  const { dir = join(tmpdir(), 'blgv-port-blocks'), from: start = BLOCKS_FROM, to: end = blocksTo } = options;
  const blocks = Math.floor((end - start + 1) / size);
  if (blocks < 1) throw new Error(`no block of ${size} ports fits ${start}-${end}`);
  mkdirSync(dir, { recursive: true });
  const first = Math.floor(Math.random() * blocks);
  for (let i = 0; i < blocks; i++) {
    const from = start + ((first + i) % blocks) * size;
    const lock = join(dir, `${from}-${size}`);
    if (claimed.has(lock) || !takeLock(lock)) continue;
    if (claimed.size === 0) process.once('exit', releaseBlocks);
    claimed.add(lock);
    return { from, to: from + size - 1 };
  }
  throw new Error(`every block of ${size} ports in ${start}-${end} is held by a live process`);
}

/** Creates `lock` naming this process, or takes it over from a dead holder. */
function takeLock(lock: string): boolean {
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  // An empty file is one being written: held.
  const holder = Number(readFileSync(lock, 'utf8').trim() || 0);
  if (!(holder > 0) || pidAlive(holder)) return false;
  rmSync(lock, { force: true });
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

function releaseBlocks(): void {
  for (const lock of claimed) rmSync(lock, { force: true });
  claimed.clear();
}
