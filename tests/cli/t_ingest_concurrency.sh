# t_ingest_concurrency.sh - focus: rbaudit ingest against other writers of
# the same database.  Two ingests of the same exports started together into
# one new database (the three vectors, 8 rounds; and three larger exports
# sealed here) both end with exit 0 or 75, never anything else, at least
# one with 0; the database passes integrity_check and holds every entry
# exactly once, each export accepted by one of the two.  While another
# process holds the write lock, ingest --busy-timeout 1 waits about a second
# and exits 75 saying the database is busy, changing nothing; --busy-timeout
# 0 gives up at once; a long enough --busy-timeout waits for the lock and
# succeeds, also on a database that is still being created.
. "$ROOT/tests/cli/lib.sh"

KEYS="$VECTORS/keys.json"
X07="$VECTORS/export-2026-07"
X08="$VECTORS/export-2026-08"
X09="$VECTORS/export-2026-09"
ROUNDS=8

ms() {
	echo $(($(date +%s%N) / 1000000))
}

q() {
	sqlite3 -batch "$1" "$2" 2>&1
}

# race DB KEYS EXPORT...: start two ingests of the exports into DB at once;
# their statuses in race.rc1/race.rc2, stdout in race.out1/2, stderr in
# race.err1/2.
race() {
	_r_db=$1
	_r_keys=$2
	shift 2
	rm -f race.rc1 race.rc2
	("$RBAUDIT" ingest --db "$_r_db" --keys "$_r_keys" --jobs 2 "$@" >race.out1 2>race.err1 </dev/null
	 echo $? >race.rc1) &
	_r_p1=$!
	("$RBAUDIT" ingest --db "$_r_db" --keys "$_r_keys" --jobs 2 "$@" >race.out2 2>race.err2 </dev/null
	 echo $? >race.rc2) &
	_r_p2=$!
	wait "$_r_p1" "$_r_p2"
	RC1=$(cat race.rc1 2>/dev/null)
	RC2=$(cat race.rc2 2>/dev/null)
	if [ "$RC1" != 0 ] || [ "$RC2" != 0 ]; then
		echo "# $_r_db: exit $RC1/$RC2: $(cat race.err1 race.err2 | head -n 2 | tr '\n' ' ')"
	fi
}

statuses_ok() {
	case "$RC1 $RC2" in
	"0 0" | "0 75" | "75 0") return 0 ;;
	esac
	why "statuses $RC1 and $RC2; stderr: $(cat race.err1 race.err2 | head -n 3 | tr '\n' ' ')"
	return 1
}

# content_ok DB N EXPORTS: integrity ok, N entries with seq 0..N-1 once
# each, ledger size N, EXPORTS ingest_export rows; when both runs finished,
# each export was accepted by exactly one of them.
content_ok() {
	ic=$(q "$1" 'PRAGMA integrity_check')
	[ "$ic" = ok ] || { why "integrity_check: $ic"; return 1; }
	got=$(q "$1" 'SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM entry')
	[ "$got" = "$2|$2|0|$(($2 - 1))" ] || { why "entry (count|distinct|min|max) is $got"; return 1; }
	sz=$(q "$1" 'SELECT count(*), sum(size) FROM ledger')
	[ "$sz" = "1|$2" ] || { why "ledger (rows|size) is $sz"; return 1; }
	ie=$(q "$1" 'SELECT count(*), count(DISTINCT first_seq), sum(new_entries) FROM ingest_export')
	[ "$ie" = "$3|$3|$2" ] || { why "ingest_export (rows|distinct first_seq|new entries) is $ie"; return 1; }
	if [ "$RC1 $RC2" = "0 0" ]; then
		acc=$(cat race.out1 race.out2 | sed -n 's/^ingest: \([0-9]*\) accepted, \([0-9]*\) no-op, \([0-9]*\) rejected.*/\1 \2 \3/p' |
			awk '{ a += $1; n += $2; r += $3 } END { print a, n, r }')
		[ "$acc" = "$3 $3 0" ] || { why "the two runs together accepted|noop|rejected: $acc, expected $3 $3 0"; return 1; }
	fi
	return 0
}

# --- two ingests of the vectors at once -----------------------------------------
tally=
i=1
while [ $i -le $ROUNDS ]; do
	race v$i.db "$KEYS" "$X07" "$X08" "$X09"
	tally="$tally $RC1/$RC2"
	check "vectors round $i: both ingests exit 0 or 75, at least one 0 (got $RC1, $RC2)" statuses_ok
	check "vectors round $i: integrity ok, 679 entries once each, ledger size 679, 3 ingest_export rows" \
		content_ok v$i.db 679 3
	i=$((i + 1))
done
echo "# vectors rounds, exit statuses:$tally"
check "the racing ingests created the database with mode 0640" test "$(stat -c %a v1.db)" = 640

