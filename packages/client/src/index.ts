export type {
  BalanceResponse,
  ChannelQuoteBody,
  ChannelQuoteResponse,
  ChannelRequestBody,
  ChannelResponse,
  KeyResponse,
  LedgerResponse,
  TenantResponse,
  TopupResponse,
} from '@blgv/protocol';
export { type Fees, LSPClient, type LSPClientOptions, type MutationOptions } from './client.ts';
export { LspApiError } from './errors.ts';
