#!/usr/bin/env bash
# Regenerates the example neural-network models in examples/models/ (aurora/, classifier/) and
# checks them: trains both with fixed seeds, exports ONNX + xdpml JSON + CSVs, then runs check.py.
# Usage: bash examples/models/make.sh      (as root if a Python package is missing)
set -euo pipefail
cd "$(dirname "$0")/../.."

PACKAGES=(python3-torch python3-sklearn python3-onnx python3-numpy)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "make.sh: missing ${missing[*]}; run as root or: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "make.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

# /usr/bin/python3 explicitly: the Debian packages above are installed for it.
/usr/bin/python3 examples/models/make_models.py
/usr/bin/python3 examples/models/check.py
