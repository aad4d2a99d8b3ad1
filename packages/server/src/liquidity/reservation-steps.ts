/**
 * A reservation's steps (use, restore, release) through the one machine driver, written with
 * what is used of it. Call it inside the transaction that locked the reservation's row.
 */
import { type ReservationEvent, type ReservationSnapshot, reservationMachine } from '@blgv/core';
import { type Kysely, ReservationsRepository, type Schema } from '@blgv/store';
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
