export { ApiKeys, type CreatedKey, type Principal } from './auth/api-keys.ts';
export { SecretBox } from './auth/secret-box.ts';
export { type Config, ConfigError, ConfigSchema, ENV_VARS, loadConfig } from './config/config.ts';
export { type HostingRuntime, hostingFromConfig } from './hosting/hosting-setup.ts';
export { type AppDeps, buildApp } from './http/app.ts';
export { createLogger } from './logger.ts';
export { type RegtestNetwork, startRegtestNetwork } from './regtest-network.ts';
export { type RunningLsp, type StartOptions, startLsp } from './runtime.ts';
export { createServices, feeScheduleFrom, type LspServices } from './services.ts';
