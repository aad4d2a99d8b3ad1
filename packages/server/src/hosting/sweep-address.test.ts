import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLspError } from '@blgv/core';
import { checkSweepAddress, isSweepAddress } from './sweep-address.ts';

test('standard addresses of the nodes network are taken, others refused', () => {
  // BIP-173/350 and base58 test vectors.
  assert.ok(isSweepAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'mainnet'));
  assert.ok(isSweepAddress('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', 'mainnet'));
  assert.ok(isSweepAddress('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', 'mainnet'));
  assert.ok(isSweepAddress('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', 'mainnet'));
  assert.ok(isSweepAddress('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', 'testnet'));
  assert.ok(isSweepAddress('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', 'regtest'));
  assert.ok(!isSweepAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'regtest'), 'mainnet on regtest');
  assert.ok(!isSweepAddress('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', 'mainnet'), 'testnet on mainnet');
  assert.ok(!isSweepAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', 'mainnet'), 'bad checksum');
  assert.ok(!isSweepAddress('not an address', 'mainnet'));
});

test('a refused sweep address is a 400 naming the field', () => {
  assert.throws(
    () => checkSweepAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'regtest'),
    (err: unknown) => isLspError(err, 'invalid_input') && err.details?.field === 'sweepAddress',
  );
});
