/**
 * Building the page from data, as text only: every value goes in through text nodes or
 * attributes, never as markup, so nothing the API returns can become script.
 */

/** What an element may contain: nodes, text, or nothing. */
export type Child = Node | string | null | undefined | false;

/** An element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Readonly<Record<string, string | undefined>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) node.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** A column of a {@link dataTable}. */
export interface Column<R> {
  readonly label: string;
  readonly cell: (row: R) => Child;
  /** `data-testid` of the column's cells. */
  readonly testid?: string;
  /** Numbers align right. */
  readonly numeric?: boolean;
}

/**
 * A table of `rows` (`empty` when there are none). Each cell carries its column's label, so on a
 * phone a row shows as a card of label/value lines instead of a wide table.
 */
export function dataTable<R>(
  testid: string,
  caption: string,
  columns: readonly Column<R>[],
  rows: readonly R[],
  rowTestid: (row: R) => string | undefined = () => undefined,
  empty = 'None yet.',
): HTMLElement {
  if (rows.length === 0) return el('p', { class: 'empty', 'data-testid': testid }, empty);
  return el(
    'table',
    { class: 'data', 'data-testid': testid },
    el('caption', { class: 'visually-hidden' }, caption),
    el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { scope: 'col' }, c.label)))),
    el(
      'tbody',
      {},
      ...rows.map((row) =>
        el(
          'tr',
          { 'data-testid': rowTestid(row) },
          ...columns.map((c) =>
            el(
              'td',
              { 'data-label': c.label, 'data-testid': c.testid, class: c.numeric ? 'num' : undefined },
              c.cell(row),
            ),
          ),
        ),
      ),
    ),
  );
}

/** A figure: a label and its value (`testid` on the value). */
export function stat(label: string, value: string, testid: string, detail?: string): HTMLElement {
  return el(
    'div',
    { class: 'stat' },
    el('div', { class: 'stat-label' }, label),
    el('div', { class: 'stat-value', 'data-testid': testid }, value),
    detail ? el('div', { class: 'stat-detail' }, detail) : null,
  );
}

/** A section of the page with a heading. */
export function section(title: string, testid: string, ...children: Child[]): HTMLElement {
  return el('section', { class: 'panel', 'data-testid': testid }, el('h2', {}, title), ...children);
}

/** Text that breaks anywhere (ids, pubkeys, hashes), shortened with the whole in its title. */
export function ident(value: string, keep = 16): HTMLElement {
  const short = value.length > keep + 2 ? `${value.slice(0, keep)}…` : value;
  return el('code', { class: 'ident', title: value }, short);
}

/** A local date and time of an ISO timestamp. */
export function when(iso: string): HTMLElement {
  const at = new Date(iso);
  return el(
    'time',
    { datetime: iso },
    at.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }),
  );
}
