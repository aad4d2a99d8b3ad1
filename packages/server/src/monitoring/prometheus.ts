import { collectDefaultMetrics, Registry } from 'prom-client';
import { HttpMetrics } from './http-metrics.ts';
import { LspSeries } from './lsp-series.ts';
import { NodeSeries } from './node-series.ts';
import { type ScrapeDeps, ScrapeReader } from './scrape-data.ts';

/** What the exporter reads: the database, this replica's job runner and funder. */
export type PrometheusDeps = ScrapeDeps;

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
