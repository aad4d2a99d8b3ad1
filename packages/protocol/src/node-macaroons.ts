/**
 * The macaroons of a hosted node on the wire (`/v1/nodes/:id/macaroons`): each customer
 * macaroon is baked under a root key of its own, named by `rootKeyId` (a decimal string: LND's
 * root key ids are 64-bit), and revoked alone by deleting that root key.
 */
import { type Static, Type } from '@sinclair/typebox';

/** A root key id: decimal digits. */
export const RootKeyId = (description: string) =>
  Type.String({ pattern: '^[0-9]{1,20}$', description: `${description} (decimal)` });

/** A root key id, or null. */
export const RootKeyIdOrNull = (description: string) =>
  Type.Union([RootKeyId(description), Type.Null()], {
    description: `${description}; null once revoked; "0" for a node created before macaroons had root keys of their own (not revocable)`,
  });

/** `/v1/nodes/:id/macaroons/:rootKeyId`. */
export const NodeMacaroonParams = Type.Object(
  {
    id: Type.String({ maxLength: 100 }),
    rootKeyId: Type.String({ maxLength: 40, description: 'the root key id of the macaroon (decimal)' }),
  },
  { additionalProperties: false },
);
export type NodeMacaroonParams = Static<typeof NodeMacaroonParams>;

/** One macaroon of a node, as recorded: what it grants, never the macaroon itself. */
export const NodeMacaroonResponse = Type.Object({
  rootKeyId: RootKeyId('the root key it was baked under'),
  kind: Type.Union([Type.Literal('customer'), Type.Literal('read_only'), Type.Literal('extra')], {
    description: '`customer` and `read_only`: baked at creation; `extra`: `POST /v1/nodes/:id/macaroons`',
  }),
  permissions: Type.Array(Type.Object({ entity: Type.String(), action: Type.String() })),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type NodeMacaroonResponse = Static<typeof NodeMacaroonResponse>;

/** `GET /v1/nodes/:id/macaroons`: the node's macaroons, oldest first. */
export const NodeMacaroonsResponse = Type.Object({ macaroons: Type.Array(NodeMacaroonResponse) });
export type NodeMacaroonsResponse = Static<typeof NodeMacaroonsResponse>;
