/**
 * Channel sales over REST: fees, quotes, requests and their status.
 */

import { ErrorCode, type FeeSchedule, LspError, parsePubkey, sat } from '@blgv/core';
import {
  ChannelQuoteBody,
  ChannelQuoteResponse,
  ChannelRequestBody,
  ChannelResponse,
  ChannelsResponse,
  FeesResponse,
  IdParams,
  LIST_PAGE,
  ListQuery,
  nextCursor,
  pageRequest,
} from '@blgv/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/auth-hook.ts';
import { errorResponses } from '../http/error-responses.ts';
import { channelToWire } from '../http/wire.ts';
import type { ChannelService } from './channel-service.ts';

const errors = errorResponses(400, 401, 402, 404, 409, 422, 503);
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'retries with the same key return the first result',
    }),
  ),
});

/** Registers the channel routes. */
export function registerChannelRoutes(
  app: FastifyInstance,
  services: { readonly channels: ChannelService; readonly fees: FeeSchedule },
): void {
  app.get(
    '/v1/fees',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'getFees',
        summary: 'The fee schedule, and every other part of a price',
        description:
          'The schedule (channel opening, liquidity, routing, hosting) and what else a purchase pays for: the push of a channel, sat for sat, and its network fee at the current estimate. `POST /v1/channels/quote` prices one channel item by item.',
        tags: ['fees'],
        response: { 200: FeesResponse, ...errors },
      },
    },
    async () => {
      const f = services.fees;
      const network = await services.channels.networkFeeNow();
      return {
        channelOpening: {
          baseFee: Number(f.channelOpening.baseFee),
          capacityFeePpm: Number(f.channelOpening.capacityFeePpm),
        },
        channelPush: 'charged sat for sat',
        network: {
          channelVbytes: Number(network.vbytes),
          feeRate: Number(network.feeRate),
          channelFee: Number(network.total),
        },
        liquidity: {
          reservationFee: Number(f.liquidity.reservationFee),
          utilizationFeePpm: Number(f.liquidity.utilizationFeePpm),
        },
        routing: { baseFeeMsat: Number(f.routing.baseFee), feeRatePpm: Number(f.routing.feeRatePpm) },
        hosting: {
          monthlyFee: Number(f.hosting.monthlyFee),
          transactionFee: Number(f.hosting.transactionFee),
        },
      };
    },
  );

  app.post<{ Body: ChannelQuoteBody }>(
    '/v1/channels/quote',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'quoteChannel',
        summary: 'Quote a channel before buying it',
        description:
          "Itemises what buying the channel charges: the opening fee of the schedule, the push (sat for sat) and the network fee (the channel's share of its funding transaction, 165 vB, at the given feeRate or the LSP's 6-block estimate). Takes the very body `POST /v1/channels` will be sent (`clientPubkey`, `isPrivate` and `clientHost` are optional here and do not change the price), and that request charges exactly `total`.",
        tags: ['channels'],
        body: ChannelQuoteBody,
        response: { 200: ChannelQuoteResponse, ...errors },
      },
    },
    async (req) => {
      const q = await services.channels.quote({
        channelSize: sat(req.body.channelSize),
        pushAmount: sat(req.body.pushAmount ?? 0),
        ...(req.body.feeRate !== undefined ? { feeRate: BigInt(req.body.feeRate) } : {}),
      });
      const { openingFee, networkFee } = q.price;
      return {
        capacity: Number(q.capacity),
        pushAmount: Number(q.push),
        fee: {
          baseFee: Number(openingFee.baseFee),
          capacityFee: Number(openingFee.capacityFee),
          total: Number(openingFee.total),
        },
        networkFee: {
          feeRate: Number(networkFee.feeRate),
          vbytes: Number(networkFee.vbytes),
          total: Number(networkFee.total),
        },
        total: Number(q.price.total),
        estimatedConfirmation: q.estimatedConfirmation,
      };
    },
  );

  app.post<{ Body: ChannelRequestBody; Headers: { 'idempotency-key'?: string } }>(
    '/v1/channels',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'requestChannel',
        summary: 'Buy a channel from the LSP to a client node',
        description:
          'Charges the quoted price (opening fee + push + network fee) to the account and answers once the funding transaction is published. 402 with a top-up invoice for the shortfall when the balance is short. A client that does not accept (or sign) in time fails the request and everything is refunded; a request past the commit point is never refunded.',
        tags: ['channels'],
        body: ChannelRequestBody,
        headers: IdempotencyHeaders,
        response: { 200: ChannelResponse, 201: ChannelResponse, ...errors },
      },
    },
    async (req, reply) => {
      const { tenantId } = principalOf(req);
      const b = req.body;
      const key = req.headers['idempotency-key'];
      const { request: r, replayed } = await services.channels.request(
        tenantId,
        {
          clientPubkey: parsePubkey(b.clientPubkey),
          channelSize: sat(b.channelSize),
          pushAmount: sat(b.pushAmount ?? 0),
          isPrivate: b.isPrivate ?? false,
          ...(b.clientHost !== undefined ? { clientHost: b.clientHost } : {}),
          ...(b.feeRate !== undefined ? { feeRate: BigInt(b.feeRate) } : {}),
        },
        key,
      );
      if (r.state === 'failed' && !replayed) {
        throw new LspError(
          ErrorCode.LightningRejected,
          `the channel could not be opened (${r.failure}); everything charged was refunded`,
          { channelId: r.id },
        );
      }
      return reply.code(replayed ? 200 : 201).send(channelToWire(r));
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/v1/channels',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'listChannels',
        summary: 'The bought channels, newest first, a page at a time',
        description:
          "Pass the answer's `nextCursor` as `cursor` for the next (older) page; it is null on the last one. Channels bought meanwhile never shift a page.",
        tags: ['channels'],
        querystring: ListQuery,
        response: { 200: ChannelsResponse, ...errors },
      },
    },
    async (req) => {
      const page = await services.channels.list(principalOf(req).tenantId, pageRequest(req.query, LIST_PAGE));
      return { channels: page.items.map(channelToWire), nextCursor: nextCursor(page.next) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/channels/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'getChannelStatus',
        summary: 'Status of a bought channel',
        tags: ['channels'],
        params: IdParams,
        response: { 200: ChannelResponse, ...errors },
      },
    },
    async (req) => channelToWire(await services.channels.get(principalOf(req).tenantId, req.params.id)),
  );
}
