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
  check_go 'the user check'
  ensure_user
  check_token
  emit TOKEN_EXISTS "$TOKEN_EXISTS"
  # An existing token in create mode is reported and left alone: the caller decides.
  if [ "$TOKEN_MODE" = create ] && [ "$TOKEN_EXISTS" = 1 ]; then return 0; fi
  check_go 'the token step'
  apply_token_mode
  check_go 'the ACLs'
  ensure_acls
}

main
