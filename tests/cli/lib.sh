# tests/cli/lib.sh - helpers sourced by every tests/cli/t_*.sh (POSIX sh).
#
# run.sh sets RBAUDIT (absolute path of the binary), ROOT (repository root)
# and RESULTS (file to append results to), and starts each test file in a
# fresh temporary directory.  A test file can also be run by hand:
#     RBAUDIT=$PWD/rbaudit ROOT=$PWD RESULTS=/dev/null sh tests/cli/t_x.sh
# (from a scratch directory; it writes into the current directory).
#
# Every expect_* / check call is ONE test case: it prints "ok - NAME" or
# "not ok - NAME: reason", appends that line to $RESULTS and returns 0 or 1.
#
#   run CMD...                      run CMD; stdout in $OUT, stderr in $ERR,
#                                   exit status in $RC (no case counted)
#   expect_exit CODE NAME -- CMD... run CMD, pass when it exits CODE; CODE may
#                                   be "nonzero" (1..125: failed, not crashed)
#   expect_grep [-F] NAME FILE RE   FILE has a line matching RE (ERE, or fixed)
#   expect_no_grep [-F] NAME FILE RE
#   expect_eq NAME EXPECTED ACTUAL
#   expect_json NAME FILE PYEXPR EXPECTED
#                                   json_get FILE PYEXPR prints EXPECTED
#   expect_mode NAME FILE MODE      stat -c %a FILE is MODE
#   expect_file NAME PATH / expect_no_file NAME PATH
#   expect_same NAME FILE1 FILE2    byte-identical (cmp)
#   check NAME CMD...               pass when CMD (a command or a shell function,
#                                   run in a subshell) exits 0; a failing
#                                   function says why with `why MESSAGE`
#   json_get FILE PYEXPR            print PYEXPR evaluated with d = the parsed
#                                   JSON of FILE (strings raw, others as JSON)
#   done_testing                    last line of every test file

PY=/usr/bin/python3
INDEP="$ROOT/tests/indep/ledger_export.py"
VECTORS="$ROOT/tests/data/vectors"
# Event lines for rbaudit seal: the events behind the vectors.
SAMPLES="$ROOT/tests/data"
LEDGER=acme.example/rollback-ledger
# Keys made by the tests are valid from here, before every sample event.
VALID_FROM=2026-01-01T00:00:00Z

LC_ALL=C
export LC_ALL

_LIB_DIR="$(pwd)/.lib"
mkdir -p "$_LIB_DIR" || exit 1
OUT="$_LIB_DIR/stdout"
ERR="$_LIB_DIR/stderr"
RC=0
: >"$OUT"
: >"$ERR"

# --- reporting ---------------------------------------------------------

_oneline() {
	tr '\n\t\r' '   ' | sed 's/  */ /g; s/ $//' | cut -c1-400
}

# The first lines of FILE on one line, for failure reasons.
_snip() {
	if [ -s "$1" ]; then
		head -n 4 "$1" | _oneline
	else
		printf '(empty %s)' "$(basename "$1")"
	fi
}

pass() {
	printf 'ok - %s\n' "$1"
	printf 'ok - %s\n' "$1" >>"$RESULTS"
	return 0
}

fail() {
	_f_line="not ok - $1: $(printf '%s' "$2" | _oneline)"
	printf '%s\n' "$_f_line"
	printf '%s\n' "$_f_line" >>"$RESULTS"
	return 1
}

why() {
	printf 'WHY: %s\n' "$*"
}

done_testing() {
	printf '# done\n' >>"$RESULTS"
	exit 0
}

# --- running -----------------------------------------------------------

run() {
	"$@" >"$OUT" 2>"$ERR" </dev/null
	RC=$?
	return 0
}

_exit_matches() { # WANT GOT
	case $1 in
	nonzero) [ "$2" -ge 1 ] && [ "$2" -le 125 ] ;;
	*) [ "$2" -eq "$1" ] ;;
	esac
}

