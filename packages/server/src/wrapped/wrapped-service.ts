/**
 * Wrapped invoices, the requests: the LSP's node and addresses (`info`), a fee for wrapping an
 * invoice of an amount for a wallet (`fee`, stored as a quote), and the wrapping itself
 * (`propose`): the wallet's invoice checked and decoded, then a hold invoice of the LSP's for the
 * same payment hash, asking the wallet's amount plus the quoted fee. What happens once it is paid
 * is the {@link WrappedRunner}'s.
 *
 * Order of checks (validation, then limits, then work): the request's shape and the invoice
 * itself (network, amount, expiry, CLTV, the quote it names) first, each refusal a 400 naming
 * what is wrong; then the wallet's caps (open proposals, channels it never settled; 429/403);
 * only then is anything created.
 */
import { randomUUID } from 'node:crypto';
import {
  BOLT11_NETWORK_PREFIXES,
  bolt11Prefix,
  boundedFeeRate,
  ErrorCode,
  type FeeSchedule,
  type Hex32,
  type InvoicesPort,
  isLspError,
  jitMinFee,
  LspError,
  type Msat,
  type NodePort,
  openingFee,
  type PaymentsPort,
  type PeersPort,
  parsePubkey,
  type WalletPort,
  wrapTerms,
} from '@blgv/core';
import {
  type Database,
  isUniqueViolation,
  type WrappedFeeQuote,
  type WrappedInvoiceRecord,
  WrappedInvoicesRepository,
} from '@blgv/store';
import type { Logger } from 'pino';

/** The Lightning calls the requests make. */
export type WrappedServiceLightning = Pick<
  InvoicesPort,
  'addHoldInvoice' | 'cancelInvoice' | 'lookupInvoice'
> &
  Pick<PaymentsPort, 'decodePaymentRequest'> &
  Pick<NodePort, 'getInfo'> &
  Pick<PeersPort, 'connectPeer'> &
  Pick<WalletPort, 'estimateFee'>;

/** The settings the requests read (config `wrapped`, with `channels` fee-rate bounds). */
export interface WrappedLimits {
  readonly feeQuoteSeconds: number;
  readonly minPaymentSizeMsat: number;
  readonly maxPaymentSizeMsat: number;
  readonly minExpirySeconds: number;
  readonly expiryMarginSeconds: number;
  readonly cltvExpiryDelta: number;
  readonly maxWalletCltv: number;
  readonly maxOpenPerWallet: number;
  readonly maxOpen: number;
  readonly maxUnsettledPerWallet: number;
  /** Channels a wallet never settled count against it this many days. */
  readonly unsettledForgetDays: number;
  readonly minFeeRate: number;
  readonly maxFeeRate: number;
  /** `host:port` addresses of the LSP's node to announce (else LND's own `uris`). */
  readonly nodeAddresses?: readonly string[];
}

/** Where the LSP's node is. */
export interface WrappedInfo {
  readonly pubkey: string;
  readonly connectionMethods: readonly { type: 'ipv4' | 'ipv6' | 'torv3'; address: string; port: number }[];
}

const CALL_MS = 15_000;
const bad = (message: string) => new LspError(ErrorCode.InvalidInput, message);

/** Serves the wrapped-invoice requests. */
export class WrappedService {
  readonly #database: Database;
  readonly #lightning: WrappedServiceLightning;
  readonly #schedule: FeeSchedule;
  readonly #limits: WrappedLimits;
  readonly #log: Logger;
  /** Told of each new wrapped invoice (the runner starts watching it at once). */
  readonly #created: (w: WrappedInvoiceRecord) => void;

