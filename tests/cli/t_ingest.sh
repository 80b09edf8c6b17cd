# t_ingest.sh - focus: rbaudit ingest, the database side of the vectors:
# the three vector exports ingest in order (679 entries, ledger size 679,
# three ingest_export rows) and again as no-ops that leave `sqlite3 .dump`
# byte-identical; in reverse order the later months are rejected with E_GAP
# and accepted once their predecessor is stored; a gap after the stored end
# is E_GAP too; the database file is created with mode 0640; --inbox with
# --archive and --quarantine (processing order by first_seq, not by name;
# a tampered copy quarantined with a REJECTED.json naming E_SIG at the right
# seq and line; the inbox left empty); the --json members; exit codes 64
# (usage) and 66 (missing trust store); a rejected export, even one that
# failed after many entries were inserted, leaves the dump identical;
# --bootstrap; E_FORK and an overlapping export that extends the ledger
# (exports sealed here); a rejected export first in a run does not spoil
# the next one.
. "$ROOT/tests/cli/lib.sh"

KEYS="$VECTORS/keys.json"
X07="$VECTORS/export-2026-07"
X08="$VECTORS/export-2026-08"
X09="$VECTORS/export-2026-09"

# q DB SQL: one query, its rows as sqlite3 prints them ('|' between columns).
q() {
	sqlite3 -batch "$1" "$2" 2>&1
}

# dump DB FILE: the full SQL dump of DB into FILE.
dump() {
	sqlite3 -batch "$1" .dump >"$2" 2>&1
}

# --- the vectors, in order -------------------------------------------------
expect_exit 0 "ingest of the three vectors in order exits 0" -- \
	"$RBAUDIT" ingest --db v.db --keys "$KEYS" --json "$X07" "$X08" "$X09"
cp "$OUT" in-order.json
expect_json "in order: verdicts accepted, accepted, accepted" in-order.json \
	'[e["verdict"] for e in d["exports"]]' '["accepted", "accepted", "accepted"]'
expect_json "in order: ranges and new entries 0..251/252, 252..468/217, 469..678/210" in-order.json \
	'[[e["first_seq"], e["last_seq"], e["new_first_seq"], e["new_entries"]] for e in d["exports"]]' \
	'[[0, 251, 0, 252], [252, 468, 252, 217], [469, 678, 469, 210]]'
expect_json "in order: summary accepted 3, noop 0, rejected 0, database v.db" in-order.json \
	'[d["accepted"], d["noop"], d["rejected"], d["database"]]' '[3, 0, 0, "v.db"]'
expect_json "--json: the top level has exactly exports, accepted, noop, rejected, database, trust" in-order.json \
	'sorted(d)' '["accepted", "database", "exports", "noop", "rejected", "trust"]'
expect_json "--json: each export has path, verdict, ledger, first_seq, last_seq, new_entries, new_first_seq, bootstrap, errors, warnings" in-order.json \
	'all({"path", "verdict", "ledger", "first_seq", "last_seq", "new_entries", "new_first_seq", "bootstrap", "errors", "warnings"} <= set(e) for e in d["exports"])' true
expect_json "--json: without --archive/--quarantine no export has moved_to" in-order.json \
	'any("moved_to" in e for e in d["exports"])' false
expect_json "--json: paths in argument order, ledger acme.example/rollback-ledger, bootstrap false" in-order.json \
	'[[e["path"], e["ledger"], e["bootstrap"]] for e in d["exports"]]' \
	"[[\"$X07\", \"$LEDGER\", false], [\"$X08\", \"$LEDGER\", false], [\"$X09\", \"$LEDGER\", false]]"
expect_json "--json: no errors and no warnings for the vectors" in-order.json \
	'[[e["errors"], e["warnings"]] for e in d["exports"]]' '[[[], []], [[], []], [[], []]]'
expect_eq "the entry table holds 679 rows" 679 "$(q v.db 'SELECT count(*) FROM entry')"
expect_eq "the entry table holds seq 0..678 once each" "679|0|678" \
	"$(q v.db 'SELECT count(DISTINCT seq), min(seq), max(seq) FROM entry')"
