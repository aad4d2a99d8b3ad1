export * from './signing.ts';
export * from './rest.ts';
