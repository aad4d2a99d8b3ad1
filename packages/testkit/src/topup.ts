/**
 * Funding a tenant's account the way a customer does: a node pays the top-up invoice the LSP
 * issues, and the account shows the credit once LND reports it settled.
 */
import assert from 'node:assert/strict';
import { msat } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import type { Harness, LndNode } from '@blgv/regtest';
import { within } from './network.ts';

/** `payer` pays a top-up of `amount` sat for `client`'s tenant; resolves once it is credited. */
export async function topUp(h: Harness, payer: LndNode, client: LSPClient, amount: number): Promise<void> {
  const topup = await client.topUp(amount);
  assert.equal(topup.state, 'open');
  await payTopup(h, payer, client, topup.paymentRequest, amount);
  assert.equal((await client.getTopup(topup.paymentHash)).state, 'settled');
}

/**
 * `payer` pays a top-up invoice the LSP issued (e.g. the one a 402 carries); resolves once the
 * `amount` is credited. Waited on through the top-up's state, which commits with its ledger
 * entry: the balance alone may have moved on at once (a suspended node's month, charged as soon
 * as the balance covers it), so it need never show exactly the credit.
 */
export async function payTopup(
  h: Harness,
  payer: LndNode,
  client: LSPClient,
  paymentRequest: string,
  amount: number,
): Promise<void> {
  const paid = await payer.lnd.sendPayment(
    { paymentRequest, feeLimit: msat(100_000), timeoutSeconds: 60 },
    within(90_000),
  );
  assert.equal(paid.status, 'succeeded');
  await h.waitFor(async () => (await client.getTopup(paid.paymentHash)).state === 'settled', {
    what: `the top-up of ${amount} sat to be credited`,
  });
  const credit = (await client.getLedger()).entries.find(
    (e) => e.kind === 'topup' && e.reference === paid.paymentHash,
  );
  assert.equal(credit?.amount, amount, 'the top-up credited in full');
}
