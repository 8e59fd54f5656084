import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {HyopsError} from '../../../../src/lib/errors.js'
import {BOOTSTRAP_SCRIPT, bootstrapCommand, bootstrapEnv} from '../../../../src/lib/proxmox/bootstrap/script.js'
import {discoveryFromExports, isLoopback} from '../../../../src/lib/proxmox/bootstrap/exports.js'
import {parseExports} from '../../../../src/lib/proxmox/bootstrap/framing.js'
import {summarizeStderr} from '../../../../src/lib/proxmox/bootstrap/stderr.js'
import {fallbacksOf, type ProxmoxInputs} from '../../../../src/lib/proxmox/types.js'
import {PROJECT_ROOT} from '../../../helpers/cli.js'
import {testInputs} from './helpers.js'

const ALL_DETECTED = {
  BRIDGE: 'vmbr1',
  BRIDGE_SOURCE: 'detected',
  IP: '10.0.0.5',
  NODE: 'pve1',
  STORAGE_ISO: 'iso-store',
  STORAGE_ISO_SOURCE: 'detected',
  STORAGE_SNIPPETS: 'snip',
  STORAGE_SNIPPETS_SOURCE: 'detected',
  STORAGE_VM: 'fast',
  STORAGE_VM_SOURCE: 'detected',
  TOKEN_EXISTS: '0',
}

function rejectsWithReason(fn: () => unknown, reason: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof HyopsError)
    assert.equal(error.exitCode, 20)
    assert.equal(error.reason, reason)
    return true
  })
}

describe('parseExports', () => {
  it('keeps only EXPORT:<frame>:NAME=VALUE lines, values whole (with = and spaces), the last one winning', () => {
    const stdout = [
      'some noise',
      'EXPORT:ab12:NODE=pve1\r',
      'EXPORT:ab12:STORAGE_VM=local-lvm',
      '  EXPORT:ab12:INDENTED=no',
      'EXPORT:ab12:lower=no',
      'EXPORT:ab12:CA_PEM_B64=QUJD==',
      'EXPORT:ab12:EMPTY=',
      'EXPORT:ab12:STORAGE_VM=fast store',
      'EXPORT:ab12:TOKEN_SECRET=a=b=c',
      'EXPORT:ab12:=novalue',
      'EXPORT:TOKEN_SECRET=unframed',
      'EXPORT:ffff:NODE=other-frame',
      '',
    ].join('\n')
    assert.deepEqual(parseExports(stdout, 'ab12'), {
      CA_PEM_B64: 'QUJD==',
      EMPTY: '',
      NODE: 'pve1',
      STORAGE_VM: 'fast store',
      TOKEN_SECRET: 'a=b=c',
    })
  })

  it('reads nothing from empty output', () => {
    assert.deepEqual(parseExports('', 'ab12'), {})
  })
})

/** The exports mapped with the fallbacks and role name of `inputs`, as a run maps them. */
function discover(exports: Record<string, string>, inputs: ProxmoxInputs) {
  return discoveryFromExports(exports, fallbacksOf(inputs), inputs.roleName)
}

describe('discoveryFromExports', () => {
  it('takes what the host detected', () => {
    assert.deepEqual(discover(ALL_DETECTED, testInputs({host: '10.0.0.5'})), {
      apiIp: '10.0.0.5',
      bridge: 'vmbr1',
      bridgeSource: 'detected',
      node: 'pve1',
      reportedIp: '10.0.0.5',
      storageIso: 'iso-store',
      storageIsoSource: 'detected',
      storageSnippets: 'snip',
      storageSnippetsSource: 'detected',
      storageVm: 'fast',
      storageVmSource: 'detected',
      tokenExisted: false,
    })
  })

  it('falls back on the inputs for what is missing or empty, and keeps a fallback source', () => {
    const inputs = testInputs({
      fallbackBridge: 'vmbr9',
      fallbackStorageIso: 'iso-fb',
      fallbackStorageSnippets: 'snip-fb',
      fallbackStorageVm: 'vm-fb',
      host: 'pve.lab',
    })
    const found = discover(
      {
        NODE: 'pve1',
        STORAGE_ISO: '',
        STORAGE_SNIPPETS: 'snip-fb',
        STORAGE_SNIPPETS_SOURCE: 'fallback',
        STORAGE_VM_SOURCE: 'detected',
      },
      inputs,
    )
    assert.deepEqual(
      [
        found.storageVm,
        found.storageVmSource,
        found.storageIso,
        found.storageIsoSource,
        found.storageSnippets,
        found.storageSnippetsSource,
        found.bridge,
        found.bridgeSource,
        found.apiIp,
      ],
      ['vm-fb', 'fallback', 'iso-fb', 'fallback', 'snip-fb', 'fallback', 'vmbr9', 'fallback', 'pve.lab'],
    )
  })

  it('does not trust a value whose source is missing or unknown', () => {
    const found = discover({...ALL_DETECTED, BRIDGE_SOURCE: 'guessed', STORAGE_VM_SOURCE: ''}, testInputs())
    assert.equal(found.bridgeSource, 'fallback')
    assert.equal(found.bridge, 'vmbr1')
    assert.equal(found.storageVmSource, 'fallback')
  })

  it('uses the SSH host when the host reports a loopback API address but was reached at another', () => {
    assert.equal(discover({...ALL_DETECTED, IP: '127.0.1.1'}, testInputs({host: 'pve.lab'})).apiIp, 'pve.lab')
    assert.equal(discover({...ALL_DETECTED, IP: '127.0.0.1'}, testInputs({host: '127.0.0.1'})).apiIp, '127.0.0.1')
    assert.equal(discover({...ALL_DETECTED, IP: '192.168.1.20'}, testInputs({host: 'pve.lab'})).apiIp, '192.168.1.20')
  })

  it('fails with no-node without a node name', () => {
    rejectsWithReason(() => discover({...ALL_DETECTED, NODE: ''}, testInputs()), 'no-node')
    rejectsWithReason(() => discover({}, testInputs()), 'no-node')
  })

  it('reports the token state, the secret and the CA', async () => {
    const pem = await readFile(join(PROJECT_ROOT, 'test', 'fixtures', 'tls', 'ca.pem'), 'utf8')
    const found = discover(
      {...ALL_DETECTED, CA_PEM_B64: Buffer.from(pem).toString('base64'), TOKEN_EXISTS: '1', TOKEN_SECRET: 'abc-123'},
      testInputs(),
    )
    assert.equal(found.tokenExisted, true)
    assert.equal(found.tokenSecret, 'abc-123')
    assert.equal(found.caPem, pem)
    assert.equal('tokenSecret' in discover(ALL_DETECTED, testInputs()), false)
    rejectsWithReason(
      () => discover({...ALL_DETECTED, CA_PEM_B64: Buffer.from('not a cert').toString('base64')}, testInputs()),
      'bad-ca',
    )
  })
})

