#!/usr/bin/env bash
# Loader safety under races and hostile environments (`xdpml load`, `unload`, `status`), on veth
# pairs inside a throw-away network namespace:
#   1. N concurrent `load` on one device, same mode: exactly one wins, the others are refused
#      naming the winner; the state record and `status` name the winner (one round with a
#      foreign `ip link` competitor among them);
#   2. N concurrent `load --replace`: the device never goes without a program (sampled
#      throughout), and the record matches the attached id afterwards;
#   3. kill -9 at random moments of `load --replace`: after every kill the device carries the
#      old or the new program, and `status` never shows a stale record as its origin;
#   4. the device deleted while attached (and while a load is in flight): clear errors, exit 3,
#      and no stale record shown for a new device that reuses the name and even the ifindex;
#   5. a foreign program (attached with `ip link`): refused without --replace, naming it;
#      `status` shows it without an xdpml origin; --replace (xdpml's "--force") swaps it;
#   6. no bpffs, LIBXDP_BPFFS at a missing dir, a plain dir, a read-only bpffs: load, status and
#      unload work, nothing is mounted or created;
#   7. pinned paths of the wrong type: a map pinned by name (libbpf pins it for the object) whose
#      path holds a directory, another map, a program, or lies on no/read-only bpffs; libxdp's
#      dispatcher state (bpffs) holding garbage; xdpml's own state (/run/xdpml) being a file,
#      a record being a directory, a FIFO, garbage or deeply nested JSON.
# Every scenario asserts the final device state through `ip -j link` and `xdpml status --json`.
#
# Isolation as tests/loader/loader.sh: a private mount namespace (tests/e2e/lib.sh) with a tmpfs
# on /run (state records and /run/netns never reach the host) and a private bpffs on
# /sys/fs/bpf (iproute2 creates its directories in the first bpffs it finds); namespaces
# xdpml-e2e-<pid>-*, removed by traps even on failure; no frame is sent anywhere.
# The objects of scenario 7 (a map pinned by name, a libxdp-style dispatcher) need clang; without
# it those checks are reported as skipped (ok).
#
# Usage: races.sh PATH/TO/xdpml      (root; exits 77 otherwise). Prints "N passed, M failed".
# ROUNDS/KILLS in the environment scale the loops (default 5 rounds of 10 loads, 60 kills).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../e2e/lib.sh
source "$HERE/../e2e/lib.sh"

