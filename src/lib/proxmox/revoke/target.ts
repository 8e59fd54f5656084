import type {RevokeTarget} from '../../hooks/revoke-targets.js'
import {ProxmoxRevokeRun} from './revoke-run.js'

/** The core's answer to `hyops:revoke-target`: `hyops revoke proxmox`. */
export const proxmoxRevokeTarget: RevokeTarget = {
  plan: (request) => new ProxmoxRevokeRun(request).plan(),
  revoke: (request, plan) => new ProxmoxRevokeRun(request).revoke(plan),
  target: 'proxmox',
}
