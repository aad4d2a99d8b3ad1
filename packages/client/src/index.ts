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
export { type Fees, LSPClient, type LSPClientOptions, type MutationOptions } from './client.ts';
export { LspApiError, LspsRpcError } from './errors.ts';
export { lsps2OpeningFee, lsps2RouteHint, type RouteHintHop, scidToBigInt } from './lsps2.ts';