if [ $# -ne 1 ]; then
  echo "usage: $0 PATH/TO/xdpml" >&2
  exit 2
fi
e2e_require_root
XDPML=$(readlink -m "$1")
e2e_private_mounts "$(readlink -f "${BASH_SOURCE[0]}")" "$XDPML"
# From here on we are in the private mount namespace.
mount -t tmpfs -o mode=0755,size=8m xdpml-races-run /run
mount -t bpf xdpml-races-sysbpf /sys/fs/bpf
e2e_init

if [ ! -x "$XDPML" ]; then
  e2e_fail "xdpml binary $XDPML exists and is executable"
  e2e_finish
fi

T=$E2E_TMP
ROUNDS=${ROUNDS:-5}
NLOAD=10
KILLS=${KILLS:-60}
e2e_netns_create races
NS=$E2E_NS
DEV=$E2E_RX
STARTED=$(date +%s.%N)

# ---- helpers ------------------------------------------------------------------------------
RC=0
OUT=""
# run CMD...: runs CMD inside the namespace (at most 20 s), exit status in RC, output in OUT.
run() {
  RC=0
  OUT=$(timeout -s KILL 20 ip netns exec "$NS" "$@" 2>&1) || RC=$?
}
expect_rc() { # DESC WANT
  if [ "$RC" -eq "$2" ]; then
    e2e_ok "$1 (exit $RC)"
  else
    e2e_fail "$1: exit $RC, want $2"
    e2e_show "$OUT"
  fi
}
expect_text() { # DESC REGEX [TEXT]
  local text=${3-$OUT}
  if grep -Eq -- "$2" <<<"$text"; then
    e2e_ok "$1"
  else
    e2e_fail "$1: no match for /$2/"
    e2e_show "$text"
  fi
}
expect_no_text() { # DESC REGEX
  if grep -Eq -- "$2" <<<"$OUT"; then
    e2e_fail "$1: unexpected /$2/"
    e2e_show "$OUT"
  else
    e2e_ok "$1"
  fi
}
json() { printf '%s' "$OUT" | e2e_json "$1" 2>/dev/null || echo invalid; }
ifindex_of() { ip -n "$NS" -j link show dev "$1" | e2e_json "j[0]['ifindex']"; }
NETNS_INODE=$(ip netns exec "$NS" stat -L -c %i /proc/self/ns/net)
record_path() { echo "/run/xdpml/$NETNS_INODE-$(ifindex_of "$1").json"; }

# snapshot DEV: the device's XDP state as `ip -j link` and `xdpml status --json` see it.
#   SNAP_IP      prog id per ip link ("none" when nothing is attached)
#   SNAP_ST      prog id per status ("none"; "error" when status failed or printed no JSON)
#   SNAP_NAME    program name per status; SNAP_ORIGIN  origin's program name, or "-"
#   SNAP_OBJ     origin's object (basename), or "-"; SNAP_OK  1 when the origin, if shown,
#                describes the attached program (same program name)
SNAP_PY='
import json, os, sys
try:
    link = json.loads(sys.argv[1])[0]
    ip = str(link["xdp"]["prog"]["id"]) if "xdp" in link and "prog" in link["xdp"] else "none"
except Exception:
    ip = "error"
st = name = origin = obj = "-"
try:
    progs = json.loads(sys.argv[2])["interfaces"][0]["programs"]
    if not progs:
        st = "none"
    else:
        p = progs[0]
        st, name = str(p["id"]), p.get("name", "?")
        if "origin" in p:
            origin, obj = p["origin"]["program"], os.path.basename(p["origin"]["object"])
except Exception:
    st = "error"
print(ip, st, name, origin, obj, 1 if origin in ("-", name) else 0)
'
snapshot() {
  local ipj stj
  ipj=$(ip -n "$NS" -j link show dev "$1" 2>/dev/null) || ipj='[]'
  stj=$(timeout -s KILL 20 ip netns exec "$NS" "$XDPML" status --json --dev "$1" 2>/dev/null) || stj='{}'
  read -r SNAP_IP SNAP_ST SNAP_NAME SNAP_ORIGIN SNAP_OBJ SNAP_OK < <("$E2E_PY" -c "$SNAP_PY" "$ipj" "$stj") || true
}
# expect_state DESC DEV WANT_ID [WANT_ORIGIN_OBJECT|-]: ip link and status agree on WANT_ID
# ("none" for nothing attached) and on the origin (object basename, "-" for none, "" = any
# origin that describes the attached program).
expect_state() {
  snapshot "$2"
  local want_obj=${4-}
  local got="ip=$SNAP_IP status=$SNAP_ST"
  if [ "$SNAP_IP" = "$3" ] && [ "$SNAP_ST" = "$3" ] && [ "$SNAP_OK" = 1 ] &&
    { [ -z "$want_obj" ] || [ "$SNAP_OBJ" = "$want_obj" ]; }; then
    e2e_ok "$1: $got origin=$SNAP_OBJ"
  else
    e2e_fail "$1: $got origin=$SNAP_OBJ ($SNAP_ORIGIN for $SNAP_NAME), want id $3 origin ${want_obj:-any}"
  fi
}
# record_id DEV [MODE]: the prog id the state record holds for MODE (skb), or "none".
record_id() {
  local path
  path=$(record_path "$1")
  [ -f "$path" ] || {
    echo none
    return
  }
  e2e_json "j['modes'].get('${2:-skb}', {}).get('prog_id', 'none')" <"$path" 2>/dev/null || echo invalid
}
# monitor_start DEV / monitor_stop: samples `ip -j link` in the background; MON_SAMPLES and
# MON_EMPTY (samples that showed no program) after monitor_stop.
monitor_start() {
  rm -f "$T/monitor.stop" "$T/monitor.log"
  (
    n=0 empty=0
    # Also ends when the scratch directory goes (the test died and its traps cleaned up).
    while [ ! -e "$T/monitor.stop" ] && [ -d "$T" ]; do
      if ip -n "$NS" -j link show dev "$1" 2>/dev/null | grep -q '"prog"'; then :; else empty=$((empty + 1)); fi
      n=$((n + 1))
    done
    echo "$n $empty" >"$T/monitor.log" 2>/dev/null || true
  ) &
  MON_PID=$!
}
monitor_stop() {
  touch "$T/monitor.stop"
  wait "$MON_PID" || true
  read -r MON_SAMPLES MON_EMPTY <"$T/monitor.log" || { MON_SAMPLES=0 MON_EMPTY='?'; }
}
# gate_close / gate_open: concurrent jobs started with `gated` block until the gate opens, so
# they start their work at the same moment.
gate_close() {
  exec 8>"$T/gate"
  flock -x 8
}
gate_open() { flock -u 8; exec 8>&-; }
# gated OUTFILE CMD...: in the background, waits for the gate, runs CMD in the namespace;
# stdout in OUTFILE, stderr in OUTFILE.err, exit status in OUTFILE.rc.
gated() {
  local out=$1
  shift
  (
    rc=0
    flock -s "$T/gate" true
    timeout -s KILL 20 ip netns exec "$NS" "$@" >"$out" 2>"$out.err" || rc=$?
    echo "$rc" >"$out.rc"
  ) &
  JOBS+=($!)
}
wait_jobs() {
  local pid
  for pid in "${JOBS[@]}"; do wait "$pid" || true; done
  JOBS=()
}
JOBS=()
SUMMARY=()
summary() { SUMMARY+=("$*"); }
phase_time() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
bpffs_list() { awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "bpf") print $5; break } }' /proc/self/mountinfo | sort; }

# ---- objects ------------------------------------------------------------------------------
pass_program() { # NAME: a pass-all XDP program called NAME
  printf '\t.section\txdp,"ax",@progbits\n\t.globl\t%s\n\t.type\t%s,@function\n%s:\n' "$1" "$1" "$1"
  printf '\tw0 = 2\n\texit\n\t.size\t%s, 16\n\t.section\tlicense,"aw",@progbits\n\t.asciz\t"GPL"\n' "$1"
}
OBJS_OK=1
for name in pa pb p0 p1 p2 p3 p4 p5 p6 p7 p8 p9; do
  pass_program "xdpml_$name" >"$T/$name.s"
  "$XDPML" asm "$T/$name.s" -o "$T/$name.o" >"$T/asm.log" 2>&1 || OBJS_OK=0
done
pass_program xdp_dispatcher >"$T/dispatcher.s" # only named like libxdp's dispatcher
"$XDPML" asm "$T/dispatcher.s" -o "$T/dispatcher.o" >>"$T/asm.log" 2>&1 || OBJS_OK=0
if [ "$OBJS_OK" = 1 ]; then e2e_ok "assemble the test programs"; else
  e2e_fail "assemble the test programs"
  e2e_show "$(cat "$T/asm.log")"
  e2e_finish
fi
e2e_assemble "$XDPML" pass_notype # the foreign program: xdp_drop_7777
FOREIGN=$T/pass_notype.o

CLANG=$(command -v clang-14 || command -v clang || true)
HAVE_CLANG=0
if [ -n "$CLANG" ]; then
  cat >"$T/pinned.c" <<'EOF'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
