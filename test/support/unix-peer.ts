/**
 * Which process is at the other end of an accepted Unix-socket connection: the socket's inode (from
 * /proc/self/fd), its peer's inode and that peer's owner, as `ss -xp` lists them. Proves who connected (for
 * instance that a Docker socket was reached by sshd, i.e. through an SSH connection) without trusting the client.
 */
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';

export interface PeerProcess {
  command: string;
  pid: number;
}

/** The inode of an accepted socket (`socket:[12345]` → 12345). */
function inodeOf(socket: Socket): string {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the socket has no file descriptor');
  const link = readlinkSync(`/proc/self/fd/${fd}`);
  const m = /^socket:\[(\d+)\]$/.exec(link);
  if (!m) throw new Error(`fd ${fd} is not a socket: ${link}`);
  return m[1]!;
}

/** `u_str ESTAB 0 0 <local> <inode> <peer> <peerInode> users:(("sshd",pid=1,fd=2))` → its parts. */
function parseSsLine(line: string): { inode: string; peerInode: string; process: PeerProcess | null } | null {
  const fields = line.trim().split(/\s+/);
  if (fields.length < 8 || fields[0] !== 'u_str') return null;
  const users = /users:\(\("([^"]+)",pid=(\d+)/.exec(line);
  return { inode: fields[5]!, peerInode: fields[7]!, process: users ? { command: users[1]!, pid: Number(users[2]) } : null };
}

const listUnixSockets = (netns?: string) =>
  execFileSync(netns ? 'ip' : 'ss', [...(netns ? ['netns', 'exec', netns, 'ss'] : []), '-x', '-p', '-n', '-H'], { encoding: 'utf8', timeout: 10_000 })
    .split('\n')
    .flatMap((l) => parseSsLine(l) ?? []);

/**
 * The process holding the other end of `socket` (an accepted Unix connection), or null when it is gone. `ss`
 * lists the sockets of one network namespace: name the namespaces the peer may be in (`ip netns` names).
 */
export function unixPeerOf(socket: Socket, netns: readonly string[] = []): PeerProcess | null {
  const inode = inodeOf(socket);
  const lines = [undefined, ...netns].flatMap((ns) => listUnixSockets(ns));
  const ours = lines.find((l) => l.inode === inode);
  if (!ours) return null;
  return lines.find((l) => l.inode === ours.peerInode)?.process ?? null;
}
