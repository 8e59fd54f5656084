# shellcheck shell=bash
set -euo pipefail
export LC_ALL=C

die() { printf 'hyops-bootstrap: %s\n' "$*" >&2; exit 1; }
# A value line, framed with this run's tag (HYOPS_FRAME, sent on stdin) so that nothing the host prints by
# itself (a chatty .bashrc, a name holding a newline) can pass for one. A value with a control character is dropped.
emit() {
  case $2 in
    *[[:cntrl:]]*) printf 'hyops-bootstrap: %s not reported: its value holds a control character\n' "$1" >&2 ;;
    *) printf 'EXPORT:%s:%s=%s\n' "$HYOPS_FRAME" "$1" "$2" ;;
  esac
}

# Before each step that changes the host: goes on only while the client is there and has not asked to stop
# (a "stop <frame>" line, or the end of its stdin when it went away, on fd 3).
check_go() {
  local line='' status=0
  IFS= read -r -t 0.05 line <&3 || status=$?
  [ "$status" -gt 128 ] && return 0
  die "the client stopped the run before $1"
}

# Waits for the client's word that it has put the new token secret on disk (the line "kept <frame>" on fd 3,
# the rest of the client's stdin); without it nothing else is changed on the host.
await_kept() {
  local line=''
  IFS= read -r -t "${KEPT_TIMEOUT:-60}" line <&3 || true
  [ "$line" = "kept $HYOPS_FRAME" ] || die "the client did not confirm that it kept the new token secret; stopping here"
}

check_inputs() {
  : "${USER_FQ:?}" "${TOKEN_NAME:?}" "${TOKEN_MODE:?}" "${HYOPS_FRAME:?}"
  export HYOPS_FRAME
  ROLE_NAME=${ROLE_NAME:-HyopsAutomation}
  : "${ROLE_PRIVS:?}"
  WANT_PRIVSEP=${WANT_PRIVSEP:-0}
  TOKEN_EXPIRE=${TOKEN_EXPIRE:-0}
  TOKEN_COMMENT=${TOKEN_COMMENT:-}
  FALLBACK_STORAGE_VM=${FALLBACK_STORAGE_VM:-}
  FALLBACK_STORAGE_ISO=${FALLBACK_STORAGE_ISO:-}
  FALLBACK_STORAGE_SNIPPETS=${FALLBACK_STORAGE_SNIPPETS:-$FALLBACK_STORAGE_ISO}
  FALLBACK_BRIDGE=${FALLBACK_BRIDGE:-}
  WANT_CA=${WANT_CA:-0}
  READ_ONLY=${READ_ONLY:-0}
  case $TOKEN_MODE in keep | create | rotate) ;; *) die "TOKEN_MODE must be keep, create or rotate, not '$TOKEN_MODE'" ;; esac
  local tool
  for tool in pveum pvesh perl hostname ip; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on this host: is it a Proxmox VE node?"
  done
  perl -MJSON::PP -e 1 2>/dev/null || die "perl's JSON::PP module is missing on this host"
}

