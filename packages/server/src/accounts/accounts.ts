/**
 * Tenant accounts: a balance in sats derived from an append-only ledger, topped up by paying
 * BOLT11 invoices the LSP issues and credited only once LND reports them settled.
 */
import { ErrorCode, type InvoicesPort, LspError, type Sat, sat, satToMsat } from '@blgv/core';
import {
  type Database,
  type LedgerEntry,
  LedgerRepository,
  NO_ACCOUNT,
  type Page,
  type PageRequest,
  type TenantAccount,
  type Topup,
} from '@blgv/store';
import type { Logger } from 'pino';
import { turnBatched } from '../turn-batched.ts';

/** Limits of top-ups. */
export interface TopupLimits {
  readonly minAmount: number;
  readonly maxAmount: number;
  readonly expirySeconds: number;
}

/** Accounts and top-ups. */
export class Accounts {
  readonly #database: Database;
  readonly #lightning: Pick<InvoicesPort, 'addInvoice'>;
  readonly #limits: TopupLimits;
  readonly #log: Logger;
  /** Account reads, one statement per turn of the event loop; no caching, every call reads fresh rows. */
  readonly #accounts = turnBatched<string, TenantAccount>(async (ids) => {
    const found = await new LedgerRepository(this.#database.db).accounts(ids);
    return ids.map((id) => found.get(id) ?? NO_ACCOUNT);
  });

  constructor(deps: {
    database: Database;
    lightning: Pick<InvoicesPort, 'addInvoice'>;
    limits: TopupLimits;
    log: Logger;
  }) {
    this.#database = deps.database;
    this.#lightning = deps.lightning;
    this.#limits = deps.limits;
    this.#log = deps.log;
  }

  /** What the tenant can spend: its balance less what it owes (negative while a debt is open). */
  balance(tenantId: string): Promise<Sat> {
    return new LedgerRepository(this.#database.db).balance(tenantId);
  }

  /**
   * The balance (the ledger's sum) and the debt (owed, not yet in the ledger), and since when.
   * Reads asked for in one turn of the event loop go to the database as one statement; each is
   * read after it was asked (nothing is cached).
   */
  account(tenantId: string): Promise<TenantAccount> {
    return this.#accounts.load(tenantId);
  }

  /** A page of the tenant's ledger entries, newest first. */
  ledger(tenantId: string, page: PageRequest): Promise<Page<LedgerEntry>> {
    return new LedgerRepository(this.#database.db).entries(tenantId, page);
  }

  /** Issues a top-up invoice; the balance is credited when it is paid. */
  async createTopup(tenantId: string, amount: Sat): Promise<Topup> {
    const { minAmount, maxAmount, expirySeconds } = this.#limits;
    if (amount < BigInt(minAmount) || amount > BigInt(maxAmount)) {
      throw new LspError(ErrorCode.InvalidInput, `amount must be between ${minAmount} and ${maxAmount} sat`, {
        field: 'amount',
      });
    }
    const invoice = await this.#lightning.addInvoice(
      { amount: satToMsat(amount), memo: `BLGV LSP account top-up (${amount} sat)`, expirySeconds },
      AbortSignal.timeout(15_000),
    );
    return new LedgerRepository(this.#database.db).createTopup({
      paymentHash: invoice.paymentHash,
      tenantId,
      amount,
      paymentRequest: invoice.paymentRequest,
      expiresAt: new Date(Date.now() + expirySeconds * 1000),
    });
  }

  /**
   * The `payment_required` error for a spendable balance (see {@link balance}) short of
   * `required`, with a top-up invoice for the difference, debt included, in its details: at
   * least the smallest top-up, and at most the largest (then the message says more is needed).
   */
  async paymentRequired(tenantId: string, balance: Sat, required: Sat, what: string): Promise<LspError> {
    const short = required - balance;
    const { minAmount, maxAmount } = this.#limits;
    const amount =
      short < BigInt(minAmount) ? BigInt(minAmount) : short > BigInt(maxAmount) ? BigInt(maxAmount) : short;
    const topup = await this.createTopup(tenantId, sat(amount));
    const account = await this.account(tenantId);
    const owed = account.debt > 0n ? `, less the ${account.debt} sat owed (paid first),` : '';
    const more =
      short > amount
        ? ` (a top-up is at most ${maxAmount} sat: ${short - amount} sat more are needed after it)`
        : '';
    return new LspError(
      ErrorCode.PaymentRequired,
      `the balance of ${account.debt > 0n ? account.balance : balance} sat${owed} does not cover ${what} of ${required} sat; pay the top-up invoice${more} and retry`,
      {
        balance: Number(account.debt > 0n ? account.balance : balance),
        ...(account.debt > 0n ? { debt: Number(account.debt) } : {}),
        required: Number(required),
        topup: {
          paymentRequest: topup.paymentRequest,
          paymentHash: topup.paymentHash,
          amount: Number(topup.amount),
        },
      },
    );
  }

  /** One tenant's top-up, or undefined. */
  async topup(tenantId: string, paymentHash: string): Promise<Topup | undefined> {
    const t = await new LedgerRepository(this.#database.db).getTopup(paymentHash);
    return t?.tenantId === tenantId ? t : undefined;
  }

  /**
   * Credits a settled top-up exactly once: the state change and the ledger entry commit
   * together. Returns false when there was nothing to credit.
   */
  async creditSettled(paymentHash: string, paidSat: Sat): Promise<boolean> {
    return this.#database.db.transaction().execute(async (trx) => {
      const ledger = new LedgerRepository(trx);
      const topup = await ledger.getTopup(paymentHash);
      if (!topup || !(await ledger.finishTopup(paymentHash, 'settled'))) return false;
      await ledger.append({
        tenantId: topup.tenantId,
        kind: 'topup',
        amount: paidSat,
        reference: paymentHash,
        description: 'account top-up',
      });
      this.#log.info({ tenant: topup.tenantId, amount: Number(paidSat), paymentHash }, 'top-up credited');
      return true;
    });
  }

  /** Marks an open top-up canceled (expired unpaid). */
  cancelTopup(paymentHash: string): Promise<boolean> {
    return new LedgerRepository(this.#database.db).finishTopup(paymentHash, 'canceled');
  }
}
