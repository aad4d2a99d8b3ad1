/**
 * The `LightningConnector` on LND: a backend to any node (the LSP's own, or a hosted one) from
 * its access and a macaroon.
 */
import type { LightningConnector } from '@blgv/core';
import { lndBackend } from './lnd-backend.ts';

/** Opens an {@link lndBackend} to the node at `access` with `macaroonHex`. */
export const connectLightning: LightningConnector = (access, macaroonHex) =>
  lndBackend({
    rpcAddress: access.rpcAddress,
    tlsCert: Buffer.from(access.tlsCert),
    macaroon: Buffer.from(macaroonHex, 'hex'),
  });
