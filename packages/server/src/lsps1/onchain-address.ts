/**
 * Bitcoin addresses at the edge (bLIP-50 `onchain_address`): a refund address must be a SegWit
 * address (P2WPKH, P2WSH or P2TR; bech32 for v0, bech32m for v1) of the same network as the
 * node's own addresses, or a refund sent to it could never arrive. Decoding and checksums are
 * `@scure/btc-signer`'s.
 */
import { Address, NETWORK, OutScript, TEST_NETWORK } from '@scure/btc-signer';

/** The networks by their bech32 prefix (`bcrt` is regtest). */
const NETWORKS: Readonly<Record<string, typeof NETWORK>> = {
  bc: NETWORK,
  tb: TEST_NETWORK,
  bcrt: { ...TEST_NETWORK, bech32: 'bcrt' },
};

/** The network of a SegWit address (by its bech32 prefix), or `undefined`. */
export function networkOf(address: string): typeof NETWORK | undefined {
  const prefix = /^(bc|tb|bcrt)1/i.exec(address)?.[1]?.toLowerCase();
  return prefix ? NETWORKS[prefix] : undefined;
}

/** The SegWit outputs bLIP-50 says readers must support and writers should only emit. */
const SEGWIT_TYPES = new Set(['wpkh', 'wsh', 'tr']);

/**
 * True when `address` is a P2WPKH, P2WSH or P2TR address of the network `ours` (an address of
 * the node) belongs to. Base58 addresses, other witness versions, bad checksums and addresses
 * of other networks are refused.
 */
export function isAddressOfNetwork(address: string, ours: string): boolean {
  const network = networkOf(ours);
  if (!network || !address.toLowerCase().startsWith(`${network.bech32}1`)) return false;
  try {
    const decoded = Address(network).decode(address);
    return SEGWIT_TYPES.has(decoded.type) && OutScript.encode(decoded).length > 0;
  } catch {
    return false;
  }
}

/** True when `address` is a P2WPKH, P2WSH or P2TR address of any network we know (pure). */
export function isSegwitAddress(address: string): boolean {
  return isAddressOfNetwork(address, address);
}
