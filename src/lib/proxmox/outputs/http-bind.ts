import {createSocket} from 'node:dgram'
import {isIPv6} from 'node:net'

/**
 * The local address this machine would use to reach `host` (for Packer's HTTP server,
 * HTTP_BIND_ADDRESS): a connected UDP socket picks the route without sending a packet.
 * Empty when there is no route or the name does not resolve.
 */
export async function detectBindAddress(host: string, port: number): Promise<string> {
  const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4')
  try {
    return await new Promise<string>((resolve) => {
      socket.once('error', () => resolve(''))
      socket.connect(port, host, () => {
        try {
          resolve(socket.address().address)
        } catch {
          resolve('')
        }
      })
    })
  } finally {
    socket.close()
  }
}
