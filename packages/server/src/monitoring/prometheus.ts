/**
 * `/metrics` for Prometheus: one prom-client registry per app (no global registry), holding the
 * process's default metrics (prefixed `lsp_`), the HTTP server's requests, this replica's jobs,
 * the operator's figures (`lsp_*`) and every node's series (lndmon's names with `node_id`).
 *
 * A scrape reads the database once (what the node monitor and the ledger stored) and calls no
 * node; scrapes that arrive while one is reading share its answer.
 */
import type { Database } from '@blgv/store';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { JobStatus } from '../jobs/job-runner.ts';
import { HttpMetrics } from './http-metrics.ts';
import { LspSeries } from './lsp-series.ts';
import { NodeSeries } from './node-series.ts';
import { ScrapeReader } from './scrape-data.ts';

/** What the exporter reads. */
export interface PrometheusDeps {
  readonly database: Database;
  /** This replica's job runner. */
  readonly jobs: { status(): JobStatus[] };
}

/** The metrics of one app. */
export class Prometheus {
  /** The registry every series of this app is in. */
  readonly registry = new Registry();
  /** The HTTP server's request series; see {@link HttpMetrics.install}. */
  readonly http: HttpMetrics;
  readonly #reader: ScrapeReader;
  readonly #nodes: NodeSeries;
  readonly #lsp: LspSeries;
  #scrape: Promise<string> | undefined;

  constructor(deps: PrometheusDeps) {
    collectDefaultMetrics({ register: this.registry, prefix: 'lsp_' });
    this.http = new HttpMetrics(this.registry);
    this.#nodes = new NodeSeries(this.registry);
    this.#lsp = new LspSeries(this.registry);
    this.#reader = new ScrapeReader(deps);
  }

  /** The exposition format's content type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every series in the text exposition format, the stored ones read now. */
  scrape(): Promise<string> {
    this.#scrape ??= this.#read().finally(() => {
      this.#scrape = undefined;
    });
    return this.#scrape;
  }

  async #read(): Promise<string> {
    const data = await this.#reader.read();
    this.#nodes.apply(data);
    this.#lsp.apply(data);
    return this.registry.metrics();
  }
}
