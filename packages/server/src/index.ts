export { type Config, ConfigError, ConfigSchema, ENV_VARS, loadConfig } from './config/config.ts';
export { type AppDeps, buildApp } from './http/app.ts';
export { createLogger } from './logger.ts';
export { type RegtestNetwork, startRegtestNetwork } from './regtest-network.ts';
export { type RunningLsp, startLsp } from './runtime.ts';
