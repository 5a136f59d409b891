#!/usr/bin/env bash
# Installs every Debian package xdpml needs (idempotent) and builds build/xdpml.
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

# Each package and why it is here: docs/dependencies.md.
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  clang-14 llvm-14 llvm-14-dev lld-14 clang-format-14 libclang-rt-14-dev
  libbpf-dev libxdp-dev libelf-dev zlib1g-dev
  libcli11-dev catch2 nlohmann-json3-dev libonnx-dev libprotobuf-dev
  bpftool xdp-tools iproute2 tcpdump tcpreplay python3
  qemu-system-x86 busybox-static cpio kmod
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when they are absent or older than a day.
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    apt-get update -qq
  fi
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/xdpml-apt.log 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/xdpml-apt.log 2>&1 ||
      { cat /tmp/xdpml-apt.log; echo "setup: apt-get install failed" >&2; exit 1; }
  fi
fi

# clang/llvm-mc/llvm-objdump are the test oracles; make sure the unversioned names exist.
for tool in clang llvm-mc llvm-objdump llvm-objcopy llvm-readelf; do
  command -v "$tool" >/dev/null || ln -sf "/usr/bin/${tool}-14" "/usr/local/bin/$tool"
done

[ "${1:-}" = "--no-build" ] && exit 0
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --parallel "$(nproc)"
echo "setup: built build/xdpml"