  constructor(deps: {
    database: Database;
    lightning: WrappedServiceLightning;
    schedule: FeeSchedule;
    limits: WrappedLimits;
    log: Logger;
    created?: (w: WrappedInvoiceRecord) => void;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#schedule = deps.schedule;
    this.#limits = deps.limits;
    this.#log = deps.log;
    this.#created = deps.created ?? (() => {});
  }

  /** The LSP's node and the addresses to reach it. */
  async info(): Promise<WrappedInfo> {
    const node = await this.#lightning.getInfo(AbortSignal.timeout(CALL_MS));
    const addresses = this.#limits.nodeAddresses ?? node.uris.map((u) => u.slice(u.indexOf('@') + 1));
    return { pubkey: node.pubkey, connectionMethods: addresses.flatMap(connectionMethod) };
  }

  /**
   * The fee for wrapping an invoice of `amount` for `walletPubkey`: the LSPS2 opening fee of the
   * same schedule (the channel's base and capacity fee, never below its network fee at the
   * node's current estimate), held for `feeQuoteSeconds`.
   */
  async fee(
    tenantId: string | null,
    request: { amount: Msat; walletPubkey: string },
  ): Promise<WrappedFeeQuote> {
    const l = this.#limits;
    const wallet = parseWallet(request.walletPubkey);
    if (request.amount < BigInt(l.minPaymentSizeMsat) || request.amount > BigInt(l.maxPaymentSizeMsat))
      throw bad(
        `amount_msat ${request.amount} is outside what the LSP wraps: ${l.minPaymentSizeMsat} to ${l.maxPaymentSizeMsat} msat`,
      );
    const estimate = await this.#lightning.estimateFee(6, AbortSignal.timeout(CALL_MS));
    const feeRate = boundedFeeRate(estimate.satPerVbyte, l);
    const fee = openingFee(
      {
        minFeeMsat: jitMinFee(this.#schedule, feeRate),
        proportional: this.#schedule.channelOpening.capacityFeePpm,
      },
      request.amount,
    );
    if (fee === undefined) throw bad(`amount_msat ${request.amount} is too large`);
    return new WrappedInvoicesRepository(this.#database.db).insertQuote({
      id: randomUUID(),
      tenantId,
      walletPubkey: wallet,
      amount: request.amount,
      fee,
      feeRate,
      expiresAt: new Date(Date.now() + l.feeQuoteSeconds * 1000),
    });
  }

  /**
   * Wraps the wallet's `invoice` under the quote `feeId`: the wrapped invoice (a hold invoice of
   * the LSP's, same payment hash) is returned and watched. `walletAddress` (host:port), when
   * given, is connected to first so the channel can be opened at once.
   */
  async propose(
    tenantId: string | null,
    request: { invoice: string; feeId: string; walletAddress?: string },
  ): Promise<WrappedInvoiceRecord> {
    const repo = new WrappedInvoicesRepository(this.#database.db);
    const invoice = request.invoice.trim().replace(/^lightning:/i, '');
    const prefix = bolt11Prefix(invoice);
    if (!prefix || !Object.values(BOLT11_NETWORK_PREFIXES).includes(prefix as never))
      throw bad('bolt11 is not a BOLT11 invoice');
    const decoded = await this.#lightning
      .decodePaymentRequest(invoice, AbortSignal.timeout(CALL_MS))
      .catch((err: unknown) => {
        if (isLspError(err, ErrorCode.InvalidInput) && /network/i.test(err.message))
          throw bad(`bolt11 is an invoice for another network (ln${prefix}); this LSP's node is on another`);
        throw err;
      });
    const quote = await repo.quote(request.feeId);
    if (!quote || (quote.tenantId ?? null) !== tenantId)
      throw bad(`fee_id ${request.feeId} is not a fee this LSP quoted`);
    const decision = wrapTerms(decoded, quote, this.#limits, new Date());
    if (!decision.ok) throw bad(`bolt11 cannot be wrapped: ${decision.message}`);
    const hash = decoded.paymentHash;
    if (await repo.byHash(hash)) throw conflict(hash);
    await this.#checkWallet(repo, quote.walletPubkey);
    if (await this.#lspHasInvoice(hash)) throw conflict(hash);
    if (request.walletAddress) void this.#connect(quote.walletPubkey, request.walletAddress);

    const t = decision.terms;
    const hold = await this.#lightning.addHoldInvoice(
      {
        paymentHash: hash,
        amount: t.amount,
        memo: decoded.description,
        expirySeconds: t.expirySeconds,
        cltvExpiry: t.cltvExpiry,
      },
      AbortSignal.timeout(CALL_MS),
    );
    try {
      const record = await repo.insert({
        id: randomUUID(),
        feeId: quote.id,
        tenantId,
        walletPubkey: quote.walletPubkey,
        paymentHash: hash,
        walletInvoice: invoice,
        walletAmount: decoded.amount,
        walletCltv: decoded.cltvExpiry,
        fee: t.fee,
        wrappedInvoice: hold.paymentRequest,
        wrappedCltv: t.cltvExpiry,
        expiresAt: t.expiresAt,
      });
      this.#log.info(
        {
          wrapped: record.id,
          wallet: record.walletPubkey,
          amountMsat: String(record.walletAmount),
          feeMsat: String(t.fee),
        },
        'invoice wrapped',
      );
      this.#created(record);
      return record;
    } catch (err) {
      // Not recorded: the hold invoice is cancelled, so nothing can pay it.
      await this.#lightning.cancelInvoice(hash, AbortSignal.timeout(CALL_MS)).catch(() => {});
      if (isUniqueViolation(err)) throw conflict(hash);
      throw err;
    }
  }

  /** A wrapped invoice by id, as its tenant sees it (undefined: not there, or not theirs). */
  async get(tenantId: string, id: string): Promise<WrappedInvoiceRecord | undefined> {
    const w = await new WrappedInvoicesRepository(this.#database.db).get(id);
    return w && w.tenantId === tenantId ? w : undefined;
  }

  /** Refuses a wallet at its caps (channels it never settled, open proposals) and the LSP at its own. */
  async #checkWallet(repo: WrappedInvoicesRepository, wallet: string): Promise<void> {
    const l = this.#limits;
    const unsettled = await repo.countUnsettledChannels(wallet, l.unsettledForgetDays);
    if (unsettled >= l.maxUnsettledPerWallet)
      throw new LspError(
        ErrorCode.Forbidden,
        `the wallet was opened ${unsettled} channels it never settled a payment on; the LSP wraps no more for it`,
      );
    const [open, all] = await Promise.all([repo.countOpen(wallet), repo.countOpen()]);
    if (all >= l.maxOpen)
      throw new LspError(
        ErrorCode.RateLimited,
        'the LSP holds as many wrapped invoices waiting as it takes now; try again later',
      );
    if (open >= l.maxOpenPerWallet)
      throw new LspError(
        ErrorCode.TenantLimitExceeded,
        `the wallet has ${open} wrapped invoices waiting, the most allowed; let one be paid or expire first`,
      );
  }

  /** True when the LSP's node already has an invoice for this hash (ours, or another's). */
  async #lspHasInvoice(hash: Hex32): Promise<boolean> {
    try {
      await this.#lightning.lookupInvoice(hash, AbortSignal.timeout(CALL_MS));
      return true;
    } catch (err) {
      if (isLspError(err, ErrorCode.NotFound) || /unable to locate|not found/i.test(String(err)))
        return false;
      throw err;
    }
  }

  async #connect(wallet: string, address: string): Promise<void> {
    try {
      await this.#lightning.connectPeer(parsePubkey(wallet), address, AbortSignal.timeout(CALL_MS));
    } catch (err) {
      if (!/already connected/i.test(String(err)))
        this.#log.info(
          { wallet, address, err: String(err) },
          'could not connect to the wallet (it may connect itself)',
        );
    }
  }
}

function parseWallet(pubkey: string): string {
  try {
    return parsePubkey(pubkey);
  } catch {
    throw bad('pubkey must be a node public key, 33 bytes hex');
  }
}

function conflict(hash: string): LspError {
  return new LspError(ErrorCode.Conflict, `payment hash ${hash} is already in use at this LSP`);
}

/** A `host:port` as a Flow 2.0 connection method (nothing for one that is not an address). */
function connectionMethod(hostPort: string): WrappedInfo['connectionMethods'] {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]+)):(\d{1,5})$/.exec(hostPort);
  if (!m) return [];
  const port = Number(m[3]);
  if (m[1]) return [{ type: 'ipv6', address: m[1], port }];
  const host = m[2] as string;
  return [{ type: host.endsWith('.onion') ? 'torv3' : 'ipv4', address: host, port }];
}