expect_eq "ledger: one row, origin $LEDGER, base_seq 0, size 679" "$LEDGER|0|679" \
	"$(q v.db 'SELECT origin, base_seq, size FROM ledger')"
expect_eq "ledger.root is the root in export-2026-09's checkpoint" \
	"$(sed -n 3p "$X09/checkpoint" | base64 -d | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" \
	"$(q v.db 'SELECT hex(root) FROM ledger')"
expect_eq "ingest_export: three rows 0..251, 252..468, 469..678 with their new entries" \
	"0|251|252 252|468|217 469|678|210" \
	"$(q v.db 'SELECT first_seq, last_seq, new_entries FROM ingest_export ORDER BY first_seq' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "ingest_run: one finished run that accepted 3" "1|3|1" \
	"$(q v.db 'SELECT count(*), sum(accepted), sum(finished IS NOT NULL) FROM ingest_run')"
expect_mode "the new database file has mode 0640" v.db 640

# --- the same again: no-ops ------------------------------------------------
dump v.db v-before.sql
expect_exit 0 "ingesting the three vectors again exits 0" -- \
	"$RBAUDIT" ingest --db v.db --keys "$KEYS" --json "$X07" "$X08" "$X09"
cp "$OUT" again.json
expect_json "again: verdicts noop, noop, noop with 0 new entries and new_first_seq null" again.json \
	'[[e["verdict"], e["new_entries"], e["new_first_seq"]] for e in d["exports"]]' \
	'[["noop", 0, null], ["noop", 0, null], ["noop", 0, null]]'
expect_json "again: summary accepted 0, noop 3, rejected 0" again.json \
	'[d["accepted"], d["noop"], d["rejected"]]' '[0, 3, 0]'
dump v.db v-after.sql
expect_same "no-op ingests leave the database dump byte-identical" v-before.sql v-after.sql
expect_exit 0 "a no-op ingest in text mode exits 0" -- "$RBAUDIT" ingest --db v.db --keys "$KEYS" "$X08"
expect_grep "text mode says no-op for export-2026-08" "$OUT" '^no-op +.*export-2026-08'
dump v.db v-after2.sql
expect_same "the text-mode no-op also leaves the dump identical" v-before.sql v-after2.sql
expect_mode "the database keeps mode 0640 after further ingests" v.db 640

# --- reverse order: E_GAP --------------------------------------------------
expect_exit 1 "a fresh database in reverse order 09 08 07 exits 1" -- \
	"$RBAUDIT" ingest --db r.db --keys "$KEYS" --json "$X09" "$X08" "$X07"
cp "$OUT" reverse.json
expect_json "reverse: verdicts rejected, rejected, accepted" reverse.json \
	'[e["verdict"] for e in d["exports"]]' '["rejected", "rejected", "accepted"]'
expect_eq "reverse: export-2026-09 is rejected with E_GAP only" E_GAP "$(error_codes reverse.json 0)"
expect_eq "reverse: export-2026-08 is rejected with E_GAP only" E_GAP "$(error_codes reverse.json 1)"
expect_json "reverse: the rejected exports store nothing (new_entries 0, new_first_seq null)" reverse.json \
	'[[e["new_entries"], e["new_first_seq"]] for e in d["exports"][:2]]' '[[0, null], [0, null]]'
expect_json "reverse: summary accepted 1, noop 0, rejected 2" reverse.json \
	'[d["accepted"], d["noop"], d["rejected"]]' '[1, 0, 2]'
expect_eq "reverse: only July is stored (252 entries, ledger size 252)" "252|252" \
	"$(q r.db 'SELECT (SELECT count(*) FROM entry), (SELECT size FROM ledger)')"
expect_exit 0 "then 08 09 on that database exits 0" -- \
	"$RBAUDIT" ingest --db r.db --keys "$KEYS" "$X08" "$X09"
expect_grep "text mode: export-2026-08 accepted with 217 new entries from seq 252" "$OUT" \
	'^accepted .*export-2026-08: .*seq 252\.\.468, 217 new entries from seq 252'
