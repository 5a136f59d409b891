#!/usr/bin/env bash
# Offload testbed: runs xdpml's hardware-offload path against the kernel's real offload
# control path, on netdevsim, without an offload-capable NIC.
#
# Debian's kernels do not ship netdevsim and the host's kernel is not ours to change, so this
# downloads Debian's own stock kernel (image, source, headers, kbuild), builds netdevsim out of
# tree for it, packs busybox, iproute2, bpftool, xdpml (with their shared libraries), the
# modules and tests/offload/ into an initramfs, and boots it under qemu. The guest's /init
# (tests/offload/init.sh) runs the checks and prints PASS/FAIL lines and "N passed, M failed".
#
# Usage: scripts/offload-testbed.sh [--xdpml PATH] [--accel auto|tcg|kvm] [--timeout SECONDS]
#
# Environment:
#   XDPML_OFFLOAD_CACHE  cache for downloads and the built kernel bits (/var/cache/xdpml/offload)
#   XDPML_OFFLOAD_KABI   kernel ABI to use, e.g. 6.1.0-56-amd64 (default: what linux-image-amd64
#                        depends on, resolved at run time)
#
# Exit codes:
#   0   every guest check passed
#   1   a guest check failed, or the guest gave no result (its console is printed)
#   2   usage error
#   3   the testbed could not be built (netdevsim build, initramfs) or qemu failed to start
#   75  Debian's kernel packages could not be downloaded (no network, apt failure) and nothing
#       usable is cached
#   77  cannot run here: a host tool is missing or the cache is not writable
set -euo pipefail

readonly RECIPE=2 # bump when the way the cached kernel bits are built changes
SRC_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
readonly SRC_ROOT
CACHE="${XDPML_OFFLOAD_CACHE:-/var/cache/xdpml/offload}"
XDPML="$SRC_ROOT/build/xdpml"
ACCEL=auto
BOOT_TIMEOUT=600       # TCG boot to power-off takes ~15 s; this only bounds a hung guest
KVM_PROBE_SECONDS=60   # a KVM boot that has not reached /init by then falls back to TCG

usage() { # usage EXIT-CODE
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2
  exit "$1"
}

while (($#)); do
  case "$1" in
    --xdpml) XDPML="${2:?--xdpml needs a path}"; shift 2 ;;
    --accel) ACCEL="${2:?--accel needs auto, tcg or kvm}"; shift 2 ;;
    --timeout) BOOT_TIMEOUT="${2:?--timeout needs seconds}"; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "offload-testbed: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
case "$ACCEL" in auto | tcg | kvm) ;; *) echo "offload-testbed: --accel auto|tcg|kvm" >&2; exit 2 ;; esac
[[ "$BOOT_TIMEOUT" =~ ^[0-9]+$ ]] || { echo "offload-testbed: --timeout needs seconds" >&2; exit 2; }

say() { printf 'offload-testbed: [%3ds] %s\n' "$SECONDS" "$*"; }
die() { # die CODE MESSAGE...
  local code=$1
  shift
  printf 'offload-testbed: error: %s\n' "$*" >&2
  exit "$code"
}

# ---- host tools -------------------------------------------------------------------------------

