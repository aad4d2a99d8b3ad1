/**
 * The address a deleted node's funds are swept to: any standard output type (P2PKH, P2SH,
 * P2WPKH, P2WSH, P2TR) of the network the nodes run on, checked with `@scure/btc-signer`
 * (checksums included). An address of another network, or anything else, is refused at the edge
 * with a 400 naming `sweepAddress`: coins sent there would never reach the tenant.
 */
import { ErrorCode, LspError } from '@blgv/core';
import { Address, NETWORK, OutScript, TEST_NETWORK } from '@scure/btc-signer';

/** The chains hosted nodes run on. */
export type ChainNetwork = 'regtest' | 'testnet' | 'signet' | 'mainnet';

const NETWORKS: Readonly<Record<ChainNetwork, typeof NETWORK>> = {
  mainnet: NETWORK,
  testnet: TEST_NETWORK,
  signet: TEST_NETWORK,
  regtest: { ...TEST_NETWORK, bech32: 'bcrt' },
};

const STANDARD = new Set(['pkh', 'sh', 'wpkh', 'wsh', 'tr']);

/** True when `address` is a standard address of `network`. */
export function isSweepAddress(address: string, network: ChainNetwork): boolean {
  try {
    const decoded = Address(NETWORKS[network]).decode(address);
    return STANDARD.has(decoded.type) && OutScript.encode(decoded).length > 0;
  } catch {
    return false;
  }
}

/** Refuses (400, field `sweepAddress`) an address that is not a standard one of `network`. */
export function checkSweepAddress(address: string, network: ChainNetwork): void {
  if (!isSweepAddress(address, network))
    throw new LspError(
      ErrorCode.InvalidInput,
      `sweepAddress: not a valid ${network} address (P2PKH, P2SH, P2WPKH, P2WSH or P2TR); funds sent there would be lost`,
      { field: 'sweepAddress' },
    );
}
