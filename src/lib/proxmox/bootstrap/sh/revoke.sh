# shellcheck shell=bash
# shellcheck disable=SC2034 # the REVOKE_* globals are read by revoke-main.sh
# hyops revoke on the host: takes back what the bootstrap gave, and nothing else. What exists comes from user.cfg
# (usercfg.sh); each removal is one pveum call, made only when there is something to remove:
# - the token ('pveum user token remove'; its own grants go with it);
# - the role's grant on / for the user ('pveum acl delete'), or the whole user ('pveum user delete', its grants and
#   tokens with it) when the client says hyops made it (DELETE_USER=1, from the marker);
# - the managed role ('pveum role delete') once no grant of anyone else names it (ROLE_OTHER_GRANTS).
# Each step says what it removed (framed lines), so a run cut off part-way is finished by the next one.

check_revoke_inputs() {
  : "${USER_FQ:?}" "${TOKEN_NAME:?}" "${ROLE_NAME:?}" "${HYOPS_FRAME:?}"
  export HYOPS_FRAME
  DELETE_USER=${DELETE_USER:-0}
  READ_ONLY=0
  command -v pveum >/dev/null 2>&1 || die "'pveum' not found on this host: is it a Proxmox VE node?"
  command -v perl >/dev/null 2>&1 || die "'perl' not found on this host"
}

revoke_token() {
  [ "$TOKEN_EXISTS" = 1 ] || return 0
  check_go 'removing the token'
  pveum user token remove "$USER_FQ" "$TOKEN_NAME" || die "cannot remove the token $USER_FQ!$TOKEN_NAME"
  emit TOKEN_REMOVED 1
}

revoke_user_or_grant() {
  [ "$USER_EXISTS" = 1 ] || return 0
  if [ "$DELETE_USER" = 1 ]; then
    check_go 'removing the user'
    pveum user delete "$USER_FQ" || die "cannot remove the user $USER_FQ"
    emit USER_REMOVED 1
  elif [ "$GRANTED_USER" = 1 ]; then
    check_go 'removing the grant'
    pveum acl delete / --users "$USER_FQ" --roles "$ROLE_NAME" || die "cannot remove the grant of $ROLE_NAME on / to $USER_FQ"
    emit GRANT_REMOVED 1
  fi
}

revoke_role() {
  [ "$ROLE_EXISTS" = 1 ] || return 0
  if [ "$ROLE_OTHER_GRANTS" -gt 0 ]; then
    emit ROLE_KEPT "$ROLE_OTHER_GRANTS"
    return 0
  fi
  check_go 'removing the role'
  pveum role delete "$ROLE_NAME" || die "cannot remove the role $ROLE_NAME"
  emit ROLE_REMOVED 1
}
