/** Where hyops reads the time: token expiry, renewal windows, marker dates. Passed in, so tests can move it. */
export interface Clock {
  now(): Date
}

/** The machine's clock. */
export const systemClock: Clock = {now: () => new Date()}

/**
 * The environment variable that moves hyops' clock by a number of seconds (negative: back). It exists for tests of
 * what happens days later (token expiry and renewal, see docs/proxmox.md "Day two"), paired with the simulated
 * host's own clock offset; an operator has no use for it.
 */
export const CLOCK_OFFSET_VARIABLE = 'HYOPS_TEST_CLOCK_OFFSET'

/** The clock of this process: the machine's, moved by {@link CLOCK_OFFSET_VARIABLE} when that is a whole number. */
export function processClock(environment: NodeJS.ProcessEnv = process.env): Clock {
  const offset = environment[CLOCK_OFFSET_VARIABLE]
  if (offset === undefined || !/^-?\d{1,10}$/.test(offset)) return systemClock
  const ms = Number(offset) * 1000
  return {now: () => new Date(Date.now() + ms)}
}

/** Unix seconds of a date. */
export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000)
}
