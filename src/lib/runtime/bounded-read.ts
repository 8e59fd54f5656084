import {open} from 'node:fs/promises'

/**
 * Reads at most `limit` bytes of a file (a device or FIFO too); more is an error with code EFBIG, so that
 * `/dev/zero` or a huge file never grows memory without bound.
 */
export async function readBounded(path: string, limit: number): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buffer = Buffer.alloc(Math.min(64 * 1024, limit + 1 - total))
      const {bytesRead} = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) return Buffer.concat(chunks)
      chunks.push(buffer.subarray(0, bytesRead))
      total += bytesRead
      if (total > limit) throw Object.assign(new Error(`${path} is larger than ${limit} bytes`), {code: 'EFBIG'})
    }
  } finally {
    await handle.close()
  }
}
