/**
 * What an LSPS service hands the router: a table of JSON-RPC method name to handler, each with
 * the schema its params are checked against before it runs.
 */
import type { Static, TObject } from '@sinclair/typebox';
import type { OrderOwner } from './order-owner.ts';

/** One JSON-RPC method: its params' schema and what it does with valid params. */
export interface LspsMethod {
  /** Every param the method knows (others are unrecognized, bLIP-50) and their types. */
  readonly params: TObject;
  /** Runs the method for `caller`; what it returns is the `result`, what it throws the error. */
  readonly run: (caller: OrderOwner, params: never) => Promise<unknown> | unknown;
}

/** Methods by their JSON-RPC name (`lsps1.get_info`), in the order they are listed. */
export type LspsMethodTable = Readonly<Record<string, LspsMethod>>;

/** A method whose handler receives params of its schema's type. */
export function lspsMethod<P extends TObject>(
  params: P,
  run: (caller: OrderOwner, params: Static<P>) => Promise<unknown> | unknown,
): LspsMethod {
  return { params, run: run as LspsMethod['run'] };
}
