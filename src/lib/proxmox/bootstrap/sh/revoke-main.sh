# shellcheck shell=bash
# The order of a revoke on the host: every read first, then the token (its secret dies first), then the grant or
# the user, then the role. REVOKE_STEPS is the one list of host-side steps: a feature that adds something to the
# host for hyops (another piece sent before this one) appends its own removal step to it.

REVOKE_STEPS=(revoke_token revoke_user_or_grant revoke_role ${REVOKE_EXTRA_STEPS[@]+"${REVOKE_EXTRA_STEPS[@]}"})

revoke_main() {
  local step
  exec 3<&0 </dev/null
  check_revoke_inputs
  check_quorum
  read_usercfg
  emit TOKEN_EXISTS "$TOKEN_EXISTS"
  emit USER_EXISTS "$USER_EXISTS"
  emit ROLE_EXISTS "$ROLE_EXISTS"
  for step in "${REVOKE_STEPS[@]}"; do "$step"; done
  emit REVOKE_DONE 1
}

revoke_main
