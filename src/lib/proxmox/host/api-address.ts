// The host part of proxmox_url: PROXMOX_API_HOST when set; otherwise the address the host
// reports about itself when this machine reaches the API there (and, with verified TLS, the
// certificate names it), else PROXMOX_IP, the address SSH reached. Behind NAT, a VPN or a
// proxy the reported address is often unreachable from here.

import {isIP} from 'node:net'
import {connect} from 'node:tls'

import {trustedRoots} from '../../http/roots.js'
import type {ApiIpSource, ProxmoxInputs} from '../types.js'

/** How a TLS connection to one candidate went. */
export type ApiProbe = 'ok' | 'unreachable' | 'wrong-name' | 'tls'

const PROBE_TIMEOUT_MS = 4000

/** A TLS handshake with `host:port`, verified as validation will verify it; never sends a request. */
export function probeApi(host: string, port: number, tlsSkip: boolean, caPem?: string): Promise<ApiProbe> {
  return new Promise((resolve) => {
    const socket = connect({
      ...(caPem ? {ca: trustedRoots(caPem)} : {}),
      host,
      port,
      rejectUnauthorized: !tlsSkip,
      ...(isIP(host) ? {} : {servername: host}),
    })
    const done = (result: ApiProbe) => {
      socket.destroy()
      resolve(result)
    }

    socket.setTimeout(PROBE_TIMEOUT_MS, () => done('unreachable'))
    socket.once('secureConnect', () => done('ok'))
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID') done('wrong-name')
      else if (/^(ECONN|EHOST|ENET|ETIMEDOUT|EAI_|ENOTFOUND)/.test(error.code ?? '')) done('unreachable')
      else done('tls')
    })
  })
}

/** The chosen address, where it came from, and what was tried (for the evidence). */
export interface ApiAddressChoice {
  apiIp: string
  source: ApiIpSource
  tried: Array<{host: string; source: ApiIpSource; probe: ApiProbe}>
}

/**
 * Picks the API address. `reported` is what the host said about itself (or an earlier run's
 * choice). A candidate that answers with any other TLS failure is kept: validation then
 * reports that failure with its real cause.
 */
export async function chooseApiAddress(
  inputs: Pick<ProxmoxInputs, 'apiHost' | 'apiPort' | 'host' | 'tlsSkip'>,
  reported: string | undefined,
  caPem: string | undefined,
): Promise<ApiAddressChoice> {
  if (inputs.apiHost) return {apiIp: inputs.apiHost, source: 'api_host', tried: []}
  const candidates: Array<{host: string; source: ApiIpSource}> = []
  if (reported && reported !== inputs.host) candidates.push({host: reported, source: 'reported'})
  candidates.push({host: inputs.host, source: 'proxmox_ip'})
  const tried: ApiAddressChoice['tried'] = []
  for (const candidate of candidates) {
    const probe = await probeApi(candidate.host, inputs.apiPort, inputs.tlsSkip, caPem)
    tried.push({...candidate, probe})
    if (probe === 'ok' || probe === 'tls') return {apiIp: candidate.host, source: candidate.source, tried}
  }

  const last = candidates.at(-1)!
  return {apiIp: last.host, source: last.source, tried}
}

/** The runtime with `apiIp`/`apiIpSource` set by {@link chooseApiAddress}. */
export async function withApiAddress<F extends {runtime: {apiIp: string; reportedIp?: string}}>(
  found: F,
  inputs: Pick<ProxmoxInputs, 'apiHost' | 'apiPort' | 'host' | 'tlsSkip'>,
  caPem: string | undefined,
): Promise<{found: F; choice: ApiAddressChoice}> {
  const choice = await chooseApiAddress(inputs, found.runtime.reportedIp ?? found.runtime.apiIp, caPem)
  return {choice, found: {...found, runtime: {...found.runtime, apiIp: choice.apiIp, apiIpSource: choice.source}}}
}
