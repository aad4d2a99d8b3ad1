export {
  connectLnd,
  type LndClients,
  type LndConnectionConfig,
  lndConnectionFromFiles,
} from './connection.ts';
export { LndBackend, type LndBackendOptions } from './lnd-backend.ts';
