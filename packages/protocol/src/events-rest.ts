/**
 * The REST shapes of the event log (`/v1/events`).
 */
import { type Static, Type } from '@sinclair/typebox';
import { Timestamp } from './wire-values.ts';

/** `GET /v1/events` query. */
export const EventsQuery = Type.Object(
  {
    after: Type.Optional(
      Type.String({
        pattern: '^(0|[1-9][0-9]{0,17})$',
        description: 'a cursor from an earlier answer: events after it (default: from the start)',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'default 100' })),
    subjectKind: Type.Optional(Type.String({ maxLength: 50, description: 'e.g. `channel_request`' })),
    subjectId: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuery>;

/** One state transition, as `GET /v1/events` lists it. */
export const EventResponse = Type.Object({
  cursor: Type.String({ description: "the event's place in the log; pass it as `after` to read on" }),
  at: Timestamp,
  subjectKind: Type.String({
    description:
      'channel_request, lsps1_order, lsps1_refund, jit_channel, channel_funding, reservation, payment, topup, liquidity_purchase, ledger_entry or routing_fee',
  }),
  subjectId: Type.String(),
  tenantId: Type.Optional(Type.String()),
  state: Type.String({ description: "the subject's state after the transition (a ledger entry's kind)" }),
  facts: Type.Object(
    {},
    {
      additionalProperties: true,
      description:
        'what the transition recorded: amounts as decimal strings (*_sat, *_msat, *_ppm), txid, scid, failure',
    },
  ),
});
export type EventResponse = Static<typeof EventResponse>;

/** `GET /v1/events`. */
export const EventsResponse = Type.Object({
  events: Type.Array(EventResponse),
  next: Type.String({
    description: 'pass as `after` to read the events that follow (the last cursor, or `after` when none)',
  }),
});
export type EventsResponse = Static<typeof EventsResponse>;
