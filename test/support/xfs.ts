/**
 * A small XFS filesystem for tests, in a sparse image file on a loop device (`mount -o loop`, auto-detached on
 * unmount). XFS refuses link(2) into a folder that has the project-inherit flag and another project id
 * (`chattr -p ID +P`, the way project quotas are set up per folder) with EXDEV, on the same device and with no
 * mount in between: a split of a tree that only a real hardlink shows. `unmount()` is by path.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';

/** True when this machine can make and mount an XFS image (root, mkfs.xfs, xfs and loop in the kernel). */
export function xfsAvailable(): boolean {
  if (process.getuid?.() !== 0 || !existsSync('/usr/sbin/mkfs.xfs') || !existsSync('/dev/loop-control')) return false;
  try {
    return /\txfs$/m.test(readFileSync('/proc/filesystems', 'utf8'));
  } catch {
    return false;
  }
}

/** Makes a fresh XFS filesystem in `image` (mkfs.xfs needs 300 MB; the sparse file takes ~65 MB). */
export function makeXfsImage(image: string): void {
  writeFileSync(image, '');
  truncateSync(image, 300 * 1024 * 1024);
  execFileSync('mkfs.xfs', ['-q', '-f', image]);
}

export function mountImage(image: string, at: string): void {
  mkdirSync(at, { recursive: true });
  execFileSync('mount', ['-o', 'loop', image, at]);
}

export function unmount(at: string): void {
  try {
    execFileSync('umount', [at], { stdio: 'ignore' });
  } catch {
    execFileSync('umount', ['-l', at], { stdio: 'ignore' });
  }
}

/** Gives a folder its own project id with inheritance: hardlinks from outside it fail with EXDEV. */
export function setProject(folder: string, id: number): void {
  execFileSync('chattr', ['-p', String(id), '+P', folder]);
}
