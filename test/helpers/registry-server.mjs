// A throw-away npm registry (verdaccio) for the install tests, in its own process:
// node registry-server.mjs <storage dir>. Listens on 127.0.0.1 and a free port, prints
// {"port": N} on stdout once it accepts requests. No uplinks: it serves only what is published to it.
import {join} from 'node:path'

import verdaccio from 'verdaccio'

async function main() {
  const dir = process.argv[2]
  const server = await verdaccio.runServer({
    auth: {htpasswd: {file: join(dir, 'htpasswd'), max_users: 10}},
    log: {level: 'fatal', type: 'stdout'},
    packages: {'**': {access: '$all', publish: '$authenticated'}},
    self_path: dir,
    storage: join(dir, 'storage'),
    uplinks: {},
  })
  server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({port: server.address().port}) + '\n'))
  // The test holds stdin open: when it ends (the test finished or died), so does the registry.
  process.stdin.on('end', () => process.exit(0)).resume()
}

main().catch((error) => {
  process.stderr.write(`registry-server: ${error.stack ?? error}\n`)
  process.exit(1)
})
