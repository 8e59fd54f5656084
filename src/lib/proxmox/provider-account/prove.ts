// Proving the provider account on one node, as the account and with its own key: bpg's own probe works (its
// proxmox/ssh/client.go: `sudo -n /usr/sbin/pvesm apiinfo` printing APIVER, or `sudo -n /usr/sbin/qm --help`),
// the snippets rule allows a plain file name, and sudo refuses anything else.
import {ExitCode, HyopsError} from '../../errors.js'
import type {SshSession} from '../../ssh/connection.js'
import {shellQuote} from '../../ssh/shell-quote.js'

/** What the proof saw on one node. */
export interface AccountProof {
  /** `sudo -n /usr/sbin/pvesm apiinfo` printed APIVER. */
  pvesm: boolean
  /** `sudo -n /usr/sbin/qm --help` exited 0. */
  qm: boolean
  /** `sudo -n /usr/bin/id` was refused. */
  othersRefused: boolean
  /** With a tee rule: `sudo -n -l /usr/bin/tee <snippets>/user-data.yaml` allowed, a path with `/..` refused. */
  snippets?: boolean
}

const TIMEOUT_MS = 30_000

export async function proveAccount(
  session: SshSession,
  snippetsDirs: string[],
  teeRule: boolean,
): Promise<AccountProof> {
  const run = (command: string) => session.exec(command, {timeoutMs: TIMEOUT_MS})
  const apiinfo = await run('sudo -n /usr/sbin/pvesm apiinfo')
  const qm = await run('sudo -n /usr/sbin/qm --help')
  const other = await run('sudo -n /usr/bin/id -u')
  const proof: AccountProof = {
    othersRefused: other.code !== 0 && other.stdout.trim() !== '0',
    pvesm: apiinfo.code === 0 && /^APIVER\b/m.test(apiinfo.stdout),
    qm: qm.code === 0,
  }
  if (teeRule && snippetsDirs.length > 0) {
    let ok = true
    for (const dir of snippetsDirs) {
      const allowed = await run(`sudo -n -l /usr/bin/tee ${shellQuote(`${dir}/user-data.yaml`)}`)
      const traversal = await run(`sudo -n -l /usr/bin/tee ${shellQuote(`${dir}/a/../../../../etc/sudoers.d/x`)}`)
      ok &&= allowed.code === 0 && traversal.code !== 0
    }

    proof.snippets = ok
  }

  return proof
}

/** Exit 20 naming the node and what did not hold, when the proof failed. */
export function checkProof(node: string, account: string, proof: AccountProof): void {
  const failed = [
    proof.pvesm ? undefined : "'sudo -n /usr/sbin/pvesm apiinfo' did not print APIVER",
    proof.qm ? undefined : "'sudo -n /usr/sbin/qm --help' failed",
    proof.othersRefused ? undefined : "'sudo -n /usr/bin/id' was not refused",
    proof.snippets === false ? 'the snippets rule did not allow exactly a plain file name' : undefined,
  ].filter(Boolean)
  if (failed.length === 0) return
  throw new HyopsError(
    ExitCode.Remote,
    `the provider account ${account} on node ${node} failed its proof: ${failed.join('; ')}`,
    {
      hint: `check /etc/sudoers.d/hyops-${account} and sudo's secure_path on ${node} ('sudo -l -U ${account}'); re-run`,
      reason: 'account-proof',
    },
  )
}
