import {rm, stat} from 'node:fs/promises'

import type {RevokeAnswer, RevokePlan, RevokeRequest, RevokeTarget} from 'hyops'

import {HETZNER_TARGET, TOKEN_KEY} from './target.js'

/** Hetzner Cloud API tokens are made and deleted in its console only: the API has no call for it. */
export const CONSOLE_HINT =
  'delete the token itself in the Hetzner Cloud Console (console.hetzner.cloud: your project > Security > API ' +
  'tokens); until then it still works'

/**
 * `hyops revoke hetzner`: the token cannot be deleted through the API, so revoking forgets it on this machine
 * (HCLOUD_TOKEN in the vault, the credentials file, the marker as `revoked`) and says where to delete it.
 */
export const hetznerRevokeTarget: RevokeTarget = {
  async plan(request) {
    const {marker} = request
    if (!marker) return {local: [], nothing: `hetzner is not initialised in ${request.layout.root}`, remote: []}
    if (marker.status === 'revoked')
      return {local: [], nothing: `hetzner was already revoked (${marker.reason ?? marker.generated_at})`, remote: []}
    return {
      local: [
        `${TOKEN_KEY} from the vault`,
        `the credentials file ${credentialsOf(request)}`,
        `the marker ${request.layout.markerFile(HETZNER_TARGET)} (rewritten as revoked)`,
      ],
      notes: [CONSOLE_HINT],
      remote: [],
    }
  },
  revoke,
  target: HETZNER_TARGET,
}

async function revoke(request: RevokeRequest, plan: RevokePlan): Promise<RevokeAnswer> {
  if (plan.nothing) return {removed: [], warnings: []}
  const {evidence} = request
  const removed: string[] = []
  const vault = await evidence.step('open vault', () => request.openVault())
  if (vault.values[TOKEN_KEY] !== undefined) {
    await evidence.step('remove vault key', () => vault.update({[TOKEN_KEY]: undefined}))
    evidence.fileWritten(vault.file)
    removed.push(`${TOKEN_KEY} from the vault ${vault.file}`)
  }

  const credentials = credentialsOf(request)
  if (
    await stat(credentials).then(
      () => true,
      () => false,
    )
  ) {
    await evidence.step('delete credentials', () => rm(credentials, {force: true}))
    removed.push(`the credentials file ${credentials}`)
  }

  const at = request.clock.now().toISOString()
  await request.writeMarker({
    generated_at: at,
    paths: request.marker?.paths ?? {},
    reason: `revoked by run ${request.runId} on ${at.slice(0, 10)}; the token itself is deleted in the console`,
    revoked: {at, local_only: true, removed, run_id: request.runId},
    run_id: request.runId,
    status: 'revoked',
    target: HETZNER_TARGET,
  })
  removed.push(`the marker ${request.layout.markerFile(HETZNER_TARGET)} now says revoked`)
  return {removed, warnings: [CONSOLE_HINT]}
}

function credentialsOf(request: RevokeRequest): string {
  const path = request.marker?.paths?.credentials
  return typeof path === 'string' && path !== '' ? path : request.layout.credentialsFile(HETZNER_TARGET)
}
