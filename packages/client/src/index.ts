export type {
  BalanceResponse,
  ChannelQuoteBody,
  ChannelQuoteResponse,
  ChannelRequestBody,
  ChannelResponse,
  CreateOrderParams,
  KeyResponse,
  LedgerResponse,
  Lsps1Info,
  Lsps1Order,
  TenantResponse,
  TopupResponse,
} from '@blgv/protocol';
export { type Fees, LSPClient, type LSPClientOptions, type MutationOptions } from './client.ts';
export { LspApiError, LspsRpcError } from './errors.ts';
