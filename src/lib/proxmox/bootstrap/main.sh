# shellcheck shell=bash
# The order of the bootstrap: every read before any change.

main() {
  exec </dev/null
  check_inputs
  discover_node
  discover_storages
  discover_bridge
  discover_ip
  discover_host
  if [ "$WANT_CA" = 1 ]; then read_ca; fi
  check_quorum
  ensure_user
  check_token
  emit TOKEN_EXISTS "$TOKEN_EXISTS"
  # An existing token in create mode is reported and left alone: the caller decides.
  if [ "$TOKEN_MODE" = create ] && [ "$TOKEN_EXISTS" = 1 ]; then return 0; fi
  apply_token_mode
  ensure_acls
}

main
