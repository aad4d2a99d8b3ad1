/**
 * The fee estimates every LND node of a harness uses (`--fee.url`): one fee rate for every
 * confirmation target, changeable while the network runs. LND does not cache fees on regtest,
 * so a change shows in its next estimate. Without it LND asks btcd, whose estimates on a young
 * regtest chain drift with whatever was mined.
 */
import { createServer, type Server } from 'node:http';

/** Confirmation targets served (LND interpolates between them). */
const TARGETS = [1, 2, 3, 6, 12, 24, 72, 144, 504, 1008];

/** A local fee estimate server. */
export class FeeServer {
  readonly url: string;
  readonly #server: Server;
  #satPerVbyte: number;

  private constructor(server: Server, url: string, satPerVbyte: number) {
    this.#server = server;
    this.url = url;
    this.#satPerVbyte = satPerVbyte;
  }

  /** Starts serving `satPerVbyte` for every target on a free loopback port. */
  static async start(satPerVbyte: number): Promise<FeeServer> {
    let current: FeeServer | undefined;
    const server = createServer((_req, res) => {
      const perKvb = Math.round((current?.satPerVbyte ?? satPerVbyte) * 1000);
      const body = JSON.stringify({
        fee_by_block_target: Object.fromEntries(TARGETS.map((t) => [String(t), perKvb])),
        min_relay_feerate: 1000,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.unref();
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    current = new FeeServer(server, `http://127.0.0.1:${port}/fees`, satPerVbyte);
    return current;
  }

  /** The rate served now (sat/vB). */
  get satPerVbyte(): number {
    return this.#satPerVbyte;
  }

  /** Serves a new rate from the next request on. */
  set(satPerVbyte: number): void {
    this.#satPerVbyte = satPerVbyte;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
