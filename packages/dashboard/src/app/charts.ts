/**
 * Charts, drawn by Chart.js. Each chart sits in a panel with its figures as text beside it (for
 * screen readers, for reading on a phone, and for the browser test), and its canvas is labelled
 * with a one-line summary.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { type Child, el } from './dom.ts';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);
// Reachable from the console and from tools: `Chart.getChart(canvas).data` is what was drawn.
Object.assign(globalThis, { Chart });

/** Colours of the series, in order (readable on the light background, distinct in greyscale). */
export const PALETTE = ['#f7931a', '#2f6fb3', '#3a9a5b', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d'];

const reducedMotion = () => globalThis.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;

/** A chart panel not yet drawn: `draw` runs once its canvas is in the page. */
export interface ChartPanel {
  readonly element: HTMLElement;
  draw(): Chart;
}

/**
 * A panel with a chart: `testid` names the panel (`<testid>`) and its canvas (`<testid>-canvas`);
 * `figures` are the same numbers as text.
 */
export function chartPanel(options: {
  readonly title: string;
  readonly testid: string;
  readonly summary: string;
  readonly config: ChartConfiguration;
  readonly figures: Child;
  readonly tall?: boolean;
}): ChartPanel {
  const canvas = el('canvas', {
    role: 'img',
    'aria-label': `${options.title}: ${options.summary}`,
    'data-testid': `${options.testid}-canvas`,
  });
  const element = el(
    'section',
    { class: 'panel chart-panel', 'data-testid': options.testid },
    el('h2', {}, options.title),
    el('p', { class: 'summary', 'data-testid': `${options.testid}-summary` }, options.summary),
    el('div', { class: options.tall ? 'chart tall' : 'chart' }, canvas),
    el('div', { class: 'figures' }, options.figures),
  );
  const config = options.config;
  config.options = {
    responsive: true,
    maintainAspectRatio: false,
    ...(reducedMotion() ? { animation: false } : {}),
    ...config.options,
  };
  return { element, draw: () => new Chart(canvas, config) };
}

/** Draws the panels' charts (after they are in the page) and returns them, to destroy later. */
export function drawAll(panels: readonly ChartPanel[]): Chart[] {
  return panels.map((p) => p.draw());
}
