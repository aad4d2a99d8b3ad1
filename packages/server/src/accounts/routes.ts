/**
 * The tenant's account: balance, ledger and top-ups.
 */
import { ErrorCode, LspError, sat } from '@blgv/core';
import {
  BalanceResponse,
  LEDGER_PAGE,
  LedgerQuery,
  LedgerResponse,
  nextCursor,
  pageRequest,
  TopupBody,
  TopupResponse,
} from '@blgv/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/auth-hook.ts';
import { errorResponses } from '../http/error-responses.ts';
import { topupToWire } from '../http/wire.ts';
import type { Accounts } from './accounts.ts';

const errors = errorResponses(400, 401, 404, 503);

/** Registers the account routes. */
export function registerAccountRoutes(app: FastifyInstance, services: { readonly accounts: Accounts }): void {
  app.get(
    '/v1/account',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'getBalance',
        summary: 'Account balance and debt',
        description:
          'The balance is the sum of the ledger. The debt is what the account owes: hosted-node payment fees the balance could not cover. The next credit (a top-up, a refund) pays it first; while it is above 0 every charge is refused (402), and once it is older than `hosting.gracePeriodSeconds` the hosted nodes are suspended until it is paid.',
        tags: ['account'],
        response: { 200: BalanceResponse, ...errors },
      },
    },
    async (req) => {
      const { tenantId } = principalOf(req);
      const account = await services.accounts.account(tenantId);
      return {
        tenantId,
        balance: Number(account.balance),
        debt: Number(account.debt),
        debtSince: account.debtSince?.toISOString() ?? null,
      };
    },
  );

  app.get<{ Querystring: LedgerQuery }>(
    '/v1/account/ledger',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'getLedger',
        summary: 'Ledger entries, newest first, a page at a time',
        description:
          "Pass the answer's `nextCursor` as `cursor` for the next (older) page; it is null on the last one. Entries appended meanwhile never shift a page.",
        tags: ['account'],
        querystring: LedgerQuery,
        response: { 200: LedgerResponse, ...errors },
      },
    },
    async (req) => {
      const page = await services.accounts.ledger(
        principalOf(req).tenantId,
        pageRequest(req.query, LEDGER_PAGE),
      );
      return {
        entries: page.items.map((e) => ({
          id: e.id.toString(),
          kind: e.kind,
          amount: Number(e.amount),
          reference: e.reference,
          description: e.description,
          createdAt: e.createdAt.toISOString(),
        })),
        nextCursor: nextCursor(page.next),
      };
    },
  );

  app.post<{ Body: TopupBody }>(
    '/v1/account/topups',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'topUp',
        summary: 'Get an invoice that tops up the balance',
        tags: ['account'],
        body: TopupBody,
        response: { 201: TopupResponse, ...errors },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(
          topupToWire(await services.accounts.createTopup(principalOf(req).tenantId, sat(req.body.amount))),
        ),
  );

  app.get<{ Params: { paymentHash: string } }>(
    '/v1/account/topups/:paymentHash',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'getTopup',
        summary: 'A top-up and whether it was paid',
        tags: ['account'],
        params: Type.Object({ paymentHash: Type.String({ pattern: '^[0-9a-f]{64}$' }) }),
        response: { 200: TopupResponse, ...errors },
      },
    },
    async (req) => {
      const t = await services.accounts.topup(principalOf(req).tenantId, req.params.paymentHash);
      if (!t) throw new LspError(ErrorCode.NotFound, `no top-up ${req.params.paymentHash}`);
      return topupToWire(t);
    },
  );
}
