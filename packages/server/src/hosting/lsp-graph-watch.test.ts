import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FIRST_GRAPH_CHECK_MS,
  GRAPH_CHECK_MS,
  type GraphRemedy,
  type GraphWatch,
  graphCheckDue,
  type LspInGraph,
  newGraphWatch,
  nextGraphStep,
  REGTEST_REANNOUNCE_MS,
} from './lsp-graph-watch.ts';

/** Announcements as often as the regtest default allows, the last one `at`. */
const regtest = (at: number | undefined) => ({ at, minIntervalMs: REGTEST_REANNOUNCE_MS });

/**
 * Runs the keeper's looks: `seen(at)` says what the graph holds; re-announcements happen at once,
 * at most every `minIntervalMs`.
 */
function run(
  seen: (at: number) => LspInGraph,
  untilMs: number,
  minIntervalMs = REGTEST_REANNOUNCE_MS,
): { at: number; remedy: GraphRemedy }[] {
  let watch: GraphWatch = newGraphWatch(0);
  let reannouncedAt: number | undefined;
  const steps: { at: number; remedy: GraphRemedy }[] = [];
  for (let now = 0; now <= untilMs; now += 500) {
    if (!graphCheckDue(watch, now)) continue;
    const step = nextGraphStep(watch, seen(now), now, { at: reannouncedAt, minIntervalMs });
    watch = step.watch;
    if (step.remedy === 'reannounce') reannouncedAt = now;
    steps.push({ at: now, remedy: step.remedy });
  }
  return steps;
}

test('a node that shows the LSP is looked at every 5 s until it does, then every 30 s', () => {
  const steps = run((at) => (at < 12_000 ? 'absent' : 'announced'), 80_000);
  assert.deepEqual(
    steps.map((s) => s.at),
    [5_000, 10_000, 15_000, 45_000, 75_000],
  );
  assert.deepEqual(
    steps.map((s) => s.remedy),
    ['wait', 'wait', 'none', 'none', 'none'],
  );
});

test("a node with the LSP's channels but not its announcement is sent it again first", () => {
  const steps = run((at) => (at < 6_000 ? 'unannounced' : 'announced'), 40_000);
  assert.deepEqual(steps.slice(0, 2), [
    { at: 5_000, remedy: 'reannounce' },
    { at: 10_000, remedy: 'none' },
  ]);
});

test('when announcing again does not help, the LSP connects again, at most once per 30 s, looking less often', () => {
  const steps = run(() => 'unannounced', 200_000);
  const reconnects = steps.filter((s) => s.remedy === 'reconnect').map((s) => s.at);
  assert.deepEqual(reconnects.slice(0, 4), [30_000, 60_000, 100_000, 160_000]);
  for (let i = 1; i < reconnects.length; i++) {
    assert.ok((reconnects[i] ?? 0) - (reconnects[i - 1] ?? 0) >= GRAPH_CHECK_MS);
  }
  // Every look in between announces again; the looks spread out to 30 s.
  assert.ok(steps.every((s) => s.remedy === 'reannounce' || s.remedy === 'reconnect'));
  const last = steps.slice(-2);
  assert.equal((last[1]?.at ?? 0) - (last[0]?.at ?? 0), GRAPH_CHECK_MS);
});

test('a node without the LSP at all is connected again each time 30 s have passed since the last connection', () => {
  const steps = run(() => 'absent', 65_000);
  assert.deepEqual(
    steps.filter((s) => s.remedy !== 'wait'),
    [
      { at: 30_000, remedy: 'reconnect' },
      { at: 60_000, remedy: 'reconnect' },
    ],
  );
  assert.equal(steps[0]?.at, FIRST_GRAPH_CHECK_MS);
});

test('an announcement sent for another node counts: this node is then connected again', () => {
  const watch = { ...newGraphWatch(0), checkedAt: 30_000, connectedAt: 0 };
  assert.equal(nextGraphStep(watch, 'unannounced', 35_000, regtest(32_000)).remedy, 'reconnect');
  assert.equal(nextGraphStep(watch, 'unannounced', 35_000, regtest(29_000)).remedy, 'reannounce');
});

test('a node that knew the LSP and lost it stays on the 30 s cadence', () => {
  const known = nextGraphStep(newGraphWatch(0), 'announced', 5_000, regtest(undefined)).watch;
  const lost = nextGraphStep(known, 'unannounced', 35_000, regtest(undefined));
  assert.equal(lost.remedy, 'reannounce');
  assert.equal(lost.watch.delayMs, GRAPH_CHECK_MS);
});

test('on a public network the LSP announces itself at most every 10 min, and connects again in between', () => {
  const tenMinutes = 600_000;
  const steps = run(() => 'unannounced', 1_300_000, tenMinutes);
  const announced = steps.filter((s) => s.remedy === 'reannounce').map((s) => s.at);
  assert.equal(announced.length, 3, `announced at ${announced.join(', ')}`);
  assert.equal(announced[0], FIRST_GRAPH_CHECK_MS, 'the first look announces');
  for (let i = 1; i < announced.length; i++) {
    const gap = (announced[i] ?? 0) - (announced[i - 1] ?? 0);
    assert.ok(gap >= tenMinutes && gap < tenMinutes + GRAPH_CHECK_MS, `then every 10 min (${gap} ms)`);
  }
  const reconnects = steps.filter((s) => s.remedy === 'reconnect').map((s) => s.at);
  assert.ok(reconnects.length > 10, 'the node is connected again meanwhile');
  for (let i = 1; i < reconnects.length; i++) {
    assert.ok((reconnects[i] ?? 0) - (reconnects[i - 1] ?? 0) >= GRAPH_CHECK_MS);
  }
  // Between two announcements a look that may not connect again waits.
  const watch = { ...newGraphWatch(0), checkedAt: 40_000, connectedAt: 30_000 };
  assert.equal(
    nextGraphStep(watch, 'unannounced', 45_000, { at: 5_000, minIntervalMs: tenMinutes }).remedy,
    'wait',
  );
});
