/**
 * The dashboard page: sign in with an API key, then the operator's or the tenant's view over a
 * window (24h, 7d, 30d, 1y). Whatever fails shows as a message on the page, never as a blank one.
 */
import type { MetricsWindow } from '@blgv/core';
import type { Chart } from 'chart.js';
import { type ChartPanel, drawAll } from './charts.ts';
import { el } from './dom.ts';
import { loadOperator, operatorView } from './operator-view.ts';
import {
  type Credentials,
  describeError,
  forget,
  keep,
  type Session,
  signIn,
  storedCredentials,
} from './session.ts';
import { loadTenant, tenantView } from './tenant-view.ts';

const WINDOW_NAMES: Record<MetricsWindow, string> = {
  '24h': 'Day',
  '7d': 'Week',
  '30d': 'Month',
  '1y': 'Year',
};
const WINDOWS = Object.keys(WINDOW_NAMES) as MetricsWindow[];

const root = document.getElementById('app') ?? document.body;
let charts: Chart[] = [];
/** Which load is the latest: an older one that ends later is not shown. */
let generation = 0;

function clearCharts(): void {
  for (const c of charts) c.destroy();
  charts = [];
}

/** An error message the user can read (`testid` lets tools find it). */
function errorBox(message: string, testid = 'error'): HTMLElement {
  return el('div', { class: 'error', role: 'alert', 'data-testid': testid }, message);
}

function showSignIn(message?: string, keyId = ''): void {
  clearCharts();
  const keyInput = el('input', {
    id: 'key-id',
    name: 'keyId',
    autocomplete: 'username',
    required: '',
    spellcheck: 'false',
    value: keyId,
    'data-testid': 'key-id',
  });
  const secretInput = el('input', {
    id: 'secret',
    name: 'secret',
    type: 'password',
    autocomplete: 'current-password',
    required: '',
    'data-testid': 'secret',
  });
  const button = el('button', { type: 'submit', 'data-testid': 'sign-in' }, 'Sign in');
  const status = el(
    'div',
    { class: 'status', 'aria-live': 'polite' },
    message ? errorBox(message, 'signin-error') : null,
  );
  const form = el(
    'form',
    { class: 'panel signin', 'data-testid': 'signin-form' },
    el('h2', {}, 'Sign in'),
    el(
      'p',
      { class: 'hint' },
      'Use an API key: an admin key opens the operator view, a tenant key its own. The secret stays in this tab and signs each request here; it is never sent.',
    ),
    el('label', { for: 'key-id' }, 'Key id'),
    keyInput,
    el('label', { for: 'secret' }, 'Secret'),
    secretInput,
    button,
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const credentials = { keyId: keyInput.value.trim(), secret: secretInput.value.trim() };
    button.disabled = true;
    status.replaceChildren(el('p', { class: 'loading' }, 'Signing in…'));
    void trySignIn(credentials).finally(() => {
      button.disabled = false;
    });
  });
  root.replaceChildren(header(), el('main', {}, form));
  keyInput.focus();
}

async function trySignIn(credentials: Credentials): Promise<void> {
  let session: Session;
  try {
    session = await signIn(credentials);
  } catch (err) {
    forget();
    showSignIn(`Sign-in failed: ${describeError(err)}`, credentials.keyId);
    return;
  }
  keep(credentials);
  await showDashboard(session, '30d');
}

function header(session?: Session, controls?: HTMLElement): HTMLElement {
  return el(
    'header',
    { class: 'top' },
    el('h1', {}, 'BLGV LSP'),
    session
      ? el(
          'div',
          { class: 'who' },
          el(
            'span',
            { class: 'role', 'data-testid': 'role' },
            session.role === 'operator' ? 'Operator' : 'Tenant',
          ),
          el('code', { class: 'ident', title: session.tenantId }, session.credentials.keyId),
        )
      : null,
    controls ?? null,
  );
}

async function showDashboard(session: Session, window: MetricsWindow): Promise<void> {
  const mine = ++generation;
  const content = el(
    'main',
    { 'aria-busy': 'true' },
    el('p', { class: 'loading', 'data-testid': 'loading' }, 'Loading…'),
  );
  const windowButtons = WINDOWS.map((w) => {
    const b = el(
      'button',
      { type: 'button', 'aria-pressed': String(w === window), 'data-testid': `window-${w}`, title: w },
      WINDOW_NAMES[w],
    );
    b.addEventListener('click', () => void showDashboard(session, w));
    return b;
  });
  const refresh = el('button', { type: 'button', 'data-testid': 'refresh' }, 'Refresh');
  refresh.addEventListener('click', () => void showDashboard(session, window));
  const signOut = el('button', { type: 'button', 'data-testid': 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => {
    generation++;
    forget();
    showSignIn();
  });
  const controls = el(
    'nav',
    { class: 'controls', 'aria-label': 'Window and session' },
    el('div', { class: 'windows', role: 'group', 'aria-label': 'Window' }, ...windowButtons),
    refresh,
    signOut,
  );
  clearCharts();
  root.replaceChildren(header(session, controls), content);

  let view: { element: HTMLElement; panels: ChartPanel[] };
  try {
    const now = new Date();
    view =
      session.role === 'operator'
        ? operatorView(await loadOperator(session.client, window), window, now)
        : tenantView(await loadTenant(session.client, window), window, now);
  } catch (err) {
    if (mine !== generation) return;
    content.setAttribute('aria-busy', 'false');
    content.replaceChildren(errorBox(`Could not load the figures: ${describeError(err)}`));
    return;
  }
  if (mine !== generation) return;
  clearCharts();
  content.replaceChildren(
    el('p', { class: 'window-note', 'data-testid': 'window' }, `Last ${window} (days in UTC)`),
    view.element,
  );
  charts = drawAll(view.panels);
  content.setAttribute('aria-busy', 'false');
  content.setAttribute('data-ready', 'true');
}

// Nothing thrown leaves the page blank: it is shown above whatever is there.
function showUnexpected(err: unknown): void {
  root.prepend(errorBox(`Something went wrong: ${describeError(err)}`, 'unexpected-error'));
}
globalThis.addEventListener('error', (e) => showUnexpected(e.error ?? e.message));
globalThis.addEventListener('unhandledrejection', (e) => showUnexpected(e.reason));

const stored = storedCredentials();
if (stored) void trySignIn(stored);
else showSignIn();
