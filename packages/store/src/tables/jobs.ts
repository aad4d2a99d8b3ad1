/**
 * The tables of background jobs: where each job's stream resumes, and which replica runs it.
 */
import type { ColumnType, Generated } from 'kysely';

/** `job_cursors`: where a job's stream resumes (0007). */
export interface JobCursorsTable {
  name: string;
  value: bigint;
  updated_at: Generated<Date>;
}

/** `job_leases`. */
export interface JobLeasesTable {
  name: string;
  holder: string;
  acquired_at: ColumnType<Date, never, never>;
  expires_at: Date;
  /** The fencing token of this holding (0028): drawn anew at every taking, kept by renewals. */
  token: Generated<bigint>;
}
