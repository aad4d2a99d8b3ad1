/**
 * How the JIT forwarder's parts write a step of a JIT channel: through the forwarder's one
 * `applyStep` call (`JitForwarder`), handed to them as a function; and what a step writes.
 */
import { type JitChannelEvent, type JitChannelState, type JitRecord, msat, sat } from '@blgv/core';
import type { JitChannelRecord, JitChannelUpdate, Kysely, Schema } from '@blgv/store';
import type { AfterCommit } from '../machines/apply-step.ts';

/** What a step writes besides its event's facts. */
export interface JitStepExtra {
  readonly channelCapacitySat?: bigint;
}

/**
 * Applies `event` to a JIT channel from the state read (`record.state`), writing `extra` with
 * the step, on `db` when given (a transaction to join, whose effects then wait for its commit
 * on `afterCommit`); false when it had already moved on. The step's effects are performed by
 * the forwarder's handlers, so a caller never performs them itself.
 */
export type ApplyJitEvent = (
  record: JitChannelRecord,
  event: JitChannelEvent,
  extra?: JitStepExtra,
  db?: Kysely<Schema>,
  afterCommit?: AfterCommit,
) => Promise<boolean>;

/** The columns a step to `state` writes: the facts its event records, and `extra`. */
export function jitUpdate(
  state: JitChannelState,
  facts: JitRecord['record'],
  extra: JitStepExtra,
): JitChannelUpdate {
  const r = facts as Partial<Record<string, unknown>>;
  return {
    state,
    ...(typeof r.paymentHash === 'string' ? { paymentHash: r.paymentHash } : {}),
    ...(typeof r.fee === 'bigint' ? { feeMsat: r.fee } : {}),
    ...(typeof r.fundingId === 'string' ? { fundingId: r.fundingId } : {}),
    ...(typeof r.txid === 'string' ? { fundingTxid: r.txid } : {}),
    ...(typeof r.outputIndex === 'number' ? { fundingOutputIndex: r.outputIndex } : {}),
    ...(typeof r.channelScid === 'bigint' ? { channelScid: r.channelScid.toString() } : {}),
    ...(typeof r.reason === 'string' ? { failure: r.reason } : {}),
    ...extra,
  };
}

/** The record as it is once `update` is written (what the step's effect handlers are given). */
export function recordAfter(record: JitChannelRecord, u: JitChannelUpdate): JitChannelRecord {
  return {
    ...record,
    state: u.state,
    paymentHash: u.paymentHash ?? record.paymentHash,
    feeMsat: u.feeMsat === undefined ? record.feeMsat : msat(u.feeMsat),
    channelCapacitySat:
      u.channelCapacitySat === undefined ? record.channelCapacitySat : sat(u.channelCapacitySat),
    fundingTxid: u.fundingTxid ?? record.fundingTxid,
    fundingOutputIndex: u.fundingOutputIndex ?? record.fundingOutputIndex,
    fundingId: u.fundingId ?? record.fundingId,
    channelScid: u.channelScid ?? record.channelScid,
    failure: u.failure ?? record.failure,
  };
}
