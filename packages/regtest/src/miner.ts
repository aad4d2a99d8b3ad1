/**
 * The harness's own wallet: a fixed regtest key that receives every block reward and pays
 * node wallets from matured coinbases, signed here in TypeScript.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { p2wpkh, Transaction } from '@scure/btc-signer';
import type { Btcd } from './btcd.ts';

/** Bitcoin regtest address parameters. */
export const REGTEST_NETWORK = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };

/** Blocks before a coinbase output may be spent. */
const COINBASE_MATURITY = 100;
/** Flat fee of a funding transaction: ample for regtest's relay policy. */
const FUNDING_FEE_SAT = 20_000n;

interface Coinbase {
  readonly height: number;
  readonly hash: string;
}

/** Mines blocks and pays regtest coins from the block rewards. */
export class Miner {
  readonly #key = sha256(new TextEncoder().encode('blgv-lsp regtest miner'));
  readonly #payment = p2wpkh(secp256k1.getPublicKey(this.#key, true), REGTEST_NETWORK);
  readonly #coinbases: Coinbase[] = [];
  #btcd: Btcd | undefined;
  /** The last `generate` in progress; the next waits for it. */
  #mining: Promise<unknown> = Promise.resolve();

  /** The address block rewards go to (btcd's `--miningaddr`). */
  get address(): string {
    const a = this.#payment.address;
    if (!a) throw new Error('miner has no address');
    return a;
  }

  attach(btcd: Btcd): void {
    this.#btcd = btcd;
  }

  get #rpc(): Btcd['rpc'] {
    if (!this.#btcd) throw new Error('miner is not attached to btcd');
    return this.#btcd.rpc;
  }

  /**
   * Mines `n` blocks, remembering their coinbases; returns the new height. Calls run one at a
   * time: btcd refuses a `generate` while another is running.
   */
  mine(n: number): Promise<number> {
    const run = this.#mining.then(async () => {
      const start = await this.#rpc<number>('getblockcount');
      const hashes = await this.#rpc<string[]>('generate', [n]);
      for (const [i, hash] of hashes.entries()) this.#coinbases.push({ height: start + 1 + i, hash });
      return start + hashes.length;
    });
    this.#mining = run.catch(() => undefined);
    return run;
  }

  /**
   * Pays `outputs` (address -> sats) in one transaction from matured coinbases and returns its
   * txid. The transaction is in the mempool; mine a block to confirm it.
   */
  async pay(outputs: ReadonlyMap<string, bigint>): Promise<string> {
    const height = await this.#rpc<number>('getblockcount');
    const total = [...outputs.values()].reduce((a, b) => a + b, 0n) + FUNDING_FEE_SAT;
    const tx = new Transaction();
    let inputs = 0n;
    while (inputs < total) {
      const cb = this.#coinbases[0];
      if (!cb || height + 1 - cb.height < COINBASE_MATURITY) {
        throw new Error(`miner has too few matured coinbases for ${total} sat; mine more blocks`);
      }
      this.#coinbases.shift();
      const block = await this.#rpc<{ tx: string[] }>('getblock', [cb.hash, 1]);
      const txid = block.tx[0];
      if (!txid) throw new Error(`block ${cb.hash} has no coinbase`);
      const raw = await this.#rpc<string>('getrawtransaction', [txid, 0]);
      const prev = Transaction.fromRaw(Buffer.from(raw, 'hex'), { allowUnknownOutputs: true });
      const out = prev.getOutput(0);
      if (out.amount === undefined || !out.script) throw new Error(`coinbase ${txid} has no output 0`);
      tx.addInput({ txid, index: 0, witnessUtxo: { script: out.script, amount: out.amount } });
      inputs += out.amount;
    }
    for (const [address, amount] of outputs) tx.addOutputAddress(address, amount, REGTEST_NETWORK);
    const change = inputs - total;
    if (change > 1_000n) tx.addOutputAddress(this.address, change, REGTEST_NETWORK);
    tx.sign(this.#key);
    tx.finalize();
    return this.#rpc<string>('sendrawtransaction', [tx.hex]);
  }
}