expect_grep "text mode: export-2026-09 accepted with 210 new entries from seq 469" "$OUT" \
	'^accepted .*export-2026-09: .*seq 469\.\.678, 210 new entries from seq 469'
expect_grep "text mode: the summary line counts 2 accepted" "$OUT" '^ingest: 2 accepted, 0 no-op, 0 rejected'
expect_eq "then: 679 entries and ledger size 679" "679|679" \
	"$(q r.db 'SELECT (SELECT count(*) FROM entry), (SELECT size FROM ledger)')"
expect_eq "the reverse-then-forward database has the same entries as the in-order one" \
	"$(q v.db 'SELECT hex(leaf) FROM entry ORDER BY seq' | sha256sum)" \
	"$(q r.db 'SELECT hex(leaf) FROM entry ORDER BY seq' | sha256sum)"

# A gap after the stored end: July stored, then September.
"$RBAUDIT" ingest --db g.db --keys "$KEYS" "$X07" >/dev/null 2>&1 || fail "setup: ingest July into g.db" "failed"
dump g.db g-before.sql
expect_exit 1 "September after July alone is rejected (exit 1)" -- \
	"$RBAUDIT" ingest --db g.db --keys "$KEYS" --json "$X09"
cp "$OUT" gap.json
expect_eq "September after July: E_GAP only" E_GAP "$(error_codes gap.json)"
expect_json "September after July: E_GAP names seq 252, the first missing entry" gap.json \
	'[x["seq"] for x in d["exports"][0]["errors"]]' '[252]'
dump g.db g-after.sql
expect_same "the E_GAP rejection leaves the dump byte-identical" g-before.sql g-after.sql
expect_exit 1 "text mode: the gap is rejected too" -- "$RBAUDIT" ingest --db g.db --keys "$KEYS" "$X09"
expect_grep "text mode: REJECTED line for export-2026-09" "$OUT" '^REJECTED .*export-2026-09'
expect_grep "text mode: an E_GAP line" "$OUT" '^ +E_GAP seq 252'

# --- inbox, archive, quarantine ---------------------------------------------
mkdir inbox
cp -r "$X07" inbox/c-07
cp -r "$X08" inbox/a-08
cp -r "$X09" inbox/b-09
flipped=$(flip_payload "$X08" inbox/x-08 10) || fail "setup: flip a payload letter" "flip_payload failed"
expect_eq "test data: the tampered copy x-08 has line 10 = seq 261 changed" 261 "$flipped"
# The vector copies have no READY file and were written just now: --settle 0
# takes them at once (t_job.sh tests the waiting).
expect_exit 1 "ingest --inbox with a tampered export exits 1" -- \
	"$RBAUDIT" ingest --db i.db --keys "$KEYS" --json --inbox inbox --archive archive --quarantine quarantine \
	--settle 0
cp "$OUT" inbox.json
expect_json "inbox: processed by first_seq, not by name: c-07, a-08, x-08, b-09" inbox.json \
	'[e["path"] for e in d["exports"]]' '["inbox/c-07", "inbox/a-08", "inbox/x-08", "inbox/b-09"]'
expect_json "inbox: verdicts accepted, accepted, rejected, accepted" inbox.json \
	'[e["verdict"] for e in d["exports"]]' '["accepted", "accepted", "rejected", "accepted"]'
expect_json "inbox: moved_to archive/ for the good ones, quarantine/ for the tampered one" inbox.json \
	'[e.get("moved_to") for e in d["exports"]]' \
	'["archive/c-07", "archive/a-08", "quarantine/x-08", "archive/b-09"]'
expect_json "inbox: summary accepted 3, noop 0, rejected 1" inbox.json \
	'[d["accepted"], d["noop"], d["rejected"]]' '[3, 0, 1]'
expect_json "inbox: the tampered export reports E_SIG at seq 261, line 10" inbox.json \
	'[[x["seq"], x["line"]] for x in d["exports"][2]["errors"] if x["code"] == "E_SIG"]' '[[261, 10]]'
