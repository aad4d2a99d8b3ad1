export type {
  BalanceResponse,
  ChannelQuoteBody,
  ChannelQuoteResponse,
  ChannelRequestBody,
  ChannelResponse,
  ChannelsResponse,
  CreateOrderParams,
  KeyResponse,
  LedgerResponse,
  Lsps1Info,
  Lsps1Order,
  Lsps2BuyParams,
  Lsps2BuyResult,
  Lsps2Info,
  OpeningFeeParams,
  PaymentBody,
  PaymentResponse,
  PaymentsResponse,
  ReservationBody,
  ReservationResponse,
  RoutingQuoteBody,
  RoutingQuoteResponse,
  TenantResponse,
  TopupResponse,
  WebhookDelivery,
  WebhookMessage,
  WebhookResponse,
} from '@blgv/protocol';
export { verifyWebhook, WEBHOOK_HEADERS, WebhookVerificationError } from '@blgv/protocol';
export {
  BOLT11_DEFAULT_EXPIRY_SECONDS,
  BOLT11_DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA,
  type Bolt11Invoice,
  type Bolt11Network,
  decodeBolt11,
} from './bolt11.ts';
export { type Fees, LSPClient, type LSPClientOptions, type MutationOptions } from './client.ts';
export { Bolt11DecodeError, type Bolt11ErrorCode, LspApiError, LspsRpcError } from './errors.ts';
export { lsps2OpeningFee, lsps2RouteHint, type RouteHintHop, scidToBigInt } from './lsps2.ts';
export {
  checkWrappedInvoice,
  DEFAULT_MAX_FINAL_CLTV_EXPIRY_DELTA,
  DEFAULT_MIN_LSP_CLTV_DELTA,
  type LspIdentity,
  type VerifyWrappedInvoiceOptions,
  verifyWrappedInvoice,
  type WrapFeeQuote,
  type WrappedInvoiceBounds,
  type WrappedInvoiceCheck,
  type WrappedInvoiceFailure,
  type WrappedInvoiceFailureCode,
} from './wrapped-invoice.ts';
