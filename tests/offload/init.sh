#!/bin/sh
# /init of the offload testbed's initramfs (scripts/offload-testbed.sh builds it and boots it
# under qemu). Runs xdpml's hardware-offload path on a netdevsim port: compile for the NFP,
# check, load in hw mode, status, map access from the host, replace, unload, the kernel's
# refusals, and objects attached with `ip link ... xdpoffload` unchanged.
#
# Prints "PASS: ..." / "FAIL: ..." per check, "INFO: ..." and "  | ..." lines as evidence,
# then "offload-testbed: N passed, M failed", and powers off. Runs as PID 1 under busybox sh;
# never exits (the kernel would panic), and has no `set -e`: every check handles its own errors.

export PATH=/usr/bin:/usr/sbin:/bin:/sbin
# By path: busybox sh runs its own applets first, and busybox's `ip` knows no xdpoffload.
IP=/usr/sbin/ip
BPFTOOL=/usr/sbin/bpftool
XDPML=/usr/bin/xdpml
T=/tmp/offload
passed=0
failed=0

pass() {
  passed=$((passed + 1))
  echo "PASS: $*"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*"
}
info() { echo "INFO: $*"; }
# Evidence: the text, indented and marked so that the host prints it.
show() { printf '%s\n' "$1" | sed 's/^/  | /'; }
# run CMD...: output (stdout and stderr) in $out, exit status in $rc.
run() {
  out=$("$@" 2>&1)
  rc=$?
}
# check NAME CMD...: passes when CMD exits 0; otherwise shows its output.
check() {
  name=$1
  shift
  run "$@"
  if [ "$rc" -eq 0 ]; then pass "$name"; else
    fail "$name (exit $rc)"
    show "$out"
  fi
}
contains() { case "$1" in *"$2"*) return 0 ;; *) return 1 ;; esac }
finish() {
  echo "offload-testbed: $passed passed, $failed failed"
  sync
  poweroff -f
  sleep 60 # poweroff -f does not return; never let init exit
}

# ---- machine ---------------------------------------------------------------------------------

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf # bpftool pins programs here
mount -t tmpfs tmpfs /run # xdpml's state records
mount -t tmpfs tmpfs /tmp
mkdir -p "$T"
echo "offload-init: started (kernel $(uname -r))"

# ---- netdevsim -------------------------------------------------------------------------------

modules_ok=1
while read -r module; do
  run insmod "/modules/$module.ko"
  if [ "$rc" -ne 0 ]; then
    modules_ok=0
    fail "insmod $module"
    show "$out"
  fi
done </modules/load-order
[ "$modules_ok" -eq 1 ] && pass "modules loaded: $(tr '\n' ' ' </modules/load-order)"

echo "1 1" >/sys/bus/netdevsim/new_device 2>/dev/null
DEV=
for _ in 1 2 3 4 5 6 7 8 9 10; do
  for netdev in /sys/bus/netdevsim/devices/netdevsim1/net/*; do
    [ -e "$netdev" ] && DEV=${netdev##*/}
  done
  [ -n "$DEV" ] && break
  sleep 0.2
done
PORT=/sys/kernel/debug/netdevsim/netdevsim1/ports/0
if [ -z "$DEV" ] || [ ! -d "$PORT" ]; then
  fail "netdevsim device 1 with one port (no netdev or no debugfs port)"
  dmesg | tail -n 20 | sed 's/^/  | /'
  finish
fi
$IP link set dev "$DEV" up
pass "netdevsim port $DEV (debugfs $PORT)"

# ---- helpers over the port -------------------------------------------------------------------