/* A map libbpf pins by name under /sys/fs/bpf when the object is loaded. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpml_races_pin SEC(".maps");
SEC("xdp") int xdpml_pinned(struct xdp_md *ctx) {
  __u32 key = 0;
  __u64 *count = bpf_map_lookup_elem(&xdpml_races_pin, &key);
  if (count) __sync_fetch_and_add(count, 1);
  return XDP_PASS;
}
char _license[] SEC("license") = "GPL";
EOF
  # What libxdp recognises as its dispatcher (name, BTF, a read-only config map with the magic
  # and version) with one program slot in use, so that libxdp reads its state from bpffs.
  cat >"$T/fake_dispatcher.c" <<'EOF'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xdp/prog_dispatcher.h>
static volatile const struct xdp_dispatcher_config conf = {
    .magic = XDP_DISPATCHER_MAGIC, .dispatcher_version = XDP_DISPATCHER_VERSION,
    .num_progs_enabled = 1};
SEC("xdp") int xdp_dispatcher(struct xdp_md *ctx) {
  return conf.num_progs_enabled ? XDP_PASS : XDP_DROP;
}
char _license[] SEC("license") = "GPL";
EOF
  if "$CLANG" -O2 -g -target bpf -I"/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)" \
    -c "$T/pinned.c" -o "$T/pinned.o" >"$T/clang.log" 2>&1 &&
    "$CLANG" -O2 -g -target bpf -I"/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)" \
      -c "$T/fake_dispatcher.c" -o "$T/fake_dispatcher.o" >>"$T/clang.log" 2>&1; then
    HAVE_CLANG=1
    e2e_ok "clang: a map pinned by name and a libxdp-style dispatcher"
  else
    e2e_fail "clang: a map pinned by name and a libxdp-style dispatcher"
    e2e_show "$(cat "$T/clang.log")"
  fi
fi

# ---- 1. concurrent loads on one device ----------------------------------------------------
# analyse_loads N WHO: reads $T/c/$i.out (--json) and .rc; prints "winners winner_index
# winner_id refused_naming_winner other_failures" (winner_id from ip link when WHO is "ip").
LOADS_PY='
import json, sys, re
n, ip_id = int(sys.argv[1]), sys.argv[2]
winners, refused, other = [], 0, []
for i in range(n):
    rc = int(open(f"{sys.argv[3]}/{i}.out.rc").read())
    text = open(f"{sys.argv[3]}/{i}.out").read()
    try:
        j = json.loads(text)
    except Exception:
        j = None
    if rc == 0 and j and j.get("ok"):
        winners.append((i, j["id"]))
    elif rc == 3 and j and re.search(r"already has an XDP program in skb mode \(.*id " + ip_id + r"\)", j["errors"][0]["message"]):
        refused += 1
    else:
        other.append(f"{i}:rc={rc}:{text.strip()[:200]!r}")
w = winners[0] if len(winners) == 1 else (-1, "none")
print(len(winners), w[0], w[1], refused, "|".join(other) or "-")
'
T1=$(date +%s.%N)
mkdir -p "$T/c"
for round in $(seq 1 "$ROUNDS"); do
  rm -f "$T"/c/*
  gate_close
  for i in $(seq 0 $((NLOAD - 1))); do
    # Half of them through the default path (dispatcher probe, then the legacy attach).
    if [ $((i % 2)) = 0 ]; then legacy=--legacy; else legacy=; fi
    gated "$T/c/$i.out" "$XDPML" load $legacy --json --dev "$DEV" --mode skb "$T/p$i.o"
  done
  foreign_competitor=0
  if [ "$round" = "$ROUNDS" ]; then # the last round: `ip link` competes too
    foreign_competitor=1
    (
      flock -s "$T/gate" true
      rc=0
      ip -n "$NS" link set dev "$DEV" xdpgeneric obj "$FOREIGN" sec xdp >"$T/c/ip.out" 2>&1 || rc=$?
      echo "$rc" >"$T/c/ip.out.rc"
    ) &
    JOBS+=($!)
  fi
  gate_open
  wait_jobs
  snapshot "$DEV"
  read -r nwin widx wid nref other < <("$E2E_PY" -c "$LOADS_PY" "$NLOAD" "$SNAP_IP" "$T/c") || true
  iprc=$(cat "$T/c/ip.out.rc" 2>/dev/null || echo none)
  if [ "$foreign_competitor" = 1 ] && [ "$iprc" = 0 ]; then
    # ip link won: every xdpml load is refused naming the foreign program, no origin is shown.
    if [ "$nwin" = 0 ] && [ "$nref" = "$NLOAD" ] && [ "$SNAP_NAME" = xdp_drop_7777 ] &&
      [ "$SNAP_ST" = "$SNAP_IP" ] && [ "$SNAP_ORIGIN" = - ] && [ "$(record_id "$DEV")" = none ]; then
      e2e_ok "round $round: ip link won; $nref xdpml loads refused naming it; status: id $SNAP_IP, no origin, no record"
    else
      e2e_fail "round $round (ip link won): winners $nwin, refused $nref/$NLOAD, status $SNAP_ST/$SNAP_NAME origin $SNAP_ORIGIN, record $(record_id "$DEV"), other: $other"
    fi
    summary "concurrent load round $round: ip link won, $nref/$NLOAD xdpml refused"
  else
    rec=$(record_id "$DEV")
    if [ "$nwin" = 1 ] && [ "$nref" = $((NLOAD - 1)) ] && [ "$wid" = "$SNAP_IP" ] &&
      [ "$SNAP_ST" = "$SNAP_IP" ] && [ "$SNAP_ORIGIN" = "xdpml_p$widx" ] &&
      [ "$SNAP_OBJ" = "p$widx.o" ] && [ "$rec" = "$SNAP_IP" ] &&
      { [ "$foreign_competitor" = 0 ] || [ "$iprc" != 0 ]; }; then
      e2e_ok "round $round: one winner (p$widx, id $wid), $nref refused naming it; record, status and ip link agree"
    else
      e2e_fail "round $round: winners $nwin (p$widx id $wid), refused $nref/$((NLOAD - 1)), ip $SNAP_IP status $SNAP_ST origin $SNAP_OBJ record $rec; other: $other"
      [ -f "$T/c/ip.out" ] && e2e_show "ip link: $(cat "$T/c/ip.out")"
    fi
    summary "concurrent load round $round: winner p$widx, $nref/$((NLOAD - 1)) refused"
  fi
  run "$XDPML" unload --dev "$DEV"
  [ "$RC" = 0 ] || e2e_fail "round $round: unload ($RC): $OUT"
done
expect_state "after the concurrent loads" "$DEV" none -
summary "1. concurrent load: $ROUNDS rounds x $NLOAD loads (+1 ip link), $(phase_time "$T1")"

# ---- 2. concurrent --replace loads --------------------------------------------------------
REPL_PY='
import json, sys, re
n = int(sys.argv[1])
ok, refused, superseded, other = {}, 0, 0, []
for i in range(n):
    rc = int(open(f"{sys.argv[2]}/{i}.out.rc").read())
    text = open(f"{sys.argv[2]}/{i}.out").read()
    err = open(f"{sys.argv[2]}/{i}.out.err").read()
    try:
        j = json.loads(text)
    except Exception:
        j = None
    if rc == 0 and j and j.get("ok"):
        ok[str(j["id"])] = f"p{i}.o"
        # swapped, then swapped out by another load before it could record its program
        if re.search(r"no longer runs it in skb mode: another program \(id [0-9]+\) replaced it meanwhile", err):
            superseded += 1
        elif err.strip():
            other.append(f"{i}:stderr:{err.strip()[:200]!r}")
    elif rc == 3 and j and re.search(r"changed while it was being replaced|disappeared", j["errors"][0]["message"]):
        refused += 1
    else:
        other.append(f"{i}:rc={rc}:{text.strip()[:200]!r}")
print(len(ok), refused, superseded, ",".join(f"{k}={v}" for k, v in ok.items()) or "-", "|".join(other) or "-")
'
T2=$(date +%s.%N)
run "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/pa.o"
expect_rc "base program for the --replace races" 0
monitor_start "$DEV"
repl_ok=0 repl_refused=0 repl_superseded=0
for round in $(seq 1 "$ROUNDS"); do
  rm -f "$T"/c/*
  gate_close
  for i in $(seq 0 $((NLOAD - 1))); do
    gated "$T/c/$i.out" "$XDPML" load --legacy --replace --json --dev "$DEV" --mode skb "$T/p$i.o"
  done
  gate_open
  wait_jobs
  snapshot "$DEV"
  read -r nok nref nsup okmap other < <("$E2E_PY" -c "$REPL_PY" "$NLOAD" "$T/c") || true
  rec=$(record_id "$DEV")
  want_obj=$(tr ',' '\n' <<<"$okmap" | sed -n "s/^$SNAP_IP=//p")
  repl_ok=$((repl_ok + nok))
  repl_refused=$((repl_refused + nref))
  repl_superseded=$((repl_superseded + nsup))
  if [ "$nok" -ge 1 ] && [ $((nok + nref)) = "$NLOAD" ] && [ -n "$want_obj" ] && [ "$other" = - ] &&
    [ "$SNAP_ST" = "$SNAP_IP" ] && [ "$SNAP_OBJ" = "$want_obj" ] && [ "$rec" = "$SNAP_IP" ]; then
    e2e_ok "replace round $round: $nok swapped ($nsup of them swapped out before recording, with a warning), $nref refused (changed meanwhile); attached id $SNAP_IP ($want_obj) = record = status"
  else
    e2e_fail "replace round $round: $nok swapped ($okmap), $nref refused; ip $SNAP_IP status $SNAP_ST origin $SNAP_OBJ (want ${want_obj:-one of the swapped}), record $rec; other: $other"
  fi
done
monitor_stop
if [ "$MON_EMPTY" = 0 ] && [ "$MON_SAMPLES" -gt 0 ]; then
  e2e_ok "the device carried a program in all $MON_SAMPLES samples taken during the --replace races"
else
  e2e_fail "the device went without a program in $MON_EMPTY of $MON_SAMPLES samples during the --replace races"
fi
summary "2. concurrent --replace: $ROUNDS rounds x $NLOAD: $repl_ok swapped ($repl_superseded swapped out before recording), $repl_refused refused; $MON_SAMPLES samples, $MON_EMPTY empty; $(phase_time "$T2")"

# ---- 3. kill -9 during load --replace -----------------------------------------------------
T3=$(date +%s.%N)
snapshot "$DEV"
prev=$SNAP_IP
k_before=0 k_unrecorded=0 k_recorded=0 k_done=0 k_bad=0
monitor_start "$DEV"
for i in $(seq 1 "$KILLS"); do
  if [ $((i % 2)) = 0 ]; then obj=pa; else obj=pb; fi
  # 1 ms .. 120 ms: a load takes ~40-100 ms here, so kills land in every stage.
  delay=$(printf '0.%03d' $((RANDOM % 120 + 1)))
  rc=0
  # (The braces keep bash's "Killed" job notice out of the test's output.)
  { timeout -s KILL "$delay" ip netns exec "$NS" "$XDPML" load --legacy --replace --dev "$DEV" --mode skb \
    "$T/$obj.o" >"$T/kill.out" 2>&1; } 2>/dev/null || rc=$?
  snapshot "$DEV"
  # Bad: nothing attached, status disagreeing with ip link, an origin that is not the attached
  # program's, a program that is neither the old one nor this load's, or an exit other than
  # 0 / 137 (SIGKILL).
  if [ "$SNAP_IP" = none ] || [ "$SNAP_IP" = error ] || [ "$SNAP_ST" != "$SNAP_IP" ] || [ "$SNAP_OK" != 1 ] ||
    { [ "$SNAP_IP" != "$prev" ] && [ "$SNAP_NAME" != "xdpml_$obj" ]; } ||
    { [ "$rc" != 0 ] && [ "$rc" != 137 ]; } || { [ "$rc" = 0 ] && [ "$SNAP_OBJ" != "$obj.o" ]; }; then
    k_bad=$((k_bad + 1))
    e2e_fail "kill $i after $delay s (exit $rc): ip $SNAP_IP status $SNAP_ST '$SNAP_NAME' origin $SNAP_ORIGIN"
    e2e_show "$(cat "$T/kill.out")"
  elif [ "$rc" = 0 ]; then
    k_done=$((k_done + 1))
  elif [ "$SNAP_IP" = "$prev" ]; then
    k_before=$((k_before + 1))
  elif [ "$SNAP_ORIGIN" = - ]; then
    k_unrecorded=$((k_unrecorded + 1))
  else
    k_recorded=$((k_recorded + 1))
  fi
  prev=$SNAP_IP
done
monitor_stop
if [ "$k_bad" = 0 ]; then
  e2e_ok "$KILLS kills during load --replace: always the old or the new program, status agrees with ip link ($k_before old kept, $k_unrecorded new without origin, $k_recorded new with origin, $k_done completed)"
else
  e2e_fail "$k_bad of $KILLS kills left an unexpected state"
fi
if [ "$MON_EMPTY" = 0 ] && [ "$MON_SAMPLES" -gt 0 ]; then
  e2e_ok "the device carried a program in all $MON_SAMPLES samples taken during the kills"
else
  e2e_fail "the device went without a program in $MON_EMPTY of $MON_SAMPLES samples during the kills"
fi
leftovers=$(find /run/xdpml -name '*.tmp.*' 2>/dev/null | wc -l)
summary "3. kill -9 during --replace: $KILLS kills: $k_before old kept, $k_unrecorded new without origin, $k_recorded new with origin, $k_done completed, $k_bad bad; $MON_SAMPLES samples, $MON_EMPTY empty; $leftovers temporary record files left; $(phase_time "$T3")"
# After a kill, `load` and `unload` still work (no lock or record left in the way).
run "$XDPML" load --legacy --replace --json --dev "$DEV" --mode skb "$T/pa.o"
expect_rc "load --replace after the kills" 0
expect_state "... and status shows it with its origin" "$DEV" "$(json "j['id']")" pa.o
run "$XDPML" unload --dev "$DEV"
expect_rc "unload after the kills" 0
expect_state "... nothing attached" "$DEV" none -

# ---- 4. device deleted while attached -----------------------------------------------------
T4=$(date +%s.%N)
add_pair() { # [INDEX]: (re)creates rc-d0 <-> rc-d1 in the namespace, rc-d0 optionally at INDEX
  ip -n "$NS" link add rc-d0 ${1:+index "$1"} type veth peer name rc-d1
  ip -n "$NS" link set dev rc-d0 up
  ip -n "$NS" link set dev rc-d1 up
}
add_pair
run "$XDPML" load --legacy --dev rc-d0 --mode skb "$T/pa.o"
expect_rc "load on rc-d0" 0
D_IDX=$(ifindex_of rc-d0)
D_RECORD=$(record_path rc-d0)
D_ID=$(record_id rc-d0)
[ -f "$D_RECORD" ] && e2e_ok "state record for rc-d0 (ifindex $D_IDX)" || e2e_fail "state record for rc-d0"
e2e_check "ip link del rc-d0 while a program is attached" ip -n "$NS" link del rc-d0 || true
run "$XDPML" status --dev rc-d0
expect_rc "status --dev of the deleted device" 3
expect_text "... says there is no such interface" "error: no network interface named 'rc-d0' in this network namespace"
run "$XDPML" status --json --dev rc-d0
expect_rc "status --json --dev of the deleted device" 3
e2e_expect "... as a JSON error" "$(json "(j['ok'], 'rc-d0' in j['errors'][0]['message'])")" "(False, True)"
run "$XDPML" unload --dev rc-d0
expect_rc "unload --dev of the deleted device" 3
expect_text "... says there is no such interface" "error: no network interface named 'rc-d0'"
run "$XDPML" load --legacy --dev rc-d0 --mode skb "$T/pa.o"
expect_rc "load on the deleted device" 3
run "$XDPML" status --json
expect_rc "status of the namespace" 0
e2e_expect "... does not list the deleted device" "$(json "[i['ifname'] for i in j['interfaces']]")" "[]"
if prog_gone=$(bpftool prog show id "$D_ID" 2>&1); then e2e_fail "the program of the deleted device is gone: $prog_gone"; else e2e_ok "the program of the deleted device is gone (id $D_ID)"; fi
if [ -f "$D_RECORD" ]; then stale=present; else stale=absent; fi
# A new device with the same name and the same ifindex: the stale record must not describe it.
add_pair "$D_IDX"
e2e_expect "rc-d0 re-created with the same ifindex" "$(ifindex_of rc-d0)" "$D_IDX"
expect_state "the new rc-d0 carries nothing" rc-d0 none -
e2e_check "ip link: a foreign program on the new rc-d0" \
  ip -n "$NS" link set dev rc-d0 xdpgeneric obj "$FOREIGN" sec xdp || true
snapshot rc-d0
expect_state "... shown with its id and without the stale record's origin" rc-d0 "$SNAP_IP" -
run "$XDPML" unload --dev rc-d0
expect_rc "unload the foreign program from the new rc-d0" 0
if [ -e "$D_RECORD" ]; then e2e_fail "unload dropped the stale record"; else e2e_ok "unload dropped the stale record (it was $stale after the delete)"; fi
run "$XDPML" load --legacy --json --dev rc-d0 --mode skb "$T/pb.o"
expect_rc "xdpml load on the new rc-d0" 0
expect_state "... status shows its own origin" rc-d0 "$(json "j['id']")" pb.o
ip -n "$NS" link del rc-d0
add_pair # a new ifindex this time
expect_state "rc-d0 re-created with a new ifindex carries nothing" rc-d0 none -
# Deleting the device while loads are in flight: exit 0 (attached before the delete) or 3.
inflight_ok=0 inflight_3=0 inflight_bad=0
for i in $(seq 1 10); do
  rc=0
  ip netns exec "$NS" "$XDPML" load --json --dev rc-d0 --mode skb "$T/pa.o" >"$T/inflight.out" 2>&1 &
  lp=$!
  sleep "0.0$((RANDOM % 6))"
  ip -n "$NS" link del rc-d0 2>/dev/null || true
  wait "$lp" || rc=$?
  case $rc in
    0) inflight_ok=$((inflight_ok + 1)) ;;
    3) if e2e_json "not j['ok'] and bool(j['errors'][0]['message'])" <"$T/inflight.out" 2>/dev/null | grep -q True; then
      inflight_3=$((inflight_3 + 1))
    else
      inflight_bad=$((inflight_bad + 1))
      e2e_show "$(cat "$T/inflight.out")"
    fi ;;
    *)
      inflight_bad=$((inflight_bad + 1))
      e2e_show "exit $rc: $(cat "$T/inflight.out")"
      ;;
  esac
  ip -n "$NS" link del rc-d0 2>/dev/null || true
  add_pair
done
if [ "$inflight_bad" = 0 ]; then
  e2e_ok "device deleted during 10 loads: $inflight_ok attached before the delete, $inflight_3 refused with a JSON error (exit 3)"
else
  e2e_fail "device deleted during loads: $inflight_bad ended otherwise"
fi
expect_state "the last re-created rc-d0 carries nothing" rc-d0 none -
run "$XDPML" status --json
e2e_expect "status lists no interface with XDP" "$(json "[i['ifname'] for i in j['interfaces']]")" "[]"
ip -n "$NS" link del rc-d0
summary "4. device deleted: 1 delete while attached (stale record $stale, not shown for a re-created device with the same name and ifindex), 10 deletes during a load ($inflight_ok attached first, $inflight_3 exit 3, $inflight_bad other); $(phase_time "$T4")"

# ---- 5. a foreign program ------------------------------------------------------------------
T5=$(date +%s.%N)
e2e_check "ip link attaches the foreign program (xdpgeneric)" \
  ip -n "$NS" link set dev "$DEV" xdpgeneric obj "$FOREIGN" sec xdp || true
snapshot "$DEV"
F_ID=$SNAP_IP
run "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/pa.o"
expect_rc "load --legacy over a foreign program is refused" 3
expect_text "... naming it" "already has an XDP program in skb mode \('xdp_drop_7777', id $F_ID\)"
expect_text "... with the way out" "hint: --replace swaps it atomically; .xdpml unload --dev $DEV --mode skb. removes it"
run "$XDPML" load --dev "$DEV" --mode skb "$T/pa.o"
expect_rc "load (default path) over a foreign program is refused" 3
expect_text "... naming it" "already has an XDP program in skb mode \('xdp_drop_7777', id $F_ID\)"
run "$XDPML" load --legacy --dev "$DEV" --mode native "$T/pa.o"
expect_rc "load in native mode next to the foreign skb program is refused" 3
expect_text "... with the kernel's words" "Native and generic XDP can't be active at the same time"
run "$XDPML" unload --dev "$DEV" --mode native
expect_rc "unload --mode native (nothing there) is refused" 3
expect_text "... pointing at the skb program" "a program \(id $F_ID\) is attached in skb mode"
expect_state "the foreign program stays, shown without an origin" "$DEV" "$F_ID" -
run "$XDPML" status --dev "$DEV"
expect_no_text "status (text) shows no origin line for it" "^    from "
run "$XDPML" load --legacy --replace --json --dev "$DEV" --mode skb "$T/pa.o"
expect_rc "--replace (xdpml's --force) swaps the foreign program" 0
e2e_expect "... reporting the replaced id" "$(json "j['replaced_id']")" "$F_ID"
expect_state "... now xdpml's program with its origin" "$DEV" "$(json "j['id']")" pa.o
run "$XDPML" unload --dev "$DEV"
e2e_check "ip link attaches the foreign program in native mode (xdpdrv)" \
  ip -n "$NS" link set dev "$DEV" xdpdrv obj "$FOREIGN" sec xdp || true
snapshot "$DEV"
run "$XDPML" load --legacy --dev "$DEV" --mode native "$T/pa.o"
expect_rc "load over a foreign native program is refused" 3
expect_text "... naming it" "already has an XDP program in native mode \('xdp_drop_7777', id $SNAP_IP\)"
run "$XDPML" status --json --dev "$DEV"
e2e_expect "status: native, foreign, no origin" \
  "$(json "[(p['mode'], p['name'], 'origin' in p) for p in j['interfaces'][0]['programs']]")" "[('native', 'xdp_drop_7777', False)]"
run "$XDPML" unload --dev "$DEV"
expect_rc "unload removes the foreign native program" 0
expect_state "nothing attached" "$DEV" none -
summary "5. foreign program: skb and native, refused naming it, --replace swaps it; $(phase_time "$T5")"

# ---- 6. bpffs missing or read-only --------------------------------------------------------
T6=$(date +%s.%N)
mkdir -p "$T/plaindir" "$T/robpf"
mount -t bpf -o ro xdpml-races-robpf "$T/robpf"
E2E_BPFFS+=("$T/robpf")
BPFFS_BEFORE=$(bpffs_list | tr '\n' ' ')
export -f bpffs_list
for where in none missing plain robpf; do
  case $where in
    none) bpffs_env=() ;; # /sys/fs/bpf: not a bpffs inside `ip netns exec`
    missing) bpffs_env=(LIBXDP_BPFFS="$T/missing") ;;
    plain) bpffs_env=(LIBXDP_BPFFS="$T/plaindir") ;;
    robpf) bpffs_env=(LIBXDP_BPFFS="$T/robpf") ;;
  esac
  # load (default path and --legacy), --replace, status, unload; with automount asked for.
  run env "${bpffs_env[@]}" LIBXDP_BPFFS_AUTOMOUNT=1 XDPML="$XDPML" T="$T" DEV="$DEV" bash -c '
    before=$(bpffs_list | tr "\n" " ")
    "$XDPML" load --dev "$DEV" --mode skb "$T/pa.o" &&
    "$XDPML" load --legacy --replace --dev "$DEV" --mode skb "$T/pb.o" &&
    "$XDPML" status --dev "$DEV" && "$XDPML" unload --dev "$DEV" &&
    "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/dispatcher.o" && "$XDPML" status --dev "$DEV" &&
    "$XDPML" unload --dev "$DEV" && [ "$(bpffs_list | tr "\n" " ")" = "$before" ] && echo MOUNTS-UNCHANGED'
  expect_rc "bpffs $where: load, --replace, status, unload (LIBXDP_BPFFS_AUTOMOUNT=1)" 0
  expect_text "... the origin is shown" "from $T/pb.o \(section xdp, program xdpml_pb\)"
  case $where in
    none | missing | plain) expect_text "... the dispatcher-named program: why its components are unknown" \
      "libxdp dispatcher: .*libxdp keeps them in bpffs, and .* is not a bpffs mount here" ;;
    robpf) expect_text "... the dispatcher-named program: why its components are unknown" \
      "libxdp dispatcher: .*no pinned state for it under $T/robpf" ;;
  esac
  expect_text "... and nothing was mounted" "MOUNTS-UNCHANGED"
  expect_no_text "... no crash or internal error" "internal error|Segmentation|Aborted|terminate called"
done
[ ! -e "$T/missing" ] && e2e_ok "the missing LIBXDP_BPFFS directory was not created" || e2e_fail "the missing LIBXDP_BPFFS directory was created"
e2e_expect "the read-only bpffs is untouched" "$(find "$T/robpf" -mindepth 1 -not -name '*.debug' | wc -l)" 0
e2e_expect "no bpffs mounted or unmounted here" "$(bpffs_list | tr '\n' ' ')" "$BPFFS_BEFORE"
[ ! -e /run/xdp ] && e2e_ok "libxdp's fallback lock directory /run/xdp was not created" || e2e_fail "/run/xdp was created"
umount "$T/robpf" # iproute2 would pick it for the `ip link` attaches below
expect_state "nothing attached after the bpffs cases" "$DEV" none -
summary "6. bpffs: absent, LIBXDP_BPFFS missing / plain dir / read-only bpffs, with LIBXDP_BPFFS_AUTOMOUNT=1; $(phase_time "$T6")"

# ---- 7. pinned paths of the wrong type ----------------------------------------------------
T7=$(date +%s.%N)
# 7a. A map pinned by name: libbpf pins it at /sys/fs/bpf/xdpml_races_pin while xdpml loads the
# object. Each case runs in one `ip netns exec`, where /sys/fs/bpf is whatever the case mounts.
PIN=/sys/fs/bpf/xdpml_races_pin
pin_case() { # DESC SETUP WANT_RC REGEX
  run env XDPML="$XDPML" T="$T" DEV="$DEV" PIN="$PIN" bash -c "$2"'
    "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/pinned.o"'
  expect_rc "pinned map, $1" "$3"
  expect_text "... $4" "$4"
  if [ "$3" != 0 ]; then
    expect_no_text "... not blamed on missing root privileges" "needs root"
    expect_state "... nothing attached" "$DEV" none -
  fi
}
if [ "$HAVE_CLANG" = 1 ]; then
  pin_case "no bpffs at /sys/fs/bpf" ":;" 3 "map 'xdpml_races_pin' .*$PIN.*/sys/fs/bpf is not on a bpffs"
  pin_case "path is a directory" 'mount -t bpf bpf /sys/fs/bpf && mkdir "$PIN";' 3 "$PIN.*a directory is in the way"
  pin_case "path holds another map" \
    'mount -t bpf bpf /sys/fs/bpf && bpftool map create "$PIN" type hash key 4 value 8 entries 4 name other;' 3 "$PIN.*not a map of this definition.*parameter mismatch"
  pin_case "path holds a program" \
    'mount -t bpf bpf /sys/fs/bpf && bpftool prog load "$T/pa.o" "$PIN";' 3 "$PIN.*not a map of this definition"
  pin_case "read-only bpffs" 'mount -t bpf -o ro bpf /sys/fs/bpf;' 3 "$PIN.*the bpffs at /sys/fs/bpf is read-only"
  # A fresh bpffs: libbpf pins the map; unload leaves the pin (libbpf's contract: pinned maps
  # outlive programs); a second load reuses it.
  run env XDPML="$XDPML" T="$T" DEV="$DEV" PIN="$PIN" bash -c '
    mount -t bpf bpf /sys/fs/bpf && "$XDPML" load --legacy --dev "$DEV" --mode skb "$T/pinned.o" &&
    m1=$(bpftool -j map show pinned "$PIN" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"id\"])") &&
    "$XDPML" unload --dev "$DEV" && [ -e "$PIN" ] && echo PIN-KEPT &&
    "$XDPML" load --legacy --json --dev "$DEV" --mode skb "$T/pinned.o" >/dev/null &&
    "$XDPML" status --json --dev "$DEV" | python3 -c "import json,sys; print(\"REUSED\" if $m1 in json.load(sys.stdin)[\"interfaces\"][0][\"programs\"][0][\"map_ids\"] else \"NEW-MAP\")" &&
    "$XDPML" unload --dev "$DEV"'
  expect_rc "pinned map on a fresh bpffs: load, unload, load again" 0
  expect_text "... the pin outlives the program (libbpf pins it, xdpml does not remove it)" PIN-KEPT
  expect_text "... and the second load reuses the pinned map" REUSED
  expect_state "nothing attached after the pinned-map cases" "$DEV" none -
