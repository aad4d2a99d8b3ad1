/**
 * A wrapped invoice's channel: the `open_channel` effect of the wrapped invoice machine,
 * performed by the runner (`wrapped-runner.ts`) once the payer's HTLCs are held.
 */
import {
  boundedFeeRate,
  type ChannelsPort,
  type FeeSchedule,
  type InvoicesPort,
  jitChannelCapacity,
  parsePubkey,
  type WalletPort,
  type WrappedInvoiceEvent,
} from '@blgv/core';
import type { Kysely, Schema, WrappedInvoiceRecord } from '@blgv/store';
import { forwardingFees } from '../channels/forwarding-policy.ts';
import type { AfterCommit } from '../machines/apply-step.ts';
import { channelWithRoom } from './wallet-payment.ts';
import { type WrappedFunding, wrappedFundingOwner } from './wrapped-funding.ts';
import type { WrappedRunnerLimits } from './wrapped-limits.ts';

/** The memo of a wrapped invoice's channel in LND: the prefix, then the invoice's id. */
export const MEMO_PREFIX = 'wrapped:';
const CALL_MS = 30_000;

/** What opening needs from the runner. */
export interface WrappedOpenDeps {
  readonly lightning: Pick<InvoicesPort, 'lookupInvoice'> &
    Pick<ChannelsPort, 'listChannels'> &
    Pick<WalletPort, 'estimateFee'>;
  readonly funding: WrappedFunding;
  readonly schedule: FeeSchedule;
  readonly limits: WrappedRunnerLimits;
  /** The runner's: ends the funding's wait when the runner stops. */
  readonly signal: AbortSignal;
  /** The runner's one way to apply an event (in `trx` with `after`, for the commit). */
  readonly apply: (
    w: WrappedInvoiceRecord,
    event: WrappedInvoiceEvent,
    extra?: { readonly channelCapacitySat?: bigint },
    trx?: Kysely<Schema>,
    after?: AfterCommit,
  ) => Promise<boolean>;
}

/**
 * `open_channel`: a channel the wallet already has from the LSP with room for the payment is
 * chosen; else a zero-conf, scid-alias, private channel is funded through the one commit point
 * with its funding withheld (`committed` written in the commit's transaction). A payment no
 * longer held, or a channel that could not be opened, fails the open (`open_failed`).
 */
export async function openWalletChannel(deps: WrappedOpenDeps, w: WrappedInvoiceRecord): Promise<void> {
  const invoice = await deps.lightning.lookupInvoice(w.paymentHash, AbortSignal.timeout(CALL_MS));
  if (invoice.state !== 'accepted') {
    await deps.apply(w, {
      type: 'open_failed',
      reason: `the payment is no longer held (invoice ${invoice.state})`,
    });
    return;
  }
  const existing = await channelWithRoom(deps.lightning, w, AbortSignal.timeout(CALL_MS));
  if (existing) {
    await deps.apply(w, { type: 'channel_chosen', channelScid: existing });
    return;
  }
  const capacity = jitChannelCapacity(w.walletAmount, deps.limits);
  const owner = wrappedFundingOwner(w.id);
  const estimate = await deps.lightning.estimateFee(6, AbortSignal.timeout(CALL_MS));
  const result = await deps.funding.fund(
    {
      owner,
      open: {
        ...forwardingFees(deps.schedule),
        remotePubkey: parsePubkey(w.walletPubkey),
        localAmount: capacity,
        private: true,
        zeroConf: true,
        scidAlias: true,
        maxLocalCsv: deps.limits.maxClientToSelfDelay,
        memo: `${MEMO_PREFIX}${w.id}`,
      },
    },
    {
      feeRate: boundedFeeRate(estimate.satPerVbyte, deps.limits),
      deadlineMs: deps.limits.openTimeoutSeconds * 1000,
      signal: deps.signal,
      commit: async (trx, c, after) => {
        const event: WrappedInvoiceEvent = {
          type: 'committed',
          fundingId: c.fundingId,
          txid: c.txid,
          outputIndex: c.channels[0]?.outputIndex ?? 0,
        };
        if (!(await deps.apply(w, event, { channelCapacitySat: capacity }, trx, after)))
          throw new Error(`wrapped invoice ${w.id} left opening before its commit`);
      },
    },
  );
  if (result.committed) return;
  const reason = result.failed.get(owner) ?? 'the channel could not be opened';
  await deps.apply(w, { type: 'open_failed', reason });
}
