import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {chmod, mkdir, readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import ssh2 from 'ssh2'

import {ExitCode, HyopsError} from '../../../src/lib/errors.ts'
import {
  generateEd25519KeyPair,
  isWellFormedEd25519Pair,
  parsePublicKeyLine,
  publicKeyPath,
  readPublicKey,
} from '../../../src/lib/ssh/keygen.ts'
import {cleanupTempDirs, tempDir} from '../../helpers/cli.ts'
import {requireTool} from '../../helpers/tools.ts'

after(cleanupTempDirs)

const mode = async (path: string) => (await stat(path)).mode & 0o777

/**
 * An ssh2-generated ed25519 pair that ssh2 can load (its generator makes a broken one about once in 256 draws;
 * see below).
 */
function loadablePair(comment?: string): {private: string; public: string} {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', comment === undefined ? {} : {comment})
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair
  }
}

describe('generateEd25519KeyPair', () => {
  it('writes an OpenSSH ed25519 pair: private 0600, .pub 0644, in a new 0700 directory', async () => {
    const home = await tempDir()
    const privatePath = join(home, '.ssh', 'id_ed25519')
    const pair = await generateEd25519KeyPair(privatePath, 'hyops@test')
    assert.equal(pair.privatePath, privatePath)
    assert.equal(pair.publicPath, `${privatePath}.pub`)
    assert.equal(await mode(join(home, '.ssh')), 0o700)
    assert.equal(await mode(privatePath), 0o600)
    assert.equal(await mode(pair.publicPath), 0o644)

    const privateText = await readFile(privatePath, 'utf8')
    assert.match(privateText, /^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+-----END OPENSSH PRIVATE KEY-----\n$/)
    assert.equal(await readFile(pair.publicPath, 'utf8'), pair.publicKey + '\n')
    assert.match(pair.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/]+={0,2} hyops@test$/)

    // The two halves belong together.
    const parsed = ssh2.utils.parseKey(privateText)
    assert.ok(!(parsed instanceof Error))
    const key = Array.isArray(parsed) ? parsed[0] : parsed
    assert.equal(key.type, 'ssh-ed25519')
    assert.equal(pair.publicKey.split(' ')[1], key.getPublicSSH().toString('base64'))
  })

  it('OpenSSH reads the key it wrote', async () => {
    requireTool('ssh-keygen', 'openssh-client')
    const privatePath = join(await tempDir(), 'id_ed25519')
    const pair = await generateEd25519KeyPair(privatePath, 'c')
    const derived = execFileSync('ssh-keygen', ['-y', '-f', privatePath], {encoding: 'utf8'}).trim()
    assert.equal(derived.split(' ').slice(0, 2).join(' '), pair.publicKey.split(' ').slice(0, 2).join(' '))
  })

  it('never overwrites an existing private key or .pub, and leaves both untouched', async () => {
    const dir = await tempDir()
    const privatePath = join(dir, 'id_ed25519')
    await writeFile(privatePath, 'precious\n', {mode: 0o600})
    await assert.rejects(generateEd25519KeyPair(privatePath, 'c'), (error: unknown) => {
      assert.ok(error instanceof HyopsError)
      assert.equal(error.exitCode, ExitCode.Write)
      assert.equal(error.reason, 'key-exists')
      assert.ok(error.message.includes(privatePath))
      return true
    })
    assert.equal(await readFile(privatePath, 'utf8'), 'precious\n')
    await assert.rejects(stat(publicKeyPath(privatePath)), {code: 'ENOENT'})

    const other = join(dir, 'id_other')
    await writeFile(`${other}.pub`, 'ssh-ed25519 AAAA old\n')
    await assert.rejects(
      generateEd25519KeyPair(other, 'c'),
      (error: unknown) => error instanceof HyopsError && error.message.includes(`${other}.pub`),
    )
    await assert.rejects(stat(other), {code: 'ENOENT'})
    assert.equal(await readFile(`${other}.pub`, 'utf8'), 'ssh-ed25519 AAAA old\n')
  })

  it('keeps the mode of an existing directory', async () => {
    const dir = join(await tempDir(), 'keys')
    await mkdir(dir)
    await chmod(dir, 0o750)
    await generateEd25519KeyPair(join(dir, 'k'), 'c')
    assert.equal(await mode(dir), 0o750)
  })
})

