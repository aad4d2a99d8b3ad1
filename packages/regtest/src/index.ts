export * from './binaries.ts';
export { type Btcd, startBtcd } from './btcd.ts';
export { FeeServer } from './fee-server.ts';
export { Harness, type HarnessOptions, type OpenOptions } from './harness.ts';
export { LndNode, type LndNodeOptions } from './lnd-node.ts';
export { Miner, REGTEST_NETWORK } from './miner.ts';
export { freePort } from './ports.ts';
export { type ManagedProcess, onShutdown, pidAlive, startProcess } from './processes.ts';
export { type WaitOptions, waitFor } from './wait.ts';
