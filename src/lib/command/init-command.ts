import {Command, type Interfaces} from '@oclif/core'
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ExitCode, HyopsError} from '../errors.js'
import {runOwnedHook} from '../hooks/events.js'
import type {ReadinessMarker} from '../readiness/marker.js'
import {Evidence} from '../runtime/evidence.js'
import {RuntimeLayout} from '../runtime/layout.js'
import {runGuarded} from './guarded-run.js'
import {RunGuard} from './interrupt.js'
import {acquireLock} from '../runtime/lock.js'
import {expandHome, type ResolvedRoot} from '../runtime/root.js'
import {newRunId} from '../runtime/run-id.js'
import {canPrompt} from '../ux/terminal.js'
import type {LoadedVault} from '../vault/vault-access.js'
import {initFlags, rootFlags, vaultFlags} from './flags.js'
import {HyopsCommand, type HyopsFlags} from './hyops-command.js'
import {loadRuntimeVault, vaultFileOf} from './runtime-vault.js'

/** The shared flags of every init target, parsed (with `json`): their types come from the flag definitions. */
export type InitFlags = Interfaces.InferredFlags<typeof rootFlags & typeof vaultFlags & typeof initFlags>

/** Everything a target's `initTarget` gets from the base class. */
export interface InitContext {
  target: string
  runId: string
  root: ResolvedRoot
  layout: RuntimeLayout
  evidence: Evidence
  flags: InitFlags
  /** True when prompts may be shown (TTYs and not `--non-interactive`). */
  interactive: boolean
  /** `--vault-file`, or the layout's default. */
  vaultFile: string
  /** `--config`, or `<root>/config/<target>.conf`. */
  configFile: string
  /**
   * What a signal (SIGINT, SIGTERM, SIGHUP) waits for before the run stops: register secret writes with
   * `critical`, the marker's last word with `onInterrupt`, and say what was kept where with `keep`.
   */
  guard?: RunGuard
}

/** What a target returns: printed as JSON with `--json`. Must hold no secret. */
export interface InitResult {
  status: string
  [field: string]: unknown
}

/**
 * The base class of `hyops init <target>`, for the core's targets and provider plugins alike.
 * It owns the contract's shared flags, runtime root, layout (0700), run id, evidence, the
 * per-root lock and the outcome record; a target implements `initTarget`.
 */
export abstract class InitCommand<T extends typeof Command> extends HyopsCommand<T> {
  static override baseFlags = {...rootFlags, ...vaultFlags, ...initFlags}
  /** The target name: `proxmox` for `hyops init proxmox`. */
  static target: string

  // The base flags are this class's, so the parsed flags hold them (`HyopsCommand.init` parses them).
  declare protected flags: HyopsFlags<T> & InitFlags

  /** Does the target's work. Throw `HyopsError` for expected failures. */
  protected abstract initTarget(context: InitContext): Promise<InitResult>

  /** Runs the target inside the shared lifecycle. Targets implement `initTarget`, not this. */
  public async run(): Promise<InitResult> {
    const {target} = this.ctor as Partial<Pick<typeof InitCommand, 'target'>>
    if (typeof target !== 'string' || target === '') throw new Error(`${this.id}: static target is not set`)
    const flags: InitFlags = this.flags
    const root = this.resolveRoot()
    const layout = new RuntimeLayout(root.root)
    const dryRun = flags['dry-run']
    const note = (line: string) => this.note(line)
    await layout.ensure({note, readOnly: dryRun})
    const runId = newRunId(target)
    const evidenceDir = flags['out-dir'] ? expandHome(flags['out-dir']) : layout.evidenceDir(target, runId)
    const evidence = await Evidence.start({dir: evidenceDir, runId, target}).catch(async (error: unknown) => {
      // A dry run changes nothing, so it also works on a read-only root: its evidence goes to a temp dir.
      if (!dryRun || !(error instanceof HyopsError) || error.exitCode !== ExitCode.Write) throw error
      const dir = join(await mkdtemp(join(tmpdir(), 'hyops-dry-run-')), runId)
      note(`Note: ${evidenceDir} cannot be written (${error.message}); the dry run's evidence goes to ${dir}`)
      return Evidence.start({dir, runId, target})
    })
    this.evidenceDir = evidence.dir
    const context: InitContext = {
      configFile: flags.config ? expandHome(flags.config) : layout.configFile(target),
      evidence,
      guard: new RunGuard(),
      flags,
      interactive: canPrompt(flags['non-interactive']),
      layout,
      root,
      runId,
      target,
      vaultFile: vaultFileOf(flags, layout),
    }
    await evidence.record({
      inputs: {
        dry_run: flags['dry-run'],
        force: flags.force,
        interactive: context.interactive,
        non_interactive: flags['non-interactive'],
      },
      paths: {config: context.configFile, evidence_dir: evidence.dir, root: root.root, vault: context.vaultFile},
      root_source: root.source,
    })

    const lockPath = join(layout.dir('meta'), '.init.lock')
    const lock = await acquireLock(lockPath, {note, purpose: `another hyops init on ${root.root}`}).catch(
      (error: unknown) => {
        if (!dryRun || !(error instanceof HyopsError) || error.exitCode !== ExitCode.Write) throw error
        note(`Note: dry run without the lock ${lockPath} (${error.message})`)
        return {release: async () => {}}
      },
    )
    // A signal finishes the secret writes, leaves the marker truthful, releases the lock and exits 128+signal.
    const result = await runGuarded({
      evidence,
      lock,
      onSignal: (signal) => context.guard!.interrupted(signal),
      work: () => this.initTarget(context),
    })
    return {...result, evidence_dir: evidence.dir, run_id: runId}
  }

  /** Opens the runtime vault through the `hyops:load-vault` hook. */
  protected async loadVault(context: InitContext): Promise<LoadedVault> {
    return loadRuntimeVault(this.config, context.flags, context)
  }

  /** Writes the readiness marker through the `hyops:write-marker` hook; returns its path. */
  protected async writeMarker(context: InitContext, marker: ReadinessMarker): Promise<string> {
    const path = await runOwnedHook(this.config, 'hyops:write-marker', {layout: context.layout, marker})
    context.evidence.fileWritten(path)
    return path
  }
}
