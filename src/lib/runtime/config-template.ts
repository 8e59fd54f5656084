import {lstat} from 'node:fs/promises'
import {dirname} from 'node:path'

import {ExitCode, HyopsError} from '../errors.js'
import {makePrivateDir} from './layout.js'
import {writeFileSafely} from './safe-write.js'

/**
 * Writes a config template at `path` (mode 0600, atomically, its directory made 0700 when
 * missing). Anything already at `path` is kept unless `force`: the answer says which happened.
 */
export async function writeConfigTemplate(
  path: string,
  template: string,
  options: {force?: boolean} = {},
): Promise<'kept' | 'written'> {
  if (
    !options.force &&
    (await lstat(path).then(
      () => true,
      () => false,
    ))
  )
    return 'kept'
  await makePrivateDir(dirname(path))
  await writeFileSafely(path, template, {mode: 0o600})
  return 'written'
}

export interface MissingConfigRequest {
  /** The resolved config path (`--config`, or `<root>/config/<target>.conf`). */
  path: string
  template: string
  /** Printed on stdout once the template is written: which file to edit and what to re-run. */
  remediation: string
  dryRun: boolean
  /** stdout of the command (`this.log`). */
  log: (text: string) => void
  /** Notes the written file in the run's evidence. */
  fileWritten?: (path: string) => void
}

/**
 * The contract's template rule for a missing config: write the template, print what to edit
 * and what to re-run, and stop with exit 10. A dry run writes nothing and says so (exit 10 too).
 */
export async function stopWithConfigTemplate(request: MissingConfigRequest): Promise<never> {
  if (request.dryRun) {
    throw new HyopsError(ExitCode.ConfigTemplate, `no config at ${request.path} (dry run: no template written)`, {
      hint: 'run without --dry-run to get a template, then edit it',
      reason: 'template-not-written',
    })
  }

  await writeConfigTemplate(request.path, request.template)
  request.fileWritten?.(request.path)
  request.log(request.remediation)
  throw new HyopsError(ExitCode.ConfigTemplate, `config template written to ${request.path}`, {
    hint: 'edit it, then re-run',
    reason: 'template-written',
  })
}
