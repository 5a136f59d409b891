#!/usr/bin/env bash
# The repository's documentation stands on its own in a fresh clone:
#   1. no tracked file outside .ci/ refers to the shared planning directory that sits beside the
#      repository on the development machines (neither "../<dir>" nor its absolute path), nor
#      to the planning documents by name (their content lives in docs/ now);
#   2. every relative link in README.md and docs/*.md names a file or directory that exists
#      inside the repository.
# .ci/ is exempt: CI's entry point describes the machine it runs on.
#
# Usage: docs_self_contained.sh [REPO-ROOT]   (default: the repository holding this script)
# Exit 0 when both hold, 1 otherwise (every offending line is listed).
set -uo pipefail

root=${1:-"$(cd "$(dirname "$0")/../.." && pwd)"}
root=$(cd "$root" && pwd -P) || {
  echo "docs_self_contained: no directory $1" >&2
  exit 2
}
cd "$root" || exit 2

passed=0 failed=0
check() { # check NAME STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}

# ---- 1. references to files outside the repository --------------------------------------------

# The directory, and the planning documents by name. This script names them, so it is skipped.
self=tests/cli/docs_self_contained.sh
pattern_args=(
  -e "../shared" -e "/work/shared"
  -e "nfp-offload-spec.md" -e "offload-testbed-recipe.md" -e "style-anchors.md"
  -e "liteflow-notes.zh" -e "osh2019-smartnic-report"
)

if files=$(git -C "$root" ls-files 2>/dev/null) && [ -n "$files" ]; then
  source_of_list="git ls-files"
else
  # Not a git checkout (an exported tree): every file but build output.
  files=$(find . -type f -not -path './.git/*' -not -path './build/*' -not -path './build-*/*' |
    sed 's|^\./||')
  source_of_list="find"
fi

hits=""
nfiles=0
while IFS= read -r f; do
  case "$f" in .ci/* | "$self") continue ;; esac
  [ -f "$f" ] || continue # tracked but deleted in the work tree
  nfiles=$((nfiles + 1))
  if out=$(grep -n -I -F "${pattern_args[@]}" -- "$f" 2>/dev/null); then
    hits+=$(printf '%s\n' "$out" | sed "s|^|  $f:|")$'\n'
  fi
done <<<"$files"
if [ -n "$hits" ]; then
  printf '%s' "$hits"
  echo "  hint: the design, the NFP offload rules and the testbed recipe are docs/design.md," \
    "docs/nfp-offload.md and docs/offload-testbed.md; refer to those"
fi
check "no file outside .ci/ refers to documents outside the repository ($nfiles files, $source_of_list)" \
  "$([ -z "$hits" ]; echo $?)"

# ---- 2. relative links in README.md and docs/*.md ------------------------------------------------

# Prints "LINE<TAB>TARGET" for every inline link or image `[text](target)` and every reference
# definition `[id]: target`, outside fenced code blocks and inline code spans.
links() { # links FILE
  awk '
    /^[ \t]*(```|~~~)/ { fence = !fence; next }
    fence { next }
    {
      line = $0
      if (match(line, /^[ \t]*\[[^]]+\]:[ \t]*[^ \t]+/)) {
        def = substr(line, RSTART, RLENGTH)
        sub(/^[ \t]*\[[^]]+\]:[ \t]*/, "", def)
        print NR "\t" def
        next
      }
      gsub(/`[^`]*`/, "", line)
      while (match(line, /\]\([^)]*\)/)) {
        print NR "\t" substr(line, RSTART + 2, RLENGTH - 3)
        line = substr(line, RSTART + RLENGTH)
      }
    }' "$1"
}

broken=""
nlinks=0
for md in README.md docs/*.md; do
  [ -f "$md" ] || continue
  dir=$(dirname "$md")
  while IFS=$'\t' read -r line target; do
    [ -n "${line:-}" ] || continue
    target=${target#<}
    target=${target%%>*}
    target=${target%% *} # drop a "title"
    case "$target" in
      "" | \#*) continue ;;   # same-page anchors
      [a-zA-Z]*:*) continue ;; # http:, https:, mailto:, ...
    esac
    path=${target%%#*}
    path=${path%%\?*}
    path=${path//%20/ }
    [ -n "$path" ] || continue
    nlinks=$((nlinks + 1))
    case "$path" in
      /*) resolved="$root$path" ;; # GitHub resolves /x from the repository root
      *) resolved="$root/$dir/$path" ;;
    esac
    resolved=$(realpath -m -- "$resolved")
    case "$resolved" in
      "$root" | "$root"/*)
        [ -e "$resolved" ] || broken+="  $md:$line: ($target) names no file: ${resolved#"$root"/}"$'\n'
        ;;
      *) broken+="  $md:$line: ($target) points outside the repository: $resolved"$'\n' ;;
    esac
  done < <(links "$md")
done
[ -z "$broken" ] || printf '%s' "$broken"
check "every relative link in README.md and docs/*.md names a file in the repository ($nlinks links)" \
  "$([ -z "$broken" ]; echo $?)"

echo "docs_self_contained: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