check "inbox: the inbox is empty afterwards" test -z "$(ls -A inbox)"
check "inbox: the quarantine holds only x-08" test "$(ls -A quarantine)" = x-08
check "inbox: the archive holds a-08, b-09 and c-07" test "$(ls -A archive | sort | tr '\n' ' ')" = "a-08 b-09 c-07 "
expect_file "inbox: quarantine/x-08/REJECTED.json exists" quarantine/x-08/REJECTED.json
expect_json "REJECTED.json names E_SIG at seq 261, line 10" quarantine/x-08/REJECTED.json \
	'[[x["seq"], x["line"]] for x in d["errors"] if x["code"] == "E_SIG"]' '[[261, 10]]'
expect_json "REJECTED.json: every error has code, seq, line and message" quarantine/x-08/REJECTED.json \
	'bool(d["errors"]) and all({"code", "seq", "line", "message"} <= set(x) for x in d["errors"])' true
expect_json "REJECTED.json: its errors are those of the --json report" quarantine/x-08/REJECTED.json \
	'd["errors"] == json.load(open("inbox.json"))["exports"][2]["errors"]' true
check "the quarantined export is moved whole (its tampered entries.jsonl kept)" \
	test -f quarantine/x-08/manifest.json -a -f quarantine/x-08/checkpoint -a -f quarantine/x-08/entries.jsonl
check "no REJECTED.json in the archived exports" test ! -e archive/a-08/REJECTED.json -a ! -e archive/b-09/REJECTED.json -a ! -e archive/c-07/REJECTED.json
for m in 07:c-07 08:a-08 09:b-09; do
	expect_same "archive/${m#*:} holds export-2026-${m%%:*} unchanged" "$VECTORS/export-2026-${m%%:*}/entries.jsonl" "archive/${m#*:}/entries.jsonl"
done
expect_eq "inbox: 679 entries stored, ledger size 679" "679|679" \
	"$(q i.db 'SELECT (SELECT count(*) FROM entry), (SELECT size FROM ledger)')"
expect_eq "inbox: the stored entries are the genuine ones" \
	"$(q v.db 'SELECT hex(leaf) FROM entry ORDER BY seq' | sha256sum)" \
	"$(q i.db 'SELECT hex(leaf) FROM entry ORDER BY seq' | sha256sum)"
# The archive re-ingested as an inbox: all no-ops, archived again.
expect_exit 0 "ingest --inbox of the archive: all no-ops, exit 0" -- \
	"$RBAUDIT" ingest --db i.db --keys "$KEYS" --json --inbox archive --archive archive2 --settle 0
expect_json "the archive as inbox: three noop verdicts, moved to archive2" "$OUT" \
	'[[e["verdict"], e.get("moved_to")] for e in d["exports"]]' \
	'[["noop", "archive2/c-07"], ["noop", "archive2/a-08"], ["noop", "archive2/b-09"]]'

# --- usage and missing input ------------------------------------------------
expect_exit 64 "ingest without --db exits 64" -- "$RBAUDIT" ingest --keys "$KEYS" "$X07"
expect_grep -F "the usage error mentions --db" "$ERR" '--db'
expect_exit 64 "ingest without --keys exits 64" -- "$RBAUDIT" ingest --db u.db "$X07"
expect_exit 64 "ingest with neither EXPORT_DIRs nor --inbox exits 64" -- "$RBAUDIT" ingest --db u.db --keys "$KEYS"
expect_exit 64 "ingest with both EXPORT_DIRs and --inbox exits 64" -- \
	"$RBAUDIT" ingest --db u.db --keys "$KEYS" --inbox inbox "$X07"
expect_exit 64 "ingest --busy-timeout x exits 64" -- \
	"$RBAUDIT" ingest --db u.db --keys "$KEYS" --busy-timeout x "$X07"
expect_no_file "usage errors create no database" u.db
expect_exit 66 "ingest with a missing trust store exits 66" -- \
	"$RBAUDIT" ingest --db m.db --keys no-such-keys.json "$X07"
expect_grep -F "the error names the missing trust store" "$ERR" 'no-such-keys.json'
expect_no_file "a missing trust store creates no database" m.db
expect_exit 66 "ingest --inbox of a missing directory exits 66" -- \
	"$RBAUDIT" ingest --db m2.db --keys "$KEYS" --inbox no-such-inbox

