/**
 * The soak's traffic, as customers and an operator make it, each kind in a loop of its own
 * until the run's signal aborts: signed reads of a tenant, channel sales to a client node
 * (quote, buy, wait until open, the client closes it again), JIT payments to wallets (a new JIT
 * channel, a second payment over it, the wallet closes it again) and Prometheus scrapes with
 * the admin figures. Everything that goes wrong is counted in a {@link Tally}, never thrown.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Msat, msat, parseHex32 } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import type { Harness, LndNode } from '@blgv/regtest';
import { firstPayment, type JitWallet, openChannelHint, within } from '@blgv/testkit';

/** What the traffic did so far. */
export class Tally {
  /** HTTP requests to the server (the SDK's and the scrapes). */
  requests = 0;
  payments = 0;
  jitChannels = 0;
  channelSales = 0;
  scrapes = 0;
  /**
   * Answers that were not 2xx, whoever asked (the traffic expects none: the tenant is topped
   * up, every id it reads exists), counted where they arrive: a poll that retries still counts.
   */
  readonly non2xx: string[] = [];
  /** Steps that failed (a payment not made, a channel not opened in time, …). */
  readonly failures: string[] = [];

  /** Counts `err` under `what`. */
  fail(what: string, err: unknown): void {
    this.failures.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** Non-2xx answers and failed steps together. */
  get errors(): number {
    return this.non2xx.length + this.failures.length;
  }

  /** `fetch` that counts every request and every answer that is not 2xx. */
  countingFetch(): typeof fetch {
    return async (input, init) => {
      this.requests++;
      const res = await fetch(input, init);
      if (!res.ok) this.non2xx.push(`HTTP ${res.status} ${init?.method ?? 'GET'} ${String(input)}`);
      return res;
    };
  }
}

/** Runs `step` again and again, `pauseMs` apart, until `signal` aborts; failures go to `tally`. */
export async function loop(
  what: string,
  tally: Tally,
  signal: AbortSignal,
  pauseMs: number,
  step: () => Promise<void>,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await step();
    } catch (err) {
      tally.fail(what, err);
    }
    await sleep(pauseMs, undefined, { signal }).catch(() => undefined);
  }
}

/** Signed reads of a tenant: its account, and the last channel it bought (when there is one). */
export function signedReads(tenant: LSPClient, lastChannel: () => string | undefined): () => Promise<void> {
  let turn = 0;
  return async () => {
    const channelId = lastChannel();
    if (turn++ % 2 === 0 || channelId === undefined) await tenant.getBalance();
    else await tenant.getChannelStatus(channelId);
  };
}

/** The figures a scrape of `/metrics` gives about the server process itself. */
export interface ScrapedProcess {
  readonly heapUsedBytes: number | undefined;
  readonly activeHandles: number | undefined;
  readonly jobRestarts: number;
}