else
  e2e_ok "skipped: pinned-map cases need clang"
fi

# 7b. libxdp's dispatcher state in bpffs holding garbage. The libxdp-style dispatcher is attached
# with `ip link`; libxdp then reads <LIBXDP_BPFFS>/xdp/dispatch-<ifindex>-<id>/prog0-prog.
if [ "$HAVE_CLANG" = 1 ]; then
  XS=$T/xdpstate
  mkdir -p "$XS"
  mount -t bpf xdpml-races-xdpstate "$XS"
  E2E_BPFFS+=("$XS")
  mkdir -p "$XS/xdp"
  IDX=$(ifindex_of "$DEV")
  ip -n "$NS" link set dev "$E2E_TX" xdpgeneric obj "$T/pa.o" sec xdp # a plain program to pin
  PLAIN_ID=$(ip -n "$NS" -j link show dev "$E2E_TX" | e2e_json "j[0]['xdp']['prog']['id']")
  for garbage in none map-at-state-path map-as-component plain-program-as-component dir-as-component; do
    ip -n "$NS" link set dev "$DEV" xdpgeneric obj "$T/fake_dispatcher.o" sec xdp
    snapshot "$DEV"
    DISP_ID=$SNAP_IP
    STATE=$XS/xdp/dispatch-$IDX-$DISP_ID
    case $garbage in
      none) ;;
      map-at-state-path) bpftool map create "$STATE" type array key 4 value 4 entries 1 name junk ;;
      map-as-component) mkdir "$STATE" && bpftool map create "$STATE/prog0-prog" type array key 4 value 4 entries 1 name junk ;;
      plain-program-as-component) mkdir "$STATE" && bpftool prog pin id "$PLAIN_ID" "$STATE/prog0-prog" ;;
      dir-as-component) mkdir -p "$STATE/prog0-prog" ;;
    esac
    run env LIBXDP_BPFFS="$XS" "$XDPML" status --json --dev "$DEV"
    expect_rc "libxdp state '$garbage': status" 0
    e2e_expect "... shows the dispatcher with its components unknown (not garbage as programs)" \
      "$(json "[(p['id'], p['libxdp_dispatcher']['components_known']) for p in j['interfaces'][0]['programs']]")" "[($DISP_ID, False)]"
    run env LIBXDP_BPFFS="$XS" "$XDPML" status --dev "$DEV"
    expect_text "... and says why" "libxdp dispatcher: "
    run env LIBXDP_BPFFS="$XS" "$XDPML" unload --dev "$DEV"
    expect_rc "libxdp state '$garbage': unload" 0
    expect_text "... names what it detached" "detached 'xdp_dispatcher' \(id $DISP_ID\)"
    expect_state "... nothing attached" "$DEV" none -
    rm -rf "$STATE"
  done
  ip -n "$NS" link set dev "$E2E_TX" xdpgeneric off