# --- tampered exports change nothing -----------------------------------------
"$RBAUDIT" ingest --db t.db --keys "$KEYS" "$X07" >/dev/null 2>&1 || fail "setup: ingest July into t.db" "failed"
dump t.db t-before.sql
flip_payload "$X08" t08 10 >/dev/null || fail "setup: flip_payload t08" "failed"
expect_exit 1 "a tampered export-2026-08 (line 10) is rejected (exit 1)" -- \
	"$RBAUDIT" ingest --db t.db --keys "$KEYS" --json t08
expect_json "the tampered export reports E_SIG at seq 261, line 10" "$OUT" \
	'[[x["seq"], x["line"]] for x in d["exports"][0]["errors"] if x["code"] == "E_SIG"]' '[[261, 10]]'
dump t.db t-after.sql
expect_same "the tampered export leaves the dump byte-identical" t-before.sql t-after.sql
# Late in the file: 199 good entries come before the bad one.
late=$(flip_payload "$X08" t08late 200) || fail "setup: flip_payload t08late" "failed"
expect_exit 1 "export-2026-08 tampered on line 200 (seq $late) is rejected" -- \
	"$RBAUDIT" ingest --db t.db --keys "$KEYS" --json t08late
expect_json "it reports E_SIG at seq 451, line 200" "$OUT" \
	'[[x["seq"], x["line"]] for x in d["exports"][0]["errors"] if x["code"] == "E_SIG"]' '[[451, 200]]'
dump t.db t-after2.sql
expect_same "the late tampering leaves the dump byte-identical (no partial export)" t-before.sql t-after2.sql
flip_payload "$X07" t07 5 >/dev/null || fail "setup: flip_payload t07" "failed"
expect_exit 1 "a tampered copy of the stored export-2026-07 is rejected" -- \
	"$RBAUDIT" ingest --db t.db --keys "$KEYS" --json t07
expect_json "it reports E_SIG at seq 4, line 5" "$OUT" \
	'[[x["seq"], x["line"]] for x in d["exports"][0]["errors"] if x["code"] == "E_SIG"]' '[[4, 5]]'
dump t.db t-after3.sql
expect_same "the tampered copy of stored history leaves the dump byte-identical" t-before.sql t-after3.sql
rm -rf nocp && cp -r "$X08" nocp && rm nocp/checkpoint
expect_exit 1 "an export without its checkpoint is rejected" -- "$RBAUDIT" ingest --db t.db --keys "$KEYS" --json nocp
expect_json "it reports E_IO" "$OUT" '"E_IO" in {x["code"] for x in d["exports"][0]["errors"]}' true
dump t.db t-after4.sql
expect_same "the export without checkpoint leaves the dump byte-identical" t-before.sql t-after4.sql

# --- --bootstrap -------------------------------------------------------------
expect_exit 1 "export-2026-08 alone into a new database is rejected (exit 1)" -- \
	"$RBAUDIT" ingest --db b.db --keys "$KEYS" --json "$X08"
cp "$OUT" noboot.json
expect_eq "without --bootstrap: E_GAP only" E_GAP "$(error_codes noboot.json)"
expect_eq "without --bootstrap: no ledger and no entry stored" "0|0" \
	"$(q b.db 'SELECT (SELECT count(*) FROM ledger), (SELECT count(*) FROM entry)')"
expect_exit 0 "with --bootstrap export-2026-08 alone is accepted (exit 0)" -- \
	"$RBAUDIT" ingest --db b.db --keys "$KEYS" --json --bootstrap "$X08"
cp "$OUT" boot.json
expect_json "with --bootstrap: verdict accepted, bootstrap true, 217 new entries from seq 252" boot.json \
	'[d["exports"][0][k] for k in ("verdict", "bootstrap", "new_entries", "new_first_seq")]' '["accepted", true, 217, 252]'