describe('readPublicKey', () => {
  it('reads <key>.pub', async () => {
    const privatePath = join(await tempDir(), 'id_ed25519')
    const pair = await generateEd25519KeyPair(privatePath, 'me@host')
    assert.equal(await readPublicKey(privatePath), pair.publicKey)
  })

  it('derives the public key from the private key when the .pub is missing', async () => {
    const dir = await tempDir()
    const pair = loadablePair('derived')
    const privatePath = join(dir, 'id_ed25519')
    await writeFile(privatePath, pair.private, {mode: 0o600})
    assert.equal(await readPublicKey(privatePath), pair.public.trim())
  })

  it('is undefined when there is no key, or only a passphrase-protected private key', async () => {
    const dir = await tempDir()
    assert.equal(await readPublicKey(join(dir, 'none')), undefined)
    const pair = ssh2.utils.generateKeyPairSync('ed25519', {cipher: 'aes256-ctr', passphrase: 'pp-secret', rounds: 4})
    await writeFile(join(dir, 'locked'), pair.private, {mode: 0o600})
    assert.equal(await readPublicKey(join(dir, 'locked')), undefined)
  })

  it('a .pub that holds no public key is exit 11 naming the file', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'k.pub'), 'not a key\n')
    await assert.rejects(readPublicKey(join(dir, 'k')), (error: unknown) => {
      assert.ok(error instanceof HyopsError)
      assert.equal(error.exitCode, ExitCode.ConfigInvalid)
      assert.ok(error.message.includes(join(dir, 'k.pub')))
      return true
    })
  })
})

describe('parsePublicKeyLine', () => {
  const {public: line} = loadablePair('a comment with spaces')

  it('takes a key line apart', () => {
    const parsed = parsePublicKeyLine(line)
    assert.ok(parsed)
    assert.equal(parsed.type, 'ssh-ed25519')
    assert.equal(parsed.comment, 'a comment with spaces')
    assert.equal(`${parsed.type} ${parsed.blob} ${parsed.comment}`, line.trim())
    assert.equal(parsePublicKeyLine(line.split(' ').slice(0, 2).join('\t'))?.comment, undefined)
  })

  it('refuses what is not one key line', () => {
    const [type, blob] = line.split(' ')
    for (const bad of [
      '',
      'ssh-ed25519',
      `${type} ${blob.slice(0, 20)}`,
      `ssh-rsa ${blob}`,
      `${type} ${blob} x\ny`,
      `${line}\n${line}`,
      'ssh-ed25519 !!!!',
    ]) {
      assert.equal(parsePublicKeyLine(bad), undefined, JSON.stringify(bad))
    }
  })
})

describe('ssh2 generator bug: a public key that starts with a zero byte', () => {
  /** Draws pairs from ssh2 until it makes a broken one (about one in 256). */
  function brokenPair(): {private: string; public: string} {
    for (let draw = 0; draw < 10_000; draw++) {
      const pair = ssh2.utils.generateKeyPairSync('ed25519', {comment: 'c'})
      if (ssh2.utils.parseKey(pair.private) instanceof Error) return pair
    }

    throw new Error('ssh2 made no broken key in 10000 draws: the bug may be fixed, drop this workaround')
  }

  it('is recognised, so generateEd25519KeyPair draws again instead of writing it', async () => {
    const broken = brokenPair()
    assert.equal(await isWellFormedEd25519Pair(broken), false)
    assert.equal(parsePublicKeyLine(broken.public), undefined, 'a 31-byte ed25519 public key passed as a key line')
    const good = await generateEd25519KeyPair(join(await tempDir(), 'good'), 'c')
    assert.equal(
      await isWellFormedEd25519Pair({private: await readFile(good.privatePath, 'utf8'), public: good.publicKey}),
      true,
    )
  })

  it('every generated pair loads in ssh2', async () => {
    const dir = await tempDir()
    for (let i = 0; i < 64; i++) {
      const pair = await generateEd25519KeyPair(join(dir, `k${i}`), 'c')
      const parsed = ssh2.utils.parseKey(await readFile(pair.privatePath, 'utf8'))
      assert.ok(!(parsed instanceof Error), `key ${i} does not load: ${String(parsed)}`)
    }
  })
})
