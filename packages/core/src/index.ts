export * from './channels/confirmation.ts';
export * from './errors.ts';
export * from './fees/schedule.ts';
export * from './ids.ts';
export * from './lightning/backend.ts';
export type * from './lightning/types.ts';
export * from './lsps1/order-machine.ts';
export * from './money.ts';
export type * from './liquidity/source.ts';
