/**
 * LSPS0's own method, `lsps0.list_protocols`: the protocols the other registered tables serve.
 */
import { Type } from '@sinclair/typebox';
import { type LspsMethodTable, lspsMethod } from './lsps-method.ts';

/** The LSPS protocol numbers that `tables` serve (`lsps1.*` is 1), ascending, LSPS0 left out. */
export function protocolsOf(tables: readonly LspsMethodTable[]): number[] {
  const protocols = new Set<number>();
  for (const table of tables)
    for (const name of Object.keys(table)) {
      const n = Number(/^lsps(\d+)\./.exec(name)?.[1] ?? Number.NaN);
      if (Number.isInteger(n) && n !== 0) protocols.add(n);
    }
  return [...protocols].sort((a, b) => a - b);
}

/** LSPS0's methods, reporting `protocols` as served. */
export function lsps0Methods(protocols: readonly number[]): LspsMethodTable {
  return {
    'lsps0.list_protocols': lspsMethod(Type.Object({}, { additionalProperties: false }), () => ({
      protocols: [...protocols],
    })),
  };
}
