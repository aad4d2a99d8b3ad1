/**
 * bLIP-55's checks of `lsps5.set_webhook` params, in the spec's order: lengths (500
 * `too_long`), then the URL (501 `url_parse_error`), then its scheme (502
 * `unsupported_protocol`: only `https`); then our outbound safety rules, shared with the REST
 * webhooks (no credentials in the URL, a host that resolves, no loopback/private/link-local
 * target unless the operator allows it), which refuse with -32602 naming `webhook` and the reason.
 */
import { isLspError } from '@blgv/core';
import { appNameBytes, LSPS5_LIMITS, Lsps5Error } from '@blgv/protocol';
import { RpcError } from '../lsps0/rpc-error.ts';
import { checkWebhookUrl, type OutboundPolicy } from '../webhooks/outbound.ts';

/** Only printable ASCII (RFC 1738: a URL is ASCII; IRIs must be converted to URIs first). */
const ASCII_URL = /^[\x21-\x7e]*$/;

/** Throws 500 `too_long` when `app_name` is over 64 bytes as bLIP-55 counts them. */
export function checkAppName(appName: string): void {
  const bytes = appNameBytes(appName);
  if (bytes > LSPS5_LIMITS.maxAppNameBytes)
    throw new RpcError(Lsps5Error.TooLong, 'too_long', {
      message: `app_name is ${bytes} bytes; at most ${LSPS5_LIMITS.maxAppNameBytes}`,
      property: 'app_name',
    });
}

/**
 * The webhook's syntax: 500 over 1024 characters, 501 when it is not an ASCII URL, 502 when it
 * is not `https`. Pure: no DNS.
 */
export function parseLsps5Webhook(webhook: string): URL {
  if (webhook.length > LSPS5_LIMITS.maxWebhookChars)
    throw new RpcError(Lsps5Error.TooLong, 'too_long', {
      message: `webhook is ${webhook.length} characters; at most ${LSPS5_LIMITS.maxWebhookChars}`,
      property: 'webhook',
    });
  let url: URL | undefined;
  try {
    url = ASCII_URL.test(webhook) ? new URL(webhook) : undefined;
  } catch {
    url = undefined;
  }
  if (!url?.host)
    throw new RpcError(Lsps5Error.UrlParseError, 'url_parse_error', {
      message: 'webhook is not a URL (RFC 1738; non-ASCII characters must be percent-encoded)',
      property: 'webhook',
    });
  if (url.protocol !== 'https:')
    throw new RpcError(Lsps5Error.UnsupportedProtocol, 'unsupported_protocol', {
      message: `webhook's scheme ${url.protocol.replace(/:$/, '')} is not supported: only https`,
      property: 'webhook',
    });
  return url;
}

/**
 * Every check of a webhook: bLIP-55's (see {@link parseLsps5Webhook}), then the outbound
 * policy's, refused as -32602 invalid params with the reason.
 */
export async function checkLsps5Webhook(webhook: string, policy: OutboundPolicy): Promise<URL> {
  parseLsps5Webhook(webhook);
  try {
    return await checkWebhookUrl(webhook, policy, 'webhook');
  } catch (err) {
    if (!isLspError(err)) throw err;
    throw new RpcError(-32602, 'invalid params', { property: 'webhook', message: err.message });
  }
}