# The XDP attachment as `ip -j link` reports it: $xdp_mode (0 when none) and $xdp_id.
link_xdp() {
  json=$($IP -j link show dev "$DEV")
  xdp_mode=$(printf '%s' "$json" | sed -n 's/.*"xdp":{"mode":\([0-9]*\).*/\1/p')
  xdp_id=$(printf '%s' "$json" | sed -n 's/.*"xdp":{"mode":[0-9]*,"prog":{"id":\([0-9]*\).*/\1/p')
  [ -n "$xdp_mode" ] || xdp_mode=0
}
offloaded_id() { cat "$PORT/bpf_offloaded_id"; }
# The id of the program attached in hw mode according to `xdpml status --json`.
status_hw_id() {
  $XDPML status --dev "$DEV" --json 2>/dev/null | tr -d ' \n' |
    sed -n 's/.*"id":\([0-9]*\),[^{}]*"mode":"hw".*/\1/p'
}
# Asserts: hw mode attached with program $1 everywhere the kernel reports it.
expect_hw() {
  link_xdp
  dbg=$(offloaded_id)
  if [ "$xdp_mode" = 3 ] && [ "$xdp_id" = "$1" ] && [ "$dbg" = "$1" ]; then
    pass "$2: ip -j link shows \"mode\":3 (XDP_ATTACHED_HW), prog id $1 = netdevsim bpf_offloaded_id"
  else
    fail "$2: expected mode 3 with prog $1; ip -j link: mode $xdp_mode id '$xdp_id'; bpf_offloaded_id $dbg"
    show "$json"
  fi
}
expect_detached() {
  link_xdp
  dbg=$(offloaded_id)
  if [ "$xdp_mode" = 0 ] && [ "$dbg" = 0 ]; then pass "$1: nothing attached (mode 0, bpf_offloaded_id 0)"; else
    fail "$1: still attached: mode $xdp_mode id '$xdp_id', bpf_offloaded_id $dbg"
    show "$json"
  fi
}

# ---- compile and check -----------------------------------------------------------------------

check "xdpml runs in the guest ($($XDPML --version 2>&1))" $XDPML --version
check "xdpml compile anova --target nfp (u32)" $XDPML compile anova --target nfp -o $T/anova.o
show "$out"
check "xdpml compile anova --target nfp --input f64" \
  $XDPML compile anova --target nfp --input f64 -o $T/anova-f64.o
show "$out"
check "xdpml check --target nfp anova.o" $XDPML check --target nfp $T/anova.o
show "$(printf '%s\n' "$out" | tail -n 2)"
check "xdpml check --target nfp anova-f64.o" $XDPML check --target nfp $T/anova-f64.o
for prog in counters pass perf_event too_many_entries; do
  check "xdpml asm $prog.s" $XDPML asm /tests/$prog.s -o $T/$prog.o
done
check "xdpml check --target nfp counters.o" $XDPML check --target nfp $T/counters.o

# ---- xdpml load --mode hw, status, replace, unload ---------------------------------------------

run $XDPML load --dev "$DEV" --mode hw $T/anova.o
if [ "$rc" -eq 0 ]; then pass "xdpml load --mode hw anova.o"; else fail "xdpml load --mode hw anova.o (exit $rc)"; fi
show "$out"
hw_id=$(status_hw_id)
run $XDPML status --dev "$DEV"
if [ -n "$hw_id" ] && contains "$out" "  hw: id $hw_id "; then
  pass "xdpml status shows hw (id $hw_id)"
else fail "xdpml status shows hw (json id '$hw_id')"; fi
show "$out"
expect_hw "$hw_id" "after xdpml load --mode hw"
show "$($IP -d link show dev "$DEV" | grep -E 'xdp|prog/')"
run $BPFTOOL prog show id "$hw_id"
if contains "$out" "offloaded_to $DEV"; then pass "bpftool: program $hw_id offloaded_to $DEV"; else
  fail "bpftool: program $hw_id not offloaded"
fi
show "$out"
show "$(cd "/sys/kernel/debug/netdevsim/netdevsim1/bpf_bound_progs" && grep -r . ./*/ 2>/dev/null)"

old_id=$hw_id
run $XDPML load --dev "$DEV" --mode hw --replace $T/anova-f64.o
show "$out"
hw_id=$(status_hw_id)
if [ "$rc" -eq 0 ] && [ -n "$hw_id" ] && [ "$hw_id" != "$old_id" ]; then
  pass "xdpml load --mode hw --replace: id $old_id -> $hw_id"
  expect_hw "$hw_id" "after --replace"
  if $BPFTOOL prog show id "$old_id" >/dev/null 2>&1; then fail "replaced program $old_id still exists"; else
    pass "replaced program $old_id is gone"
  fi
else
  fail "xdpml load --mode hw --replace (exit $rc, id '$old_id' -> '$hw_id')"
fi

run $XDPML unload --dev "$DEV"
if [ "$rc" -eq 0 ]; then pass "xdpml unload"; else fail "xdpml unload (exit $rc)"; fi
show "$out"
expect_detached "after xdpml unload"
run $XDPML status --dev "$DEV"
if contains "$out" "hw:"; then fail "xdpml status still shows hw after unload"; show "$out"; else
  pass "xdpml status shows no hw program after unload"
