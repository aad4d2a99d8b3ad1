/**
 * Story: a wallet reads the invoices a real regtest LND makes with the SDK alone (no node of its
 * own): what `decodeBolt11` finds is what LND's own DecodePayReq finds. Then an LSP node wraps
 * the wallet's invoice in a hold invoice (same hash, amount plus the fee, final CLTV plus its
 * delta, expiring with it) and the SDK's `checkWrappedInvoice` passes it; the LSP's hold
 * invoice for another hash, or for more than the quoted fee, fails.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type Hex32, msat, parseHex32, parsePubkey, scidFromParts } from '@blgv/core';
import { checkWrappedInvoice, decodeBolt11 } from '@blgv/lsp-client';
import { Harness, type LndNode } from '@blgv/regtest';
import { within } from '@blgv/testkit';

let h: Harness;
let wallet: LndNode;
let lsp: LndNode;
before(async () => {
  h = await Harness.start();
  [wallet, lsp] = await Promise.all([h.newNode('wallet'), h.newNode('lsp')]);
});
after(async () => {
  await h?.stop();
});

const newHash = (): Hex32 => parseHex32(createHash('sha256').update(randomBytes(32)).digest('hex'));

test("the SDK decodes LND's invoices as LND does", async () => {
  const hint = {
    nodeId: lsp.pubkey,
    scid: scidFromParts(700_123, 45, 1),
    feeBaseMsat: msat(1_000),
    feeProportionalMillionths: 250,
    cltvExpiryDelta: 80,
  };
  const made = [
    await wallet.lnd.addInvoice({ amount: msat(50_000_000), memo: 'fifty thousand sat' }, within()),
    await wallet.lnd.addInvoice({ memo: 'any amount', expirySeconds: 86_400 }, within()),
    await wallet.lnd.addInvoice(
      { amount: msat(1_234_567), memo: 'ナンセンス 1杯', routeHints: [[hint]] },
      within(),
    ),
    await lsp.lnd.addHoldInvoice({ paymentHash: newHash(), amount: msat(7), cltvExpiry: 200 }, within()),
  ];
  for (const { paymentRequest } of made) {
    const ours = decodeBolt11(paymentRequest);
    const lnds = await wallet.lnd.decodePaymentRequest(paymentRequest, within());
    assert.equal(ours.network, 'regtest');
    assert.equal(ours.payee, lnds.destination);
    assert.equal(ours.paymentHash, lnds.paymentHash);
    assert.equal(ours.amountMsat ?? 0n, lnds.amount, paymentRequest);
    assert.equal(ours.timestamp * 1000, lnds.timestamp.getTime());
    assert.equal(ours.expirySeconds, lnds.expirySeconds);
    assert.equal(ours.minFinalCltvExpiryDelta, lnds.cltvExpiry);
    assert.equal(ours.description ?? '', lnds.description);
    assert.deepEqual(
      ours.routeHints.map((r) =>
        r.map((hop) => [hop.nodeId, hop.chanId, BigInt(hop.feeBaseMsat), hop.cltvExpiryDelta]),
      ),
      lnds.routeHints.map((r) =>
        r.map((hop) => [hop.nodeId, hop.scid as bigint, hop.feeBaseMsat as bigint, hop.cltvExpiryDelta]),
      ),
    );
    assert.equal(ours.paymentSecret.length, 64);
    assert.ok(ours.features.includes(14), 'LND requires the payment secret');
  }
  const [fifty, any, hinted, held] = made.map((m) => decodeBolt11(m.paymentRequest));
  assert.deepEqual(
    [fifty?.amountMsat, any?.amountMsat, any?.expirySeconds],
    [50_000_000n, undefined, 86_400],
  );
  assert.equal(hinted?.routeHints[0]?.[0]?.shortChannelId, '700123x45x1');
  assert.deepEqual([held?.payee, held?.amountMsat, held?.minFinalCltvExpiryDelta], [lsp.pubkey, 7n, 200]);
  assert.equal(parsePubkey(fifty?.payee ?? ''), wallet.pubkey);
});

test("an LSP's hold invoice wrapping the wallet's passes the check; another hash or a higher fee fails", async () => {
  const original = await wallet.lnd.addInvoice({ amount: msat(50_000_000), memo: 'wrap me' }, within());
  const decoded = decodeBolt11(original.paymentRequest);
  const remaining = decoded.expiresAt - Math.floor(Date.now() / 1000);
  const quote = { amount_msat: 1_000_000, fee_amount_msat: 1_000_000, id: 'fee-1' };
  const wrap = (paymentHash: Hex32, amount: bigint) =>
    lsp.lnd.addHoldInvoice(
      {
        paymentHash,
        amount: msat(amount),
        memo: 'wrapped',
        expirySeconds: remaining - 5,
        cltvExpiry: decoded.minFinalCltvExpiryDelta + 80,
      },
      within(),
    );

  const good = await wrap(original.paymentHash, 51_000_000n);
  const check = checkWrappedInvoice(original.paymentRequest, good.paymentRequest, quote, lsp.pubkey);
  assert.deepEqual(check.failures, []);
  assert.equal(check.feeMsat, 1_000_000n);

  const otherHash = await wrap(newHash(), 51_000_000n);
  assert.deepEqual(
    checkWrappedInvoice(original.paymentRequest, otherHash.paymentRequest, quote, lsp.pubkey).failures.map(
      (f) => f.code,
    ),
    ['payment_hash_mismatch'],
  );
  const overcharged = await wrap(newHash(), 51_000_001n);
  assert.deepEqual(
    checkWrappedInvoice(original.paymentRequest, overcharged.paymentRequest, quote, lsp.pubkey).failures.map(
      (f) => f.code,
    ),
    ['payment_hash_mismatch', 'fee_above_quote'],
  );
  // The wallet's own invoice handed back is not a wrap.
  assert.deepEqual(
    checkWrappedInvoice(original.paymentRequest, original.paymentRequest, quote, lsp.pubkey).failures.map(
      (f) => f.code,
    ),
    ['payee_not_lsp', 'cltv_too_small'],
  );
});
