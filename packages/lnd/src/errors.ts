/**
 * Turns gRPC failures from LND into {@link LspError}s with our codes.
 */

import { ErrorCode, LspError } from '@blgv/core';
import { type ServiceError, status } from '@grpc/grpc-js';

const notReady =
  /in the process of starting|wallet locked|not yet ready|unable to start|chain backend is still syncing|before the wallet is fully synced/i;
const insufficient = /insufficient|not enough witness outputs|not enough funds|reserved value/i;
const notFound = /unable to locate|not found|no such|unknown channel|unable to find/i;
const peerIssue =
  /unable to connect|peer is not online|not connected|no connection to peer|dial tcp|peer exists|connection refused|peer disconnected/i;

/** True for a gRPC error (it has a numeric `code`). */
export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

/** Maps an error from an LND call named `method` to an {@link LspError}. */
export function toLspError(err: unknown, method: string): LspError {
  if (err instanceof LspError) return err;
  if (!isServiceError(err)) {
    return new LspError(ErrorCode.Internal, `${method}: ${String(err)}`, undefined, { cause: err });
  }
  const msg = err.details || err.message;
  const details = { method, grpcCode: err.code, lnd: msg };
  const make = (code: ErrorCode, text: string) => new LspError(code, text, details, { cause: err });
  switch (err.code) {
    case status.UNAVAILABLE:
      return make(ErrorCode.LightningUnavailable, `LND is not reachable (${method}): ${msg}`);
    case status.DEADLINE_EXCEEDED:
      return make(ErrorCode.Timeout, `LND did not answer in time (${method})`);
    case status.CANCELLED:
      return make(ErrorCode.Aborted, `${method} was cancelled`);
    case status.NOT_FOUND:
      return make(ErrorCode.NotFound, `${method}: ${msg}`);
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED:
      return make(ErrorCode.LightningUnavailable, `LND refused our macaroon (${method}): ${msg}`);
  }
  if (notReady.test(msg)) return make(ErrorCode.LightningUnavailable, `LND is not ready (${method}): ${msg}`);
  if (insufficient.test(msg)) return make(ErrorCode.InsufficientFunds, `${method}: ${msg}`);
  if (notFound.test(msg)) return make(ErrorCode.NotFound, `${method}: ${msg}`);
  if (peerIssue.test(msg)) return make(ErrorCode.PeerUnreachable, `${method}: ${msg}`);
  return make(ErrorCode.LightningRejected, `${method}: ${msg}`);
}
