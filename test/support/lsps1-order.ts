/**
 * An LSPS1 order's params within every option the LSP advertises by default, with the parts a
 * story cares about changed.
 */

/** `lsps1.create_order` params: 100,000 sat from the LSP, nothing pushed, 1 confirmation. */
export function lsps1Order<T extends Record<string, unknown>>(changes: T = {} as T) {
  return {
    lsp_balance_sat: '100000',
    client_balance_sat: '0',
    required_channel_confirmations: 1,
    funding_confirms_within_blocks: 6,
    channel_expiry_blocks: 1000,
    announce_channel: false,
    ...changes,
  };
}
