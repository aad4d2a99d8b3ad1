/**
 * Promise wrappers around grpc-js unary calls that honour an `AbortSignal`.
 */

import { ErrorCode, LspError } from '@blgv/core';
import type { ClientUnaryCall, requestCallback } from '@grpc/grpc-js';
import { toLspError } from './errors.ts';

/** The shape of a generated unary client method (its simplest overload). */
export type UnaryMethod<Req, Res> = (argument: Req, callback: requestCallback<Res>) => ClientUnaryCall;

/** Calls a unary method; aborting the signal cancels the call. */
export function unary<Req, Res>(
  name: string,
  method: UnaryMethod<Req, Res>,
  request: Req,
  signal: AbortSignal,
): Promise<Res> {
  if (signal.aborted) return Promise.reject(aborted(name, signal));
  return new Promise<Res>((resolve, reject) => {
    const onAbort = () => {
      call.cancel();
      reject(aborted(name, signal));
    };
    const call = method(request, (err, res) => {
      signal.removeEventListener('abort', onAbort);
      if (err) reject(toLspError(err, name));
      else if (res === undefined) reject(new LspError(ErrorCode.Internal, `${name} returned nothing`));
      else resolve(res);
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error an aborted call rejects with. */
export function aborted(name: string, signal: AbortSignal): LspError {
  const timedOut = signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError';
  return new LspError(
    timedOut ? ErrorCode.Timeout : ErrorCode.Aborted,
    `${name} ${timedOut ? 'timed out' : 'was aborted'}`,
  );
}
