/**
 * How the JIT forwarder's parts write a step of a JIT channel: through the forwarder's one
 * `applyStep` call (`JitForwarder`), handed to them as a function.
 */
import type { JitChannelEvent } from '@blgv/core';
import type { JitChannelRecord, Kysely, Schema } from '@blgv/store';
import type { AfterCommit } from '../machines/apply-step.ts';

/**
 * Applies `event` to a JIT channel from the state read (`record.state`), writing `extra` with
 * the step, on `db` when given (a transaction to join); false when it had already moved on.
 */
export type ApplyJitEvent = (
  record: JitChannelRecord,
  event: JitChannelEvent,
  extra?: { channelCapacitySat?: bigint },
  db?: Kysely<Schema>,
  afterCommit?: AfterCommit,
) => Promise<boolean>;
