/**
 * Who an LSPS request is from: a node over peer messages (its pubkey is who it is), or a
 * tenant over signed HTTP (naming the client node in the request). Orders and buys belong to it.
 */
import type { Pubkey } from '@blgv/core';

/** Who placed an order: a node over peer messages, or a tenant over HTTP. */
export type OrderOwner =
  | { readonly kind: 'node'; readonly pubkey: Pubkey }
  | { readonly kind: 'tenant'; readonly tenantId: string };
