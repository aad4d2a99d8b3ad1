/**
 * The embedded demo network `npm start` runs when no LND is configured: btcd, the LSP's LND
 * node and one demo client node, both funded, with a channel from the LSP to the client.
 */
import { sat } from '@blgv/core';
import { Harness, type LndNode } from '@blgv/regtest';
import type { Logger } from 'pino';

/** Wallet funds each node starts with (1 BTC). */
const WALLET_FUNDS = sat(100_000_000);
/** The demo channel from the LSP to the client, with part pushed to the client. */
const DEMO_CHANNEL = sat(1_000_000);
const DEMO_PUSH = sat(100_000);

/** A started demo network. */
export interface RegtestNetwork {
  readonly harness: Harness;
  readonly lsp: LndNode;
  readonly client: LndNode;
}

/** Starts the demo network, logging each step. */
export async function startRegtestNetwork(log: Logger): Promise<RegtestNetwork> {
  const started = Date.now();
  const harness = await Harness.start({ log: (line) => log.info(line) });
  try {
    const [lsp, client] = await Promise.all([
      // --requireinterceptor: JIT (LSPS2) HTLCs stay held while the server restarts.
      harness.newNode('lsp', {
        requireInterceptor: true,
        extraArgs: ['--bitcoin.basefee=1000', '--bitcoin.feerate=100'],
      }),
      harness.newNode('client'),
    ]);
    log.info('funding the lsp and client wallets with 1 BTC each');
    await harness.fund([lsp, WALLET_FUNDS], [client, WALLET_FUNDS]);
    log.info(`opening a ${DEMO_CHANNEL} sat channel lsp -> client (push ${DEMO_PUSH} sat)`);
    await harness.openChannel(lsp, client, DEMO_CHANNEL, { push: DEMO_PUSH });
    log.info(`regtest network ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { harness, lsp, client };
  } catch (err) {
    await harness.stop();
    throw err;
  }
}
