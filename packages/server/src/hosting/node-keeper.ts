/**
 * The keeper of hosted nodes (one job, under its lease): on every tick it looks at each node
 * that should run, restarts a dead one (with backoff per node) and unlocks a locked one,
 * records whether it was up, i.e. answered synced to chain and graph (the uptime intervals
 * monitoring reads; `node-health.ts`), keeps each running (or
 * deleting) node's latest static channel backup, registers the watchtower with each
 * (`node-watchtower.ts`), keeps autopilot nodes peers of the LSP, takes
 * each deletion one step further (closes, sweeps, removal: `NodeDeletions`), finishes creations
 * whose creator died, and stops nodes that should not run.
 *
 * A step of a node's machine starts, stops or removes the node itself (its effects:
 * `node-steps.ts`); the keeper reconciles the processes with the states through the same
 * methods, so it finishes what a restart cut short and restarts what died.
 */
import { checkGapMs, shouldRun } from '@blgv/core';
import type { HostedNodeRecord as StoredNode } from '@blgv/store';
import type { Logger } from 'pino';
import { every } from '../jobs/job-runner.ts';
import type { HostingService } from './hosting-service.ts';
import { readNodeHealth, SyncBlips } from './node-health.ts';

/** The most a dead node waits between restart attempts. */
const MAX_RESTART_BACKOFF_MS = 5 * 60_000;

/** Runs the keeper every `intervalMs` until `signal` aborts. */
export async function keepNodes(
  deps: { hosting: HostingService; intervalMs: number; log: Logger },
  signal: AbortSignal,
): Promise<void> {
  const { hosting, log } = deps;
  const gapMs = checkGapMs(deps.intervalMs);
  const backoff = new Map<string, { until: number; delayMs: number }>();
  const backups = new Map<string, AbortController>();
  const blips = new SyncBlips();
  /** Creations cut short being finished: in the background, so the other nodes are kept meanwhile. */
  const resuming = new Set<Promise<void>>();
  const tick = async () => {
    if (resuming.size === 0) {
      const resume: Promise<void> = hosting
        .resumeAbandonedCreations()
        .catch((err: unknown) => log.warn({ err }, 'finishing abandoned creations failed'))
        .finally(() => resuming.delete(resume));
      resuming.add(resume);
    }
    const nodes = await hosting.repo.live();
    // Backoffs of nodes no longer live (deleted) go, so the map holds only nodes that exist.
    const live = new Set(nodes.map((n) => n.id));
    for (const id of backoff.keys()) if (!live.has(id)) backoff.delete(id);
    blips.keepOnly(live);
    const lspPeers = await hosting.lspPreference.lspPeers().catch(() => undefined);
    const running = new Set<string>();
    await Promise.all(
      nodes.map(async (node) => {
        try {
          if (shouldRun(node.state)) {
            running.add(node.id);
            // A suspended node is kept up to guard its coins, not served: no autopilot steering.
            if (await keepRunning(node)) {
              await hosting.watchtower.guard(node, signal);
              if (lspPeers && node.state === 'running') await hosting.lspPreference.keep(node, lspPeers);
            }
          } else if (node.state === 'deleting') {
            running.add(node.id);
            // Its channels are still open (or closing) while it is deleted: still watched.
            await hosting.watchtower.guard(node, signal);
            await hosting.deletions.step(node, signal);
            if (!backups.has(node.id) && (await hosting.repo.get(node.id))?.state === 'deleting')
              followBackups(node);
          } else if (node.state === 'stopped') {
            // The state is asked again in the node's turn: a start may have moved the node since
            // this tick listed it, and stopping it then would kill the process the start brings up.
            if (await hosting.nodes.stopProcess(node.id, signal)) {
              await hosting.repo.recordCheck(node.id, false, gapMs);
            }
          }
        } catch (err) {
          log.warn({ nodeId: node.id, state: node.state, err }, 'hosted node check failed');
        }
      }),
    );
    for (const [id, stop] of backups) {
      if (!running.has(id)) {
        stop.abort();
        backups.delete(id);
      }
    }
  };

  /**
   * True when the node answers (running and unlocked) after the check. It is recorded up only
   * when synced to chain and graph too (or behind for a moment after a block, `SyncBlips`): one
   * still syncing is left to sync, counted down.
   */
  const keepRunning = async (node: StoredNode): Promise<boolean> => {
    const wait = backoff.get(node.id);
    if (wait && Date.now() < wait.until) return false;
    const look = () => readNodeHealth(hosting.nodes.backend(node), AbortSignal.timeout(5_000));
    try {
      // A node that answers is running and unlocked: the process and wallet are looked at only
      // when it does not (a tick then costs one call per node).
      let health = await look();
      if (!health.answers) {
        await hosting.nodes.ensureRunning(node, AbortSignal.any([signal, AbortSignal.timeout(120_000)]));
        health = await look();
        if (!health.answers) throw health.error;
      }
      backoff.delete(node.id);
      await hosting.repo.recordCheck(node.id, blips.up(node.id, health, Date.now()), gapMs);
      if (!health.up) {
        const { syncedToChain, syncedToGraph } = health;
        log.debug(
          { nodeId: node.id, syncedToChain, syncedToGraph },
          'hosted node not synced (up for a moment after a block, down after)',
        );
      }
      if (!backups.has(node.id)) followBackups(node);
      return true;
    } catch (err) {
      const delayMs = Math.min((wait?.delayMs ?? 1_000) * 2, MAX_RESTART_BACKOFF_MS);
      backoff.set(node.id, { until: Date.now() + delayMs, delayMs });
      await hosting.repo.recordCheck(
        node.id,
        blips.up(node.id, { answers: false, error: err }, Date.now()),
        gapMs,
      );
      log.warn({ nodeId: node.id, err, retryInMs: delayMs }, 'hosted node down');
      return false;
    }
  };

  const followBackups = (node: StoredNode) => {
    const stop = new AbortController();
    backups.set(node.id, stop);
    void (async () => {
      const stream = hosting.nodes
        .backend(node)
        .channelBackups({ signal: AbortSignal.any([signal, stop.signal]) });
      for await (const backup of stream) {
        await hosting.repo.setBackup(node.id, JSON.stringify(backup));
      }
    })().catch((err: unknown) => {
      log.warn({ nodeId: node.id, err }, 'channel backup stream ended');
      backups.delete(node.id);
    });
  };

  await every(deps.intervalMs, tick, signal);
  for (const stop of backups.values()) stop.abort();
  await Promise.allSettled(resuming);
}
