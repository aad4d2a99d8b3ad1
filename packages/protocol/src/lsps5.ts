/**
 * LSPS5 (bLIP-55): webhook registration for wallets that sleep. The client registers HTTPS
 * webhooks under an `app_name`; the LSP POSTs signed JSON-RPC 2.0 notifications to them when the
 * client is not connected and something needs it (a payment, an expiring HTLC, ...).
 */
import { type Static, Type } from '@sinclair/typebox';

/** LSPS5 error codes (bLIP-55; 1010 is the spec's own, outside LSPS5's 500-599 range). */
export const Lsps5Error = {
  TooLong: 500,
  UrlParseError: 501,
  UnsupportedProtocol: 502,
  TooManyWebhooks: 503,
  AppNameNotFound: 1010,
} as const;

/** bLIP-55 limits. */
export const LSPS5_LIMITS = {
  /** `app_name`: UTF-8 bytes of the JSON string's contents, escapes counted as written. */
  maxAppNameBytes: 64,
  /** `webhook`: ASCII characters. */
  maxWebhookChars: 1024,
} as const;

const ClientNodePubkey = Type.Optional(
  Type.String({
    pattern: '^0[23][0-9a-fA-F]{64}$',
    description: 'HTTP transport only: the client node the webhooks belong to',
  }),
);

// No length bounds in the schemas: an over-long value is bLIP-55's `too_long` (500), not -32602.

/** `lsps5.set_webhook` params (plus, over HTTP only, the client node). */
export const SetWebhookParams = Type.Object(
  { app_name: Type.String(), webhook: Type.String(), client_node_pubkey: ClientNodePubkey },
  { additionalProperties: false },
);
export type SetWebhookParams = Static<typeof SetWebhookParams>;

/** `lsps5.list_webhooks` params: none (over HTTP, the client node). */
export const ListWebhooksParams = Type.Object(
  { client_node_pubkey: ClientNodePubkey },
  { additionalProperties: false },
);
export type ListWebhooksParams = Static<typeof ListWebhooksParams>;

/** `lsps5.remove_webhook` params (plus, over HTTP only, the client node). */
export const RemoveWebhookParams = Type.Object(
  { app_name: Type.String(), client_node_pubkey: ClientNodePubkey },
  { additionalProperties: false },
);
export type RemoveWebhookParams = Static<typeof RemoveWebhookParams>;

/** `lsps5.set_webhook` result. */
export interface SetWebhookResult {
  readonly num_webhooks: number;
  readonly max_webhooks: number;
  /** True when this exact `app_name` and `webhook` were already registered. */
  readonly no_change: boolean;
}

/** `lsps5.list_webhooks` result (app names in registration order). */
export interface ListWebhooksResult {
  readonly app_names: string[];
  readonly max_webhooks: number;
}

/** The notification methods an LSP sends to webhooks. */
export const Lsps5Method = {
  WebhookRegistered: 'lsps5.webhook_registered',
  PaymentIncoming: 'lsps5.payment_incoming',
  ExpirySoon: 'lsps5.expiry_soon',
  LiquidityManagementRequest: 'lsps5.liquidity_management_request',
  OnionMessageIncoming: 'lsps5.onion_message_incoming',
} as const;
export type Lsps5Method = (typeof Lsps5Method)[keyof typeof Lsps5Method];

/** The HTTP headers of a notification. */
export const LSPS5_HEADERS = {
  timestamp: 'x-lsps5-timestamp',
  signature: 'x-lsps5-signature',
} as const;

/**
 * The body POSTed for a notification: a JSON-RPC 2.0 notification object (no `id`), compact,
 * keys in the order `jsonrpc`, `method`, `params`.
 */
export function lsps5NotificationBody(method: Lsps5Method, params: Record<string, unknown> = {}): string {
  return JSON.stringify({ jsonrpc: '2.0', method, params });
}

/**
 * The exact string the LSP signs (LND `SignMessage`) for one notification: `timestamp` is the
 * `x-lsps5-timestamp` header as sent and `body` the POST body as sent, byte for byte.
 */
export function lsps5SignedMessage(timestamp: string, body: string): string {
  return `LSPS5: DO NOT SIGN THIS MESSAGE MANUALLY: LSP: At ${timestamp} I notify ${body}`;
}

/** bLIP-55's timestamp format, `YYYY-MM-DDThh:mm:ss.uuuZ` (what `Date.toISOString()` gives). */
export const LSPS5_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The length bLIP-55 limits `app_name` by: the UTF-8 bytes of its JSON string contents, escape
 * codes counted as written. We count the canonical (shortest) JSON encoding of the decoded name,
 * which is what JSON.stringify and serde_json write; a client that escapes characters JSON need
 * not escape (`\u00e9` for `é`) sends more bytes than we count.
 */
export function appNameBytes(name: string): number {
  return new TextEncoder().encode(JSON.stringify(name)).length - 2;
}

/** `POST /v1/admin/lsps5/liquidity-request` body: the client node the LSP wants liquidity back from. */
export const Lsps5LiquidityRequestBody = Type.Object(
  { clientPubkey: Type.String({ pattern: '^0[23][0-9a-fA-F]{64}$' }) },
  { additionalProperties: false },
);
export type Lsps5LiquidityRequestBody = Static<typeof Lsps5LiquidityRequestBody>;

/** What became of a notification the operator asked for. */
export const Lsps5NotifyResponse = Type.Object(
  {
    outcome: Type.Union([
      Type.Literal('queued'),
      Type.Literal('no_webhooks'),
      Type.Literal('connected'),
      Type.Literal('cooldown'),
    ]),
  },
  { additionalProperties: false },
);
export type Lsps5NotifyResponse = Static<typeof Lsps5NotifyResponse>;
