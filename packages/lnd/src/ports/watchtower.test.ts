/**
 * Which of LND's answers mean "no tower here" (a node that runs none, or has no client): those
 * are answered as such, not thrown; anything else is still an error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { toLspError } from '../errors.ts';
import { isNoTowerService } from './watchtower.ts';

/** A gRPC error as grpc-js raises it, as the adapter maps it. */
const lndError = (code: status, details: string) =>
  toLspError(
    Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: {} }),
    'X',
  );

test('a sub-server not built in, or a tower (client) not started, means no tower service', () => {
  assert.equal(
    isNoTowerService(lndError(status.UNIMPLEMENTED, 'unknown service wtclientrpc.WatchtowerClient')),
    true,
  );
  assert.equal(isNoTowerService(lndError(status.UNKNOWN, 'watchtower not active')), true);
  assert.equal(isNoTowerService(lndError(status.UNKNOWN, 'watchtower client not active')), true);
});

test('anything else is an error of its own', () => {
  assert.equal(isNoTowerService(lndError(status.UNAVAILABLE, 'connection refused')), false);
  assert.equal(isNoTowerService(lndError(status.UNKNOWN, 'invalid address')), false);
  assert.equal(isNoTowerService(new Error('not active')), false, 'only LND errors are read');
});
