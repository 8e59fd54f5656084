// The questions only `hyops init proxmox` asks (the general ones are in ux/prompts.ts).
import {askConfirm, askSecret, type PromptStreams} from '../ux/prompts.js'

/** A sibling env holds a working secret of this token: take it (see docs/proxmox.md); default yes. */
export async function confirmReuseToken(envName: string, host: string, streams: PromptStreams = {}): Promise<boolean> {
  return askConfirm(`The env "${envName}" holds a working API token for ${host}. Reuse it?`, true, streams)
}

/** The token exists on the host and no secret for it is known here; default no. */
export async function confirmRotateToken(tokenId: string, streams: PromptStreams = {}): Promise<boolean> {
  return askConfirm(
    `The token ${tokenId} exists on the host, but its secret is not known here. Rotate it (breaks its current users)?`,
    false,
    streams,
  )
}

/** The password of the SSH user, hidden and asked once; it is used for one connection and never stored. */
export async function askRootPassword(user: string, host: string, streams: PromptStreams = {}): Promise<string> {
  return askSecret(`Password of ${user}@${host} (used once to install the key, never stored)`, streams)
}
