import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHex32, parsePubkey } from '../ids.ts';
import { msat } from '../money.ts';
import { bolt11Prefix, type WalletInvoice, wrapTerms } from './wrap-terms.ts';

const wallet = parsePubkey(`02${'aa'.repeat(32)}`);
const now = new Date('2026-12-06T10:00:00.000Z');
const invoice: WalletInvoice = {
  destination: wallet,
  paymentHash: parseHex32('bb'.repeat(32)),
  amount: msat(50_000_000n),
  timestamp: new Date('2026-12-06T09:59:00.000Z'),
  expirySeconds: 3600,
  cltvExpiry: 80,
};
const quote = {
  walletPubkey: wallet,
  amount: msat(50_000_000n),
  fee: msat(2_000_000n),
  expiresAt: new Date('2026-12-06T10:05:00.000Z'),
};
const settings = { minExpirySeconds: 120, expiryMarginSeconds: 60, cltvExpiryDelta: 80, maxWalletCltv: 1008 };

test('the wrapped invoice asks the amount plus the fee, expires before the wallet’s and adds the LSP’s delta', () => {
  const d = wrapTerms(invoice, quote, settings, now);
  assert.ok(d.ok);
  assert.equal(d.terms.amount, 52_000_000n);
  assert.equal(d.terms.fee, 2_000_000n);
  // The wallet's invoice expires at 10:59:00; the wrapped one a minute earlier.
  assert.equal(d.terms.expirySeconds, 3480);
  assert.equal(d.terms.expiresAt.toISOString(), '2026-12-06T10:58:00.000Z');
  assert.equal(d.terms.cltvExpiry, 160);
});

test('each reason not to wrap is named', () => {
  const refusal = (i: Partial<WalletInvoice>, q: Partial<typeof quote> = {}) => {
    const d = wrapTerms({ ...invoice, ...i }, { ...quote, ...q }, settings, now);
    return d.ok ? 'ok' : d.refusal;
  };
  assert.equal(refusal({ amount: msat(0n) }), 'no_amount');
  assert.equal(refusal({ amount: msat(49_999_999n) }), 'amount_mismatch');
  assert.equal(refusal({ destination: parsePubkey(`03${'cc'.repeat(32)}`) }), 'payee_mismatch');
  assert.equal(refusal({}, { expiresAt: now }), 'quote_expired');
  assert.equal(refusal({ expirySeconds: 60 }), 'invoice_expired');
  // 3 minutes left: the margin and the payer's minimum need 3 minutes and one second more.
  assert.equal(refusal({ expirySeconds: 240 }), 'ok');
  assert.equal(refusal({ expirySeconds: 239 }), 'expiry_too_short');
  assert.equal(refusal({ cltvExpiry: 1009 }), 'cltv_too_large');
});

test('the network prefix is read from the human-readable part', () => {
  assert.equal(bolt11Prefix('lnbcrt500u1pjqqqqq'), 'bcrt');
  assert.equal(bolt11Prefix('LNBC1PJQQQQQ'), 'bc');
  assert.equal(bolt11Prefix('lightning:lntbs20m1pjqqq'), 'tbs');
  assert.equal(bolt11Prefix('lntb1pjqqq'), 'tb');
  assert.equal(bolt11Prefix('hello'), undefined);
  assert.equal(bolt11Prefix('bc1qxyz'), undefined);
});
