/**
 * The REST shapes of a tenant's account: top-ups, balance and ledger (`/v1/account`).
 */
import { type Static, Type } from '@sinclair/typebox';
import { LEDGER_PAGE, NextCursor, PageQuery } from './paging.ts';
import { SatAmount, Timestamp } from './wire-values.ts';

/** `POST /v1/account/topups`. */
export const TopupBody = Type.Object(
  { amount: SatAmount('amount to credit', 1) },
  { additionalProperties: false },
);
export type TopupBody = Static<typeof TopupBody>;

export const TopupResponse = Type.Object({
  paymentHash: Type.String(),
  paymentRequest: Type.String({ description: 'BOLT11 invoice to pay' }),
  amount: SatAmount('amount credited when paid'),
  state: Type.Union(['open', 'settled', 'canceled'].map((s) => Type.Literal(s))),
  expiresAt: Timestamp,
});
export type TopupResponse = Static<typeof TopupResponse>;

export const BalanceResponse = Type.Object({
  tenantId: Type.String(),
  balance: SatAmount('balance: the sum of the ledger'),
  debt: SatAmount(
    'owed: hosted-node payment fees the balance could not cover, paid first by the next credit; while above 0 every charge is refused (402)',
  ),
  debtSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description:
      'when the oldest unpaid debt was incurred (hosted nodes are suspended once it is older than the grace period)',
  }),
});
export type BalanceResponse = Static<typeof BalanceResponse>;

/** `?limit=&cursor=` of `GET /v1/account/ledger`. */
export const LedgerQuery = PageQuery(LEDGER_PAGE, 'entries');
export type LedgerQuery = Static<typeof LedgerQuery>;

/** `GET /v1/account/ledger`: the tenant's ledger entries, newest first, a page at a time. */
export const LedgerResponse = Type.Object({
  entries: Type.Array(
    Type.Object({
      id: Type.String(),
      kind: Type.String(),
      amount: Type.Integer({ description: 'credit (+) or charge (-), sat' }),
      reference: Type.String(),
      description: Type.String(),
      createdAt: Timestamp,
    }),
  ),
  nextCursor: NextCursor,
});
export type LedgerResponse = Static<typeof LedgerResponse>;
