/**
 * The calls of {@link lndBackend} that hosted nodes need: sent payments (listed and followed,
 * for the per-payment hosting fee), static channel backups, autopilot scores, and macaroons
 * under root keys of their own.
 */
import {
  type ChannelBackup,
  type MacaroonPermission,
  msat,
  type Pubkey,
  parseHex32,
  type SentPayment,
  type SentPaymentsQuery,
  type StreamOptions,
} from '@blgv/core';
import type { Payment__Output } from '../generated/types/lnrpc/Payment.ts';
import { unary } from './call.ts';
import type { LndClients } from './connection.ts';
import { failureReasons } from './mappers.ts';
import { resilientStream, type StreamHooks } from './streams.ts';

const PAYMENT_STATUS: Readonly<Record<string, SentPayment['status']>> = {
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  IN_FLIGHT: 'in_flight',
  INITIATED: 'in_flight',
};

function sentPayment(p: Payment__Output): SentPayment {
  return {
    paymentIndex: BigInt(p.payment_index),
    paymentHash: parseHex32(p.payment_hash),
    status: PAYMENT_STATUS[String(p.status)] ?? 'in_flight',
    amount: msat(p.value_msat),
    fee: msat(p.fee_msat),
    createdAt: new Date(Number(BigInt(p.creation_time_ns) / 1_000_000n)),
    ...(p.status === 'FAILED' ? { failureReason: failureReasons[p.failure_reason] ?? 'unknown' } : {}),
    htlcCount: p.htlcs.length,
    ...(p.payment_request !== '' ? { paymentRequest: p.payment_request } : {}),
  };
}

/** LND's `ListPayments` from an index offset (or the newest), oldest first. */
export async function listPayments(
  c: LndClients,
  query: SentPaymentsQuery,
  signal: AbortSignal,
): Promise<SentPayment[]> {
  const ln = c.lightning;
  const r = await unary(
    'ListPayments',
    ln.ListPayments.bind(ln),
    query.newest === true
      ? { index_offset: '0', reversed: true, max_payments: String(query.max), include_incomplete: true }
      : {
          index_offset: query.afterIndex.toString(),
          max_payments: String(query.max),
          include_incomplete: true,
        },
    signal,
  );
  return r.payments.map(sentPayment);
}

/**
 * routerrpc's `TrackPayments`, reconnecting: each payment as it starts and as its status
 * changes (LND sends `lnrpc.Payment`: `payment_index` is its sequence number, `status`,
 * `value_msat`, `fee_msat`).
 */
export function trackPayments(
  c: LndClients,
  options: StreamOptions,
  hooks: StreamHooks,
): AsyncIterable<SentPayment> {
  const router = c.router;
  return resilientStream(
    'TrackPayments',
    () => router.TrackPayments({ no_inflight_updates: false }),
    (p) => (BigInt(p.payment_index) > 0n ? sentPayment(p) : undefined),
    options,
    hooks,
  );
}

/** `BakeMacaroon`, under `rootKeyId` when given (LND's default root key 0 otherwise). */
export async function bakeMacaroon(
  c: LndClients,
  permissions: readonly MacaroonPermission[],
  signal: AbortSignal,
  rootKeyId?: bigint,
): Promise<string> {
  const ln = c.lightning;
  const r = await unary(
    'BakeMacaroon',
    ln.BakeMacaroon.bind(ln),
    {
      permissions: permissions.map((p) => ({ entity: p.entity, action: p.action })),
      ...(rootKeyId !== undefined ? { root_key_id: rootKeyId.toString() } : {}),
    },
    signal,
  );
  return r.macaroon;
}

/** `DeleteMacaroonID`: true when the root key existed (LND refuses 0 with an error). */
export async function deleteMacaroonId(
  c: LndClients,
  rootKeyId: bigint,
  signal: AbortSignal,
): Promise<boolean> {
  const ln = c.lightning;
  const r = await unary(
    'DeleteMacaroonID',
    ln.DeleteMacaroonID.bind(ln),
    { root_key_id: rootKeyId.toString() },
    signal,
  );
  return r.deleted;
}

/** LND's `SubscribeChannelBackups`, reconnecting. */
export function channelBackups(
  c: LndClients,
  options: StreamOptions,
  hooks: StreamHooks,
): AsyncIterable<ChannelBackup> {
  const ln = c.lightning;
  return resilientStream(
    'SubscribeChannelBackups',
    () => ln.SubscribeChannelBackups({}),
    (snapshot) => {
      const multi = snapshot.multi_chan_backup;
      if (!multi) return undefined;
      return {
        multiChannelBackup: Buffer.from(multi.multi_chan_backup).toString('base64'),
        channelCount: multi.chan_points.length,
      };
    },
    options,
    hooks,
  );
}

/** autopilotrpc's `SetScores` for the `externalscore` heuristic. */
export async function setAutopilotScores(
  c: LndClients,
  scores: ReadonlyMap<Pubkey, number>,
  signal: AbortSignal,
): Promise<void> {
  const ap = c.autopilot;
  await unary(
    'SetScores',
    ap.SetScores.bind(ap),
    { heuristic: 'externalscore', scores: Object.fromEntries(scores) },
    signal,
  );
}

/**
 * autopilotrpc's `ModifyStatus`, off then on: lnd makes a new agent, with no memory of the nodes
 * the old one failed to open to, and it looks at once. Scores stay (they belong to the heuristic).
 */
export async function restartAutopilot(c: LndClients, signal: AbortSignal): Promise<void> {
  await stopAutopilot(c, signal);
  const ap = c.autopilot;
  await unary('ModifyStatus', ap.ModifyStatus.bind(ap), { enable: true }, signal);
}

/** autopilotrpc's `ModifyStatus` off (lnd answers OK when no agent runs). */
export async function stopAutopilot(c: LndClients, signal: AbortSignal): Promise<void> {
  const ap = c.autopilot;
  await unary('ModifyStatus', ap.ModifyStatus.bind(ap), { enable: false }, signal);
}
