# shellcheck shell=bash
# The provider SSH account on one node (docs/proxmox.md, "The provider SSH account"), run as root after lib.sh.
# Inputs: ACCOUNT (the Linux account), ACCOUNT_MODE (check | apply | remove), ACCOUNT_KEY (its public key line;
# apply), WANT_IDMAP (1: also the rules for container idmap), HYOPS_FRAME.
# check changes nothing; apply makes or keeps the account, its authorized_keys and its sudoers drop-in, and takes
# back what it made in this run when a later step fails; remove takes away the account and the drop-in.

ACCOUNT_GECOS='hyops provider SSH account'
# The oldest sudo that takes regular expressions in a command's arguments (sudoers(5), "Regular expressions").
SUDO_REGEX_MIN=1.9.10

account_inputs() {
  : "${ACCOUNT:?}" "${ACCOUNT_MODE:?}" "${HYOPS_FRAME:?}"
  WANT_IDMAP=${WANT_IDMAP:-0}
  NODE=$(hostname) || die "'hostname' failed"
  NODE=${NODE%%.*}
  case $ACCOUNT in
    root | [!a-z_]* | *[!a-z0-9_-]*) die "PROVIDER_SSH_USER '$ACCOUNT' is not a usable account name" ;;
  esac
  [ "${#ACCOUNT}" -le 32 ] || die "PROVIDER_SSH_USER '$ACCOUNT' is longer than 32 characters"
  SUDOERS_FILE=/etc/sudoers.d/hyops-$ACCOUNT
  emit NODE "$NODE"
}

# An account of that name that hyops did not make is never taken over (it may be someone's login).
account_state() {
  local entry
  ACCOUNT_EXISTS=0
  if entry=$(getent passwd "$ACCOUNT"); then
    ACCOUNT_EXISTS=1
    ACCOUNT_HOME=$(printf '%s' "$entry" | cut -d: -f6)
    [ "$(printf '%s' "$entry" | cut -d: -f5)" = "$ACCOUNT_GECOS" ] \
      || die "node $NODE already has an account '$ACCOUNT' that hyops did not make; choose another PROVIDER_SSH_USER"
  fi
  emit ACCOUNT_EXISTS "$ACCOUNT_EXISTS"
}

# sudo and visudo, and whether this sudo takes regular expressions (else the tee rule is left out).
sudo_state() {
  if ! command -v sudo >/dev/null 2>&1 || ! command -v visudo >/dev/null 2>&1; then
    emit SUDO_MISSING 1
    die "sudo is not installed on node $NODE; install it there with 'apt install sudo' and re-run"
  fi
  SUDO_VERSION=$(sudo -V 2>/dev/null | sed -n 's/^Sudo version \([0-9][0-9.]*\).*/\1/p' | head -n1)
  [ -n "$SUDO_VERSION" ] || die "cannot read the sudo version on node $NODE ('sudo -V')"
  emit SUDO_VERSION "$SUDO_VERSION"
  if [ "$(printf '%s\n%s\n' "$SUDO_REGEX_MIN" "$SUDO_VERSION" | sort -V | head -n1)" = "$SUDO_REGEX_MIN" ]; then
    TEE_RULE=1
  else
    TEE_RULE=0
  fi
  emit TEE_RULE "$TEE_RULE"
}

