import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {HyopsError} from '../../../../src/lib/errors.js'
import {checkSudo} from '../../../../src/lib/proxmox/bootstrap/stderr.js'
import {BOOTSTRAP_SCRIPT, bootstrapCommand, bootstrapInvocation} from '../../../../src/lib/proxmox/bootstrap/script.js'
import {testInputs} from './helpers.js'

describe('the bootstrap through sudo (PROXMOX_SSH_SUDO)', () => {
  const request = {inputs: testInputs({userFq: "o'brien@pve"}), tokenMode: 'create' as const, wantCa: false}

  it('runs exactly sudo -n bash -s, the inputs exported at the top of the script', () => {
    const plain = bootstrapInvocation(request)
    assert.deepEqual(plain, {command: bootstrapCommand(request), stdin: BOOTSTRAP_SCRIPT})
    const sudo = bootstrapInvocation({...request, sudo: true})
    assert.equal(sudo.command, 'sudo -n bash -s')
    assert.ok(sudo.stdin.endsWith(BOOTSTRAP_SCRIPT))
    const head = sudo.stdin.slice(0, sudo.stdin.length - BOOTSTRAP_SCRIPT.length)
    assert.match(head, /^export USER_FQ='o'\\''brien@pve'$/m)
    assert.match(head, /^export TOKEN_MODE='create'$/m)
    assert.match(head, /^export READ_ONLY='0'$/m)
  })

  it('names the sudoers rule when sudo refuses, and leaves other failures alone', () => {
    for (const stderr of [
      'sudo: a password is required\n',
      'Sorry, user deploy is not allowed to execute /usr/bin/bash -s as root on pve1.\n',
      'deploy is not in the sudoers file.\n',
      'bash: line 1: sudo: command not found\n',
    ]) {
      assert.throws(
        () => checkSudo('deploy@pve1:22', 'deploy', stderr),
        (error: HyopsError) => {
          assert.equal(error.exitCode, 20)
          assert.equal(error.reason, 'sudo-refused')
          assert.ok(error.hint?.includes('deploy ALL=(root) NOPASSWD: /usr/bin/bash -s'), error.hint)
          return true
        },
        stderr,
      )
    }

    assert.doesNotThrow(() => checkSudo('deploy@pve1:22', 'deploy', 'hyops-bootstrap: pveum failed\n'))
  })
})