fi

# ---- offloaded array map, read and written from the host ---------------------------------------

run $XDPML load --dev "$DEV" --mode hw --verbose $T/counters.o
if [ "$rc" -eq 0 ]; then pass "xdpml load --mode hw counters.o (array map, 2 entries)"; else
  fail "xdpml load --mode hw counters.o (exit $rc)"
fi
# libbpf's messages (--verbose) about the map, and the result.
show "$(printf '%s\n' "$out" | grep -E "counters'|BTF|attached|error")"
if contains "$out" "Retrying without BTF"; then fail "libbpf first tried to offload the map with BTF"; else
  pass "the map was created on the device without BTF on the first try"
fi
hw_id=$(status_hw_id)
expect_hw "$hw_id" "counters.o"
map_id=$($BPFTOOL -j prog show id "$hw_id" 2>/dev/null | sed -n 's/.*"map_ids":\[\([0-9]*\).*/\1/p')
run $BPFTOOL map show id "$map_id"
show "$out"
if contains "$out" "array  name counters" || contains "$out" "array name counters"; then
  if contains "$out" "offloaded_to $DEV"; then pass "map $map_id 'counters' offloaded_to $DEV"; else
    fail "map $map_id is not offloaded"
  fi
else fail "no map 'counters' for program $hw_id (map id '$map_id')"; fi
run $BPFTOOL -j map show id "$map_id"
if contains "$out" '"btf_id"'; then fail "offloaded map $map_id has BTF"; show "$out"; else
  pass "offloaded map $map_id has no BTF"
fi
check "bpftool map update (host -> device) key 1 value 0x1122334455667788" \
  $BPFTOOL map update id "$map_id" key 1 0 0 0 value 0x88 0x77 0x66 0x55 0x44 0x33 0x22 0x11
run $BPFTOOL map lookup id "$map_id" key 1 0 0 0
if contains "$out" "88 77 66 55 44 33 22 11"; then pass "bpftool map lookup reads back 88 77 66 55 44 33 22 11"; else
  fail "bpftool map lookup (exit $rc)"
fi
show "$out"
run $BPFTOOL map dump id "$map_id"
if contains "$out" "Found 2 elements"; then pass "bpftool map dump: 2 elements"; else fail "bpftool map dump"; fi
show "$out"
check "xdpml unload (counters.o)" $XDPML unload --dev "$DEV"
expect_detached "after unloading counters.o"

# A perf event array stays on the host while the program is offloaded.
run $XDPML load --dev "$DEV" --mode hw $T/perf_event.o
if [ "$rc" -eq 0 ]; then
  pass "xdpml load --mode hw perf_event.o (helper 25, perf event array)"
  hw_id=$(status_hw_id)
  expect_hw "$hw_id" "perf_event.o"
  map_id=$($BPFTOOL -j prog show id "$hw_id" 2>/dev/null | sed -n 's/.*"map_ids":\[\([0-9]*\).*/\1/p')
  run $BPFTOOL map show id "$map_id"
  if contains "$out" "perf_event_array" && ! contains "$out" "offloaded_to"; then
    pass "perf event array $map_id stays on the host"
  else fail "perf event array $map_id"; fi
  show "$out"
  check "xdpml unload (perf_event.o)" $XDPML unload --dev "$DEV"
else
  fail "xdpml load --mode hw perf_event.o (exit $rc)"
  show "$out"
fi

# A map the device cannot hold: the error names it.
run $XDPML load --dev "$DEV" --mode hw $T/too_many_entries.o
if [ "$rc" -eq 3 ] && contains "$out" "map 'big'" && contains "$out" "hint:"; then
  pass "xdpml load --mode hw refuses a 4-entry map with exit 3, naming the map and a hint"
else fail "4-entry map: expected exit 3 naming map 'big' (exit $rc)"; fi
show "$out"
expect_detached "after the refused map"

# ---- objects from xdpml attached with the user's own tools -------------------------------------

