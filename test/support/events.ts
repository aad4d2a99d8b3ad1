/**
 * Reading a subject's transitions back through `GET /v1/events`, as an integrator would.
 */
import assert from 'node:assert/strict';
import type { LSPClient } from '@blgv/lsp-client';
import type { EventResponse } from '@blgv/protocol';

/** Every event of one subject (or of every subject of a kind), oldest first, paging through the log. */
export async function eventsOf(
  client: LSPClient,
  subjectKind: string,
  subjectId?: string,
): Promise<EventResponse[]> {
  const seen: EventResponse[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await client.listEvents({
      subjectKind,
      limit: 100,
      ...(subjectId ? { subjectId } : {}),
      ...(after ? { after } : {}),
    });
    seen.push(...page.events);
    if (page.events.length < 100) return seen;
    after = page.next;
  }
}

/** The states a subject (or every subject of a kind) went through, oldest first. */
export async function statesOf(
  client: LSPClient,
  subjectKind: string,
  subjectId?: string,
): Promise<string[]> {
  return (await eventsOf(client, subjectKind, subjectId)).map((e) => e.state);
}

/**
 * Checks that a subject's events are one per transition (no state repeated back to back) and
 * end in the state the API shows now: no state exists without its event. An event is listed
 * once the log's sequencer has given it its position (a moment after its transaction
 * committed), so the last one is waited for, against a deadline.
 */
export async function assertEventsEndIn(
  client: LSPClient,
  subjectKind: string,
  subjectId: string,
  current: string,
): Promise<string[]> {
  let states = await statesOf(client, subjectKind, subjectId);
  for (const deadline = Date.now() + 15_000; states.at(-1) !== current && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 200)); // polling the log against the deadline
    states = await statesOf(client, subjectKind, subjectId);
  }
  assert.ok(states.length > 0, `${subjectKind} ${subjectId} has events`);
  for (const [i, s] of states.entries())
    assert.notEqual(s, states[i - 1], `one event per transition: ${states.join(' -> ')}`);

  assert.equal(states.at(-1), current, `the last event is the current state: ${states.join(' -> ')}`);
  return states;
}
