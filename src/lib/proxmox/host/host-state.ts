// Host states that make the bootstrap fail whatever hyops does, recognised in its stderr, so
// the exit-20 error names the cause and the fix instead of a generic "fix it on the host".

/** A recognised cause: the error's reason and the hint that fixes it. */
export interface HostStateCause {
  reason: 'not-root' | 'no-quorum' | 'user-disabled' | 'user-expired'
  hint: string
}

/** The cause behind a failed bootstrap's stderr, when it is one of the known host states. */
export function hostStateCause(stderr: string, sshUsername: string, userFq: string): HostStateCause | undefined {
  if (/please run as root/.test(stderr))
    return {
      hint:
        `pveum and pvesh run only as root, and SSH logged in as ${sshUsername}: set PROXMOX_SSH_USERNAME = root ` +
        `(with root's key in PROXMOX_SSH_KEY), then re-run`,
      reason: 'not-root',
    }
  if (/no quorum/.test(stderr))
    return {
      hint:
        'restore the cluster quorum (pvecm status; on a node left alone, pvecm expected 1), then re-run; ' +
        'nothing was changed on the host',
      reason: 'no-quorum',
    }
  if (/ is disabled on the host/.test(stderr))
    return {hint: `pveum user modify ${userFq} --enable 1, then re-run`, reason: 'user-disabled'}
  if (/ expired on /.test(stderr))
    return {hint: `pveum user modify ${userFq} --expire 0, then re-run`, reason: 'user-expired'}
  return undefined
}
