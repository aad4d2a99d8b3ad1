import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { lsps1Options, optionMismatch } from './lsps1-options.ts';

const options = lsps1Options({
  minChannel: 20_000,
  maxChannel: 16_777_215,
  maxClientBalance: 1_000_000,
  maxChannelExpiryBlocks: 13_000,
  minRequiredConfirmations: 1,
});
const fits = {
  lspBalance: 100_000n,
  clientBalance: 0n,
  requiredChannelConfirmations: 1,
  fundingConfirmsWithinBlocks: 6,
  channelExpiryBlocks: 1000,
};

test('every min <= max pair holds in the advertised options (bLIP-51)', () => {
  const pairs = [
    ['min_initial_client_balance_sat', 'max_initial_client_balance_sat'],
    ['min_initial_lsp_balance_sat', 'max_initial_lsp_balance_sat'],
    ['min_channel_balance_sat', 'max_channel_balance_sat'],
  ] as const;
  for (const [min, max] of pairs) assert.ok(BigInt(options[min]) <= BigInt(options[max]), `${min} <= ${max}`);
});

test('an order outside an option is named by that option, never by a request field', () => {
  const cases: [Partial<typeof fits>, string][] = [
    [{ lspBalance: 0n }, 'min_initial_lsp_balance_sat'],
    [{ lspBalance: 16_777_216n }, 'max_initial_lsp_balance_sat'],
    [{ clientBalance: 1_000_001n }, 'max_initial_client_balance_sat'],
    [{ lspBalance: 16_000_000n, clientBalance: 1_000_000n }, 'max_channel_balance_sat'],
    [{ requiredChannelConfirmations: 0 }, 'min_required_channel_confirmations'],
    [{ fundingConfirmsWithinBlocks: 0 }, 'min_funding_confirms_within_blocks'],
    [{ channelExpiryBlocks: 13_001 }, 'max_channel_expiry_blocks'],
  ];
  for (const [change, property] of cases) {
    assert.equal(
      optionMismatch(options, { ...fits, ...change })?.property,
      property,
      JSON.stringify(change, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
  }
  assert.equal(optionMismatch(options, fits), undefined);
  assert.equal(
    optionMismatch(options, { ...fits, requiredChannelConfirmations: 65_535 }),
    undefined,
    'no hidden maximum',
  );
});

test('an order inside every advertised option is never refused', () => {
  fc.assert(
    fc.property(
      fc.bigInt({
        min: BigInt(options.min_initial_lsp_balance_sat),
        max: BigInt(options.max_initial_lsp_balance_sat),
      }),
      fc.bigInt({ min: 0n, max: BigInt(options.max_initial_client_balance_sat) }),
      fc.integer({ min: 1, max: 65_535 }),
      fc.integer({ min: 1, max: 65_535 }),
      fc.integer({ min: 1, max: 13_000 }),
      (lsp, client, confs, within, expiry) => {
        const total = lsp + client;
        const inside =
          total >= BigInt(options.min_channel_balance_sat) &&
          total <= BigInt(options.max_channel_balance_sat);
        const mismatch = optionMismatch(options, {
          lspBalance: lsp,
          clientBalance: client,
          requiredChannelConfirmations: confs,
          fundingConfirmsWithinBlocks: within,
          channelExpiryBlocks: expiry,
        });
        return inside ? mismatch === undefined : mismatch?.property.endsWith('channel_balance_sat') === true;
      },
    ),
  );
});
