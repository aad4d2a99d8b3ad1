import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, type Hex32, isLspError, sat } from '@blgv/core';
import { p2tr, p2wpkh, SigHash, TEST_NETWORK, Transaction } from '@scure/btc-signer';
import {
  bumpedFeeRate,
  keptOutput,
  outputsTo,
  overpaymentFloor,
  REPLACEABLE_SEQUENCE,
  type RefundInput,
  refundPsbt,
  refundVsize,
  spentOutpoints,
} from './refund-transaction.ts';

const REGTEST = { ...TEST_NETWORK, bech32: 'bcrt' };
const KEY = Buffer.from('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', 'hex');
const ORDER_ADDRESS = p2wpkh(KEY, REGTEST).address as string;
const TO_WPKH = p2wpkh(
  Buffer.from('0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', 'hex'),
  REGTEST,
).address as string;
const TO_TR = p2tr(KEY.subarray(1), undefined, REGTEST).address as string;
const BOUNDS = { minFeeRate: 1, maxFeeRate: 100 };

function input(n: number, amount: bigint): RefundInput {
  return {
    outpoint: { txid: `${n}`.repeat(64).slice(0, 64) as Hex32, outputIndex: n },
    amount: sat(amount),
    address: ORDER_ADDRESS,
  };
}

test('a refund is sized for 72-byte signatures: one P2WPKH input to P2WPKH is 110 vB, as LND signs it', () => {
  assert.equal(refundVsize([input(1, 50_000n)], TO_WPKH), 110);
  assert.equal(
    refundVsize([input(1, 50_000n), input(2, 1_000n)], TO_WPKH),
    178,
    'each P2WPKH input adds 68 vB',
  );
  assert.equal(refundVsize([input(1, 50_000n)], TO_TR), 122, 'a P2TR output is 12 vB larger');
});

test('the refund pays everything received minus its fee, to the refund address, replaceably', () => {
  const built = refundPsbt([input(1, 40_000n), input(2, 10_000n)], TO_WPKH, 3n);
  assert.equal(built.vsize, 178);
  assert.equal(built.fee, 534n);
  assert.equal(built.amount, 50_000n - 534n);
  const tx = Transaction.fromPSBT(Buffer.from(built.psbt, 'base64'));
  assert.equal(tx.inputsLength, 2);
  assert.equal(tx.outputsLength, 1);
  for (let i = 0; i < tx.inputsLength; i++) {
    assert.equal(tx.getInput(i).sequence, REPLACEABLE_SEQUENCE, 'signals BIP-125');
    assert.equal(tx.getInput(i).sighashType, SigHash.ALL);
  }
  assert.equal(tx.getOutput(0).amount, built.amount);
  assert.deepEqual(
    spentOutpoints(Buffer.from(tx.unsignedTx).toString('hex')),
    [input(1, 0n).outpoint, input(2, 0n).outpoint],
    'the inputs can be read back from the transaction',
  );
});

test('a refund that would leave less than the dust limit is refused, not sent', () => {
  assert.throws(
    () => refundPsbt([input(1, 600n)], TO_WPKH, 3n),
    (err: unknown) => isLspError(err, ErrorCode.InsufficientFunds),
  );
  assert.equal(refundPsbt([input(1, 660n)], TO_WPKH, 3n).amount, 330n, 'exactly the dust limit is sent');
});

test('a bump pays the estimate, at least a quarter (and 1 sat/vB) more, within the bounds', () => {
  assert.equal(bumpedFeeRate(2n, 2n, BOUNDS), 3n, '+1 sat/vB at low rates');
  assert.equal(bumpedFeeRate(8n, 2n, BOUNDS), 10n, '+25%');
  assert.equal(bumpedFeeRate(9n, 2n, BOUNDS), 12n, '+25%, rounded up');
  assert.equal(bumpedFeeRate(10n, 50n, BOUNDS), 50n, 'the estimate when it is higher');
  assert.equal(bumpedFeeRate(90n, 2n, BOUNDS), 100n, 'capped at the maximum');
  assert.equal(bumpedFeeRate(100n, 500n, BOUNDS), undefined, 'no room above the maximum');
});

test('the outputs paying an address are found with their confirmations', () => {
  const txid = 'ab'.repeat(32) as Hex32;
  const found = outputsTo(
    [
      {
        txid,
        confirmations: 2,
        blockHeight: 10,
        fee: sat(0n),
        label: '',
        outputs: [
          { outputIndex: 0, address: TO_WPKH, amount: sat(5n), ours: false },
          { outputIndex: 1, address: ORDER_ADDRESS, amount: sat(7_000n), ours: true },
        ],
        inputs: [],
      },
    ],
    ORDER_ADDRESS,
  );
  assert.deepEqual(found, [
    { outpoint: { txid, outputIndex: 1 }, amount: 7_000n, address: ORDER_ADDRESS, confirmations: 2 },
  ]);
});

test("an overpayment's refund gives the client the overpayment minus the fee, and the LSP back what paid", () => {
  const kept = { address: TO_TR, amount: sat(100_000n) };
  const built = refundPsbt([input(1, 130_000n)], TO_WPKH, 2n, kept);
  assert.equal(built.vsize, 110 + 43, 'a P2TR output more');
  assert.equal(built.fee, 306n);
  assert.equal(built.amount, 30_000n - 306n, 'the client pays the refund fee out of the overpayment');
  const tx = Transaction.fromPSBT(Buffer.from(built.psbt, 'base64'));
  assert.equal(tx.outputsLength, 2);
  assert.equal(tx.getOutput(1).amount, 100_000n);
  const raw = Buffer.from(tx.unsignedTx).toString('hex');
  assert.deepEqual(keptOutput(raw, TO_WPKH), kept, 'read back from the transaction for a bump');
  const plain = refundPsbt([input(1, 130_000n)], TO_WPKH, 2n);
  assert.equal(
    keptOutput(
      Buffer.from(Transaction.fromPSBT(Buffer.from(plain.psbt, 'base64')).unsignedTx).toString('hex'),
      TO_WPKH,
    ),
    undefined,
  );
  assert.equal(overpaymentFloor(2n, ORDER_ADDRESS, TO_WPKH), 2n * 153n + 330n, 'its fee and the dust limit');
  assert.throws(
    () => refundPsbt([input(1, 100_500n)], TO_WPKH, 2n, kept),
    (err) => isLspError(err, ErrorCode.InsufficientFunds),
  );
  assert.throws(
    () => refundPsbt([input(1, 130_000n)], TO_WPKH, 2n, { address: TO_TR, amount: sat(100n) }),
    (err) => isLspError(err, ErrorCode.InvalidInput),
    'an output back to the LSP below the dust limit would never relay',
  );
});
