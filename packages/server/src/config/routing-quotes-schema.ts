/**
 * `routing.quotes`: quotes of a payment's routing cost (docs/routing.md "Quotes").
 */
import { Type } from '@sinclair/typebox';

/** Quotes (`POST /v1/routing/quote`): how long they are kept, how long a probe may take, how often a tenant may ask. */
export const RoutingQuotesConfigSchema = Type.Object(
  {
    /** A quote for the same tenant and request is answered from memory for this long (0: never). */
    cacheSeconds: Type.Integer({ minimum: 0, maximum: 600, default: 10 }),
    /** The longest a probe (`probe: true`) may take; LND stops probing then. */
    probeTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 30 }),
    /** Quotes a tenant may ask for per window (cached answers count too); more is a 429. */
    maxPerWindow: Type.Integer({ minimum: 1, maximum: 100_000, default: 60 }),
    windowSeconds: Type.Integer({ minimum: 1, maximum: 3_600, default: 60 }),
  },
  { additionalProperties: false, default: {} },
);