describe('summarizeStderr', () => {
  it('gives the last line, with the cause when the last line is the script own message', () => {
    assert.equal(summarizeStderr('warning\nsomething broke\n'), 'something broke')
    assert.equal(
      summarizeStderr('noise\ntoken_add_fails: no\nhyops-bootstrap: cannot create the token a@pve!t\n\n'),
      'cannot create the token a@pve!t: token_add_fails: no',
    )
    assert.equal(summarizeStderr('hyops-bootstrap: one\nhyops-bootstrap: two\n'), 'two')
    assert.equal(summarizeStderr(''), 'no error output')
    assert.equal(summarizeStderr('x'.repeat(500)).length, 300)
  })
})

describe('isLoopback', () => {
  it('knows 127/8, ::1 and localhost', () => {
    for (const host of ['127.0.0.1', '127.0.1.1', '::1', '[::1]', 'LOCALHOST']) assert.ok(isLoopback(host), host)
    for (const host of ['10.0.0.1', 'pve.lab', '1127.0.0.1', '::2']) assert.ok(!isLoopback(host), host)
  })
})

describe('bootstrapCommand', () => {
  it('passes every input as a quoted environment assignment to bash -s, whatever the values hold', () => {
    const inputs = testInputs({
      fallbackBridge: "br'0 $(id)",
      fallbackStorageIso: 'iso `x`',
      fallbackStorageSnippets: 'a b',
      fallbackStorageVm: '$HOME',
      tokenName: 'tok',
      userFq: "o'brien@pve",
    })
    const request = {inputs, readOnly: true, tokenMode: 'rotate' as const, wantCa: true}
    const command = bootstrapCommand(request)
    assert.ok(command.startsWith('env USER_FQ=') && command.endsWith(' bash -s'), command)
    const printer =
      'for n in USER_FQ TOKEN_NAME TOKEN_MODE ROLE_NAME ROLE_PRIVS ROLE_STRICT WANT_PRIVSEP TOKEN_EXPIRE ' +
      'TOKEN_COMMENT FALLBACK_STORAGE_VM FALLBACK_STORAGE_ISO ' +
      'FALLBACK_STORAGE_SNIPPETS FALLBACK_BRIDGE WANT_CA READ_ONLY; do printf "%s=%s\\n" "$n" "${!n}"; done'
    const out = execFileSync('bash', ['-c', command], {encoding: 'utf8', input: printer})
    const env = bootstrapEnv(request)
    assert.equal(
      out,
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    )
    assert.equal(env.FALLBACK_BRIDGE, "br'0 $(id)")
    assert.equal(env.WANT_CA, '1')
    assert.equal(env.READ_ONLY, '1')
    assert.equal(bootstrapEnv({...request, readOnly: undefined, wantCa: false}).READ_ONLY, '0')
  })

  it('is a script bash can parse, with no JavaScript left in it', () => {
    execFileSync('bash', ['-n'], {input: BOOTSTRAP_SCRIPT})
    assert.ok(!BOOTSTRAP_SCRIPT.includes('\\${'))
    assert.match(BOOTSTRAP_SCRIPT, /^# shellcheck shell=bash\nset -euo pipefail\n/)
    assert.match(BOOTSTRAP_SCRIPT, /\nmain\n$/)
    for (const tool of ['jq', 'python']) assert.doesNotMatch(BOOTSTRAP_SCRIPT, new RegExp(`\\b${tool}\\b`))
  })
})
