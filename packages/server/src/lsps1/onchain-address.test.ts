import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAddressOfNetwork } from './onchain-address.ts';

// BIP-173/350 test vectors and well-known addresses.
const MAIN_P2WPKH = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';
const MAIN_P2TR = 'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0';
const TEST_P2WSH = 'tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7';
const REGTEST_P2WPKH = 'bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw';
const MAIN_P2PKH = '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2';
const TEST_P2PKH = 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn';

test('SegWit addresses (P2WPKH, P2WSH, P2TR) of the node network pass; others do not', () => {
  assert.equal(isAddressOfNetwork(MAIN_P2TR, MAIN_P2WPKH), true);
  assert.equal(isAddressOfNetwork(REGTEST_P2WPKH, REGTEST_P2WPKH), true);
  assert.equal(isAddressOfNetwork(TEST_P2WSH, 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx'), true);
  assert.equal(isAddressOfNetwork(TEST_P2WSH, REGTEST_P2WPKH), false, 'tb1 is not regtest');
  assert.equal(isAddressOfNetwork(MAIN_P2WPKH, REGTEST_P2WPKH), false);
  // bLIP-50: an on-chain address MUST be a SegWit address.
  assert.equal(isAddressOfNetwork(MAIN_P2PKH, MAIN_P2WPKH), false, 'base58 is not SegWit');
  assert.equal(isAddressOfNetwork(TEST_P2PKH, REGTEST_P2WPKH), false);
});

test('addresses with a bad checksum, mixed case or a wrong encoding are refused', () => {
  assert.equal(isAddressOfNetwork('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', MAIN_P2WPKH), false);
  assert.equal(isAddressOfNetwork('bc1qw508d6qejxtdg4y5R3zarvary0c5xw7kv8f3t4', MAIN_P2WPKH), false);
  // A v1 program with the bech32 (not bech32m) checksum.
  assert.equal(isAddressOfNetwork('bc1pw508d6qejxtdg4y5r3zarqfsj6c3', MAIN_P2WPKH), false);
  assert.equal(isAddressOfNetwork('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3', MAIN_P2WPKH), false);
  assert.equal(isAddressOfNetwork('not an address', MAIN_P2WPKH), false);
  assert.equal(isAddressOfNetwork('', MAIN_P2WPKH), false);
});
