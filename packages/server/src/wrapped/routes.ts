/**
 * Wrapped invoices over HTTP (docs/wrapped-invoices.md): the Flow 2.0-compatible routes wallets
 * call unsigned (`GET /api/v1/info`, `POST /api/v1/fee`, `POST /api/v1/proposal`; behind a bearer
 * token when `wrapped.bearerToken` is set; rate-limited per address and per wallet pubkey), and
 * the same for tenants through the signed API (`/v1/wrapped-invoices`).
 */
import { ErrorCode, errorMappings, isLspError, LspError, msat } from '@blgv/core';
import {
  FlowErrorResponse,
  FlowFeeBody,
  FlowFeeResponse,
  FlowInfoResponse,
  FlowProposalBody,
  FlowProposalResponse,
  IdParams,
  WrapInvoiceBody,
  WrappedFeeBody,
  WrappedFeeResponse,
  WrappedInvoiceView,
} from '@blgv/protocol';
import type { WrappedInvoiceRecord } from '@blgv/store';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../http/auth-hook.ts';
import { errorResponses } from '../http/error-responses.ts';
import { PeerBuckets } from '../lsps0/peer-buckets.ts';
import type { WrappedService } from './wrapped-service.ts';

/** What the routes are built with. */
export interface WrappedRoutesDeps {
  readonly wrapped: WrappedService;
  /** `wrapped.bearerToken`: required of the unsigned routes when set. */
  readonly bearerToken: string | undefined;
  /** `wrapped.requestsPerMinute`: per address, and per wallet pubkey. */
  readonly requestsPerMinute: number;
}

const flowErrors = Object.fromEntries([400, 401, 403, 404, 409, 429, 503].map((s) => [s, FlowErrorResponse]));
const signedErrors = errorResponses(400, 401, 403, 404, 409, 429, 503);

