# shellcheck shell=bash
# Shared helpers for the xdpml end-to-end tests. Source it from a script that
# runs with "set -euo pipefail".
#
# Isolation rules every e2e script follows:
#   * the whole test body runs in a private mount namespace (e2e_private_mounts),
#     so bpffs mounts (ours, or the one iproute2 makes at /sys/fs/bpf) and the
#     /run/netns bind mounts vanish with the process, even on SIGKILL;
#   * network namespaces are named xdpml-e2e-<pid>-<tag> and hold both ends of
#     a veth pair; nothing is ever sent to an address outside the namespace;
#   * a trap deletes everything on EXIT, ERR, INT and TERM.

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"
export LC_ALL=C

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E_PROGS="$E2E_DIR/progs"
E2E_PY=/usr/bin/python3
E2E_PASS=0
E2E_FAIL=0
E2E_NETNS=()
E2E_BPFFS=()
E2E_TMP=""
E2E_OUT=""

e2e_ok() {
  echo "ok   $*"
  E2E_PASS=$((E2E_PASS + 1))
}

e2e_fail() {
  echo "FAIL $*"
  E2E_FAIL=$((E2E_FAIL + 1))
}

# Prints captured command output under a failed check, indented and marked.
e2e_show() {
  [ -n "$1" ] && printf '%s\n' "$1" | tail -n 20 | sed 's/^/    # /'
  return 0
}

# e2e_check DESC CMD...: runs CMD, records ok/FAIL. Output is kept in E2E_OUT.
e2e_check() {
  local desc=$1
  shift
  if E2E_OUT=$("$@" 2>&1); then
    e2e_ok "$desc"
    return 0
  fi
  e2e_fail "$desc"
  e2e_show "$E2E_OUT"
  return 1
}

# e2e_check_fails DESC CMD...: like e2e_check, but CMD must exit non-zero.
e2e_check_fails() {
  local desc=$1
  shift
  if E2E_OUT=$("$@" 2>&1); then
    e2e_fail "$desc (command succeeded)"
    e2e_show "$E2E_OUT"
    return 1
  fi
  e2e_ok "$desc"
  return 0
}

# e2e_expect DESC ACTUAL EXPECTED
e2e_expect() {
  if [ "$2" = "$3" ]; then
    e2e_ok "$1: $2"
  else
    e2e_fail "$1: got '$2', want '$3'"
  fi
}

e2e_require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "skip: $(basename "$0") needs root (network namespaces, XDP, bpffs)"
    exit 77
  fi
}

# The mount points of all bpffs instances visible here, one per line.
e2e_bpffs_mounts() {
  awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "bpf") print $5; break } }' \
    /proc/self/mountinfo | sort
}

# e2e_private_mounts SCRIPT ARGS...: unless already done, re-runs SCRIPT in a
# private mount namespace and checks afterwards that no bpffs mount leaked
# into ours; then prints the summary line and exits. In the re-run it returns.
e2e_private_mounts() {
  if [ "${XDPML_E2E_INNER:-}" = 1 ]; then
    return 0
  fi
  local script=$1 results before after rc=0 np=0 nf=1
  shift
  for tool in unshare ip bpftool mount umount awk; do
    command -v "$tool" >/dev/null || {
      echo "FAIL required tool '$tool' is not installed"
      echo "0 passed, 1 failed"
      exit 1
    }
  done
  [ -x "$E2E_PY" ] || {
    echo "FAIL $E2E_PY is missing"
    echo "0 passed, 1 failed"
    exit 1
  }
  # The scratch directory belongs to this outer process, so that it is removed
  # even when the test body is killed.
  E2E_TMP=$(mktemp -d /tmp/xdpml-e2e.XXXXXX)
  trap 'rm -rf "$E2E_TMP"' EXIT
  results="$E2E_TMP/results"
  before=$(e2e_bpffs_mounts)
  XDPML_E2E_INNER=1 XDPML_E2E_RESULTS="$results" XDPML_E2E_TMP="$E2E_TMP" \
    unshare --mount --propagation private -- /bin/bash "$script" "$@" || rc=$?
  after=$(e2e_bpffs_mounts)
  if [ -f "$results" ] && read -r np nf <"$results" && [ -n "$np" ] && [ -n "$nf" ]; then
    E2E_PASS=$np
    E2E_FAIL=$nf
  else
    e2e_fail "test body ended early (exit status $rc) before reporting its results"
  fi
  if [ "$before" = "$after" ]; then
    e2e_ok "no bpffs mount leaked into the caller's mount namespace"
  else
    e2e_fail "bpffs mounts changed in the caller's mount namespace: '$before' -> '$after'"
  fi
  echo "$E2E_PASS passed, $E2E_FAIL failed"
  if [ "$E2E_FAIL" -eq 0 ]; then exit 0; fi
  exit 1
}

