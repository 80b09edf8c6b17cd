# t_ingest_crash.sh - focus: rbaudit ingest is atomic per export under
# kill -9.  A ledger of 20,000 entries sealed here into three exports
# (7000 + 7000 + 6000) is ingested in one run that is killed with SIGKILL
# at a random moment, again and again (20 times, delays from 10 ms up to
# the time the ingest of what is not yet stored takes); after every kill
# the database passes PRAGMA integrity_check, holds only whole exports (0,
# 7000, 14000 or 20000 entries), and ledger.size and the ingest_export rows
# agree with that.
# Re-run to completion, the database holds exactly what one uninterrupted
# run stores.  Also: 500 more change.deployed events (which ingest checks for
# duplicates) on top of the 20,000 stored must ingest about as fast as 500
# events without that check: the time must not grow with the ledger.
. "$ROOT/tests/cli/lib.sh"

KILLS=20
N1=7000
N2=7000
N3=6000

# ms: milliseconds since the epoch.
ms() {
	echo $(($(date +%s%N) / 1000000))
}

# q DB SQL: one query, its rows as sqlite3 prints them.
q() {
	sqlite3 -batch "$1" "$2" 2>&1
}

# gen_events FILE FIRST COUNT EVENT: COUNT events of type EVENT, one a minute
# from 2026-07-01, numbered from FIRST.
gen_events() {
	"$PY" - "$@" <<'EOF'
import datetime, json, sys
path, first, count, event = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
t0 = datetime.datetime(2026, 7, 1)
with open(path, "w", encoding="utf-8") as f:
    for i in range(first, first + count):
        t = (t0 + datetime.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if event == "change.deployed":
            data = {"change_id": "CHG-%06d" % i, "service": "svc-%d" % (i % 17),
                    "environment": "production", "team": "team-%d" % (i % 5),
                    "ticket": "OPS-%d" % i, "commit": "%040x" % i, "artifact": "sha256:%064x" % i}
        else:
            data = {"check_id": "CHK-%06d" % i, "service": "svc-%d" % (i % 17),
                    "environment": "production", "commit": "%040x" % i}
        f.write(json.dumps({"time": t, "event": event, "actor": "ci@acme.example", "data": data},
                           separators=(",", ":")) + "\n")
EOF
}

make_key ledger k || fail "setup: keygen ledger" "$(_snip "$_LIB_DIR/keygen.err")"
"$RBAUDIT" keys add k/ledger.pub.json --keys keys.json >/dev/null 2>&1 || fail "setup: keys add" "failed"

# --- three exports, 20,000 entries --------------------------------------------
# config.audited is an event the metrics do not read: no duplicate lookups,
# so a full ingest takes about as long as verifying (see the last section).
gen_events ev1.jsonl 0 $N1 config.audited
gen_events ev2.jsonl $N1 $N2 config.audited
gen_events ev3.jsonl $((N1 + N2)) $N3 config.audited
for p in 1 2 3; do
	seal_quiet ev$p.jsonl x$p --state state.json || fail "setup: seal x$p" "$(_snip "$_LIB_DIR/seal.err")"
done
S1=$N1
S2=$((N1 + N2))
S3=$((N1 + N2 + N3))
expect_json "test data: the third export ends at seq 19999 (three exports, 20,000 entries)" x3/manifest.json \
	'[d["first_seq"], d["last_seq"]]' "[$S2, $((S3 - 1))]"

# --- one uninterrupted run: the reference, and the time a full ingest takes ----
t0=$(ms)
expect_exit 0 "one uninterrupted ingest of the three exports exits 0" -- \
	"$RBAUDIT" ingest --db ref.db --keys keys.json --jobs 2 x1 x2 x3
FULL_MS=$(($(ms) - t0))
echo "# a full ingest of $S3 entries took $FULL_MS ms"
expect_eq "the reference database holds $S3 entries, ledger size $S3" "$S3|$S3" \
	"$(q ref.db 'SELECT (SELECT count(*) FROM entry), (SELECT size FROM ledger)')"
q ref.db 'SELECT ledger_id, seq, hex(leaf), hex(payload) FROM entry ORDER BY 1,2' >ref-entries.txt
q ref.db 'SELECT origin, base_seq, size, hex(root) FROM ledger' >ref-ledger.txt
[ "$FULL_MS" -ge 20 ] || FULL_MS=20

# --- kill -9 at random moments ---------------------------------------------------
# after_kill: the database left by a killed ingest is sound and holds only
# whole exports.
after_kill() {
	if [ ! -e crash.db ]; then
		return 0        # killed before the database file was created
	fi
	ic=$(q crash.db 'PRAGMA integrity_check')
	[ "$ic" = ok ] || { why "integrity_check: $(printf '%s' "$ic" | head -n 3 | tr '\n' ' ')"; return 1; }
	if [ -z "$(q crash.db "SELECT name FROM sqlite_master WHERE name = 'entry'")" ]; then
		return 0        # killed before the schema was committed: empty
	fi
	n=$(q crash.db 'SELECT count(*) FROM entry')
	case $n in
	0 | "$S1" | "$S2" | "$S3") ;;
	*) why "entry holds $n rows: not a sum of whole exports (0, $S1, $S2, $S3)"; return 1 ;;
	esac
	d=$(q crash.db 'SELECT count(DISTINCT seq), coalesce(min(seq), 0), coalesce(max(seq) + 1, 0) FROM entry')
	[ "$d" = "$n|0|$n" ] || { why "entry seqs (distinct|min|max+1) are $d, not $n|0|$n"; return 1; }
	sz=$(q crash.db 'SELECT coalesce(sum(size), 0), count(*) FROM ledger')
	if [ "$n" -eq 0 ]; then
		[ "$sz" = "0|0" ] || { why "no entries but ledger rows (size|rows) $sz"; return 1; }
	else
		[ "$sz" = "$n|1" ] || { why "ledger (size|rows) is $sz with $n entries"; return 1; }
	fi
	ie=$(q crash.db 'SELECT coalesce(sum(new_entries), 0) FROM ingest_export')
	[ "$ie" = "$n" ] || { why "ingest_export rows account for $ie new entries, entry holds $n"; return 1; }
	fk=$(q crash.db 'PRAGMA foreign_key_check')
	[ -z "$fk" ] || { why "foreign_key_check: $fk"; return 1; }
	echo "$n" >last-count
	return 0
}