expect_exit() { # CODE NAME -- CMD...
	_x_code=$1
	_x_name=$2
	shift 2
	[ "$1" = "--" ] && shift
	run "$@"
	if _exit_matches "$_x_code" "$RC"; then
		pass "$_x_name"
	else
		_x_why=$(_snip "$ERR")
		[ -s "$ERR" ] || _x_why="stdout: $(_snip "$OUT")"
		fail "$_x_name" "expected exit $_x_code, got $RC; $_x_why"
	fi
}

expect_grep() { # [-F] NAME FILE PATTERN
	_g_mode=-E
	if [ "$1" = "-F" ]; then _g_mode=-F; shift; fi
	if [ -f "$2" ] && grep -q $_g_mode -e "$3" "$2"; then
		pass "$1"
	else
		fail "$1" "no line of $(basename "$2") matches '$3'; it holds: $(_snip "$2")"
	fi
}

expect_no_grep() { # [-F] NAME FILE PATTERN
	_g_mode=-E
	if [ "$1" = "-F" ]; then _g_mode=-F; shift; fi
	if [ ! -f "$2" ]; then
		fail "$1" "$2 does not exist"
	elif grep -q $_g_mode -e "$3" "$2"; then
		fail "$1" "$(basename "$2") matches '$3': $(grep $_g_mode -e "$3" "$2" | head -n 2 | _oneline)"
	else
		pass "$1"
	fi
}

expect_eq() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected '$2', got '$3'"
	fi
}

json_get() { # FILE PYEXPR
	"$PY" -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    d = json.load(f)
v = eval(sys.argv[2], {"d": d, "json": json})
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
' "$1" "$2"
}

expect_json() { # NAME FILE PYEXPR EXPECTED
	_j_got=$(json_get "$2" "$3" 2>&1)
	_j_rc=$?
	if [ $_j_rc -ne 0 ]; then
		fail "$1" "cannot evaluate $3 on $(basename "$2"): $(printf '%s' "$_j_got" | tail -n 1)"
	elif [ "$_j_got" = "$4" ]; then
		pass "$1"
	else
		fail "$1" "$3: expected $4, got $_j_got"
	fi
}

