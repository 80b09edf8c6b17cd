#!/bin/sh
# tests/cli/run.sh - run the command-line test suite of rbaudit.
#
# Usage (from the repository root):
#     sh tests/cli/run.sh               # tests ./rbaudit
#     RBAUDIT=build/san/rbaudit sh tests/cli/run.sh
#
# Every tests/cli/t_*.sh runs in a fresh temporary directory (its current
# directory, removed afterwards) with these variables exported:
#     RBAUDIT  absolute path of the binary under test
#     ROOT     absolute path of the repository root
#     RESULTS  file the test file's cases append "ok - ..." / "not ok - ..." to
# Each case prints "ok - NAME" or "not ok - NAME: reason".  The last line is
# always "N passed, M failed"; the exit status is 1 when anything failed.
# A test file that stops before reaching done_testing (see lib.sh) counts as
# one failed case.

LC_ALL=C
export LC_ALL
umask 022

ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
CLI_DIR="$ROOT/tests/cli"

# Resolve the binary to an absolute path, relative to where we were started.
RBAUDIT=${RBAUDIT:-./rbaudit}
case $RBAUDIT in
*/*)
	_dir=$(cd "$(dirname "$RBAUDIT")" 2>/dev/null && pwd) && RBAUDIT="$_dir/$(basename "$RBAUDIT")"
	;;
*)
	_p=$(command -v "$RBAUDIT" 2>/dev/null) && RBAUDIT=$_p
	;;
esac
export RBAUDIT ROOT

# Seconds one test file may take before it is killed.
FILE_TIMEOUT=${FILE_TIMEOUT:-120}

RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/rbaudit-cli-run.XXXXXX") || exit 1
CASE_TMP=
cleanup() {
	[ -n "$CASE_TMP" ] && rm -rf "$CASE_TMP"
	rm -rf "$RUNDIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

passed=0
failed=0

if [ ! -f "$RBAUDIT" ] || [ ! -x "$RBAUDIT" ]; then
	echo "not ok - setup: '$RBAUDIT' is not an executable file (build with make, or set RBAUDIT)"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "# rbaudit under test: $RBAUDIT"

# CLI_ONLY="t_verify t_report": run just these files (make test-valgrind).
found=0
for t in "$CLI_DIR"/t_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t")
	if [ -n "${CLI_ONLY:-}" ]; then
		case " $CLI_ONLY " in
		*" ${name%.sh} "*) ;;
		*) continue ;;
		esac
	fi
	found=1
	echo "# $name"
	RESULTS="$RUNDIR/$name.results"
	: >"$RESULTS"
	export RESULTS
	CASE_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rbaudit-cli.XXXXXX") || exit 1
	if command -v timeout >/dev/null 2>&1; then
		(cd "$CASE_TMP" && exec timeout "$FILE_TIMEOUT" sh "$t") </dev/null 2>"$RUNDIR/$name.stderr"
	else
		(cd "$CASE_TMP" && exec sh "$t") </dev/null 2>"$RUNDIR/$name.stderr"
	fi
	status=$?
	chmod -R u+rwx "$CASE_TMP" 2>/dev/null
	rm -rf "$CASE_TMP"
	CASE_TMP=

	p=$(grep -c '^ok - ' "$RESULTS")
	f=$(grep -c '^not ok - ' "$RESULTS")
	if ! grep -q '^# done$' "$RESULTS"; then
		echo "not ok - $name: stopped before done_testing (exit status $status)"
		f=$((f + 1))
	elif [ "$((p + f))" -eq 0 ]; then
		echo "not ok - $name: ran no test case"
		f=$((f + 1))
	fi
	# Stray stderr of a test file (setup commands) is shown only on failure.
	if [ "$f" -gt 0 ] && [ -s "$RUNDIR/$name.stderr" ]; then
		echo "# stderr of $name (last 20 lines):"
		tail -n 20 "$RUNDIR/$name.stderr" | sed 's/^/#   /'
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

if [ "$found" -eq 0 ]; then
	echo "not ok - setup: no tests/cli/t_*.sh found"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