/** One series' value (summed over its labels) in a text exposition; undefined when absent. */
export function seriesSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** A Prometheus scrape of `url` with `token`; the process figures it carries. */
export async function scrape(url: string, token: string, tally: Tally): Promise<ScrapedProcess> {
  const res = await tally.countingFetch()(`${url}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await res.text();
  tally.scrapes++;
  return {
    heapUsedBytes: seriesSum(text, 'lsp_nodejs_heap_size_used_bytes'),
    activeHandles: seriesSum(text, 'lsp_nodejs_active_handles_total'),
    jobRestarts: seriesSum(text, 'lsp_job_restarts_total') ?? 0,
  };
}

/** Where channel sales go and what they look like. */
export interface SaleOptions {
  readonly h: Harness;
  readonly tenant: LSPClient;
  /** The client node the channels are sold to (connected to the LSP's node); it closes each. */
  readonly client: LndNode;
  readonly channelSize: number;
}

/**
 * One channel sale: a quote, the purchase (charged exactly the quote), the channel open (the
 * network's miner confirms it), and the client closing it again until the LSP reports it closed.
 * `onSold` gets the channel's id as soon as it is bought.
 */
export function channelSale(o: SaleOptions, tally: Tally, onSold: (id: string) => void): () => Promise<void> {
  return async () => {
    const order = { channelSize: o.channelSize, pushAmount: 0, feeRate: 2 };
    const quote = await o.tenant.quoteChannel(order);
    const bought = await o.tenant.requestChannel({
      ...order,
      clientPubkey: o.client.pubkey,
      clientHost: o.client.host,
    });
    if (bought.charged !== quote.total) throw new Error(`charged ${bought.charged}, quoted ${quote.total}`);
    onSold(bought.channelId);
    const status = (want: string) =>
      o.h.waitFor(async () => (await o.tenant.getChannelStatus(bought.channelId)).status === want, {
        what: `channel ${bought.channelId} to be ${want}`,
        intervalMs: 1000,
        timeoutMs: 120_000,
      });
    await status('open');
    tally.channelSales++;
    await o.client.lnd.closeChannel(
      {
        channelPoint: { txid: parseHex32(bought.fundingTxid ?? ''), outputIndex: bought.outputIndex ?? 0 },
      },
      within(60_000),
    );
    await status('closed');
  };
}

/** Who pays JIT payments, and how much. */
export interface JitOptions {
  readonly h: Harness;
  /** Buys the JIT scids (on the wallets' behalf). */
  readonly tenant: LSPClient;
  readonly payer: LndNode;
  readonly amount: Msat;
  /** The LSP's forwarding fees (its config's), for the route hint to an open channel. */
  readonly routing: { readonly baseFee: Msat; readonly feeRatePpm: number };
}

/**
 * One JIT round of `wallet`: it buys a JIT scid and is paid over it (the LSP opens the channel),
 * is paid again over the channel now open, and closes it (cooperatively) until neither side
 * lists it any more.
 */
export function jitRound(o: JitOptions, wallet: JitWallet, tally: Tally): () => Promise<void> {
  const name = wallet.node.name;
  const pay = async (paymentRequest: string, what: string) => {
    const paid = await o.payer.lnd.sendPayment(
      { paymentRequest, feeLimit: msat(100_000), timeoutSeconds: 60, maxParts: 1 },
      within(90_000),
    );
    if (paid.status === 'succeeded') {
      tally.payments++;
      return;
    }
    const peers = await wallet.node.lnd.listPeers(within());
    const connected = peers.some((p) => p.pubkey === wallet.lsp.pubkey);
    const why =
      paid.status === 'failed'
        ? `${paid.reason} (${paid.attemptFailures.map((f) => `${f.code}@${f.sourceIndex}`).join(', ')})`
        : 'still in flight';
    throw new Error(`${what} ${why}; ${name} ${connected ? 'is' : 'is not'} connected to the LSP`);
  };
  return async () => {
    const first = await firstPayment(o.tenant, wallet, o.amount);
    await pay(first.paymentRequest, `${name}'s JIT payment`);
    tally.jitChannels++;
    const [channel] = await o.h.waitFor(
      async () => {
        const list = await wallet.node.lnd.listChannels(within());
        return list.length === 1 && list.every((c) => c.active && c.pendingHtlcs === 0) && list;
      },
      { what: `${name}'s JIT channel to settle` },
    );
    const again = await wallet.node.lnd.addInvoice(
      { amount: o.amount, routeHints: [[openChannelHint(wallet.lsp, channel, o.routing)]] },
      within(),
    );
    await pay(again.paymentRequest, `${name}'s payment over its open channel`);
    if (!channel) throw new Error('no channel');
    await o.h.waitFor(
      async () => (await wallet.node.lnd.listChannels(within())).every((c) => c.pendingHtlcs === 0),
      { what: `${name}'s second payment to settle` },
    );
    await wallet.node.lnd.closeChannel({ channelPoint: channel.channelPoint }, within(60_000));
    await o.h.waitFor(
      async () => {
        const [mine, lsps] = await Promise.all([
          wallet.node.lnd.pendingChannels(within()),
          wallet.lsp.lnd.pendingChannels(within()),
        ]);
        const point = `${channel.channelPoint.txid}:${channel.channelPoint.outputIndex}`;
        const listed = (l: typeof mine) =>
          l.some((c) => `${c.channelPoint.txid}:${c.channelPoint.outputIndex}` === point);
        return !listed(mine) && !listed(lsps);
      },
      { what: `${name}'s channel to close`, timeoutMs: 120_000 },
    );
  };
}
