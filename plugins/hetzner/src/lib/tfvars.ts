import {stat} from 'node:fs/promises'
import {dirname} from 'node:path'

import {hclString, makePrivateDir, readUserText, SMALL_FILE_MAX_BYTES, writeFileSafely} from 'hyops'

/** The credentials file: one variable, `hcloud_token`. */
export function renderHetznerTfvars(token: string): string {
  return `hcloud_token = ${hclString(token)}\n`
}

/** What writing the credentials would do to the file already there. */
export type TfvarsPlan = 'create' | 'unchanged' | 'replace' | 'refuse'

/**
 * Decides from the file on disk: same content and mode 0600 → unchanged; same content with a
 * wider mode → replace (nothing is lost); other content → replace with `force`, else refuse.
 */
export async function planHetznerTfvars(path: string, content: string, force: boolean): Promise<TfvarsPlan> {
  let existing: string
  try {
    existing = await readUserText(path, {maxBytes: SMALL_FILE_MAX_BYTES})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'create'
    return force ? 'replace' : 'refuse'
  }

  if (existing === content) return ((await stat(path)).mode & 0o777) === 0o600 ? 'unchanged' : 'replace'
  return force ? 'replace' : 'refuse'
}

/** Writes the credentials atomically with mode 0600 (parent directory created 0700). */
export async function writeHetznerTfvars(path: string, content: string): Promise<void> {
  await makePrivateDir(dirname(path))
  await writeFileSafely(path, content, {mode: 0o600})
}
