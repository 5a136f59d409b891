#!/usr/bin/env bash
# Fails when any tracked C++ file differs from .clang-format's layout.
set -euo pipefail
cd "$(dirname "$0")/.."
cf=$(command -v clang-format-14 || command -v clang-format)
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find . -name '*.[ch]pp' -not -path './build*')
"$cf" --dry-run --Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
