import {Command, Interfaces} from '@oclif/core'

import {describeError, ExitCode} from '../errors.js'
import {stoppingOn} from './interrupt.js'
import {guardOutputStreams, isOutputFailure, outputFailed, reportOutputFailure, writeLine} from './output-failure.js'
import {RuntimeLayout} from '../runtime/layout.js'
import {resolveRuntimeRoot, type ResolvedRoot} from '../runtime/root.js'
import {rootFlags} from './flags.js'

export type HyopsFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof HyopsCommand)['baseFlags'] & T['flags']
>
export type HyopsArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * The base of every hyops command: runtime root selection, `--json`, and the one place where
 * errors become a message and a process exit code (the contract's table).
 */
export abstract class HyopsCommand<T extends typeof Command> extends Command {
  static override baseFlags = {...rootFlags}
  static override enableJsonFlag = true

  protected flags!: HyopsFlags<T>
  protected args!: HyopsArgs<T>
  /** Printed under the error line when a failure has a run's evidence to look at. */
  protected evidenceDir?: string

  /** Parses flags and arguments into `this.flags` and `this.args`. */
  public override async init(): Promise<void> {
    guardOutputStreams()
    await super.init()
    const ctor = this.ctor as typeof HyopsCommand
    const {args, flags} = await this.parse({
      args: ctor.args,
      baseFlags: ctor.baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      flags: ctor.flags,
      strict: ctor.strict,
    })
    this.flags = flags as HyopsFlags<T>
    this.args = args as HyopsArgs<T>
  }

  /** The runtime root this invocation works on (`--root`, `--env`, environment, default). */
  protected resolveRoot(): ResolvedRoot {
    const flags = this.flags as {root?: string; env?: string}
    return resolveRuntimeRoot({env: flags.env, root: flags.root})
  }

  /** The layout of the selected runtime root. */
  protected layout(): RuntimeLayout {
    return new RuntimeLayout(this.resolveRoot().root)
  }

  /** Prints to stderr, so stdout stays clean for results and `--json`. */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(message + '\n')
  }

  /**
   * Turns any failure into one line on stderr (or a JSON error object on stdout with
   * `--json`) and the contract's exit code. No stack trace unless HYOPS_DEBUG is set.
   */
  protected override async catch(error: Interfaces.CommandError): Promise<void> {
    // hyops's own output could not be written: exit 30 and one line where it still can go.
    if (isOutputFailure(error)) return reportOutputFailure(error)
    const {exitCode, message, hint} = describeError(error)
    // A signal cut this work short: its handler prints the one line and sets the exit code.
    if (stoppingOn()) return
    // After a failed write of the output, what fails next is its echo: the write failure is the outcome.
    if (outputFailed()) return
    process.exitCode = exitCode
    if (exitCode === ExitCode.Success) return
    if (this.jsonEnabled()) {
      const json = {error: {exit_code: exitCode, hint, message}, evidence_dir: this.evidenceDir, status: 'error'}
      try {
        this.logJson(json)
      } catch (error_) {
        if (!isOutputFailure(error_)) throw error_
        reportOutputFailure(error_)
      }

      return
    }

    // A written config template is the contract's planned stop (exit 10), not a failure: stdout
    // already says which file was written and what to do next.
    if (!isTemplateWritten(error)) writeLine(`Error: ${hint ? `${message} (${hint})` : message}`)
    if (this.evidenceDir) writeLine(`Evidence: ${this.evidenceDir}`)
    if (process.env.HYOPS_DEBUG && error instanceof Error && error.stack) writeLine(error.stack)
  }
}

function isTemplateWritten(error: unknown): boolean {
  const err = error as {exitCode?: unknown; reason?: unknown}
  return err?.exitCode === ExitCode.ConfigTemplate && err?.reason === 'template-written'
}
