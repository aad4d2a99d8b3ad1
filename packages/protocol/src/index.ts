export * from './rest.ts';
export * from './signing.ts';
