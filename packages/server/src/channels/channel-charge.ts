/**
 * Charging a channel request: the request recorded and its price charged to the tenant's
 * ledger item by item, in one transaction, against the LSP's uncommitted on-chain funds.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, LspError } from '@blgv/core';
import {
  type ChannelRequest,
  ChannelRequestsRepository,
  committedToOpens,
  type Database,
  LedgerRepository,
  lockOpenCommitments,
} from '@blgv/store';
import type { Accounts } from '../accounts/accounts.ts';
import type { ChannelOrder, ChannelQuote } from './channel-order.ts';

/** On-chain sats kept aside beyond the channel itself for the funding fee and anchor reserve. */
const FUNDING_MARGIN_SAT = 50_000n;
/**
 * Records the request and charges its price, item by item, in one transaction; 402 with a
 * top-up invoice for the shortfall when the balance does not cover it.
 */
export async function chargeChannel(
  deps: { readonly database: Database; readonly accounts: Accounts },
  tenantId: string,
  order: ChannelOrder,
  quote: ChannelQuote,
  spendable: bigint,
  idempotency: { readonly key: string | undefined; readonly fingerprint: string | undefined },
): Promise<{ request: ChannelRequest; replayed: boolean }> {
  const { price } = quote;
  const result = await deps.database.db.transaction().execute(async (trx) => {
    const ledger = new LedgerRepository(trx);
    await ledger.lockTenant(tenantId);
    // Under the tenant's lock: a concurrent request with the same key has committed by now.
    const first = idempotency.key
      ? await new ChannelRequestsRepository(trx).byIdempotencyKey(tenantId, idempotency.key)
      : undefined;
    if (first) return { request: first, replayed: true };
    const balance = await ledger.balance(tenantId);
    if (balance < price.total) return { balance };
    // Under the commitments lock, every replica's promised funds are counted once.
    await lockOpenCommitments(trx);
    if (spendable - (await committedToOpens(trx)) < order.channelSize + FUNDING_MARGIN_SAT) {
      throw new LspError(
        ErrorCode.LspInsufficientFunds,
        'the LSP does not have the on-chain funds for this channel right now; try a smaller channel or later',
      );
    }
    const request = await new ChannelRequestsRepository(trx).insert({
      id: randomUUID(),
      tenantId,
      idempotencyKey: idempotency.key ?? null,
      idempotencyFingerprint: idempotency.fingerprint ?? null,
      clientPubkey: order.clientPubkey,
      capacity: order.channelSize,
      push: order.pushAmount,
      feeRateSatPerVbyte: price.networkFee.feeRate,
      private: order.isPrivate,
      fee: price.openingFee.total,
      networkFee: price.networkFee.total,
      estimatedBlocks: quote.estimatedConfirmation.blocks,
    });
    const what = `a ${order.channelSize} sat channel to ${order.clientPubkey}`;
    const items = [
      { kind: 'channel_fee', amount: price.openingFee.total, description: `opening fee of ${what}` },
      { kind: 'channel_push', amount: price.push, description: `amount pushed to the client with ${what}` },
      {
        kind: 'channel_network_fee',
        amount: price.networkFee.total,
        description: `network fee of ${what}: ${price.networkFee.vbytes} vB at ${price.networkFee.feeRate} sat/vB`,
      },
    ] as const;
    for (const item of items) {
      if (item.amount === 0n) continue;
      await ledger.append({
        tenantId,
        kind: item.kind,
        amount: -item.amount,
        reference: request.id,
        description: item.description,
      });
    }
    return { request, replayed: false };
  });
  if (result.request) return { request: result.request, replayed: result.replayed };
  throw await deps.accounts.paymentRequired(tenantId, result.balance, price.total, 'the channel');
}
