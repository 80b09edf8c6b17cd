# t_stored.sh - focus: no stage uses what does not verify.  Each edit an
# attacker with write access to the database could make with sqlite3 (a
# stored analysis, a rollback's stored facts, a payload, an actor, a time,
# any column analysis reads, the counted mark, a leaf, a row, the stored
# checkpoint) makes analyze, report and ingest refuse with exit 1, naming
# the table, the ledger and the seq, with nothing written: the database and
# the report folder stay as they were.
. "$ROOT/tests/cli/lib.sh"

"$RBAUDIT" sample --out s --months 2 >/dev/null
"$RBAUDIT" ingest --db a.db --keys s/keys.json s/exports/rollback-ledger/* >/dev/null
L=acme.example/rollback-ledger
# The month of the first executed rollback, and its figures, from the database
# with sqlite3 (metrics-v1 §3: the first rollback.executed, with a request).
P=$(sqlite3 a.db "SELECT substr(min(time), 1, 7) FROM entry WHERE event = 'rollback.executed'")
n=$(sqlite3 a.db "SELECT count(DISTINCT e.rollback_id) FROM entry e WHERE e.event = 'rollback.executed'
  AND substr(e.time, 1, 7) = '$P' AND e.counted = 1 AND EXISTS (SELECT 1 FROM entry r
  WHERE r.rollback_id = e.rollback_id AND r.event = 'rollback.requested')")
[ "$n" -gt 3 ] || { echo "not ok - setup: too few rollbacks in $P ($n)" >>"$RESULTS"; }

expect_exit 0 "analyze of an untouched database exits 0" -- "$RBAUDIT" analyze --db a.db --period "$P" --json
expect_json "  it counts the rollbacks sqlite3 counts" "$OUT" "d['rollbacks_executed']" "$n"
"$RBAUDIT" keygen --name audit-reports --out rk --roles report --valid-from "$VALID_FROM" >/dev/null
"$RBAUDIT" keys add rk/audit-reports.pub.json --keys s/keys.json >/dev/null
expect_exit 0 "report --sign of it exits 0" -- "$RBAUDIT" report --db a.db --period "$P" \
	--template auditor-pack --template governance-monthly --out pack --sign rk/audit-reports.pem --keys s/keys.json
expect_exit 0 "  and the pack verifies" -- "$RBAUDIT" verify-report --keys s/keys.json pack
cp pack/MANIFEST manifest.before

# The pack folder and the database stay as they were after a refused command.
untouched() {
	sqlite3 t.db .dump > t.after
	expect_same "  $1: the database is not written" t.before t.after
	expect_same "  $1: the report folder is as it was" manifest.before pack/MANIFEST
	expect_exit 0 "  $1: and still verifies" -- "$RBAUDIT" verify-report --keys s/keys.json pack
}

# report_refuses NAME SQL PATTERN: report of a copy edited by SQL exits 1.
report_refuses() {
	cp a.db t.db
	sqlite3 t.db "$2"
	sqlite3 t.db .dump > t.before
	expect_exit 1 "$1: report --sign exits 1" -- "$RBAUDIT" report --db t.db --period "$P" \
		--template auditor-pack --template governance-monthly --out pack --sign rk/audit-reports.pem \
		--keys s/keys.json
	expect_grep "  $1: the error names what differs" "$ERR" "$3"
	untouched "$1"
}
sod=$(sqlite3 a.db "SELECT json_extract(document, '\$.findings.\"separation-of-duties\"') FROM analysis")
report_refuses "the stored analysis edited ($n rollbacks to 3, separation-of-duties $sod to 0)" \
	"UPDATE analysis SET document = json_set(document, '\$.rollbacks_executed', 3,
	   '\$.findings.separation-of-duties', 0)" \
	"table analysis, column document differs"
first=$(sqlite3 a.db "SELECT rollback_id FROM analysis_rollback ORDER BY ord LIMIT 1")
report_refuses "a rollback's stored facts edited (its level made low)" \
	"UPDATE analysis_rollback SET facts = json_set(facts, '\$.level', 'low', '\$.score', 0)
	   WHERE rollback_id = '$first'" \
	"table analysis_rollback, rollback 1 \\($first\\) differs"
report_refuses "a stored rollback deleted" \
	"DELETE FROM analysis_rollback WHERE rollback_id = '$first'" "table analysis_rollback"
report_refuses "the stored checkpoint's signature edited" \
	"UPDATE ledger SET checkpoint = substr(checkpoint, 1, length(checkpoint) - 6) || 'AAAA=' || char(10)" \
	"table ledger, seq [0-9]+: the stored checkpoint: it is not signed by a trusted key"

# analyze_refuses NAME SQL SEQ PATTERN: analyze of a copy edited by SQL exits 1,
# naming the table, the ledger and the seq.
analyze_refuses() {
	cp a.db t.db
	sqlite3 t.db "$2"
	sqlite3 t.db .dump > t.before
	expect_exit 1 "$1: analyze exits 1" -- "$RBAUDIT" analyze --db t.db --period "$P"
	expect_grep "  $1: it names the ledger, table entry and seq $3" "$ERR" \
		"stored history of $L does not verify: table entry, seq $3: $4"
	sqlite3 t.db .dump > t.after
	expect_same "  $1: the database is not written" t.before t.after
	expect_exit 1 "$1: report exits 1 as well" -- "$RBAUDIT" report --db t.db --period "$P" \
		--template auditor-pack --template governance-monthly --out pack \
		--sign rk/audit-reports.pem --keys s/keys.json
	expect_same "  $1: the report folder is as it was" manifest.before pack/MANIFEST
}
ap=$(sqlite3 a.db "SELECT seq FROM entry WHERE event = 'rollback.approved' ORDER BY seq LIMIT 1")
analyze_refuses "an approval's actor edited (to hide a separation-of-duties breach)" \
	"UPDATE entry SET actor = 'someone.else@acme.example' WHERE seq = $ap" "$ap" \
	"the actor column holds \"someone.else@acme.example\""
analyze_refuses "the payload and the actor edited together" \
	"UPDATE entry SET payload = CAST(replace(CAST(payload AS TEXT), actor, 'x@acme.example') AS BLOB),
	   actor = 'x@acme.example' WHERE seq = $ap" "$ap" "the leaf column is not the hash of the payload"
crit=$(sqlite3 a.db "SELECT e.seq FROM entry e JOIN analysis_rollback a ON a.rollback_id = e.rollback_id
  WHERE e.event = 'rollback.executed' ORDER BY a.score DESC, e.seq LIMIT 1")
analyze_refuses "the riskiest rollback moved out of the month (time_s)" \
	"UPDATE entry SET time_s = time_s + 62 * 86400 WHERE seq = $crit" "$crit" "the time columns"
analyze_refuses "its time text edited" \
	"UPDATE entry SET time = '2027-01-01T00:00:00Z' WHERE seq = $crit" "$crit" "the time columns"
analyze_refuses "its event edited" "UPDATE entry SET event = 'rollback.note' WHERE seq = $crit" "$crit" \
	"the event column holds \"rollback.note\", the payload \"rollback.executed\""
analyze_refuses "its rollback id edited" "UPDATE entry SET rollback_id = 'RB-X' WHERE seq = $crit" \
	"$crit" "the rollback_id column holds \"RB-X\""
dep=$(sqlite3 a.db "SELECT seq FROM entry WHERE event = 'change.deployed' ORDER BY seq LIMIT 1 OFFSET 2")
for col in change_id service environment; do
	analyze_refuses "a deployment's $col edited" "UPDATE entry SET $col = 'other' WHERE seq = $dep" \
		"$dep" "the $col column holds \"other\""
done
inc=$(sqlite3 a.db "SELECT seq FROM entry WHERE event = 'incident.detected' ORDER BY seq LIMIT 1")
analyze_refuses "an incident's id edited" "UPDATE entry SET incident_id = NULL WHERE seq = $inc" \
	"$inc" "the incident_id column holds null"
analyze_refuses "a deployment's counted mark flipped" "UPDATE entry SET counted = 0 WHERE seq = $dep" \
	"$dep" "the counted column says it does not count, but this is the first"
# metrics-v1 §8.3: the riskiest execution marked a failed attempt would move
# it out of the period; the failed mark is proved against the payload too.
analyze_refuses "its execution marked a failed attempt" \
	"UPDATE entry SET failed = 1 WHERE seq = $crit" "$crit" \
	"the failed column says a failed attempt, the payload none"
analyze_refuses "a leaf edited" "UPDATE entry SET leaf = zeroblob(32) WHERE seq = 5" "5" \
	"the leaf column is not the hash"
analyze_refuses "a row deleted" "DELETE FROM entry WHERE seq = 300" "300" "no row"
last=$(sqlite3 a.db "SELECT max(seq) FROM entry")
analyze_refuses "the last row deleted" "DELETE FROM entry WHERE seq = $last" "$last" "no row"

# Re-ingest of the original export no longer calls an edited history identical.
cp a.db t.db
sqlite3 t.db "UPDATE entry SET time_s = time_s + 62 * 86400 WHERE seq = $crit"
sqlite3 t.db .dump > t.before
expect_exit 1 "re-ingest of the exports into an edited database exits 1" -- \
	"$RBAUDIT" ingest --db t.db --keys s/keys.json s/exports/rollback-ledger/*
expect_grep "  it names the table and the seq" "$ERR" "table entry.* seq $crit: the time"
expect_no_grep "  and does not say identical" "$OUT" "identical"
sqlite3 t.db .dump > t.after
expect_same "  the database is not written" t.before t.after

# An analysis older than the entries stored since is not rendered.
"$RBAUDIT" sample --out s3 --months 3 >/dev/null
cp a.db t.db
"$RBAUDIT" ingest --db t.db --keys s3/keys.json s3/exports/rollback-ledger/* >/dev/null
expect_exit 66 "report of an analysis older than the stored entries exits 66" -- \
	"$RBAUDIT" report --db t.db --period "$P" --template auditor-pack --out stale
expect_grep "  it says to analyze again" "$ERR" "analyse the period $P again"
expect_no_file "  and writes nothing" stale

done_testing
