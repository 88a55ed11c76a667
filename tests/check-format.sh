#!/usr/bin/env bash
# lint: every C file of the project must match .clang-format
set -euo pipefail
cd "$1"
command -v clang-format >/dev/null || { echo "clang-format is not installed"; exit 77; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h')
else
	mapfile -t files < <(find controller plugins tests -name '*.[ch]')
fi
bad=0
for f in "${files[@]}"; do
	[[ -f $f ]] || continue
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run: clang-format -i $f)"
		bad=1
	fi
done
echo "checked ${#files[@]} files"
exit $bad
