/**
 * The calls of {@link LndBackend} that hosted nodes need: sent payments (for the per-payment
 * hosting fee), static channel backups, and autopilot scores.
 */
import {
  type ChannelBackup,
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
  };
}

/** LND's `ListPayments` from an index offset, oldest first. */
export async function listPayments(
  c: LndClients,
  query: SentPaymentsQuery,
  signal: AbortSignal,
): Promise<SentPayment[]> {
  const ln = c.lightning;
  const r = await unary(
    'ListPayments',
    ln.ListPayments.bind(ln),
    { index_offset: query.afterIndex.toString(), max_payments: String(query.max), include_incomplete: true },
    signal,
  );
  return r.payments.map(sentPayment);
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
