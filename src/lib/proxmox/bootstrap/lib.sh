set -euo pipefail
export LC_ALL=C

die() { printf 'hyops-bootstrap: %s\n' "$*" >&2; exit 1; }
emit() { printf 'EXPORT:%s=%s\n' "$1" "$2"; }

# Prints "1<TAB>field" for the first object in a JSON array (stdin) whose KEY equals VALUE, else "0".
json_find() {
  perl -MJSON::PP -e '
    local $/; my $list = decode_json(<STDIN>); my ($key, $value, $field) = @ARGV;
    die "expected a JSON array\n" unless ref $list eq "ARRAY";
    for my $o (@$list) {
      next unless ref $o eq "HASH" && defined $o->{$key} && "$o->{$key}" eq $value;
      my $f = defined $field && defined $o->{$field} ? "$o->{$field}" : "";
      print "1\t$f\n"; exit 0;
    }
    print "0\n";' "$@"
}

check_inputs() {
  : "${USER_FQ:?}" "${TOKEN_NAME:?}" "${TOKEN_MODE:?}"
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

