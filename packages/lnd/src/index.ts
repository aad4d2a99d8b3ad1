export { AsyncQueue } from './async-queue.ts';
export {
  connectLnd,
  type LndClients,
  type LndConnectionConfig,
  lndConnectionFromFiles,
} from './connection.ts';
export { connectLightning } from './connector.ts';
export { type LndBackendOptions, lndBackend } from './lnd-backend.ts';
export {
  EXTRA_FEE_TLV_TYPE,
  extraFee,
  extraFeeRecord,
  type Lsps2ClientOptions,
  lsps2HtlcDecision,
  runLsps2Client,
} from './lsps2-client.ts';
export { lndNodeWallets } from './wallet-unlocker.ts';
