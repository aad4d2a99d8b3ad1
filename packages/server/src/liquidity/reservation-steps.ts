/**
 * A reservation's steps (use, restore, release) through the one machine driver, written with
 * what is used of it. Call it inside the transaction that locked the reservation's row.
 */
import { type ReservationEvent, type ReservationSnapshot, reservationMachine } from '@blgv/core';
import {
  type Database,
  type Kysely,
  type Reservation,
  ReservationsRepository,
  type Schema,
} from '@blgv/store';
import type { Logger } from 'pino';
import { applyStep } from '../machines/apply-step.ts';

/** Applies `event` to reservation `r`; the step, or undefined when it did not apply. */
export function moveReservation(
  db: Kysely<Schema>,
  r: ReservationSnapshot & { readonly id: string },
  event: ReservationEvent,
  log: Logger,
) {
  return applyStep(reservationMachine, r, event, r, {
    db,
    log,
    quiet: true,
    persist: (step, db) =>
      new ReservationsRepository(db).transition(r.id, r.state, { state: step.state, used: step.used }),
    effects: {},
  });
}

/**
 * Expires every live reservation whose time is up, each through the machine under its row lock
 * (a payment taking from it meanwhile is neither lost nor overwritten); returns them.
 */
export async function expireDueReservations(database: Database, log: Logger): Promise<Reservation[]> {
  const expired: Reservation[] = [];
  for (const due of await new ReservationsRepository(database.db).due()) {
    const r = await database.db.transaction().execute(async (trx) => {
      const r = await new ReservationsRepository(trx).get(due.id, { lock: true });
      if (!r || (r.state !== 'active' && r.state !== 'exhausted')) return undefined;
      const step = await moveReservation(trx, r, { type: 'expire' }, log);
      return step ? { ...r, state: step.state, used: step.used } : undefined;
    });
    if (r) expired.push(r);
  }
  return expired;
}
