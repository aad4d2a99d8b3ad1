/**
 * What integration stories (`test/`) and benchmarks (`bench/`) share: the regtest network most
 * of them start from, the LSP server on it (in-process, or as a process of its own), hosted-node
 * helpers, account top-ups and the LSPS2 JIT wallet. Test-only helpers stay in `test/support`.
 */

export {
  type GraphCopy,
  type GraphPlan,
  type GraphPlanOptions,
  LSP,
  mulberry32,
  type PlannedChannel,
  type PlannedNode,
  planSkewedGraph,
  type StartedGraph,
  startPlannedGraphs,
} from './generated-graph.ts';
export { type ChannelSpec, openChannels, waitGraphSynced, waitReaches } from './graph-channels.ts';
export {
  channelActive,
  type HostingLsp,
  type HostingLspOptions,
  hostedNodePid,
  hostedPortRange,
  nodeLncli,
  nodePays,
  nodeRest,
  payUntilSucceeded,
  removeHostedNodes,
  startHostingLsp,
} from './hosted-nodes.ts';
export {
  type BurstOutcome,
  type ChainTransaction,
  chainSat,
  chainTransaction,
  type FirstPayment,
  firstPayment,
  fundingTransactions,
  openChannelHint,
  payAtOnce,
  transactionFee,
} from './jit-burst.ts';
export { JitWallet, jitInvoice, type SeenHtlc } from './jit-wallet.ts';
export { bindDriverRole, DRIVER_USER, type KubeCluster, startKubeCluster } from './kube-cluster.ts';
export { type LaunchDay, settledChannels, startLaunchDay } from './launch-day.ts';
export { CLI, lspProcessEnv } from './lsp-process.ts';
export { startTestLsp, type TestLsp } from './lsp-server.ts';
export {
  collect,
  type Network,
  type NetworkContext,
  type NetworkOptions,
  startNetwork,
  useNetwork,
  within,
} from './network.ts';
export {
  type RoutingGraph,
  type RoutingGraphOptions,
  startRoutingGraph,
} from './routing-graph.ts';
export { type ServerProcess, type ServerProcessOptions, startServerProcess } from './server-process.ts';
export { type StockWalletPolicy, startStockWallet } from './stock-wallet.ts';
export { postgresBinDir, startTestPostgres, type TestPostgres } from './test-postgres.ts';
export { payTopup, topUp } from './topup.ts';