/** Registers the wrapped-invoice routes. */
export function registerWrappedRoutes(app: FastifyInstance, deps: WrappedRoutesDeps): void {
  const rate = {
    ratePerSecond: deps.requestsPerMinute / 60,
    burst: Math.max(1, Math.min(deps.requestsPerMinute, 30)),
    maxInFlight: 4,
  };
  const byAddress = new PeerBuckets(rate);
  const byWallet = new PeerBuckets(rate);
  const { wrapped } = deps;

  /** Checks the bearer token, then the caller's rate (and the wallet's, when named). */
  const admit = (req: FastifyRequest, reply: FastifyReply, wallet?: string): void => {
    if (deps.bearerToken !== undefined && req.headers.authorization !== `Bearer ${deps.bearerToken}`)
      throw new LspError(ErrorCode.Unauthorized, 'this LSP needs `Authorization: Bearer <token>` on /api/v1');
    const turns = [
      byAddress.take(req.ip, Date.now()),
      wallet ? byWallet.take(wallet.toLowerCase(), Date.now()) : null,
    ];
    for (const t of turns) if (t) reply.raw.once('close', t.done);
    if (turns.some((t) => t === undefined))
      throw new LspError(ErrorCode.RateLimited, 'too many requests; slow down and try again in a minute');
  };
  const flow = { errorHandler: flowErrorHandler, schema: { tags: ['wrapped invoices (Flow 2.0)'] } } as const;

  app.get(
    '/api/v1/info',
    {
      errorHandler: flow.errorHandler,
      schema: {
        ...flow.schema,
        operationId: 'flowInfo',
        summary: "The LSP's node and how to reach it (Flow 2.0)",
        response: { 200: FlowInfoResponse, ...flowErrors },
      },
    },
    async (req, reply) => {
      admit(req, reply);
      const info = await wrapped.info();
      return { pubkey: info.pubkey, connection_methods: info.connectionMethods };
    },
  );

  app.post<{ Body: FlowFeeBody }>(
    '/api/v1/fee',
    {
      errorHandler: flow.errorHandler,
      schema: {
        ...flow.schema,
        operationId: 'flowFee',
        summary: 'The fee for wrapping an invoice of an amount for a wallet (Flow 2.0)',
        description:
          'The fee is the LSPS2 opening fee of the same schedule; it holds for `wrapped.feeQuoteSeconds` for the proposal that names its `id`. `amount_msat` and `fee_amount_msat` both carry the fee (clients read one or the other).',
        body: FlowFeeBody,
        response: { 200: FlowFeeResponse, ...flowErrors },
      },
    },
    async (req, reply) => {
      admit(req, reply, req.body.pubkey);
      const q = await wrapped.fee(null, {
        amount: msat(BigInt(req.body.amount_msat)),
        walletPubkey: req.body.pubkey,
      });
      return { amount_msat: Number(q.fee), fee_amount_msat: Number(q.fee), id: q.id };
    },
  );

  app.post<{ Body: FlowProposalBody }>(
    '/api/v1/proposal',
    {
      errorHandler: flow.errorHandler,
      schema: {
        ...flow.schema,
        operationId: 'flowProposal',
        summary: "Wrap the wallet's invoice: the invoice the payer pays instead (Flow 2.0)",
        description:
          "`jit_bolt11` pays the LSP the wallet's amount plus the quoted fee, for the same payment hash. Once it is paid the LSP opens a zero-conf channel to the wallet (its funding published only once the wallet has released the preimage), pays the wallet's invoice over it and settles. `host`/`port` name the wallet's node to connect to.",
        body: FlowProposalBody,
        response: { 200: FlowProposalResponse, ...flowErrors },
      },
    },
    async (req, reply) => {
      admit(req, reply);
      const { host, port } = req.body;
      const w = await wrapped.propose(null, {
        invoice: req.body.bolt11,
        feeId: req.body.fee_id,
        ...(host && port
          ? { walletAddress: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` }
          : {}),
      });
      return { jit_bolt11: w.wrappedInvoice };
    },
  );

  app.post<{ Body: WrappedFeeBody }>(
    '/v1/wrapped-invoices/fee',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'wrappedInvoiceFee',
        summary: "The fee for wrapping a wallet's invoice of an amount",
        description: 'As `POST /api/v1/fee`, for a tenant; the fee id is the tenant’s own.',
        tags: ['wrapped invoices'],
        body: WrappedFeeBody,
        response: { 200: WrappedFeeResponse, ...signedErrors },
      },
    },
    async (req) => {
      const q = await wrapped.fee(principalOf(req).tenantId, {
        amount: msat(BigInt(req.body.amountMsat)),
        walletPubkey: req.body.walletPubkey,
      });
      return {
        feeId: q.id,
        amountMsat: q.amount.toString(),
        feeMsat: q.fee.toString(),
        expiresAt: q.expiresAt.toISOString(),
      };
    },
  );

  app.post<{ Body: WrapInvoiceBody }>(
    '/v1/wrapped-invoices',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'wrapInvoice',
        summary: "Wrap a wallet's invoice under a fee the tenant was quoted",
        description: 'As `POST /api/v1/proposal`, for a tenant: the wrapped invoice and where it stands.',
        tags: ['wrapped invoices'],
        body: WrapInvoiceBody,
        response: { 201: WrappedInvoiceView, ...signedErrors },
      },
    },
    async (req, reply) => {
      const w = await wrapped.propose(principalOf(req).tenantId, {
        invoice: req.body.invoice,
        feeId: req.body.feeId,
        ...(req.body.walletAddress ? { walletAddress: req.body.walletAddress } : {}),
      });
      return reply.code(201).send(view(w));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/wrapped-invoices/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        operationId: 'getWrappedInvoice',
        summary: 'A wrapped invoice of the tenant and where it stands',
        tags: ['wrapped invoices'],
        params: IdParams,
        response: { 200: WrappedInvoiceView, ...signedErrors },
      },
    },
    async (req) => {
      const w = await wrapped.get(principalOf(req).tenantId, req.params.id);
      if (!w) throw new LspError(ErrorCode.NotFound, `no wrapped invoice ${req.params.id}`);
      return view(w);
    },
  );
}

function view(w: WrappedInvoiceRecord): WrappedInvoiceView {
  return {
    id: w.id,
    paymentHash: w.paymentHash,
    walletPubkey: w.walletPubkey,
    invoice: w.walletInvoice,
    wrappedInvoice: w.wrappedInvoice,
    amountMsat: w.walletAmount.toString(),
    feeMsat: w.fee.toString(),
    expiresAt: w.expiresAt.toISOString(),
    state: w.state,
    channelScid: w.channelScid,
    failure: w.failure,
  };
}

/** Errors of the Flow routes: the API's error with `status: 'ERROR'` and `reason`, as Flow clients read. */
function flowErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const lsp = isLspError(err);
  const status = lsp
    ? errorMappings[err.code].http
    : typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500
      ? err.statusCode
      : 500;
  if (status === 500) req.log.error({ err }, 'unhandled error');
  const code = lsp ? err.code : status === 500 ? 'internal' : 'invalid_input';
  const message = status === 500 ? 'internal error' : err.message;
  return reply.code(status).send({ status: 'ERROR', reason: message, error: { code, message } });
}
