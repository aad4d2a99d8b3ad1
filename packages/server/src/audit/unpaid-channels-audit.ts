/**
 * The audit of unpaid channels (a withheld batch's member whose client never paid, its channel
 * published with the batch): the LSP's own expense, in no tenant's ledger. Each recorded one is
 * a channel LND knows and no longer has open (the LSP closed it, or found it closed), and its
 * recorded share of the funding is no more than what its funding transaction paid the miners.
 */
import { type Database, UnpaidChannelsRepository } from '@blgv/store';
import type { AuditSink } from './custody-checks.ts';
import type { LndSnapshot } from './lnd-snapshot.ts';

/** Checks every unpaid channel against LND; answers what their funding shares cost (sat). */
export async function auditUnpaidChannels(
  database: Database,
  lnd: Pick<LndSnapshot, 'channel'>,
  fundingFee: (fundingId: string) => bigint | undefined,
  sink: AuditSink,
): Promise<bigint> {
  let cost = 0n;
  for (const c of await new UnpaidChannelsRepository(database.db).list()) {
    const subject = `unpaid_channel:${c.owner}`;
    sink.checked('unpaid_channels');
    cost += c.fundingShare;
    const [txid = '', index = ''] = c.channelPoint.split(':');
    const seen = lnd.channel(txid, Number(index));
    if (!seen) sink.flag('unpaid_channel_unknown', subject, `LND knows no channel ${c.channelPoint}`);
    else if (seen.where === 'open')
      sink.flag(
        'unpaid_channel_open',
        subject,
        `recorded as closed by the LSP, still open in LND (${c.channelPoint})`,
      );
    const fee = fundingFee(c.fundingId);
    if (fee !== undefined && c.fundingShare > fee)
      sink.flag(
        'unpaid_channel_share',
        subject,
        `recorded a share of ${c.fundingShare} sat of a funding that paid ${fee} sat`,
      );
  }
  return cost;
}
