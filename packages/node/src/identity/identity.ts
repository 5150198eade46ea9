import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-file.js'

/** The node's private key, protobuf-encoded as libp2p does (`privateKeyToProtobuf`), mode 0600. */
export const IDENTITY_FILE = 'identity.key'

/**
 * Loads the node's Ed25519 key from the data dir, or makes one and stores it atomically. The key is the
 * node's libp2p peer id, so it must survive restarts: peers remember members by id.
 *
 * A present but unreadable or malformed key file is an error, never silently replaced: replacing it would
 * turn the node into a stranger to its own cluster.
 */
export async function loadOrCreateIdentity (dataDir: string, options: AtomicWriteOptions = {}): Promise<PrivateKey> {
  const file = join(dataDir, IDENTITY_FILE)
  let bytes: Uint8Array | undefined
  try {
    bytes = await readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (bytes !== undefined) {
    try {
      const key = privateKeyFromProtobuf(bytes)
      if (key.type !== 'Ed25519') throw new Error(`a ${key.type} key, not Ed25519`)
      return key
    } catch (err) {
      throw new Error(`the identity file ${file} is not a valid Ed25519 key (${(err as Error).message}); move it away to make a new identity`, { cause: err })
    }
  }
  const key = await generateKeyPair('Ed25519')
  await writeFileAtomic(file, privateKeyToProtobuf(key), { ...options, mode: 0o600 })
  return key
}