else
  e2e_ok "skipped: libxdp state cases need clang"
fi

# 7c. xdpml's own state: /run/xdpml and its records of the wrong type. Every command must end
# (a FIFO must not block it), say what it could not do, and keep the device state right.
RECORD="/run/xdpml/$NETNS_INODE-$(ifindex_of "$DEV").json"
for bad in dir-is-file record-is-dir record-is-fifo garbage-json nested-json other-interface; do
  rm -rf /run/xdpml
  ip -n "$NS" link set dev "$DEV" xdpgeneric off 2>/dev/null || true # independent cases
  case $bad in
    dir-is-file) echo junk >/run/xdpml ;;
    record-is-dir) mkdir -p "$RECORD" ;;
    record-is-fifo) mkdir -p /run/xdpml && mkfifo "$RECORD" ;;
    garbage-json) mkdir -p /run/xdpml && head -c 4096 /dev/urandom >"$RECORD" ;;
    nested-json) mkdir -p /run/xdpml && "$E2E_PY" -c 'print("[" * 300000 + "]" * 300000)' >"$RECORD" ;;
    other-interface) # a valid record of another interface copied to this one's name
      mkdir -p /run/xdpml && printf '{"netns_inode": %s, "ifindex": 1, "ifname": "lo", "modes": {"skb": {"prog_id": 1, "object": "/x.o"}}}\n' \
        "$NETNS_INODE" >"$RECORD" ;;
  esac
  run "$XDPML" load --legacy --json --dev "$DEV" --mode skb "$T/pa.o"
  expect_rc "state '$bad': load attaches" 0
  L_ID=$(json "j['id']")
  case $bad in
    dir-is-file | record-is-dir)
      run "$XDPML" load --legacy --replace --dev "$DEV" --mode skb "$T/pb.o"
      expect_rc "state '$bad': load --replace" 0
      expect_text "... warns that status will not know the object" "warning: attached, but .xdpml status. will not know the object it came from: cannot"
      snapshot "$DEV"
      expect_state "... status shows the program without an origin" "$DEV" "$SNAP_IP" -
      ;;
    *)
      expect_state "... status shows it with its origin (the record was rewritten)" "$DEV" "$L_ID" pa.o
      ;;
  esac
  run "$XDPML" status --dev "$DEV"
  expect_rc "state '$bad': status" 0
  expect_no_text "... no internal error" "internal error"
  run "$XDPML" unload --dev "$DEV"
  expect_rc "state '$bad': unload" 0
  expect_state "... nothing attached" "$DEV" none -
done
rm -rf /run/xdpml
summary "7. wrong types: pinned map path (dir, other map, program, no bpffs, read-only), libxdp state (map, map/program/dir as component), /run/xdpml (file, record dir/FIFO/garbage/nested/foreign); $(phase_time "$T7")"

for line in "${SUMMARY[@]}"; do echo "summary: $line"; done
echo "summary: total $(phase_time "$STARTED")"
e2e_finish
