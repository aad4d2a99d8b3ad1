export * from './binaries.ts';
export { adoptDetached, startDetached } from './detached.ts';
export { fileWritten } from './files.ts';
export { type ChainBackend, type LndLaunch, lndArgs, REGTEST_SPEED_ARGS } from './lnd-args.ts';
export { freePort, PortRange } from './ports.ts';
export { logTail, type ManagedProcess, onShutdown, pidAlive, startProcess } from './processes.ts';
export { START_ATTEMPTS, startWithRetries } from './start-attempts.ts';
export { WaitAbandoned, type WaitOptions, waitFor } from './wait.ts';
