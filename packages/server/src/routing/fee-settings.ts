/**
 * The routing fee policy's settings: the config's `routing.fees` (its blanks filled from the fee
 * schedule), overridden by what an operator set at runtime (`PUT /v1/admin/routing/policy`,
 * stored so every replica and restart sees it). Checked as a whole: a change that leaves the
 * floor above the midpoint, or the midpoint above the ceiling, is a 400 naming the field.
 */
import { type FeePolicySettings, type FeeSchedule, invalidInput, msat } from '@blgv/core';
import type { RoutingPolicyBody, RoutingPolicyResponse } from '@blgv/protocol';
import { type Database, RoutingFeesRepository } from '@blgv/store';
import type { Static } from '@sinclair/typebox';
import type { RoutingFeesConfigSchema } from '../config/routing-fees-schema.ts';

/** The `routing.fees` config section. */
export type RoutingFeesConfig = Static<typeof RoutingFeesConfigSchema>;

/** Every setting of the policy (the wire shape of `GET /v1/admin/routing/policy`). */
export type RoutingFeeSettings = RoutingPolicyResponse;

/** The settings the config gives (blanks from the schedule's routing fees). */
export function configuredSettings(config: RoutingFeesConfig, schedule: FeeSchedule): RoutingFeeSettings {
  const midpointPpm = config.midpointPpm ?? Number(schedule.routing.feeRatePpm);
  return {
    enabled: config.enabled,
    dryRun: config.dryRun,
    intervalSeconds: config.intervalSeconds,
    windowSeconds: config.windowSeconds,
    minStepPpm: config.minStepPpm,
    baseFeeMsat: config.baseFeeMsat ?? Number(schedule.routing.baseFee),
    midpointPpm,
    minPpm: config.minPpm ?? Math.floor(midpointPpm / 4),
    maxPpm: config.maxPpm ?? Math.min(1_000_000, midpointPpm * 4),
    targetOutboundPercent: config.targetOutboundPercent,
    flowWeightPercent: config.flowWeightPercent,
    flowWindowSeconds: config.flowWindowSeconds,
    inboundMaxDiscountPpm: config.inboundMaxDiscountPpm,
  };
}

/** The field that makes `s` inconsistent, with why, or undefined when it holds. */
export function settingsProblem(s: RoutingFeeSettings): { field: string; message: string } | undefined {
  if (s.minPpm > s.midpointPpm)
    return { field: 'minPpm', message: `${s.minPpm} is above midpointPpm (${s.midpointPpm})` };
  if (s.midpointPpm > s.maxPpm)
    return { field: 'maxPpm', message: `${s.maxPpm} is below midpointPpm (${s.midpointPpm})` };
  return undefined;
}

/** The settings as the pure policy takes them. */
export function policySettings(s: RoutingFeeSettings): FeePolicySettings {
  return {
    baseFee: msat(s.baseFeeMsat),
    midpointPpm: BigInt(s.midpointPpm),
    minPpm: BigInt(s.minPpm),
    maxPpm: BigInt(s.maxPpm),
    targetSharePpm: BigInt(s.targetOutboundPercent) * 10_000n,
    flowWeightPpm: BigInt(s.flowWeightPercent) * 10_000n,
    minStepPpm: BigInt(s.minStepPpm),
    windowMs: s.windowSeconds * 1000,
    inboundMaxDiscountPpm: BigInt(s.inboundMaxDiscountPpm),
  };
}

/** Reads and changes the policy's settings. */
export class RoutingFeeSettingsStore {
  readonly #repo: RoutingFeesRepository;
  readonly #configured: RoutingFeeSettings;

  constructor(deps: { database: Database; config: RoutingFeesConfig; schedule: FeeSchedule }) {
    this.#repo = new RoutingFeesRepository(deps.database.db);
    this.#configured = configuredSettings(deps.config, deps.schedule);
  }

  /** The settings in force: the config's, with the runtime changes on top. */
  async current(): Promise<RoutingFeeSettings> {
    const saved = (await this.#repo.settings()) ?? {};
    const merged = { ...this.#configured };
    for (const key of Object.keys(merged) as (keyof RoutingFeeSettings)[])
      if (key in saved) (merged as Record<string, unknown>)[key] = saved[key];
    return merged;
  }

  /** Applies `change` (fields the body validated) and answers the settings now in force. */
  async update(change: RoutingPolicyBody): Promise<RoutingFeeSettings> {
    const next = { ...(await this.current()), ...change };
    const problem = settingsProblem(next);
    if (problem) throw invalidInput(problem.field, problem.message);
    await this.#repo.saveSettings(next);
    return next;
  }
}
