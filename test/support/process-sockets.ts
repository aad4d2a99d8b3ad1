/**
 * Which TCP connections a process holds, read from Linux's `/proc`: the local ports of the
 * sockets process `pid` has open to `remotePort`. A story asks this of a process it has frozen
 * (SIGSTOP): its sockets stay as they were, so the answer names every connection it opened
 * before, including those whose events this test process has not handled yet.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The local ports of `pid`'s TCP sockets whose remote port is `remotePort` (IPv4 and IPv6). */
export function tcpPortsTo(pid: number, remotePort: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const ports = new Set<number>();
  for (const table of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    let lines: string[];
    try {
      lines = readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue; // no IPv6
    }
    for (const line of lines) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      const [local, remote, inode] = [f[1], f[2], f[9]];
      if (!local || !remote || !inode || !inodes.has(inode)) continue;
      if (Number.parseInt(remote.split(':').at(-1) ?? '', 16) !== remotePort) continue;
      ports.add(Number.parseInt(local.split(':').at(-1) ?? '', 16));
    }
  }
  return ports;
}
