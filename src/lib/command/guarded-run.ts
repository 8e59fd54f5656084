// The frame every run that changes things shares (init, revoke): its evidence closed with the exit code, the
// root's lock released, and a signal turned into the nothing-lost steps, one line and 128+signal.
import {describeError, ExitCode} from '../errors.js'
import type {Evidence} from '../runtime/evidence.js'
import {suspendScreen} from '../ux/screen.js'
import {wrappedFor} from '../ux/wrap.js'
import {
  exitOnSignal,
  SIGNAL_GRACE_MS,
  signalExitCode,
  trapSignals,
  type TrappedSignal,
  withinGrace,
} from './interrupt.js'
import {writeLine} from './output-failure.js'

/** How long closing the evidence and releasing the lock may take after a signal's first steps. */
const CLOSE_GRACE_MS = 2000

export interface GuardedRun<T> {
  evidence: Evidence
  lock: {release(): Promise<void>}
  /** What a signal does first (within the grace): settles the writes, and says what was kept where. */
  onSignal: (signal: TrappedSignal) => Promise<string>
  work: () => Promise<T>
}

/** Runs `work` with signals trapped; the evidence is finished with the outcome's exit code either way. */
export async function runGuarded<T>(run: GuardedRun<T>): Promise<T> {
  const {evidence, lock} = run
  const untrap = trapSignals(async (signal) => {
    const kept = await withinGrace(run.onSignal(signal), SIGNAL_GRACE_MS)
    // Released even when the first steps ran past their grace; bounded too, as a stuck write may never return.
    const close = async () => {
      await evidence.finish(signalExitCode(signal), `interrupted by ${signal}`).catch(() => {})
      await lock.release()
    }

    await withinGrace(close(), CLOSE_GRACE_MS)
    suspendScreen()
    const what = kept ?? `the steps after the signal ran past ${SIGNAL_GRACE_MS / 1000} s`
    writeLine(wrappedFor(process.stderr, `Interrupted by ${signal}: ${what}`))
    await exitOnSignal(signal)
  })
  try {
    const result = await run.work()
    await evidence.finish(ExitCode.Success)
    return result
  } catch (error) {
    const {exitCode, message} = describeError(error)
    await evidence.finish(exitCode, message).catch(() => {})
    throw error
  } finally {
    untrap()
    await lock.release()
  }
}
