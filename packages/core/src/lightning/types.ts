/**
 * Plain domain types that cross the Lightning ports, one file per port (`types/`). Nothing here
 * knows LND.
 */

export type * from './types/channels.ts';
export type * from './types/funding.ts';
export type * from './types/htlcs.ts';
export type * from './types/invoices.ts';
export type * from './types/node.ts';
export type * from './types/payments.ts';
export type * from './types/peers.ts';
export type * from './types/wallet.ts';
