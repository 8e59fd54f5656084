// The Proxmox API's base URL, as the credentials file and validation name it.
import {isIPv6} from 'node:net'

/** `https://<ip>:<port>/api2/json`, an IPv6 address in brackets. */
export function proxmoxUrl(apiIp: string, port: number): string {
  const host = isIPv6(apiIp) ? `[${apiIp}]` : apiIp
  return `https://${host}:${port}/api2/json`
}

/** Host (IPv6 without brackets) and port of a `proxmox_url`; undefined when it does not parse. */
export function parseProxmoxUrl(url: string): {host: string; port: number} | undefined {
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined
    const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname
    const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port)
    return host === '' ? undefined : {host, port}
  } catch {
    return undefined
  }
}
