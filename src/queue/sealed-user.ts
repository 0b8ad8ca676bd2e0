import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

/**
 * An extraction job names its session's user so every statement of the job can name it (on Citus,
 * one shard instead of a look-up across all of them), but Redis must never hold a user id: it is
 * sealed (AES-256-GCM) with a key derived from the database's random id. That id lives only in the
 * database (Redis sees a 12-hex-digit hash of it, the tag), so the app and workers, which read it,
 * share the key without configuration, and Redis alone reveals nothing, not even whether two jobs
 * name the same user (a fresh nonce each time).
 */
export function jobUserKey(databaseId: string): Buffer {
  return createHash('sha256').update(`factline sealed job user v1\u0000${databaseId}`).digest()
}

/** The user id sealed for a job payload: base64url of nonce, tag and ciphertext. */
export function sealUserId(key: Buffer, userId: string): string {
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  const sealed = Buffer.concat([cipher.update(userId, 'utf8'), cipher.final()])
  return Buffer.concat([nonce, cipher.getAuthTag(), sealed]).toString('base64url')
}

/** The user id a payload carries, or undefined when it was sealed with another key or altered. */
export function openUserId(key: Buffer, sealed: string): string | undefined {
  try {
    const bytes = Buffer.from(sealed, 'base64url')
    if (bytes.length < 29) return undefined
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12))
    decipher.setAuthTag(bytes.subarray(12, 28))
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')
  } catch {
    return undefined
  }
}
