import {join} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {VAULT_PASSWORD_HELP, VaultCommand} from '../lib/command/vault-command.js'
import {runGuarded} from '../lib/command/guarded-run.js'
import {ExitCode, HyopsError} from '../lib/errors.js'
import {runOwnedHook} from '../lib/hooks/events.js'
import {collectRevokeTargets, type RevokePlan, type RevokeRequest} from '../lib/hooks/revoke-targets.js'
import {readMarker} from '../lib/readiness/marker.js'
import {processClock} from '../lib/time/clock.js'
import {Evidence} from '../lib/runtime/evidence.js'
import {acquireLock} from '../lib/runtime/lock.js'
import {newRunId} from '../lib/runtime/run-id.js'
import {askConfirm} from '../lib/ux/prompts.js'

/** How long a signal waits for the host part of a revoke to stop on its own. */
const REVOKE_STOP_MS = 8000

export interface RevokeResult {
  target: string
  status: 'revoked' | 'nothing' | 'dry-run' | 'cancelled'
  plan?: {remote: string[]; local: string[]; notes: string[]}
  removed?: string[]
  warnings?: string[]
  reason?: string
  run_id?: string
  evidence_dir?: string
}

export default class Revoke extends VaultCommand<typeof Revoke> {
  static override summary = "Take back a target's access: remove its token at the provider and forget it here"
  static override description =
    `For proxmox, in one SSH session like init's: removes the token, the role's grant to the API user (or the ` +
    `user itself when hyops made it), and the managed role once nothing else uses it; then removes ` +
    `PROXMOX_TOKEN_SECRET and PROXMOX_TOKEN_ID from the vault, deletes the credentials file and rewrites the ` +
    `readiness marker as revoked. Afterwards hyops env and exec refuse the target (exit 21) until init runs again. ` +
    `Provider plugins revoke their targets through the hyops:revoke-target hook.

At a terminal it names what will go and asks; --yes skips the question; without a terminal --yes is required ` +
    `(exit 2, nothing done). --dry-run prints the plan only. --local-only forgets the access on this machine ` +
    `for a host that is gone (the token may still work there). A host that cannot be reached is exit 20 with ` +
    `nothing changed here; a target already revoked is exit 0.

` +
    VAULT_PASSWORD_HELP
  static override args = {TARGET: Args.string({description: 'Target to revoke, e.g. proxmox', required: true})}
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Do not ask: revoke what the plan names'}),
    'dry-run': Flags.boolean({description: 'Print what would be revoked; change nothing'}),
    'local-only': Flags.boolean({
      description: 'Forget the access on this machine only, without reaching the host (the token may still work)',
    }),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> proxmox',
    '<%= config.bin %> <%= command.id %> proxmox --env lab --yes',
    '<%= config.bin %> <%= command.id %> proxmox --dry-run',
    '<%= config.bin %> <%= command.id %> proxmox --local-only --yes  # the host is gone',
  ]

  public async run(): Promise<RevokeResult> {
    const target = this.args.TARGET
    const {targets, failures} = await collectRevokeTargets(this.config)
    const provider = targets.get(target)
    if (!provider) {
      const known = [...targets.keys()].sort()
      throw new HyopsError(ExitCode.Usage, `no installed target "${target}" can be revoked`, {
        hint:
          (known.length > 0 ? `use one of: ${known.join(', ')}` : 'install a provider plugin') +
          (failures.length > 0 ? `; plugins that failed: ${failures.join('; ')}` : ''),
      })
    }

    const layout = this.layout()
    const clock = processClock()
    const runId = newRunId(target, clock.now(), 'revoke')
    const marker = await readMarker(layout, target)
    const evidence = await Evidence.start({dir: join(layout.dir('logs'), 'revoke', target, runId), runId, target})
    this.evidenceDir = evidence.dir
    const stop = new AbortController()
    const request: RevokeRequest = {
      clock,
      environment: process.env,
      evidence,
      interactive: this.interactive(),
      layout,
      localOnly: this.flags['local-only'],
      marker,
      note: (line) => this.note(line),
      openVault: () => this.openVault(),
      runId,
      stop: stop.signal,
      writeMarker: async (written) => {
        const path = await runOwnedHook(this.config, 'hyops:write-marker', {layout, marker: written})
        evidence.fileWritten(path)
        return path
      },
    }
    await evidence.record({
      inputs: {dry_run: this.flags['dry-run'], local_only: this.flags['local-only'], yes: this.flags.yes},
      paths: {evidence_dir: evidence.dir, root: layout.root},
    })
    const plan = await provider.plan(request)
    await evidence.record({plan})
    const base = {evidence_dir: evidence.dir, run_id: runId, target}
    if (plan.nothing) {
      this.log(`Nothing to revoke: ${plan.nothing}`)
      await evidence.finish(ExitCode.Success)
      return {...base, reason: plan.nothing, status: 'nothing'}
    }

    this.log(renderPlan(target, plan, this.flags['dry-run']))
    const planResult = {local: plan.local, notes: plan.notes ?? [], remote: plan.remote}
    if (this.flags['dry-run']) {
      await evidence.finish(ExitCode.Success)
      return {...base, plan: planResult, status: 'dry-run'}
    }

    if (!(await this.confirmed(target))) {
      await evidence.finish(ExitCode.Cancelled, 'not confirmed')
      this.log('Nothing was revoked.')
      process.exitCode = ExitCode.Cancelled
      return {...base, plan: planResult, status: 'cancelled'}
    }

    const lock = await acquireLock(join(layout.dir('meta'), '.init.lock'), {
      note: (line) => this.note(line),
      purpose: `another hyops init or revoke on ${layout.root}`,
    })
    let revoking: Promise<unknown> | undefined
    // A signal stops the host part before its next change, waits for what is under way, and says what is left.
    return runGuarded({
      evidence,
      lock,
      async onSignal() {
        stop.abort()
        // The host part reaches its next check quickly; a host that hangs is not waited for past the grace.
        await Promise.race([revoking?.catch(() => {}), new Promise((resolve) => setTimeout(resolve, REVOKE_STOP_MS))])
        return `the marker says what is left; run hyops revoke ${target} again`
      },
      work: async () => {
        const work = provider.revoke(request, plan)
        revoking = work
        const answer = await work
        for (const line of answer.removed) this.log(`Removed ${line}`)
        for (const line of answer.warnings) this.note(`Warning: ${line}`)
        return {...base, plan: planResult, removed: answer.removed, status: 'revoked', warnings: answer.warnings}
      },
    })
  }

  /** --yes; else a question at a terminal; else exit 2 with nothing done. */
  private async confirmed(target: string): Promise<boolean> {
    if (this.flags.yes) return true
    if (!this.interactive()) {
      throw new HyopsError(
        ExitCode.Usage,
        `hyops revoke ${target} asks before it removes anything, and no terminal can answer`,
        {
          hint: 'pass --yes to revoke without the question (--dry-run shows what would go)',
        },
      )
    }

    return askConfirm(`Revoke ${target} as listed above?`, false)
  }
}

function renderPlan(target: string, plan: RevokePlan, dryRun: boolean): string {
  const lines = [
    dryRun
      ? `Dry run: nothing was changed. hyops revoke ${target} would remove:`
      : `hyops revoke ${target} will remove:`,
  ]
  for (const line of plan.remote) lines.push(`  - ${line}`)
  for (const line of plan.local) lines.push(`  - ${line}`)
  for (const line of plan.notes ?? []) lines.push(`Note: ${line}`)
  return lines.join('\n')
}
