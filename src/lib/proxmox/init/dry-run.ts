// --dry-run: the plan of a run, with nothing written and nothing changed on the host.

import type {KnownSecret} from '../secret/known-secret.js'
import type {ProxmoxInputs, TokenMode} from '../types.js'
import type {ProxmoxInitOutcome} from './io.js'

export function dryRun(
  inputs: ProxmoxInputs,
  facts: {
    known?: KnownSecret
    paths: ProxmoxInitOutcome['paths']
    remote: boolean
    reusedFrom?: string
    tokenMode: TokenMode
  },
): ProxmoxInitOutcome {
  const {paths} = facts
  const plan = [
    ...(facts.reusedFrom === undefined
      ? []
      : [
          `reuse the working secret of ${inputs.tokenId} from the env "${facts.reusedFrom}" ` +
            `(validated) and store it in ${paths.vault}`,
        ]),
    facts.remote
      ? `connect to ${inputs.sshUsername}@${inputs.host}:${inputs.sshPort} ` +
        `and run the bootstrap: ensure ${inputs.userFq}, ` +
        (facts.tokenMode === 'rotate'
          ? `rotate ${inputs.tokenId}`
          : facts.tokenMode === 'create'
            ? `create ${inputs.tokenId} if missing`
            : `keep ${inputs.tokenId}`) +
        `, keep the role ${inputs.roleName} (${inputs.privilegeProfile} profile) granted on /, discover node, ` +
        'storages and bridge'
      : 'skip the remote bootstrap (values from the readiness marker or the fallbacks)',
    ...(facts.remote && inputs.providerSshUser
      ? [
          `make or keep the provider SSH account ${inputs.providerSshUser} on every node of the cluster ` +
            '(its key in the vault, then in a 0600 file; a sudoers drop-in for pvesm, qm and tee into the ' +
            'snippets folders) and prove it as the account',
        ]
      : []),
    `validate the token against https://<api ip>:${inputs.apiPort}/api2/json (TLS ` +
      `${inputs.tlsSkip ? 'not verified' : 'verified'})`,
    ...(facts.tokenMode === 'keep' ? [] : [`store the new secret in ${paths.vault}`]),
    ...(facts.known?.origin === 'credentials'
      ? [`put the secret from ${paths.credentials} back into ${paths.vault}`]
      : []),
    `write ${paths.credentials} (mode 0600)`,
    `write ${paths.marker}`,
  ]
  const tokenAction =
    facts.tokenMode === 'rotate' ? 'would-rotate' : facts.tokenMode === 'create' ? 'would-create' : 'would-keep'
  const secretOrigin = facts.reusedFrom === undefined ? facts.known?.origin : `env:${facts.reusedFrom}`
  return {
    inputs,
    paths,
    plan,
    remote: facts.remote,
    secretOrigin,
    status: 'dry-run',
    tokenAction,
    tokenId: inputs.tokenId,
    written: [],
  }
}