killed=0
seen=
i=1
while [ $i -le $KILLS ]; do
	# Once everything is stored, start from scratch so that the kills keep
	# landing while exports are being stored.
	if [ -e crash.db ] && [ "$(q crash.db 'SELECT count(*) FROM entry' 2>/dev/null)" = "$S3" ]; then
		rm -f crash.db crash.db-wal crash.db-shm crash.db-journal
	fi
	# A delay within the time the work left takes: what is stored already
	# is re-ingested in a moment (it is taken from the rows), so the window
	# shrinks with the entries stored.
	stored=0
	if [ -e crash.db ]; then
		stored=$(q crash.db 'SELECT count(*) FROM entry' 2>/dev/null) || stored=0
		[ -n "$stored" ] || stored=0
	fi
	window=$((FULL_MS * (S3 - stored) / S3))
	[ "$window" -ge 50 ] || window=50
	r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	delay=$((10 + r % window))
	"$RBAUDIT" ingest --db crash.db --keys keys.json --jobs 2 x1 x2 x3 >/dev/null 2>&1 </dev/null &
	pid=$!
	# Sleep $delay ms: the remainder first, then 100 ms steps that stop
	# early once the ingest has finished by itself.
	sleep "$(awk -v m="$((delay % 100))" 'BEGIN { printf "%.3f", m / 1000 }')"
	steps=$((delay / 100))
	while [ $steps -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		steps=$((steps - 1))
	done
	if kill -9 "$pid" 2>/dev/null; then
		{ wait "$pid"; } 2>/dev/null
		st=$?
		[ $st -eq 137 ] && killed=$((killed + 1))
	else
		wait "$pid"
		st=$?
	fi
	: >last-count
	check "kill -9 #$i after $delay ms (status $st): integrity ok, whole exports only, ledger.size agrees" after_kill
	seen="$seen $(cat last-count 2>/dev/null)"
	i=$((i + 1))
done
echo "# entry counts seen after the kills:$seen"
check "at least half of the $KILLS ingests were killed while running (killed: $killed)" test "$killed" -ge $((KILLS / 2))

# --- re-run to completion ------------------------------------------------------
expect_exit 0 "after the kills, the same ingest runs to completion (exit 0)" -- \
	"$RBAUDIT" ingest --db crash.db --keys keys.json --jobs 2 x1 x2 x3
expect_eq "after the kills: integrity_check says ok" ok "$(q crash.db 'PRAGMA integrity_check')"
q crash.db 'SELECT ledger_id, seq, hex(leaf), hex(payload) FROM entry ORDER BY 1,2' >crash-entries.txt
q crash.db 'SELECT origin, base_seq, size, hex(root) FROM ledger' >crash-ledger.txt
expect_same "after the kills: the entries equal those of one uninterrupted run" ref-entries.txt crash-entries.txt
expect_same "after the kills: the ledger row equals that of one uninterrupted run" ref-ledger.txt crash-ledger.txt
expect_eq "after the kills: one ingest_export row per export, ranges 0..6999, 7000..13999, 14000..19999" \
	"0|$((S1 - 1)) $S1|$((S2 - 1)) $S2|$((S3 - 1))" \
	"$(q crash.db 'SELECT first_seq, last_seq FROM ingest_export ORDER BY first_seq' | tr '\n' ' ' | sed 's/ $//')"
expect_exit 0 "a further run is all no-ops (exit 0)" -- \
	"$RBAUDIT" ingest --db crash.db --keys keys.json --jobs 2 --json x1 x2 x3
expect_json "the further run: noop, noop, noop" "$OUT" '[e["verdict"] for e in d["exports"]]' '["noop", "noop", "noop"]'

# --- duplicate lookups must not scan the whole ledger ---------------------------
# change.deployed events are checked for an earlier deployment of the same
# change_id (metrics-v1 duplicate-event anomaly).  One more month of 500
# such events on top of the 20,000 stored entries must ingest in about the
# time of 500 events that need no lookup, not in time growing with the
# size of the stored ledger.
gen_events m-cd.jsonl $S3 500 change.deployed
gen_events m-na.jsonl $S3 500 config.audited
cp state.json state-cd.json
cp state.json state-na.json
seal_quiet m-cd.jsonl x4cd --state state-cd.json || fail "setup: seal x4cd" "$(_snip "$_LIB_DIR/seal.err")"
seal_quiet m-na.jsonl x4na --state state-na.json || fail "setup: seal x4na" "$(_snip "$_LIB_DIR/seal.err")"
cp ref.db na.db
cp ref.db cd.db
t0=$(ms)
expect_exit 0 "500 more config.audited entries on the 20,000 stored ingest (exit 0)" -- \
	"$RBAUDIT" ingest --db na.db --keys keys.json --jobs 2 x4na
na_ms=$(($(ms) - t0))
t0=$(ms)
expect_exit 0 "500 more change.deployed entries on the 20,000 stored ingest (exit 0)" -- \
	"$RBAUDIT" ingest --db cd.db --keys keys.json --jobs 2 x4cd
cd_ms=$(($(ms) - t0))
echo "# ingest of 500 entries onto 20,000: config.audited $na_ms ms, change.deployed $cd_ms ms"
expect_eq "the 500 change.deployed entries are stored and raise no anomaly" "$((S3 + 500))|0" \
	"$(q cd.db 'SELECT (SELECT count(*) FROM entry), (SELECT count(*) FROM anomaly)')"
check "500 change.deployed entries onto 20,000 ingest within 5x the time of 500 config.audited + 1 s ($cd_ms ms vs $na_ms ms)" \
	test "$cd_ms" -le $((5 * na_ms + 1000))

done_testing
