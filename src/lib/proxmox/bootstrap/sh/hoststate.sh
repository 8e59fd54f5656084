# shellcheck shell=bash
# Host states that make any change fail, checked before the first change so that nothing is
# half done: a cluster without quorum, and an API user that is disabled or expired.

# pmxcfs makes /etc/pve read-only without quorum and every write fails ("cfs-lock ... no quorum!").
check_quorum() {
  local members="${HYOPS_PVE_ETC:-/etc/pve}/.members"
  [ "$READ_ONLY" = 1 ] && return 0
  [ -r "$members" ] || return 0
  if grep -Eq '"quorate": *0' "$members"; then
    die "the cluster has no quorum, so Proxmox refuses every change (cfs-lock ... no quorum!):" \
      "bring the other nodes back, check 'pvecm status' (on a node left alone: 'pvecm expected 1'), then re-run"
  fi
}

# The user's enable and expire fields, from user.cfg (read_usercfg).
check_user_state() {
  [ "$USER_EXISTS" = 1 ] || return 0
  if [ "$USER_ENABLE" = 0 ]; then
    die "the API user $USER_FQ is disabled on the host, so its token cannot log in:" \
      "enable it with 'pveum user modify $USER_FQ --enable 1', then re-run"
  fi
  if [ "$USER_EXPIRE" -gt 0 ] && [ "$USER_EXPIRE" -lt "$(date +%s)" ]; then
    die "the API user $USER_FQ expired on $(date -u -d "@$USER_EXPIRE" '+%a %b %e %H:%M:%S %Y') UTC, so its" \
      "token cannot log in: extend it with 'pveum user modify $USER_FQ --expire 0', then re-run"
  fi
}
