#!/usr/bin/env bash
# The README's first command. Today it shows the foundation end to end: assemble a
# hand-written XDP program (no .type/.size, a BTF-defined map), disassemble it, attach it
# with iproute2 to a veth in a throw-away network namespace, send frames through it and
# read the map. The ANOVA compile → attach → send → verify demo replaces this as the
# compiler and packet tools land.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
X=build/xdpml
work=$(mktemp -d)
ns=xdpml-demo-$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "== assemble tests/e2e/progs/array_map.s"
$X asm tests/e2e/progs/array_map.s -o "$work/count.o" --json | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
print("   sections:", ", ".join("%s (%d bytes)" % (s["name"], s["size"]) for s in j["sections"]))'
echo "== disassemble (first lines)"
$X disasm "$work/count.o" | sed -n '1,12p' | sed 's/^/   /'

echo "== attach with ip link ... xdpgeneric in namespace $ns"
ip netns add "$ns"
ip -n "$ns" link add demo-tx type veth peer name demo-rx
ip -n "$ns" link set demo-tx up
ip -n "$ns" link set demo-rx up
ip -n "$ns" link set dev demo-rx xdpgeneric obj "$work/count.o" sec xdp
ip -n "$ns" -d link show dev demo-rx | grep -o 'prog/xdp id [0-9]*' | sed 's/^/   /'
echo "== send 5 UDP + 3 ICMP frames demo-tx -> demo-rx (arrivals per kind)"
ip netns exec "$ns" /usr/bin/python3 tests/e2e/pktio.py sendrecv demo-tx demo-rx udp:9:5 icmp:3 | sed 's/^/   /'
id=$(ip -n "$ns" -j -d link show dev demo-rx | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')
map=$(bpftool -j prog show id "$id" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["map_ids"][0])')
echo "== counters map (key 3 = UDP)"
bpftool map dump id "$map" | sed 's/^/   /'
ip -n "$ns" link set dev demo-rx xdpgeneric off
echo "demo: ok"
