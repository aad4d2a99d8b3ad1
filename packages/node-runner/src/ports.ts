/**
 * Free loopback ports for the processes a harness starts.
 *
 * A port is chosen below the kernel's ephemeral range, at random, and checked by binding it.
 * An ephemeral port (`listen(0)`) could be taken by any outgoing connection of another process
 * (another test file's lnd dialing its btcd) between our check and the child's own bind; a port
 * below that range is only ever taken by someone who asks for it by number.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const handedOut = new Set<number>();
const [low, high] = unreservedRange();

function unreservedRange(): [number, number] {
  try {
    const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const first = Number(ephemeralLow);
    if (Number.isInteger(first) && first > 12_000) return [10_000, first - 1];
  } catch {
    // Not Linux: fall through to a range that is below the usual ephemeral ranges.
  }
  return [10_000, 32_767];
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free port on 127.0.0.1, outside the ephemeral range, that this process has not handed out before. */
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