# Ends the test body: hands the counts to the outer process (or prints them).
e2e_finish() {
  if [ -n "${XDPML_E2E_RESULTS:-}" ]; then
    echo "$E2E_PASS $E2E_FAIL" >"$XDPML_E2E_RESULTS"
  else
    echo "$E2E_PASS passed, $E2E_FAIL failed"
  fi
  if [ "$E2E_FAIL" -eq 0 ]; then exit 0; fi
  exit 1
}

e2e_cleanup() {
  local ns dir
  trap - EXIT ERR INT TERM
  for ns in "${E2E_NETNS[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  E2E_NETNS=()
  for dir in "${E2E_BPFFS[@]}"; do
    umount "$dir" 2>/dev/null || umount -l "$dir" 2>/dev/null || true
    rmdir "$dir" 2>/dev/null || true
  done
  E2E_BPFFS=()
  if [ -n "$E2E_TMP" ]; then
    rm -rf "$E2E_TMP"
    E2E_TMP=""
  fi
}

e2e_on_signal() {
  e2e_cleanup
  exit "$1"
}

# Sets up the traps and a scratch directory (E2E_TMP). Call once, first.
e2e_init() {
  trap e2e_cleanup EXIT
  trap 'rc=$?; e2e_cleanup; exit $rc' ERR
  trap 'e2e_on_signal 130' INT
  trap 'e2e_on_signal 143' TERM
  if [ -n "${XDPML_E2E_TMP:-}" ]; then
    E2E_TMP=$XDPML_E2E_TMP/work
    mkdir "$E2E_TMP"
  else
    E2E_TMP=$(mktemp -d /tmp/xdpml-e2e.XXXXXX)
  fi
  # In our private mount namespace, keep the netns bind mounts on a private
  # tmpfs so that nothing named under /run/netns can outlive this process.
  if [ "${XDPML_E2E_INNER:-}" = 1 ]; then
    mkdir -p /run/netns
    mount -t tmpfs -o mode=0755,size=1m xdpml-e2e-netns /run/netns
  fi
}

# e2e_netns_create TAG: creates namespace xdpml-e2e-<pid>-TAG holding the veth
# pair E2E_TX <-> E2E_RX (both ends inside, both up, no addresses). Sets E2E_NS.
e2e_netns_create() {
  E2E_NS="xdpml-e2e-$$-$1"
  E2E_TX=e2e-tx
  E2E_RX=e2e-rx
  case "$E2E_NS" in xdpml-*) ;; *) return 1 ;; esac
  ip netns add "$E2E_NS"
  E2E_NETNS+=("$E2E_NS")
  ip -n "$E2E_NS" link set dev lo up
  ip -n "$E2E_NS" link add "$E2E_TX" type veth peer name "$E2E_RX"
  ip -n "$E2E_NS" link set dev "$E2E_TX" up
  ip -n "$E2E_NS" link set dev "$E2E_RX" up
}

# e2e_bpffs_mount: mounts a fresh bpffs instance on a temp dir; sets E2E_BPFFS_DIR.
e2e_bpffs_mount() {
  [ "${XDPML_E2E_INNER:-}" = 1 ] || return 1 # never mount in the caller's namespace
  E2E_BPFFS_DIR=$(mktemp -d "$E2E_TMP/bpffs.XXXXXX")
  E2E_BPFFS+=("$E2E_BPFFS_DIR")
  mount -t bpf xdpml-e2e-bpffs "$E2E_BPFFS_DIR"
}

# e2e_assemble XDPML NAME: assembles progs/NAME.s into $E2E_TMP/NAME.o (a check).
e2e_assemble() {
  local xdpml=$1 name=$2
  if e2e_check "assemble progs/$name.s" "$xdpml" asm "$E2E_PROGS/$name.s" -o "$E2E_TMP/$name.o"; then
    if [ -s "$E2E_TMP/$name.o" ]; then
      return 0
    fi
    e2e_fail "assemble progs/$name.s: no output object"
  fi
  return 1
}

# e2e_json EXPR: evaluates a Python expression over the JSON document on stdin
# (bound to j) and prints the result.
e2e_json() {
  "$E2E_PY" -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# jget FILE EXPR: e2e_json over the document in FILE; prints "invalid" when it is not JSON.
jget() { e2e_json "$2" <"$1" 2>/dev/null || echo invalid; }

# in_ns ARGS...: runs the xdpml under test ($XDPML) inside the test's namespace ($NS).
in_ns() { ip netns exec "$NS" "$XDPML" "$@"; }