expect_eq "with --bootstrap: ledger.base_seq 252, size 469" "252|469" "$(q b.db 'SELECT base_seq, size FROM ledger')"
expect_eq "with --bootstrap: entries 252..468 stored (217)" "217|252|468" \
	"$(q b.db 'SELECT count(*), min(seq), max(seq) FROM entry')"
expect_eq "with --bootstrap: ledger.bootstrap_checkpoint is export-2026-08's previous_checkpoint" \
	"$(json_get "$X08/manifest.json" 'd["previous_checkpoint"]')" "$(q b.db 'SELECT bootstrap_checkpoint FROM ledger')"
expect_eq "with --bootstrap: ingest_export.bootstrap is 1" 1 "$(q b.db 'SELECT bootstrap FROM ingest_export')"
expect_exit 0 "export-2026-09 then continues the bootstrapped ledger without --bootstrap" -- \
	"$RBAUDIT" ingest --db b.db --keys "$KEYS" --json "$X09"
expect_json "export-2026-09 on the bootstrapped ledger: accepted, bootstrap false" "$OUT" \
	'[d["exports"][0]["verdict"], d["exports"][0]["bootstrap"]]' '["accepted", false]'
expect_eq "the bootstrapped ledger now has base_seq 252, size 679" "252|679" "$(q b.db 'SELECT base_seq, size FROM ledger')"

# --- E_FORK and an overlapping export (sealed here) ----------------------------
make_key ledger k || fail "setup: keygen ledger" "$(_snip "$_LIB_DIR/keygen.err")"
"$RBAUDIT" keys add k/ledger.pub.json --keys keys.json >/dev/null 2>&1 || fail "setup: keys add" "failed"
EV="$ROOT/tests/data/events-2026-07.jsonl"
head -n 5 "$EV" >five.jsonl
head -n 10 "$EV" >ten.jsonl
sed -n 6,10p "$EV" >next5.jsonl
head -n 4 "$EV" >fork.jsonl
sed -n 5p "$EV" | sed 's/"actor":"[^"]*"/"actor":"mallory@acme.example"/' >>fork.jsonl
check "test data: fork.jsonl line 5 differs from the original" test "$(sed -n 5p fork.jsonl)" != "$(sed -n 5p "$EV")"
cp fork.jsonl fork10.jsonl
sed -n 6,10p "$EV" >>fork10.jsonl
seal_quiet five.jsonl A --state sa.json || fail "setup: seal A" "$(_snip "$_LIB_DIR/seal.err")"
seal_quiet next5.jsonl A2 --state sa.json || fail "setup: seal A2" "$(_snip "$_LIB_DIR/seal.err")"
seal_quiet ten.jsonl B || fail "setup: seal B" "$(_snip "$_LIB_DIR/seal.err")"
seal_quiet fork10.jsonl F || fail "setup: seal F" "$(_snip "$_LIB_DIR/seal.err")"
seal_quiet fork.jsonl F1 --state sf.json || fail "setup: seal F1" "$(_snip "$_LIB_DIR/seal.err")"
seal_quiet next5.jsonl F2 --state sf.json || fail "setup: seal F2" "$(_snip "$_LIB_DIR/seal.err")"
expect_exit 0 "own ledger: A (seq 0..4) is accepted" -- "$RBAUDIT" ingest --db f.db --keys keys.json A
# A backdated entry that opens the next export: only stored history shows it.
seal_quiet five.jsonl BA --state sb.json || fail "setup: seal BA" "$(_snip "$_LIB_DIR/seal.err")"
sed '1s/"time":"[^"]*"/"time":"2026-03-15T00:00:00Z"/' next5.jsonl > back5.jsonl
seal_quiet back5.jsonl BB --state sb.json || fail "setup: seal BB" "$(_snip "$_LIB_DIR/seal.err")"
expect_exit 0 "a backdated export is verified alone without a warning on its first entry" -- \
	"$RBAUDIT" verify --keys keys.json --json BB
expect_json "  (the verifier sees no entry before it)" "$OUT" \
	'[x["seq"] for x in d["exports"][0]["warnings"] if x["code"] == "W_TIME_BACKWARDS"]' '[]'
