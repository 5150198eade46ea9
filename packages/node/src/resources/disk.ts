import { statfs } from 'node:fs/promises'

/**
 * Free space on the file system that holds the node's data dir: one statfs(2) call, no process (unlike
 * `df` or systeminformation's fsSize(), which spawn one). "Free" is what an unprivileged user may still
 * write (f_bavail), not the root-reserved blocks too.
 */
export async function readDiskFreeBytes (dataDir: string): Promise<number> {
  const s = await statfs(dataDir)
  return s.bavail * s.bsize
}