# --- larger exports: long transactions overlap ------------------------------------
make_key ledger k || fail "setup: keygen ledger" "$(_snip "$_LIB_DIR/keygen.err")"
"$RBAUDIT" keys add k/ledger.pub.json --keys keys.json >/dev/null 2>&1 || fail "setup: keys add" "failed"
"$PY" - <<'EOF'
import datetime, json
t0 = datetime.datetime(2026, 7, 1)
for part in range(3):
    with open("ev%d.jsonl" % (part + 1), "w", encoding="utf-8") as f:
        for i in range(part * 3000, part * 3000 + 3000):
            t = (t0 + datetime.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            f.write(json.dumps({"time": t, "event": "config.audited", "actor": "ci@acme.example",
                                "data": {"check_id": "CHK-%06d" % i, "service": "svc-%d" % (i % 7)}},
                               separators=(",", ":")) + "\n")
EOF
for p in 1 2 3; do
	seal_quiet ev$p.jsonl x$p --state state.json || fail "setup: seal x$p" "$(_snip "$_LIB_DIR/seal.err")"
done
for r in 1 2; do
	race big$r.db keys.json x1 x2 x3
	check "9000 entries round $r: both ingests exit 0 or 75, at least one 0 (got $RC1, $RC2)" statuses_ok
	check "9000 entries round $r: integrity ok, 9000 entries once each, ledger size 9000, 3 ingest_export rows" \
		content_ok big$r.db 9000 3
done

# --- another process holds the write lock -------------------------------------------
# hold DB SECONDS: BEGIN IMMEDIATE on DB in the background for SECONDS;
# returns once the lock is held.  The holder's pid is in HOLDER.
hold() {
	rm -f hold.out
	(printf 'BEGIN IMMEDIATE;\nSELECT '"'"'locked'"'"';\n'; sleep "$2"; printf 'ROLLBACK;\n') |
		sqlite3 -batch "$1" >hold.out 2>&1 &
	HOLDER=$!
	_h_n=0
	while ! grep -q '^locked$' hold.out 2>/dev/null; do
		_h_n=$((_h_n + 1))
		if [ $_h_n -gt 100 ]; then
			fail "setup: hold the write lock of $1" "$(cat hold.out 2>/dev/null)"
			return 1
		fi
		sleep 0.05
	done
	return 0
}

"$RBAUDIT" ingest --db L.db --keys "$KEYS" "$X07" "$X08" >/dev/null 2>&1 || fail "setup: ingest 07 08 into L.db" "failed"
sqlite3 -batch L.db .dump >L-before.sql
hold L.db 3
t0=$(ms)
expect_exit 75 "with the write lock held elsewhere, ingest --busy-timeout 1 of a new export exits 75" -- \
	"$RBAUDIT" ingest --db L.db --keys "$KEYS" --busy-timeout 1 "$X09"
waited=$(($(ms) - t0))
expect_grep "the message on stderr says the database is busy" "$ERR" '[Bb]usy'
expect_grep -F "the message names the database" "$ERR" 'L.db'
check "it waited about the busy timeout (900..2900 ms, waited $waited ms)" test "$waited" -ge 900 -a "$waited" -le 2900
wait "$HOLDER"
sqlite3 -batch L.db .dump >L-after.sql
expect_same "the busy ingest left the dump byte-identical" L-before.sql L-after.sql
expect_eq "the busy ingest left 469 entries, ledger size 469" "469|469" \
	"$(q L.db 'SELECT (SELECT count(*) FROM entry), (SELECT size FROM ledger)')"

hold L.db 2
t0=$(ms)
expect_exit 75 "with the lock held, --busy-timeout 0 exits 75" -- \
	"$RBAUDIT" ingest --db L.db --keys "$KEYS" --busy-timeout 0 "$X09"
waited=$(($(ms) - t0))
check "--busy-timeout 0 gives up at once (under 1000 ms, took $waited ms)" test "$waited" -lt 1000
wait "$HOLDER"
sqlite3 -batch L.db .dump >L-after0.sql
expect_same "the --busy-timeout 0 ingest left the dump byte-identical" L-before.sql L-after0.sql

hold L.db 2
t0=$(ms)
expect_exit 0 "with the lock held for 2 s, --busy-timeout 10 waits and succeeds (exit 0)" -- \
	"$RBAUDIT" ingest --db L.db --keys "$KEYS" --busy-timeout 10 --json "$X09"
waited=$(($(ms) - t0))
expect_json "the waiting ingest accepted export-2026-09" "$OUT" '[e["verdict"] for e in d["exports"]]' '["accepted"]'
check "it waited for the lock (took $waited ms, at least 1000)" test "$waited" -ge 1000
wait "$HOLDER"
expect_eq "then 679 entries, ledger size 679" "679|679" \
	"$(q L.db 'SELECT (SELECT count(*) FROM entry), (SELECT size FROM ledger)')"

# A database that another process is still creating: the file exists but is
# not yet in WAL mode, and that process holds the write lock for 2 s.  The
# default --busy-timeout (10 s) must cover this too: it is what a second
# ingest meets when two start together on a new database.
: >N.db
chmod 0640 N.db
hold N.db 2
t0=$(ms)
expect_exit 0 "a database being created (lock held 2 s, not yet WAL): ingest with the default busy timeout waits and exits 0" -- \
	"$RBAUDIT" ingest --db N.db --keys "$KEYS" "$X07"
waited=$(($(ms) - t0))
echo "# the ingest on the database being created took $waited ms"
wait "$HOLDER"

done_testing