expect_mode() { # NAME FILE MODE
	_m_got=$(stat -c %a "$2" 2>&1)
	if [ "$_m_got" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "mode of $2: expected $3, got $_m_got"
	fi
}

expect_file() { # NAME PATH
	if [ -e "$2" ]; then pass "$1"; else fail "$1" "$2 does not exist"; fi
}

expect_no_file() { # NAME PATH
	if [ -e "$2" ] || [ -L "$2" ]; then fail "$1" "$2 exists"; else pass "$1"; fi
}

expect_same() { # NAME FILE1 FILE2
	if cmp "$2" "$3" >"$_LIB_DIR/cmp.out" 2>&1; then
		pass "$1"
	else
		fail "$1" "$(_snip "$_LIB_DIR/cmp.out")"
	fi
}

check() { # NAME CMD...
	_c_name=$1
	shift
	("$@") >"$_LIB_DIR/check.log" 2>&1 </dev/null
	_c_rc=$?
	if [ $_c_rc -eq 0 ]; then
		pass "$_c_name"
	else
		_c_why=$(sed -n 's/^WHY: //p' "$_LIB_DIR/check.log" | tail -n 1)
		[ -n "$_c_why" ] || _c_why="'$*' failed (exit $_c_rc) $(tail -n 3 "$_LIB_DIR/check.log" | _oneline)"
		fail "$_c_name" "$_c_why"
	fi
}

# --- rbaudit helpers ---------------------------------------------------

# make_key NAME DIR [keygen options...]: a key valid from $VALID_FROM;
# its key string is left in DIR/NAME.keystring.  Returns keygen's status.
make_key() {
	_k_name=$1
	_k_dir=$2
	shift 2
	"$RBAUDIT" keygen --name "$_k_name" --out "$_k_dir" --valid-from "$VALID_FROM" "$@" \
		>"$_LIB_DIR/keygen.out" 2>"$_LIB_DIR/keygen.err" </dev/null
	_k_rc=$?
	[ $_k_rc -eq 0 ] && cp "$_LIB_DIR/keygen.out" "$_k_dir/$_k_name.keystring"
	return $_k_rc
}

# seal_quiet EVENTS OUT_DIR [seal options...]: seal with the "ledger" key in
# ./k (made by make_key ledger k).
seal_quiet() {
	_s_events=$1
	_s_out=$2
	shift 2
	"$RBAUDIT" seal --key k/ledger.pem --ledger "$LEDGER" --events "$_s_events" \
		--out "$_s_out" "$@" >"$_LIB_DIR/seal.out" 2>"$_LIB_DIR/seal.err" </dev/null
}

# The sorted, distinct error codes of exports[INDEX] in a --json report.
error_codes() { # FILE [INDEX]
	json_get "$1" "' '.join(sorted({x['code'] for x in d['exports'][${2:-0}]['errors']}))"
}

# flip_payload SRC_EXPORT DST_EXPORT LINE: copy an export and change one
# ASCII letter inside the "event" string of the payload of entry line LINE
# (1-based).  The payload stays valid UTF-8 JSON with the same seq; only
# the payload member of that line changes.  Prints the changed seq.
flip_payload() {
	rm -rf "$2" && cp -r "$1" "$2" && "$PY" - "$2/entries.jsonl" "$3" <<'EOF'
import base64, json, sys
path, lineno = sys.argv[1], int(sys.argv[2])
with open(path, "rb") as f:
    lines = f.read().split(b"\n")
raw = lines[lineno - 1]
env = json.loads(raw)
old_b64 = env["payload"]
body = base64.b64decode(old_b64)
start = body.index(b'"event":"') + len(b'"event":"')
i = start
while not (0x61 <= body[i] <= 0x7a):
    i += 1
new_letter = b"a" if body[i] != 0x61 else b"b"
new_body = body[:i] + new_letter + body[i + 1:]
before, after = json.loads(body), json.loads(new_body)
assert before["seq"] == after["seq"] and before["event"] != after["event"]
new_b64 = base64.b64encode(new_body).decode()
assert raw.count(old_b64.encode()) == 1
lines[lineno - 1] = raw.replace(old_b64.encode(), new_b64.encode())
with open(path, "wb") as f:
    f.write(b"\n".join(lines))
print(after["seq"])
EOF
}

# events OUT SPEC...: seal input (one event a line) into OUT, for small
# ledgers worked out by hand.  deploy=TIME,CHANGE is a change.deployed;
# rb=REQUESTED,EXECUTED,ROLLBACK,CHANGE[,APPROVED] a rollback requested and
# executed (and approved at APPROVED).  Every event is of the service
# $EV_SERVICE (default profile), environment $EV_ENV (prod), team $EV_TEAM
# (identity).
events() {
	EV_SERVICE=${EV_SERVICE:-profile} EV_ENV=${EV_ENV:-prod} EV_TEAM=${EV_TEAM:-identity} \
	"$PY" - "$@" <<'EOP'
import json, os, sys
out = open(sys.argv[1], "w")
svc, env, team = os.environ["EV_SERVICE"], os.environ["EV_ENV"], os.environ["EV_TEAM"]
def w(t, ev, actor, data):
    out.write(json.dumps({"time": t, "event": ev, "actor": actor, "data": data}) + "\n")
for spec in sys.argv[2:]:
    kind, rest = spec.split("=", 1)
    if kind == "deploy":
        t, chg = rest.split(",")
        w(t, "change.deployed", "oren@acme.example", {"change_id": chg, "service": svc,
          "environment": env, "team": team, "ticket": "OPS-1"})
        continue
    f = rest.split(",")
    w(f[0], "rollback.requested", "alice@acme.example", {"rollback_id": f[2], "change_id": f[3],
      "service": svc, "environment": env, "risk_tier": "low", "emergency": False,
      "ticket": "OPS-5", "rationale": "r", "impact": "i", "security_considerations": "s"})
    if len(f) > 4:
        w(f[4], "rollback.approved", "carol@acme.example", {"rollback_id": f[2], "role": "lead"})
    w(f[1], "rollback.executed", "eve@acme.example", {"rollback_id": f[2], "result": "success",
      "from_version": "v2", "to_version": "v1", "touches": []})
EOP
}
