// The three paths of hyops init proxmox (first run, re-run with a known secret, rotation), and a renewal on 9.1,
// against the simulated host with a real host's tool start-up latency, beside the same paths run by the previous
// release in the same run: host calls (pveum/pvesh/pvesm, from the host's call log) and wall time.
import {startPveSim, type PveSim} from '../test/fixtures/pve-sim/index.js'
import {cleanupTempDirs, runCli} from '../test/helpers/cli.js'
import {prepareRoot, type ProxmoxRoot} from '../test/helpers/proxmox-env.js'
import {report, type BenchReport} from './measure.js'
import {previousReleaseCli} from './previous-release.js'

/** pveum ≈ 0.35-0.6 s, pvesh ≈ 0.7-1.2 s on a real host (Perl loading the PVE modules). */
const LATENCY_MS = {pveum: 450, pvesh: 900, pvesm: 450}
const PATHS = [
  {args: [], name: 'first run', target: 5},
  {args: [], name: 're-run with a known secret', target: 1},
  {args: ['--force'], name: 'rotation (--force)', target: 3},
] as const
const ROUNDS = 2

interface Sample {
  calls: number[]
  ms: number[]
}

/** One round of the three paths with one build, on a fresh host and root: calls and wall time per path. */
async function round(cli: string | undefined, samples: Sample[]): Promise<void> {
  const sim = await startPveSim({profile: 'pve8', state: {auth_fail_delay_ms: 50}})
  try {
    await sim.updateState((s) => void (s.faults.tool_latency_ms = LATENCY_MS))
    await paths(sim, cli, samples)
  } finally {
    await sim.stop()
  }
}

async function paths(sim: PveSim, cli: string | undefined, samples: Sample[]): Promise<void> {
  const at: ProxmoxRoot = await prepareRoot(sim)
  for (const [i, path] of PATHS.entries()) {
    const before = (await sim.hostCalls()).length
    const start = process.hrtime.bigint()
    const run = await runCli(
      ['init', 'proxmox', '--root', at.root, '--vault-password-file', at.passwordFile, ...path.args],
      {cli, env: {HOME: at.home}},
    )
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    if (run.code !== 0) throw new Error(`${path.name} (${cli ?? 'this checkout'}) exit ${run.code}: ${run.stderr}`)
    samples[i].calls.push((await sim.hostCalls()).length - before)
    samples[i].ms.push(ms)
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function span(values: number[]): string {
  const [min, max] = [Math.min(...values), Math.max(...values)]
  return min === max ? String(min) : `${min}-${max}`
}

const DAY = 86_400

/**
 * A renewal on Proxmox VE 9.1 (token modify --regenerate): a first run with TOKEN_EXPIRE=30, both clocks moved
 * 27 days, then a non-interactive re-run that renews the token in place. Host calls and wall time of that re-run.
 */
async function renewal(): Promise<{calls: number; ms: number}> {
  const sim = await startPveSim({profile: 'pve9.1', state: {auth_fail_delay_ms: 50}})
  try {
    await sim.updateState((s) => void (s.faults.tool_latency_ms = LATENCY_MS))
    const at = await prepareRoot(sim, {extraConfig: {TOKEN_EXPIRE: 30}})
    const args = ['init', 'proxmox', '--root', at.root, '--vault-password-file', at.passwordFile]
    const first = await runCli(args, {env: {HOME: at.home}})
    if (first.code !== 0) throw new Error(`renewal bench, first run exit ${first.code}: ${first.stderr}`)
    await sim.updateState((s) => void (s.clock_offset_s = 27 * DAY))
    const before = (await sim.hostCalls()).length
    const start = process.hrtime.bigint()
    const run = await runCli([...args, '--non-interactive'], {
      env: {HOME: at.home, HYOPS_TEST_CLOCK_OFFSET: String(27 * DAY)},
    })
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    if (run.code !== 0) throw new Error(`renewal bench exit ${run.code}: ${run.stderr}`)
    return {calls: (await sim.hostCalls()).length - before, ms}
  } finally {
    await sim.stop()
  }
}

async function renewalReport(): Promise<BenchReport> {
  const samples = [await renewal(), await renewal()]
  const calls = samples.map((s) => s.calls)
  const ms = median(samples.map((s) => s.ms))
  return report(
    `init proxmox renewal on 9.1 (token modify --regenerate): host calls ${span(calls)}, target <= 2 calls`,
    {label: 'no baseline (new path); the same run', ms},
    {label: `this checkout, ${span(calls)} calls`, ms},
    '<= 2 host calls',
    () => Math.max(...calls) <= 2,
  )
}

export async function bench(): Promise<BenchReport[]> {
  const previous = previousReleaseCli()
  if (!previous.cli) process.stderr.write(`host-calls: no previous release to compare: ${previous.why}\n`)
  try {
    const fresh = (): Sample[] => PATHS.map(() => ({calls: [], ms: []}))
    const base = fresh()
    const subject = fresh()
    for (let i = 0; i < ROUNDS; i++) {
      if (previous.cli) await round(previous.cli, base)
      await round(undefined, subject)
    }

    const renewed = await renewalReport()
    return [
      ...PATHS.map((path, i) => {
        const calls = median(subject[i].calls)
        const baselineMs = previous.cli ? median(base[i].ms) : median(subject[i].ms)
        return report(
          `init proxmox ${path.name}: host calls ${span(subject[i].calls)} (previous release ` +
            `${previous.cli ? span(base[i].calls) : 'n/a'}), target <= ${path.target} calls`,
          {
            label: `previous release ${previous.label}, ${previous.cli ? span(base[i].calls) : '?'} calls`,
            ms: baselineMs,
          },
          {label: `this checkout, ${span(subject[i].calls)} calls`, ms: median(subject[i].ms)},
          `<= ${path.target} host calls`,
          () => calls <= path.target,
        )
      }),
      renewed,
    ]
  } finally {
    await cleanupTempDirs()
  }
}
