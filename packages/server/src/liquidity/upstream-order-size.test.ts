import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isLspError, sat } from '@blgv/core';
import type { UpstreamInfo } from './upstream-lsps1-wire.ts';
import { channelReserve, OPENER_FEE_BUFFER, sizeUpstreamOrder, spendableOf } from './upstream-order-size.ts';

const INFO: UpstreamInfo = {
  minRequiredConfirmations: 1,
  maxChannelExpiryBlocks: 13_000,
  minClientBalance: sat(0),
  maxClientBalance: sat(1_000_000),
  minLspBalance: sat(20_000),
  maxLspBalance: sat(16_777_215),
  minChannelBalance: sat(20_000),
  maxChannelBalance: sat(17_777_215),
};

test('the reserve is 1 % of the capacity, rounded up, at least 354 sat', () => {
  assert.equal(channelReserve(1_000_000n), 10_000n);
  assert.equal(channelReserve(1_000_001n), 10_001n);
  assert.equal(channelReserve(20_000n), 354n);
});

test('the client side covers the amount, the headroom and its reserve; the LSP side its reserve and fee buffer', () => {
  const size = sizeUpstreamOrder(sat(100_000), 5_000n, INFO);
  const reserve = channelReserve(size.lspBalance + size.clientBalance);
  assert.equal(size.lspBalance, reserve + OPENER_FEE_BUFFER, 'above the 20,000 sat minimum');
  assert.ok(size.clientBalance - reserve >= 100_500n, 'spendable after the reserve covers amount + 0.5 %');
  assert.ok(size.clientBalance - reserve < 100_500n + 5n, 'and not much more');
});

test('a 0.1 BTC order keeps the upstream side above its 1 % reserve', () => {
  const size = sizeUpstreamOrder(sat(10_000_000), 5_000n, { ...INFO, maxClientBalance: sat(16_000_000) });
  const reserve = channelReserve(size.lspBalance + size.clientBalance);
  assert.ok(reserve > 100_000n);
  assert.equal(size.lspBalance, reserve + OPENER_FEE_BUFFER);
  assert.ok(size.clientBalance - reserve >= 10_050_000n);
});

test('a small order is raised to the minimum capacity', () => {
  const size = sizeUpstreamOrder(sat(1_000), 0n, {
    ...INFO,
    minLspBalance: sat(0),
    minChannelBalance: sat(100_000),
  });
  const capacity = size.lspBalance + size.clientBalance;
  assert.ok(capacity >= 100_000n && capacity < 100_010n, `capacity ${capacity} is about the minimum`);
  assert.equal(
    size.clientBalance,
    1_000n + channelReserve(capacity),
    'the amount plus the reserve of that capacity',
  );
});

test('an amount beyond what the upstream sells is refused as lsp_insufficient_funds', () => {
  assert.throws(
    () => sizeUpstreamOrder(sat(995_000), 0n, INFO),
    (err: unknown) => isLspError(err, ErrorCode.LspInsufficientFunds) && /client balance/.test(err.message),
  );
});

test('spendable is the balance minus the reserve, never negative', () => {
  assert.equal(spendableOf({ localBalance: sat(10_000), localReserve: sat(354) }), 9_646n);
  assert.equal(spendableOf({ localBalance: sat(100), localReserve: sat(354) }), 0n);
});
