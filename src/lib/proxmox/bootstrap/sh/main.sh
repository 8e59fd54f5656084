# shellcheck shell=bash
# The order of the bootstrap: every read before any change.

main() {
  # The client's stdin goes on after the script (its "kept" answer, read by await_kept): fd 3 keeps it.
  exec 3<&0 </dev/null
  check_inputs
  discover_node
  discover_storages
  discover_bridge
  discover_ip
  discover_host
  if [ "$WANT_CA" = 1 ]; then read_ca; fi
  check_quorum
  read_usercfg
  check_user_state
  emit TOKEN_EXISTS "$TOKEN_EXISTS"
  if [ "$TOKEN_EXISTS" = 1 ]; then emit TOKEN_PRIVSEP "$TOKEN_PRIVSEP_NOW"; fi
  # An existing token in create mode is reported and left alone: the caller decides.
  if [ "$TOKEN_MODE" = create ] && [ "$TOKEN_EXISTS" = 1 ]; then return 0; fi
  plan_role
  check_go 'the user check'
  ensure_user
  check_go 'the token step'
  apply_token_mode
  check_go 'the role'
  ensure_role
  ensure_grants
  report_role
}

main