for obj in anova counters; do
  run $IP link set dev "$DEV" xdpoffload obj $T/$obj.o sec xdp
  if [ "$rc" -eq 0 ]; then
    pass "ip link set dev $DEV xdpoffload obj $obj.o sec xdp"
    link_xdp
    expect_hw "$xdp_id" "ip link xdpoffload $obj.o"
    run $XDPML status --dev "$DEV"
    if contains "$out" "  hw: id $xdp_id "; then pass "xdpml status shows the program ip attached in hw mode"; else
      fail "xdpml status does not show ip's hw program $xdp_id"
    fi
    show "$out"
    check "ip link set dev $DEV xdpoffload off" $IP link set dev "$DEV" xdpoffload off
    expect_detached "after ip xdpoffload off ($obj.o)"
  else
    fail "ip link set dev $DEV xdpoffload obj $obj.o sec xdp (exit $rc)"
    show "$out"
  fi
done

# hw and native at the same time, and unload of one mode only.
run $XDPML load --dev "$DEV" --mode native $T/pass.o
rc_native=$rc
run $XDPML load --dev "$DEV" --mode hw $T/anova.o
rc_hw=$rc
run $XDPML status --dev "$DEV"
if [ "$rc_native" -eq 0 ] && [ "$rc_hw" -eq 0 ] && contains "$out" "native: id" && contains "$out" "hw: id"; then
  pass "native and hw programs attached together"
else fail "native + hw (exit $rc_native, $rc_hw)"; fi
show "$out"
run $XDPML unload --dev "$DEV" --mode hw
run $XDPML status --dev "$DEV"
if contains "$out" "native: id" && ! contains "$out" "hw: id" && [ "$(offloaded_id)" = 0 ]; then
  pass "xdpml unload --mode hw leaves the native program"
else fail "xdpml unload --mode hw"; show "$out"; fi
check "xdpml unload (native)" $XDPML unload --dev "$DEV"

# ---- the kernel's refusals ---------------------------------------------------------------------

# The device refuses offload: the kernel's extack, verbatim, and a hint.
echo N >"$PORT/bpf_xdpoffload_accept"
run $XDPML load --dev "$DEV" --mode hw $T/anova.o
if [ "$rc" -eq 3 ] && contains "$out" "netdevsim: XDP offload disabled in DebugFS" && contains "$out" "hint:"; then
  pass "device refuses offload: exit 3, extack 'netdevsim: XDP offload disabled in DebugFS' and a hint"
else fail "device refuses offload (exit $rc)"; fi
show "$out"
echo Y >"$PORT/bpf_xdpoffload_accept"
expect_detached "after the refused attach"
run $XDPML status --dev "$DEV"
if contains "$out" "hw:"; then fail "a refused attach left a status record"; show "$out"; else
  pass "a refused attach leaves no status record"
fi

# The device refuses to bind the program at load time.
echo N >/sys/kernel/debug/netdevsim/netdevsim1/bpf_bind_accept
run $XDPML load --dev "$DEV" --mode hw $T/anova.o
if [ "$rc" -eq 3 ] && contains "$out" "refused to take program" && contains "$out" "hint:"; then
  pass "device refuses to bind the program: exit 3, 'refused to take program' and a hint"
else
  fail "device refuses to bind (exit $rc)"
fi
show "$out"
echo Y >/sys/kernel/debug/netdevsim/netdevsim1/bpf_bind_accept

# A program loaded without a device cannot be attached in hw mode.
check "bpftool prog load pass.o (not bound to a device)" \
  $BPFTOOL prog load $T/pass.o /sys/fs/bpf/unbound type xdp
run $BPFTOOL net attach xdpoffload pinned /sys/fs/bpf/unbound dev "$DEV"
if [ "$rc" -ne 0 ] && contains "$out" "xdpoffload of non-bound program"; then
  pass "non-bound program in hw mode refused: 'xdpoffload of non-bound program'"
else fail "non-bound program in hw mode (exit $rc)"; fi
show "$out"
rm -f /sys/fs/bpf/unbound

# A device-bound program can only be attached in hw mode.
check "bpftool prog load pass.o dev $DEV (bound)" \
  $BPFTOOL prog load $T/pass.o /sys/fs/bpf/bound type xdp dev "$DEV"
run $IP link set dev "$DEV" xdpdrv pinned /sys/fs/bpf/bound
if [ "$rc" -ne 0 ] && contains "$out" "without HW_MODE flag is not supported"; then
  pass "hw-bound program in native mode refused: '...without HW_MODE flag is not supported'"
else fail "hw-bound program in native mode (exit $rc)"; fi
show "$out"
check "bpftool net attach xdpoffload of the bound program" \
  $BPFTOOL net attach xdpoffload pinned /sys/fs/bpf/bound dev "$DEV"
