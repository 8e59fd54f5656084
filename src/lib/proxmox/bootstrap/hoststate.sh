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

# Reads the user's enable and expire fields from the answer of 'pveum user list' (stdin).
check_user_state() {
  local state
  state=$(perl -MJSON::PP -e '
    local $/; my $list = decode_json(<STDIN>); my $user = shift;
    for my $u (ref $list eq "ARRAY" ? @$list : ()) {
      next unless ref $u eq "HASH" && ($u->{userid} // "") eq $user;
      my $expire = $u->{expire} // 0;
      if (defined $u->{enable} && !$u->{enable}) { print "disabled\n" }
      elsif ($expire && $expire < time) { print "expired ", scalar(gmtime($expire)), " UTC\n" }
      exit 0;
    }' "$USER_FQ") || die "cannot read the answer of 'pveum user list'"
  case $state in
    disabled)
      die "the API user $USER_FQ is disabled on the host, so its token cannot log in:" \
        "enable it with 'pveum user modify $USER_FQ --enable 1', then re-run" ;;
    expired*)
      die "the API user $USER_FQ ${state/expired/expired on}, so its token cannot log in:" \
        "extend it with 'pveum user modify $USER_FQ --expire 0', then re-run" ;;
  esac
  return 0
}