need=()
check_tool() { # check_tool COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || need+=("$2 (for $1)")
}
check_tool qemu-system-x86_64 qemu-system-x86
check_tool busybox busybox-static
check_tool cpio cpio
check_tool modinfo kmod
check_tool ip iproute2
check_tool bpftool bpftool
check_tool xdp-loader xdp-tools
check_tool xdp-filter xdp-tools
check_tool make make
check_tool gcc gcc
check_tool xz xz-utils
check_tool dpkg-deb dpkg
check_tool apt-get apt
check_tool apt-cache apt
check_tool flock util-linux
check_tool timeout coreutils
check_tool ldd libc-bin
check_tool gzip gzip
((${#need[@]} == 0)) || die 77 "missing host tools: ${need[*]}"
[[ -x "$XDPML" ]] || die 77 "no xdpml binary at $XDPML (build it: scripts/setup.sh, or pass --xdpml PATH)"
[[ -f "$SRC_ROOT/tests/offload/init.sh" ]] || die 77 "tests/offload/init.sh is missing"

if ! mkdir -p "$CACHE" 2>/dev/null || [[ ! -w "$CACHE" ]]; then
  die 77 "cache directory $CACHE is not writable (run as root or set XDPML_OFFLOAD_CACHE)"
fi
mkdir -p "$CACHE/debs" "$CACHE/kernels" "$CACHE/logs"

# Everything temporary lives in one directory, removed on every way out; qemu is stopped too.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/xdpml-offload.XXXXXX")"
QEMU_PID=
cleanup() {
  if [[ -n "$QEMU_PID" ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
    kill "$QEMU_PID" 2>/dev/null || true
    wait "$QEMU_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Two runs share the cache; the second waits instead of building the same files twice.
exec 9>"$CACHE/.lock"
flock -w 1800 9 || die 3 "another offload-testbed run holds $CACHE/.lock"

# ---- which kernel -----------------------------------------------------------------------------

APT_LOG="$WORK/apt.log"
APT_UPDATED=0
# Refreshes the package lists once per run, only when a look-up or download failed: stale
# lists name versions the mirror no longer has.
apt_update_once() {
  ((APT_UPDATED == 0)) || return 1
  APT_UPDATED=1
  [[ $EUID -eq 0 ]] || return 1
  say "refreshing the package lists (apt-get update)"
  apt-get update -qq >>"$APT_LOG" 2>&1
}

resolve_kabi() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ && !f { print substr($2, 13); f = 1 }'
}

candidate_version() { # candidate_version PACKAGE
  apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" && !f { print $2; f = 1 }'
}

latest_cached_kabi() { # the only one: a successful build removes the others
  local stamp
  for stamp in "$CACHE"/kernels/*/stamp; do
    [[ -f "$stamp" ]] && { basename "$(dirname "$stamp")"; return 0; }
  done
  return 1
}

KABI="${XDPML_OFFLOAD_KABI:-}"
if [[ -z "$KABI" ]]; then
  KABI="$(resolve_kabi)"
  if [[ -z "$KABI" ]] && apt_update_once; then KABI="$(resolve_kabi)"; fi
  if [[ -z "$KABI" ]]; then
    # No package lists (and no network to fetch them): a kernel built earlier still serves.
    KABI="$(latest_cached_kabi || true)"
    [[ -n "$KABI" ]] ||
      die 75 "cannot tell which Debian kernel to use: apt-cache knows no linux-image-amd64" \
        "(no package lists, no network?) and nothing is cached in $CACHE"
    say "apt-cache cannot resolve linux-image-amd64; using the cached kernel $KABI"
  fi
fi
KDIR="$CACHE/kernels/$KABI"
IMAGE_PKG="linux-image-$KABI"
IMAGE_VER="$(candidate_version "$IMAGE_PKG" || true)"
say "kernel $KABI${IMAGE_VER:+ ($IMAGE_VER)}"

# The cached kernel bits are reused while they were built by this recipe from this version.
stamp_text="recipe=$RECIPE kabi=$KABI version=${IMAGE_VER:-unknown}"
cached_ok() {
  [[ -f "$KDIR/stamp" && -f "$KDIR/vmlinuz" && -f "$KDIR/modules/load-order" ]] || return 1
  # Offline (no version known), whatever was built for this ABI by this recipe will do.
  if [[ -z "$IMAGE_VER" ]]; then grep -q "^recipe=$RECIPE kabi=$KABI " "$KDIR/stamp"; else
    [[ "$(cat "$KDIR/stamp")" == "$stamp_text" ]]
  fi
}

# ---- download ---------------------------------------------------------------------------------

deb_path() { # deb_path PACKAGE VERSION: the cached .deb, if any
  local f
  for f in "$CACHE/debs/${1}_${2//:/%3a}_"*.deb; do
    [[ -f "$f" ]] && { echo "$f"; return 0; }
  done
  return 1
}

# Downloads PACKAGE=VERSION into the cache unless it is there. apt-get writes into the current
# directory; a scratch directory keeps a half-downloaded file out of the cache. It is private to
# root, so apt's unprivileged sandbox user could not write there: download as root, as apt would
# anyway after a warning.
apt_download() { # apt_download DIR PACKAGE=VERSION
  (cd "$1" && apt-get download -q -o APT::Sandbox::User=root "$2" >>"$APT_LOG" 2>&1)
}
fetch() { # fetch PACKAGE VERSION
  deb_path "$1" "$2" >/dev/null && return 0
  local dir="$WORK/download"
  mkdir -p "$dir"
  if ! apt_download "$dir" "$1=$2"; then
    if ! apt_update_once || ! apt_download "$dir" "$1=$2"; then
      tail -n 5 "$APT_LOG" >&2
      die 75 "cannot download $1=$2 from Debian (no network or apt failure; log above)"
    fi
  fi
  mv "$dir"/*.deb "$CACHE/debs/"
}

# Same-upload packages: Debian builds linux-source, the headers and kbuild from one source
# version, and the image carries that version too.
dep_named() { # dep_named PACKAGE REGEX: the first dependency of PACKAGE whose name matches
  apt-cache depends "$1" 2>/dev/null | awk -v re="$2" '$1 == "Depends:" && $2 ~ re && !f { print $2; f = 1 }'
}

download_all() {
  [[ -n "$IMAGE_VER" ]] ||
    die 75 "apt-cache has no candidate for $IMAGE_PKG (no package lists, no network?)"
  local majmin headers common kbuild source pkg ver
  majmin="$(cut -d. -f1,2 <<<"$KABI")"
  headers="linux-headers-$KABI"
  common="$(dep_named "$headers" '^linux-headers-.*-common$')"
  kbuild="$(dep_named "$headers" '^linux-kbuild-')"
  source="linux-source-$majmin"
  [[ -n "$common" && -n "$kbuild" ]] ||
    die 75 "apt-cache cannot resolve the dependencies of $headers (stale package lists?)"
  PKGS=()
  for pkg in "$IMAGE_PKG" "$headers" "$common" "$kbuild" "$source"; do
    ver="$IMAGE_VER"
    # kbuild and the common headers may come from a different upload than the image
    # (bookworm-security vs bookworm): take their own candidate when the image's is absent.
    apt-cache madison "$pkg" 2>/dev/null | awk -v v="$ver" '$3 == v { f = 1 } END { exit !f }' ||
      ver="$(candidate_version "$pkg")"
    [[ -n "$ver" ]] || die 75 "apt-cache knows no version of $pkg"
    [[ "$pkg" != "$source" || "$ver" == "$IMAGE_VER" ]] ||
      die 3 "$source $IMAGE_VER (the image's version) is not in the package lists; got $ver"
    PKGS+=("$pkg=$ver")
    fetch "$pkg" "$ver"
  done
}

# ---- build: vmlinuz, netdevsim and the modules it needs -----------------------------------------

# Copies module NAME (and, first, what it depends on) from the image's module tree into $2,
# appending names to the load order. Compressed modules are unpacked: busybox insmod may not.
copy_module() { # copy_module NAME DEST TREE
  local name=$1 dest=$2 tree=$3 file dep
  grep -qx "$name" "$dest/load-order" 2>/dev/null && return 0
  file="$(find "$tree" \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \) -print -quit)"
  [[ -n "$file" ]] || die 3 "module $name (needed by netdevsim) is not in $IMAGE_PKG"
  for dep in $(modinfo -F depends "$file" | tr ',' ' '); do copy_module "$dep" "$dest" "$tree"; done
  case "$file" in
    *.ko.xz) xz -dc "$file" >"$dest/$name.ko" ;;
    *.ko.zst) zstd -qdc "$file" >"$dest/$name.ko" ;;
    *.ko.gz) gzip -dc "$file" >"$dest/$name.ko" ;;
    *) cp "$file" "$dest/$name.ko" ;;
  esac
  echo "$name" >>"$dest/load-order"
}

build_kernel_bits() {
  local b="$WORK/build" deb hdr_dir nsim out tree vmlinuz
  mkdir -p "$b/img" "$b/hdr" "$b/src"
  say "unpacking the kernel packages"
  for deb in "${PKGS[@]}"; do
    local p=${deb%%=*} v=${deb#*=}
    case "$p" in
      linux-image-*) dpkg-deb -x "$(deb_path "$p" "$v")" "$b/img" ;;
      linux-source-*)
        # Only drivers/net/netdevsim is needed: stream the tarball out of the .deb and
        # extract that directory (the 130 MB tarball never lands on disk).
        dpkg-deb --fsys-tarfile "$(deb_path "$p" "$v")" |
          tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
          tar -xJ -C "$b/src" --wildcards '*/drivers/net/netdevsim' ;;
      *) dpkg-deb -x "$(deb_path "$p" "$v")" "$b/hdr" ;;
    esac
  done
  hdr_dir="$b/hdr/usr/src/linux-headers-$KABI"
  [[ -f "$hdr_dir/Makefile" ]] || die 3 "no $hdr_dir/Makefile in linux-headers-$KABI"
  # Debian's per-flavour Makefile includes the common headers by absolute path.
  sed -i "s|/usr/src/linux-headers-|$b/hdr/usr/src/linux-headers-|g" "$hdr_dir/Makefile"
  nsim="$(find "$b/src" -type d -path '*/drivers/net/netdevsim' -print -quit)"
  [[ -n "$nsim" ]] || die 3 "no drivers/net/netdevsim in linux-source"

  say "building netdevsim for $KABI"
  # Debian configures '# CONFIG_NETDEVSIM is not set'; the module is built on its own with
  # CONFIG_NETDEVSIM=m. Module BTF is off: it needs pahole and the vmlinux BTF, and nothing
  # here uses it.
  if ! make -C "$hdr_dir" M="$nsim" CONFIG_NETDEVSIM=m CONFIG_DEBUG_INFO_BTF_MODULES= \
    -j "$(nproc)" modules >"$b/make.log" 2>&1; then
    tail -n 30 "$b/make.log" >&2
    die 3 "building netdevsim failed (make output above)"
  fi

  out="$b/out"
  mkdir -p "$out/modules"
  vmlinuz="$(find "$b/img" -path "*/boot/vmlinuz-$KABI" -print -quit)"
  [[ -n "$vmlinuz" ]] || die 3 "no boot/vmlinuz-$KABI in $IMAGE_PKG"
  cp "$vmlinuz" "$out/vmlinuz"
  tree="$(find "$b/img" -type d -path "*/modules/$KABI" -print -quit)"
  [[ -n "$tree" ]] || die 3 "no modules/$KABI in $IMAGE_PKG"
  : >"$out/modules/load-order"
  for dep in $(modinfo -F depends "$nsim/netdevsim.ko" | tr ',' ' '); do
    copy_module "$dep" "$out/modules" "$tree"
  done
  cp "$nsim/netdevsim.ko" "$out/modules/netdevsim.ko"
  echo netdevsim >>"$out/modules/load-order"
  # veth: the dispatcher checks share a veth port with xdp-filter.
  copy_module veth "$out/modules" "$tree"
  echo "$stamp_text" >"$out/stamp"

  # Replace the cached set in one step, and keep only this kernel's files in the cache.
  rm -rf "$KDIR"
  mv "$out" "$KDIR"
  local keep f
  find "$CACHE/kernels" -mindepth 1 -maxdepth 1 ! -name "$KABI" -exec rm -rf {} +
  for f in "$CACHE"/debs/*.deb; do
    keep=0
    for deb in "${PKGS[@]}"; do [[ "$f" == "$(deb_path "${deb%%=*}" "${deb#*=}")" ]] && keep=1; done
    ((keep)) || rm -f "$f"
  done
  rm -rf "$b"
  say "cached kernel, netdevsim and $(($(wc -l <"$KDIR/modules/load-order") - 1)) dependency module(s) in $KDIR"
}

if cached_ok; then
  say "using cached kernel bits in $KDIR"
else
  say "downloading Debian's kernel packages (cached in $CACHE/debs)"
  download_all
  build_kernel_bits
fi

# ---- initramfs ---------------------------------------------------------------------------------

ROOT="$WORK/root"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,lib64,proc,sys,dev,run,tmp,tests,modules}

# Copies a binary and every shared library ldd names (plus the dynamic loader) to the same
# paths in the guest.
copy_with_libs() { # copy_with_libs SOURCE DEST-IN-ROOT
  cp -L "$1" "$ROOT$2"
  local lib
  for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true); do
    [[ -e "$ROOT$lib" ]] && continue
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib"
  done
}

say "building the initramfs"
copy_with_libs "$(command -v busybox)" /bin/busybox
# `busybox --list` names busybox itself; linking it would replace the binary with a loop.
for applet in $(busybox --list); do
  [[ "$applet" == busybox ]] || ln -sf busybox "$ROOT/bin/$applet"
done
copy_with_libs "$(command -v ip)" /usr/sbin/ip
copy_with_libs "$(command -v bpftool)" /usr/sbin/bpftool
copy_with_libs "$XDPML" /usr/bin/xdpml
# xdp-tools for the dispatcher checks: xdp-loader, xdp-filter and the BPF objects xdp-filter
# loads from its compiled-in directory.
copy_with_libs "$(command -v xdp-loader)" /usr/sbin/xdp-loader
copy_with_libs "$(command -v xdp-filter)" /usr/sbin/xdp-filter
XDP_OBJECTS="$(dirname "$(dpkg -S xdpfilt_alw_all.o | sed -n 's/^[^ ]* //p' | head -n 1)")"
mkdir -p "$ROOT$XDP_OBJECTS"
cp "$XDP_OBJECTS"/*.o "$ROOT$XDP_OBJECTS/"
cp "$SRC_ROOT/examples/prices.txt" "$ROOT/tests/"
# Debug info is most of xdpml's size; the guest only runs it.
if command -v strip >/dev/null 2>&1; then strip --strip-debug "$ROOT/usr/bin/xdpml"; fi
cp "$SRC_ROOT"/tests/offload/*.s "$ROOT/tests/"
cp "$SRC_ROOT/tests/offload/init.sh" "$ROOT/init"
chmod 0755 "$ROOT/init"
cp "$KDIR"/modules/* "$ROOT/modules/"
if command -v strip >/dev/null 2>&1; then strip --strip-debug "$ROOT"/modules/*.ko; fi
(cd "$ROOT" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$WORK/initramfs.gz"
say "initramfs $(($(stat -c %s "$WORK/initramfs.gz") / 1024)) KiB"

# ---- boot ---------------------------------------------------------------------------------------

CONSOLE="$CACHE/logs/console.log"

# /dev/kvm alone is no proof (e.g. a PVM host has it but cannot run a stock kernel): KVM needs
# vmx/svm, and a boot that actually reaches /init.
kvm_plausible() {
  [[ -r /dev/kvm && -w /dev/kvm ]] && grep -qwE 'vmx|svm' /proc/cpuinfo
}

# boot ACCEL [PROBE-SECONDS]: runs the guest to power-off; with PROBE-SECONDS, gives up (sets
# GAVE_UP) if /init has not started by then.
GAVE_UP=0
boot() {
  local accel=$1 probe=${2:-0} cpu=() waited=0 status=0
  [[ "$accel" == kvm ]] && cpu=(-cpu host)
  : >"$CONSOLE"
  # panic=-1 and -no-reboot: a guest that panics ends qemu instead of hanging until the timeout.
  timeout -k 10 "$BOOT_TIMEOUT" qemu-system-x86_64 -nodefaults -no-user-config \
    -machine pc -accel "$accel" "${cpu[@]}" -smp 2 -m 1024 -display none -no-reboot \
    -serial "file:$CONSOLE" -kernel "$KDIR/vmlinuz" -initrd "$WORK/initramfs.gz" \
    -append "console=ttyS0 panic=-1 quiet" </dev/null >"$WORK/qemu.log" 2>&1 &
  QEMU_PID=$!
  if ((probe)); then
    while ! grep -q 'offload-init: started' "$CONSOLE" 2>/dev/null; do
      if ! kill -0 "$QEMU_PID" 2>/dev/null || ((waited >= probe)); then
        kill "$QEMU_PID" 2>/dev/null || true
        wait "$QEMU_PID" 2>/dev/null || true
        QEMU_PID=
        GAVE_UP=1
        return 0
      fi
      sleep 1
      waited=$((waited + 1))
    done
  fi
  wait "$QEMU_PID" || status=$?
  QEMU_PID=
  return "$status"
}

accel=tcg
case "$ACCEL" in
  kvm) accel=kvm ;;
  auto)
    if kvm_plausible; then accel=kvm; else
      say "no vmx/svm flag or no usable /dev/kvm: software emulation (TCG)"
    fi ;;
esac
say "booting $KABI under qemu ($accel)"
boot_start=$SECONDS
qemu_status=0
if [[ "$accel" == kvm && "$ACCEL" == auto ]]; then
  boot kvm "$KVM_PROBE_SECONDS" || qemu_status=$?
  if ((GAVE_UP)); then
    why="$(grep -m 1 -iE 'error|assert' "$WORK/qemu.log" || true)"
    say "KVM did not reach /init (${why:-no sign of it within ${KVM_PROBE_SECONDS}s}): falling back to TCG"
    accel=tcg
    qemu_status=0
    boot_start=$SECONDS
    boot tcg || qemu_status=$?
  fi
else
  boot "$accel" || qemu_status=$?
fi
say "qemu ($accel) ran $((SECONDS - boot_start)) s, exit status $qemu_status"

# ---- results ------------------------------------------------------------------------------------

tr -d '\r' <"$CONSOLE" >"$WORK/console.txt"
summary="$(grep -E '^offload-testbed: [0-9]+ passed, [0-9]+ failed$' "$WORK/console.txt" | tail -n 1 || true)"
passed=$(grep -c '^PASS' "$WORK/console.txt" || true)
failed=$(grep -c '^FAIL' "$WORK/console.txt" || true)
if [[ -z "$summary" || "$summary" != "offload-testbed: $passed passed, $failed failed" ]] ||
  ((failed > 0 || passed == 0)); then
  echo "---- guest console ($CONSOLE) ----"
  cat "$WORK/console.txt"
  if [[ -s "$WORK/qemu.log" ]]; then
    echo "---- qemu ----"
    cat "$WORK/qemu.log"
  fi
  [[ -n "$summary" ]] || echo "offload-testbed: the guest gave no result (qemu exit status $qemu_status)"
  ((qemu_status != 124)) || echo "offload-testbed: the guest did not power off within ${BOOT_TIMEOUT}s"
  # Not a word from the guest and qemu failed: qemu could not start (its message is above).
  if [[ ! -s "$WORK/console.txt" && $qemu_status -ne 0 && $qemu_status -ne 124 ]]; then exit 3; fi
  echo "offload-testbed: $passed passed, $((failed > 0 ? failed : 1)) failed"
  exit 1
fi
# The checks and their evidence (mode 3, ids, the kernel's messages), without kernel noise.
grep -E '^(PASS|FAIL|INFO|  \|)' "$WORK/console.txt" || true
say "console log: $CONSOLE"
echo "$summary"