# verify's time line is the earliest and the latest entry, not the first and last.
sed '3s/"time":"[^"]*"/"time":"2026-03-01T00:00:00Z"/' next5.jsonl > mid5.jsonl
seal_quiet mid5.jsonl BM || fail "setup: seal BM" "$(_snip "$_LIB_DIR/seal.err")"
latest=$("$PY" -c 'import json, sys; print(max(json.loads(l)["time"] for l in open(sys.argv[1])))' mid5.jsonl)
expect_exit 0 "an export whose third entry is its earliest verifies" -- "$RBAUDIT" verify --keys keys.json BM
expect_grep -F "  and its time line is earliest .. latest" "$OUT" "time            2026-03-01T00:00:00Z .. $latest"
"$RBAUDIT" ingest --db back.db --keys keys.json BA >/dev/null
expect_exit 0 "ingested after the export before it, it is accepted" -- \
	"$RBAUDIT" ingest --db back.db --keys keys.json --json BB
expect_json "  with W_TIME_BACKWARDS at seq 5, against the stored history" "$OUT" \
	'[(x["seq"], "latest stored" in x["message"]) for x in d["exports"][0]["warnings"] if x["code"] == "W_TIME_BACKWARDS"]' '[[5, true]]'
expect_eq "  and the warning is stored with the export" 1 \
	"$(sqlite3 back.db "SELECT count(*) FROM ingest_export, json_each(warnings) WHERE json_extract(value, '\$.code') = 'W_TIME_BACKWARDS'")"
dump f.db f-before.sql
expect_exit 1 "a fork overlapping stored history (F, seq 0..9, seq 4 differs) is rejected" -- \
	"$RBAUDIT" ingest --db f.db --keys keys.json --json F
expect_json "F: E_FORK at seq 4" "$OUT" '[x["seq"] for x in d["exports"][0]["errors"] if x["code"] == "E_FORK"]' '[4]'
expect_exit 1 "a fork continuing another history (F2, seq 5..9, other frontier) is rejected" -- \
	"$RBAUDIT" ingest --db f.db --keys keys.json --json F2
expect_json "F2: E_FORK (its frontier gives another root at seq 5)" "$OUT" \
	'[[x["code"], x["seq"]] for x in d["exports"][0]["errors"]]' '[["E_FORK", 5]]'
dump f.db f-after.sql
expect_same "the forks leave the dump byte-identical" f-before.sql f-after.sql
expect_exit 0 "an overlapping export that extends (B, seq 0..9) is accepted" -- \
	"$RBAUDIT" ingest --db f.db --keys keys.json --json B
expect_json "B: accepted with 5 new entries from seq 5" "$OUT" \
	'[d["exports"][0][k] for k in ("verdict", "new_entries", "new_first_seq")]' '["accepted", 5, 5]'
expect_eq "own ledger: 10 entries, size 10" "10|10" \
	"$(q f.db 'SELECT (SELECT count(*) FROM entry), (SELECT size FROM ledger)')"
expect_exit 0 "A and A2 (covered by B) are now no-ops" -- "$RBAUDIT" ingest --db f.db --keys keys.json --json A A2
expect_json "A, A2: noop, noop" "$OUT" '[e["verdict"] for e in d["exports"]]' '["noop", "noop"]'

# --- a rejected export first in a run, then a good one ------------------------
# The tampered July (line 5) gets as far as storing seq 0..3 before it is
# rolled back; the genuine July after it in the same run must be accepted.
flip_payload "$X07" bad07 5 >/dev/null || fail "setup: flip_payload bad07" "failed"
expect_exit 1 "fresh database: tampered July then genuine July in one run exits 1" -- \
	"$RBAUDIT" ingest --db fk.db --keys "$KEYS" --json bad07 "$X07"
cp "$OUT" fk.json
expect_json "tampered then genuine July: verdicts rejected, accepted" fk.json \
	'[e["verdict"] for e in d["exports"]]' '["rejected", "accepted"]'
expect_eq "tampered then genuine July: 252 entries stored" 252 "$(q fk.db 'SELECT count(*) FROM entry')"

done_testing
