/**
 * The embedded demo network `npm start` runs when no LND is configured: btcd, the LSP's LND
 * node and one demo client node, both funded, with a channel each way (enough for the spec's
 * integration examples: a 0.01 BTC channel bought from a topped-up account, a 0.1 BTC
 * reservation and payment), and a chain that mines a block whenever a transaction waits.
 * Built on the test harness, which only this module loads (`main.ts` imports it on demand).
 */
import { sat } from '@blgv/core';
import { Harness } from '@blgv/regtest';
import type { EmbeddedNetwork } from '@blgv/server';
import type { Logger } from 'pino';

/** Wallet funds each node starts with (1 BTC). */
const WALLET_FUNDS = sat(100_000_000);
/**
 * The demo channels: the LSP's outbound to the client (enough to reserve and pay 0.1 BTC), with
 * a little pushed to the client, and the client's to the LSP (to pay the account's top-ups).
 */
const DEMO_CHANNEL = sat(16_000_000);
const DEMO_PUSH = sat(100_000);
const CLIENT_CHANNEL = sat(16_000_000);

/** Starts the demo network, logging each step. */
export async function startDemoNetwork(log: Logger): Promise<EmbeddedNetwork> {
  const started = Date.now();
  const harness = await Harness.start({ log: (line) => log.info(line) });
  try {
    const [lsp, client] = await Promise.all([
      // --requireinterceptor: JIT (LSPS2) HTLCs stay held while the server restarts. The tower
      // watches the hosted nodes' channels while they are offline (`hosting.watchtower`).
      harness.newNode('lsp', {
        requireInterceptor: true,
        watchtower: true,
        extraArgs: ['--bitcoin.basefee=1000', '--bitcoin.feerate=100'],
      }),
      harness.newNode('client'),
    ]);
    log.info('funding the lsp and client wallets with 1 BTC each');
    await harness.fund([lsp, WALLET_FUNDS], [client, WALLET_FUNDS]);
    log.info(`opening a ${DEMO_CHANNEL} sat channel lsp -> client (push ${DEMO_PUSH} sat)`);
    await harness.openChannel(lsp, client, DEMO_CHANNEL, { push: DEMO_PUSH });
    log.info(`opening a ${CLIENT_CHANNEL} sat channel client -> lsp (to pay top-ups)`);
    await harness.openChannel(client, lsp, CLIENT_CHANNEL);
    // A chain that confirms what is published: a block whenever the mempool holds a transaction.
    const mining = new AbortController();
    void harness.mineWhilePending(mining.signal);
    log.info(`regtest network ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return {
      dir: harness.dir,
      btcd: harness.btcd,
      lsp,
      client,
      // The simulated chain stops before the harness does.
      stop: async () => {
        mining.abort();
        await harness.stop();
      },
    };
  } catch (err) {
    await harness.stop();
    throw err;
  }
}
