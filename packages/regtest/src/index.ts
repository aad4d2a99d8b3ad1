// Process running lives in @blgv/node-runner (shared with the hosting drivers); re-exported for
// the tests and scripts that drive a harness.
export {
  chromiumExecutable,
  claimPortBlock,
  freePort,
  LIGHTNING_BINARIES,
  lightningBinary,
  lightningBinDir,
  logTail,
  type ManagedProcess,
  onShutdown,
  pidAlive,
  prometheusBinary,
  repoRoot,
  startProcess,
  WaitAbandoned,
  type WaitOptions,
  waitFor,
} from '@blgv/node-runner';
export { type Btcd, startBtcd } from './btcd.ts';
export { FeeServer } from './fee-server.ts';
export { Harness, type HarnessOptions, type NewNodeOptions, type OpenOptions } from './harness.ts';
export { LndNode, type LndNodeOptions } from './lnd-node.ts';
export { Miner, REGTEST_NETWORK } from './miner.ts';
