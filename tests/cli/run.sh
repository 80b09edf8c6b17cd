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
cleanup() {
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

# One test file, run in a fresh directory; prints its report to stdout and
# writes "PASSED FAILED" to $RUNDIR/NAME.count.
run_file() {
	t=$1
	name=$(basename "$t")
	t0=$(date +%s)
	RESULTS="$RUNDIR/$name.results"
	: >"$RESULTS"
	export RESULTS
	CASE_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rbaudit-cli.XXXXXX") || exit 1
	trap 'chmod -R u+rwx "$CASE_TMP" 2>/dev/null; rm -rf "$CASE_TMP"' EXIT
	if command -v timeout >/dev/null 2>&1; then
		(cd "$CASE_TMP" && exec timeout "$FILE_TIMEOUT" sh "$t") </dev/null 2>"$RUNDIR/$name.stderr"
	else
		(cd "$CASE_TMP" && exec sh "$t") </dev/null 2>"$RUNDIR/$name.stderr"
	fi
	status=$?
	echo "# $name took $(($(date +%s) - t0)) s"

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
	echo "$p $f" >"$RUNDIR/$name.count"
}

# Print a finished file's report and add up its counts.
collect() {
	name=$1
	cat "$RUNDIR/$name.out"
	if [ -f "$RUNDIR/$name.count" ]; then
		read -r p f <"$RUNDIR/$name.count"
	else
		echo "not ok - $name: the runner lost it"
		p=0 f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

# CLI_JOBS files run at once (default: the number of processors, at most
# 4); each file's report is printed whole, in file order.  The files are
# independent (each has its own directory), so this only saves time.
if [ -z "${CLI_JOBS:-}" ]; then
	CLI_JOBS=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
	[ "$CLI_JOBS" -gt 4 ] 2>/dev/null && CLI_JOBS=4
fi
case $CLI_JOBS in '' | *[!0-9]* | 0) CLI_JOBS=1 ;; esac

# CLI_ONLY="t_verify t_report": run just these files (make test-valgrind).
found=0
queue=
running=0
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
	if [ "$running" -ge "$CLI_JOBS" ]; then
		set -- $queue
		wait "$2"
		collect "$1"
		shift 2
		queue=$*
		running=$((running - 1))
	fi
	{ echo "# $name"; run_file "$t"; } >"$RUNDIR/$name.out" 2>&1 &
	queue="$queue $name $!"
	running=$((running + 1))
done
set -- $queue
while [ $# -gt 0 ]; do
	wait "$2"
	collect "$1"
	shift 2
done

if [ "$found" -eq 0 ]; then
	echo "not ok - setup: no tests/cli/t_*.sh found"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