# The snippets folder of each enabled snippets storage on this node, from storage.cfg (pve-storage
# PVE/Storage/Plugin.pm: a storage's path, or /mnt/pve/<id> for the network storages, then its content-dirs entry
# for snippets or 'snippets'). A folder with a character outside [A-Za-z0-9_./-] or a '..' gets no rule.
snippets_dirs() {
  local cfg="${HYOPS_PVE_ETC:-/etc/pve}/storage.cfg"
  SNIPPETS_DIRS=''
  [ -r "$cfg" ] || return 0
  SNIPPETS_DIRS=$(perl -e '
    my ($node) = @ARGV; my (@list, $s);
    while (<STDIN>) {
      next if /^\s*(#|$)/;
      if (/^(\S+):\s*(\S+)\s*$/) { $s = { type => $1, id => $2 }; push @list, $s; next }
      $s->{$1} = defined $2 ? $2 : 1 if $s && /^\s+(\S+)(?:\s+(.*\S))?\s*$/;
    }
    my %mounted = map { $_ => 1 } qw(nfs cifs cephfs glusterfs);
    my %seen;
    for my $s (@list) {
      next if $s->{disable};
      next unless grep { $_ eq "snippets" } split /[,;\s]+/, ($s->{content} // "");
      next if defined $s->{nodes} && length $s->{nodes} && !grep { $_ eq $node } split /[,;\s]+/, $s->{nodes};
      my $path = $s->{path} // ($mounted{$s->{type}} ? "/mnt/pve/$s->{id}" : undef);
      next unless defined $path;
      my $sub = "snippets";
      for (split /,/, ($s->{"content-dirs"} // "")) { $sub = $1 if /^snippets=(.+)$/ }
      my $dir = "$path/$sub";
      $dir =~ s{/+}{/}g; $dir =~ s{/$}{};
      next unless $dir =~ m{^/[A-Za-z0-9_./-]+$} && $dir !~ m{(^|/)\.\.?(/|$)};
      print "$dir\n" unless $seen{$dir}++;
    }' "$NODE" <"$cfg") || die "cannot read the storages ($cfg)"
  emit SNIPPETS_DIRS "$(printf '%s' "$SNIPPETS_DIRS" | tr '\n' ' ')"
}

# The host keys the cluster records for its nodes (pve-cluster src/PVE/Cluster/Setup.pm): each node's
# /etc/pve/nodes/<node>/ssh_known_hosts ("<node> ssh-rsa ...", written by 'pvecm updatecerts') and the older merged
# /etc/pve/priv/known_hosts (names and addresses, plain or hashed). The client checks every node against these.
cluster_host_keys() {
  local etc="${HYOPS_PVE_ETC:-/etc/pve}" file text=''
  for file in "$etc"/nodes/*/ssh_known_hosts "$etc"/priv/known_hosts; do
    if [ -r "$file" ]; then text+=$(cat "$file")$'\n'; fi
  done
  emit CLUSTER_KNOWN_HOSTS_B64 "$(printf '%s' "$text" | base64 -w0)"
}

# The drop-in: exactly what bpg's provider runs over sudo (its proxmox/ssh/client.go). Each tee rule is an anchored
# regular expression: a plain file name in one snippets folder, nothing else (no '/', no second file).
sudoers_text() {
  local dir regex
  printf '# Written by hyops for the provider SSH account %s; hyops rewrites and removes it.\n' "$ACCOUNT"
  printf '%s ALL=(root) NOPASSWD: /usr/sbin/pvesm, /usr/sbin/qm\n' "$ACCOUNT"
  if [ "$TEE_RULE" = 1 ]; then
    for dir in $SNIPPETS_DIRS; do
      regex=$(printf '%s' "$dir" | sed 's/\./[.]/g')
      printf '%s ALL=(root) NOPASSWD: /usr/bin/tee ^%s/[a-zA-Z0-9_][a-zA-Z0-9_.-]*$\n' "$ACCOUNT" "$regex"
    done
    if [ "$WANT_IDMAP" = 1 ]; then
      # bpg's container idmap: sed -i '/^lxc\.idmap:/d' and tee -a on /etc/pve/lxc/<vmid>.conf.
      printf '%s ALL=(root) NOPASSWD: /usr/bin/sed ^-i /[\\^]lxc[\\\\][.]idmap:/d /etc/pve/lxc/[1-9][0-9]*[.]conf$\n' "$ACCOUNT"
      printf '%s ALL=(root) NOPASSWD: /usr/bin/tee ^-a /etc/pve/lxc/[1-9][0-9]*[.]conf$\n' "$ACCOUNT"
    fi
  fi
}

# A new drop-in goes through 'visudo -c' under a name sudo skips (it holds a '.'), then is renamed into place.
write_sudoers() {
  local tmp
  tmp=$(mktemp /etc/sudoers.d/.hyops-XXXXXX) || die "cannot write in /etc/sudoers.d on node $NODE"
  sudoers_text >"$tmp"
  chmod 0440 "$tmp"
  if ! visudo -c -q -f "$tmp" >&2; then
    rm -f "$tmp"
    die "visudo refused the drop-in for $ACCOUNT on node $NODE; nothing was installed"
  fi
  if [ -f "$SUDOERS_FILE" ] && cmp -s "$tmp" "$SUDOERS_FILE"; then
    rm -f "$tmp"
    emit SUDOERS_ACTION kept
    return 0
  fi
  [ -f "$SUDOERS_FILE" ] || MADE_SUDOERS=1
  mv -f "$tmp" "$SUDOERS_FILE"
  emit SUDOERS_ACTION written
}

# authorized_keys owned by root (the account cannot add keys), 'restrict' (no forwarding, no pty, no rc); exec and
# the sftp subsystem, which bpg uses, stay allowed.
write_authorized_keys() {
  local ssh_dir="$ACCOUNT_HOME/.ssh" line tmp
  line="restrict $ACCOUNT_KEY"
  if [ -L "$ssh_dir" ] || { [ -e "$ssh_dir" ] && [ ! -d "$ssh_dir" ]; }; then
    die "$ssh_dir on node $NODE is not a plain folder; remove it and re-run"
  fi
  install -d -m 0755 -o root -g root "$ssh_dir"
  if [ -f "$ssh_dir/authorized_keys" ] && [ ! -L "$ssh_dir/authorized_keys" ] \
    && [ "$(cat "$ssh_dir/authorized_keys")" = "$line" ]; then
    emit KEY_ACTION kept
    return 0
  fi
  tmp=$(mktemp "$ssh_dir/.authorized_keys.XXXXXX")
  printf '%s\n' "$line" >"$tmp"
  chmod 0644 "$tmp"
  mv -f -T "$tmp" "$ssh_dir/authorized_keys"
  emit KEY_ACTION installed
}

# Takes back what this run made when it stops half-way (the account and its drop-in), so a failed run leaves none.
undo_partial() {
  local status=$?
  [ "$status" = 0 ] && return 0
  if [ "${MADE_SUDOERS:-0}" = 1 ]; then rm -f "$SUDOERS_FILE"; fi
  if [ "${MADE_ACCOUNT:-0}" = 1 ]; then userdel -r -f "$ACCOUNT" >/dev/null 2>&1 || true; fi
  exit "$status"
}

apply_account() {
  : "${ACCOUNT_KEY:?}"
  trap undo_partial EXIT
  if [ "$ACCOUNT_EXISTS" = 0 ]; then
    # '*': no password can log in, yet the account is not locked (sshd refuses a locked one even with a key).
    useradd --create-home --shell /bin/bash --password '*' --comment "$ACCOUNT_GECOS" "$ACCOUNT" >&2 \
      || die "cannot create the account $ACCOUNT on node $NODE (useradd failed)"
    MADE_ACCOUNT=1
    ACCOUNT_HOME=$(getent passwd "$ACCOUNT" | cut -d: -f6)
    emit ACCOUNT_ACTION created
  else
    emit ACCOUNT_ACTION kept
  fi
  write_authorized_keys
  write_sudoers
  visudo -c -q >&2 || die "sudo's configuration on node $NODE does not pass 'visudo -c' after the drop-in"
  trap - EXIT
}

remove_account() {
  local removed=''
  if [ -e "$SUDOERS_FILE" ]; then
    rm -f "$SUDOERS_FILE"
    removed="sudoers"
  fi
  if [ "$ACCOUNT_EXISTS" = 1 ]; then
    userdel -r -f "$ACCOUNT" >/dev/null 2>&1 || userdel -f "$ACCOUNT" || die "cannot remove the account $ACCOUNT on node $NODE"
    removed="$removed account"
  fi
  emit REMOVED "${removed# }"
}

account_main() {
  account_inputs
  account_state
  case $ACCOUNT_MODE in
    check)
      sudo_state
      snippets_dirs
      if [ "${WANT_HOST_KEYS:-0}" = 1 ]; then cluster_host_keys; fi
      ;;
    apply)
      sudo_state
      snippets_dirs
      apply_account
      ;;
    remove)
      if [ "${WANT_HOST_KEYS:-0}" = 1 ]; then cluster_host_keys; fi
      remove_account
      ;;
    *) die "ACCOUNT_MODE must be check, apply or remove, not '$ACCOUNT_MODE'" ;;
  esac
  emit DONE 1
}

account_main
