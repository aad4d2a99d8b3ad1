/**
 * LND's gRPC failures as our codes: what says the node is not ready (to be tried again) is not
 * taken for a refusal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '@blgv/core';
import { status } from '@grpc/grpc-js';
import { toLspError } from './errors.ts';

/** A gRPC error as grpc-js raises it. */
function grpcError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: {} });
}

test('an open refused while the wallet catches up with a block is LND not ready, not a rejection', () => {
  const e = toLspError(
    grpcError(status.UNKNOWN, 'channels cannot be created before the wallet is fully synced'),
    'OpenChannel',
  );
  assert.equal(e.code, ErrorCode.LightningUnavailable);
  assert.match(e.message, /not ready \(OpenChannel\)/);
});

test('anything else LND refuses stays a rejection', () => {
  const e = toLspError(
    grpcError(status.UNKNOWN, 'chan size of 0.00001 BTC is below min chan size'),
    'OpenChannel',
  );
  assert.equal(e.code, ErrorCode.LightningRejected);
});
