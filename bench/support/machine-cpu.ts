/**
 * How busy the whole machine's CPUs were over a stretch of a run, from the first line of
 * `/proc/stat` (Linux): the share of CPU time not idle (nor waiting on I/O) between two readings.
 * A benchmark prints it beside a latency measured while several processes (LND nodes, Postgres,
 * the server) share the cores, so a reader can tell a figure bound by the machine from one bound
 * by the code.
 */
import { readFileSync } from 'node:fs';

/** The machine's CPU time so far (clock ticks): all of it, and the idle part. */
export interface CpuReading {
  readonly total: number;
  readonly idle: number;
}

/** Reads the machine's CPU time now. */
export function readMachineCpu(): CpuReading {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is counted in user already)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks;
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait };
}

/** The share (percent) of the machine's CPU time that was busy between `from` and `to`. */
export function busyPct(from: CpuReading, to: CpuReading): number {
  const total = to.total - from.total;
  return total <= 0 ? Number.NaN : (100 * (total - (to.idle - from.idle))) / total;
}

/** Clock ticks per second of `/proc` times (`getconf CLK_TCK`: 100 on Linux's common builds). */
const TICKS_PER_SECOND = 100;

/**
 * The CPU time (user and system, ms) a process has used so far, from `/proc/<pid>/stat`; 0 when
 * it is gone. Read before and after a stretch of a run to tell which process the machine's
 * busy time went to.
 */
export function readProcessCpuMs(pid: number): number {
  try {
    // `pid (comm) S ...`: the fields after the last `)`; utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The machine's CPU time (ms, all cores) between two readings. */
export function machineCpuMs(from: CpuReading, to: CpuReading): number {
  return ((to.total - to.idle - (from.total - from.idle)) * 1000) / TICKS_PER_SECOND;
}