link_xdp
expect_hw "$xdp_id" "bpftool net attach xdpoffload"
show "$($BPFTOOL net show dev "$DEV")"
check "bpftool net detach xdpoffload" $BPFTOOL net detach xdpoffload dev "$DEV"
rm -f /sys/fs/bpf/bound
expect_detached "after bpftool net detach"

# ---- sharing an interface with xdp-filter through libxdp's dispatcher ---------------------------
# Debian's kernel runs extension (freplace) programs, which the host's CI kernel refuses, so
# this is where `xdpml load` goes through libxdp's multi-program dispatcher for real: an xdpml
# segmenter and Debian's xdp-filter on one veth port, both working on live frames, each seen by
# `xdp-loader status`, each unloaded without disturbing the other.
XDP_LOADER=/usr/sbin/xdp-loader
XDP_FILTER=/usr/sbin/xdp-filter
if $IP link add xa type veth peer name xb 2>/dev/null && $IP link set xa up && $IP link set xb up; then
  pass "veth pair xa/xb"
  check "xdpml compile anova (kernel target)" $XDPML compile anova -o $T/share.o
  # verify_tags DESC: every window of prices.txt sent on xa comes back from xb with the
  # reference tag (the xdpml program worked on every frame).
  verify_tags() {
    run $XDPML verify --tx xa --rx xb --obj $T/share.o --data /tests/prices.txt --rate 2000 --timeout 2
    if [ "$rc" -eq 0 ]; then pass "$1: xdpml verify, every tag right"; else
      fail "$1: xdpml verify (exit $rc)"
    fi
    show "$out"
  }
  run $XDPML load --dev xb --mode skb $T/share.o --json
  if [ "$rc" -eq 0 ] && contains "$out" '"attach": "dispatcher"'; then
    pass "xdpml load --mode skb attaches through libxdp's dispatcher"
  else fail "xdpml load --mode skb through the dispatcher (exit $rc)"; fi
  show "$out"
  check "xdp-filter load -m skb xb (beside the xdpml program)" $XDP_FILTER load -m skb xb
  run $XDP_LOADER status xb
  if contains "$out" "xdpml_anova" && contains "$out" "xdpfilt_"; then
    pass "xdp-loader status lists both programs in one dispatcher"
  else fail "xdp-loader status lists both programs"; fi
  show "$out"
  run $XDPML status --dev xb
  if contains "$out" "libxdp dispatcher with 2 program(s)" && contains "$out" "from $T/share.o"; then
    pass "xdpml status shows the chain and where the xdpml program came from"
  else fail "xdpml status shows the chain"; fi
  show "$out"
  verify_tags "xdpml + xdp-filter (allow)"
  # The filter's decisions are taken: deny our port, and the frames stop arriving.
  check "xdp-filter port 6666 (deny UDP/6666)" $XDP_FILTER port -p udp 6666
  run $XDPML verify --tx xa --rx xb --obj $T/share.o --data /tests/prices.txt --timeout 1
  if [ "$rc" -ne 0 ] && contains "$out" "lost"; then
    pass "with xdp-filter denying UDP/6666 the frames are dropped before they arrive"
  else fail "xdp-filter's deny rule had no effect (verify exit $rc)"; fi
  show "$out"
  run $XDP_FILTER status
  show "$out"
  check "xdp-filter port -r 6666 (rule removed)" $XDP_FILTER port -r -p udp 6666
  verify_tags "after the deny rule is removed"
  check "xdp-filter unload xb" $XDP_FILTER unload xb
  run $XDP_LOADER status xb
  if contains "$out" "xdpml_anova" && ! contains "$out" "xdpfilt_"; then
    pass "after xdp-filter unload, the xdpml program still runs"
  else fail "xdp-filter unload took the xdpml program with it"; fi
  show "$out"
  verify_tags "xdpml alone in the dispatcher"
  run $XDPML load --dev xb --mode skb --replace $T/share.o
  if [ "$rc" -eq 0 ] && contains "$out" "replaced"; then
    pass "xdpml load --replace inside the dispatcher"
  else fail "xdpml load --replace inside the dispatcher (exit $rc)"; fi
  show "$out"
  verify_tags "after --replace"
  check "xdp-filter load -m skb xb (again)" $XDP_FILTER load -m skb xb
  run $XDPML unload --dev xb
  if [ "$rc" -eq 0 ] && contains "$out" "1 other program(s) keep running"; then
    pass "xdpml unload removes only its own program from the dispatcher"
  else fail "xdpml unload in a shared dispatcher (exit $rc)"; fi
  show "$out"
  run $XDP_LOADER status xb
  if ! contains "$out" "xdpml_anova" && contains "$out" "xdpfilt_"; then
    pass "after xdpml unload, xdp-filter still runs"
  else fail "xdpml unload disturbed xdp-filter"; fi
  show "$out"
  run $XDPML load --dev xb --mode skb --priority 5 $T/share.o
  run $XDPML status --dev xb
  if contains "$out" "'xdpml_anova', run priority 5"; then
    pass "xdpml load --priority 5 runs it first in the chain"
  else fail "xdpml load --priority"; fi
  show "$out"
  check "xdpml unload --all (the dispatcher and both programs)" $XDPML unload --dev xb --all
  run $XDP_LOADER status xb
  if contains "$out" "No XDP program loaded"; then pass "nothing left on xb"; else
    fail "programs left on xb after unload --all"
  fi
  show "$out"
  # The user's own loader takes xdpml objects: the BTF and run config are what it needs.
  run $XDP_LOADER load -m skb xb $T/share.o
  if [ "$rc" -eq 0 ]; then pass "xdp-loader load -m skb xb share.o (an xdpml object)"; else
    fail "xdp-loader load of an xdpml object (exit $rc)"
  fi
  show "$out"
  run $XDP_LOADER status xb
  if contains "$out" "xdpml_anova" && contains "$out" "50 "; then
    pass "xdp-loader runs it at the object's priority (50)"
  else fail "xdp-loader status after loading an xdpml object"; fi
  show "$out"
  verify_tags "an xdpml object attached by xdp-loader"
  check "xdp-loader unload xb --all" $XDP_LOADER unload xb --all

  # Native (driver) mode on veth: the same sharing.
  run $XDPML load --dev xb --mode native $T/share.o --json
  if [ "$rc" -eq 0 ] && contains "$out" '"attach": "dispatcher"'; then
    pass "xdpml load --mode native attaches through libxdp's dispatcher"
  else fail "xdpml load --mode native through the dispatcher (exit $rc)"; show "$out"; fi
  check "xdp-filter load -m native xb (beside it)" $XDP_FILTER load -m native xb
  run $XDP_LOADER status xb
  if contains "$out" "xdpml_anova" && contains "$out" "xdpfilt_" && contains "$out" "native"; then
    pass "xdp-loader status lists both programs in the native dispatcher"
  else fail "xdp-loader status (native)"; fi
  show "$out"
  verify_tags "xdpml + xdp-filter, native mode"
  check "xdpml unload (native, only its own program)" $XDPML unload --dev xb
  verify_tags_gone() {
    run $XDPML verify --tx xa --rx xb --obj $T/share.o --data /tests/prices.txt --rate 2000 --timeout 1
    # Every frame that arrives is untagged (a frame the veth may drop under emulation is no
    # evidence either way).
    if [ "$rc" -ne 0 ] && contains "$out" " 0 ok," && contains "$out" "tags      0 split, 0 no split, 0 invalid"; then
      pass "$1"
    else fail "$1 (exit $rc)"; fi
    show "$out"
  }
  verify_tags_gone "frames arrive untagged through xdp-filter alone (native)"
  check "xdp-filter unload xb (native)" $XDP_FILTER unload xb
  run $XDPML load --dev xb --mode skb --legacy $T/share.o --json
  if [ "$rc" -eq 0 ] && contains "$out" '"attach": "legacy"'; then
    pass "xdpml load --legacy attaches alone"
  else fail "xdpml load --legacy (exit $rc)"; fi
  run $XDPML unload --dev xb
  $IP link del xa 2>/dev/null
else
  fail "veth pair xa/xb (is the veth module loaded?)"
fi

# ---- the kernel stayed healthy -----------------------------------------------------------------

echo 1 >/sys/bus/netdevsim/del_device
if dmesg | grep -qE 'WARNING:|BUG:|Oops|Call Trace'; then
  fail "kernel warnings in dmesg"
  dmesg | grep -E -A 20 'WARNING:|BUG:|Oops' | head -n 60 | sed 's/^/  | /'
else pass "netdevsim device removed; no WARNING/BUG in dmesg"; fi
info "kernel $(uname -r); $(dmesg | grep -m 1 -o 'netdevsim: loading out-of-tree module.*' || echo 'netdevsim loaded')"

finish
