export * from './hosting.ts';
export * from './lsps0.ts';
export * from './lsps1.ts';
export * from './lsps2.ts';
export * from './rest.ts';
export * from './signing.ts';
