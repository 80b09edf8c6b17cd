# t_late.sh - focus: late and missing data are reported, never hidden (#15):
# a period whose data stops early alerts (stale_after_hours) and its cover
# says how much of it the data covers; a quarantined export is listed in the
# packs of the periods it touches (recorded by the job only, not by ingest);
# a backdated entry arriving later makes `run` re-render the earlier period's
# folder, naming the MANIFEST it supersedes and why, and alert; the
# attestation names each export where it is now and where it came from.
# The exports are sealed here from events written below, so every expected
# seq, time and percentage is worked out from those events by hand.
. "$ROOT/tests/cli/lib.sh"

make_key ledger k --roles entry,checkpoint || fail "setup: keygen ledger" "$(_snip "$_LIB_DIR/keygen.err")"
make_key reports keys --roles report || fail "setup: keygen reports" "$(_snip "$_LIB_DIR/keygen.err")"
"$RBAUDIT" keys add k/ledger.pub.json keys/reports.pub.json --keys trust.json >/dev/null ||
	fail "setup: keys add" "keys add failed"

# events (lib.sh): service profile, environment prod, team identity
# seal_into STATE EVENTS OUT
seal_into() { seal_quiet "$2" "$3" --state "$1" || fail "setup: seal $3" "$(_snip "$_LIB_DIR/seal.err")"; }
# mkjob DIR [EXTRA MEMBERS]
mkjob() {
	mkdir -p "$1/inbox"
	cp trust.json "$1/trust.json"
	cat > "$1/job.json" <<EOJ
{"database": "audit.db", "trust_store": "trust.json",
 "inbox": "inbox", "archive": "archive", "quarantine": "quarantine",
 "output": "reports/{period}",
 "templates": ["governance-monthly", "auditor-pack", "engineering-metrics", "analysis-json"],
 "report_key": "../keys/reports.pem", "alert_level": "none", "alert_findings": []$2}
EOJ
}
# pdftext PDF OUT: the PDF's text on one line (pdftotext wraps where it likes).
pdftext() { pdftotext "$1" - 2>/dev/null | tr '\n' ' ' | sed 's/  */ /g' > "$2"; }
# hours FROM TO: hours between two times, one decimal (worked out by Python).
hours() {
	"$PY" -c 'import sys, datetime as d
f = lambda s: d.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
print("%.1f" % ((f(sys.argv[2]) - f(sys.argv[1])).total_seconds() / 3600))' "$1" "$2"
}

# --- missing data: entries only up to 3 June -------------------------------------
events may.jsonl deploy=2026-05-04T10:00:00Z,CHG-1 rb=2026-05-10T10:00:00Z,2026-05-10T11:00:00Z,RB-1,CHG-1 \
	deploy=2026-06-03T09:00:00Z,CHG-2
mkjob s
seal_into s-state.json may.jsonl s/inbox/2026-05
expect_exit 1 "data up to 3 June: run for November alerts (exit 1), no longer 'ok'" -- \
	"$RBAUDIT" run --config s/job.json --period 2026-11
h=$(hours 2026-06-03T09:00:00Z 2026-12-01T00:00:00Z)
expect_grep "  the summary line says the data is stale, by how much" "$OUT" \
	"^ATTENTION: period 2026-11, 1 export accepted, 0 rejected, 0 rollbacks, 0 alerts; STALE DATA: the newest entry is 2026-06-03T09:00:00Z, $h hours before"
expect_grep "  the log has the alert, with the coverage" "$ERR" \
	"coverage +alert +stale data: the ledger's newest entry is 2026-06-03T09:00:00Z, $h hours before 2026-12-01T00:00:00Z \(the end of the period\), more than stale_after_hours \(48\); the data covers 0.0% of 2026-11"
expect_eq "  job_run records exit 1" 1 "$(sqlite3 s/audit.db 'SELECT exit_code FROM job_run ORDER BY id DESC LIMIT 1')"
expect_json "  the attestation gives the coverage: none of November" s/reports/2026-11/analysis-2026-11.json \
	'd["attestation"]["coverage"]' \
	'{"complete": false, "covered_until": "2026-11-01T00:00:00Z", "newest_entry": "2026-06-03T09:00:00Z", "percent": 0, "period_end": "2026-12-01T00:00:00Z", "period_start": "2026-11-01T00:00:00Z"}'
pdftext s/reports/2026-11/governance-2026-11.pdf gov11.txt
expect_grep -F "  the governance cover says the period is incomplete and how much is covered" gov11.txt \
	"Data coverage: INCOMPLETE. The data covers 0.0% of the period, until 2026-11-01T00:00:00Z: the ledger's newest entry is 2026-06-03T09:00:00Z"
pdftext s/reports/2026-11/auditor-pack-2026-11.pdf aud11.txt
expect_grep -F "  so does the auditor pack's" aud11.txt "Data coverage: INCOMPLETE. The data covers 0.0% of the period"
expect_grep -F "  which has the section on late and missing data" aud11.txt "Late and missing data Coverage"
check "  the workbook's Summary sheet says the period is incomplete" "$PY" -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
text = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/"))
assert b"Period complete" in text and b"no: INCOMPLETE" in text, "no coverage row"' s/reports/2026-11/engineering-metrics-2026-11.xlsx
expect_exit 1 "run for June (data until the 3rd) alerts too" -- "$RBAUDIT" run --config s/job.json --period 2026-06
# 2 days 9 hours of June's 30 days: 57 / 720 = 7.91...%, rounded down.
expect_json "  its coverage: 7.9% of June, until the newest entry" s/reports/2026-06/analysis-2026-06.json \
	'[d["attestation"]["coverage"][k] for k in ("percent", "covered_until", "complete")]' \
	'[7.9, "2026-06-03T09:00:00Z", false]'
expect_grep "  the log names June's end" "$ERR" "stale data: .* $(hours 2026-06-03T09:00:00Z 2026-07-01T00:00:00Z) hours before 2026-07-01T00:00:00Z"
mkjob s2 ', "stale_after_hours": 700'
cp s/audit.db s2/audit.db
expect_exit 0 "with stale_after_hours 700 (663 h missing) June does not alert" -- \
	"$RBAUDIT" run --config s2/job.json --period 2026-06
expect_grep "  the log still says how much the data covers" "$ERR" \
	'coverage +partial +the data covers 7.9% of 2026-06: the ledger.s newest entry is 2026-06-03T09:00:00Z'
expect_grep "  and the summary line is ok" "$OUT" '^ok: period 2026-06'
expect_exit 0 "May, wholly covered, does not alert" -- "$RBAUDIT" run --config s2/job.json --period 2026-05
expect_json "  its coverage is complete" s2/reports/2026-05/analysis-2026-05.json \
	'[d["attestation"]["coverage"][k] for k in ("percent", "covered_until", "complete")]' \
	'[100, "2026-06-01T00:00:00Z", true]'
pdftext s2/reports/2026-05/governance-2026-05.pdf gov05.txt
expect_grep -F "  and its cover says so" gov05.txt "Data coverage: complete, 100% of the period"
printf '{"database":"a.db","trust_store":"t.json","inbox":"i","output":"r/{period}","templates":["x"],"stale_after_hours":87601}' > stale.json
expect_exit 78 "a stale_after_hours over 87600 exits 78" -- "$RBAUDIT" run --config stale.json
expect_grep "  naming the member" "$ERR" 'member "stale_after_hours" must be a whole number from 0 to 87600'

# --- a quarantined export is listed in the packs it touches ------------------------
# January: seqs 0..3; February: 4..7 (from 3 to 27 February); March: 8..9.
events jan.jsonl deploy=2026-01-05T10:00:00Z,CHG-1 rb=2026-01-06T10:00:00Z,2026-01-06T11:00:00Z,RB-1,CHG-1 \
	deploy=2026-01-31T20:00:00Z,CHG-2
events feb.jsonl deploy=2026-02-03T10:00:00Z,CHG-3 rb=2026-02-10T10:00:00Z,2026-02-10T11:00:00Z,RB-2,CHG-3 \
	deploy=2026-02-27T12:00:00Z,CHG-4
events mar.jsonl deploy=2026-03-02T10:00:00Z,CHG-5 deploy=2026-03-30T10:00:00Z,CHG-6
for m in jan feb mar; do seal_into ex-state.json $m.jsonl ex/$m; done
mkjob q ', "stale_after_hours": 87600'
cp -r ex/jan q/inbox/2026-01
flip_payload ex/feb q/inbox/2026-02 2 > /dev/null
cp -r ex/mar q/inbox/2026-03
expect_exit 2 "February's export tampered: the run of February exits 2" -- \
	"$RBAUDIT" run --config q/job.json --period 2026-02
expect_eq "the job records both exports it quarantined (February E_SIG, March then E_GAP), with its run" \
	"q/inbox/2026-02 q/quarantine/2026-02 4 7 2026-02-03T10:00:00Z 2026-02-27T12:00:00Z E_SIG 1|q/inbox/2026-03 q/quarantine/2026-03 8 9 2026-03-02T10:00:00Z 2026-03-30T10:00:00Z E_GAP 1" \
	"$(sqlite3 q/audit.db "SELECT group_concat(path || ' ' || quarantined_path || ' ' || first_seq || ' ' || last_seq || ' ' || first_time || ' ' || last_time || ' ' || code || ' ' || (job_run_id = (SELECT max(id) FROM job_run)), '|') FROM (SELECT * FROM rejected_export ORDER BY id)")"
expect_json "February's pack lists the quarantined February export, and not March's" \
	q/reports/2026-02/analysis-2026-02.json \
	'[[x[k] for k in ("path", "quarantined_path", "ledger", "first_seq", "last_seq", "first_time", "last_time", "code")] for x in d["attestation"]["rejected_exports"]]' \
	'[["q/inbox/2026-02", "q/quarantine/2026-02", "acme.example/rollback-ledger", 4, 7, "2026-02-03T10:00:00Z", "2026-02-27T12:00:00Z", "E_SIG"]]'
pdftext q/reports/2026-02/governance-2026-02.pdf gov02.txt
expect_grep -F "  its governance cover says so" gov02.txt "1 export rejected or quarantined touches this period"
pdftext q/reports/2026-02/auditor-pack-2026-02.pdf aud02.txt
expect_grep -F "  the auditor pack lists it, where it is and where it came from" aud02.txt \
	"q/quarantine/2026-02 (from q/inbox/2026-02)"
expect_grep -F "  with its range and error code" aud02.txt "4..7"
expect_grep -F "  and code" aud02.txt "E_SIG"
expect_exit 0 "a run of March (nothing new) exits 0" -- "$RBAUDIT" run --config q/job.json --period 2026-03
expect_json "  March's pack lists March's export only" q/reports/2026-03/analysis-2026-03.json \
	'[x["code"] + " " + x["path"] for x in d["attestation"]["rejected_exports"]]' '["E_GAP q/inbox/2026-03"]'
expect_exit 0 "a run of January exits 0" -- "$RBAUDIT" run --config q/job.json --period 2026-01
expect_json "  January's pack lists none" q/reports/2026-01/analysis-2026-01.json \
	'd["attestation"]["rejected_exports"]' '[]'
cp -r ex/mar q/inbox/zz-broken && rm q/inbox/zz-broken/entries.jsonl
expect_exit 2 "an export without entries.jsonl, in a run of 2026-05, exits 2" -- \
	"$RBAUDIT" run --config q/job.json --period 2026-05
expect_json "  times unknown: it is listed in the pack of the run's period" q/reports/2026-05/analysis-2026-05.json \
	'[[x[k] for k in ("path", "first_seq", "first_time", "last_time", "code")] for x in d["attestation"]["rejected_exports"]]' \
	'[["q/inbox/zz-broken", 8, null, null, "E_IO"]]'
expect_exit 0 "  and not in another period's (January again)" -- \
	"$RBAUDIT" report --db q/audit.db --period 2026-01 --template analysis-json --out jan-again
expect_json "  January still lists none" jan-again/analysis-2026-01.json 'd["attestation"]["rejected_exports"]' '[]'
sqlite3 q/audit.db .dump > q-before.sql
expect_exit 1 "a standalone ingest of the tampered export rejects it (exit 1)" -- \
	"$RBAUDIT" ingest --db q/audit.db --keys trust.json q/quarantine/2026-02
sqlite3 q/audit.db .dump > q-after.sql
expect_same "  and leaves the database as it was: ingest records no rejected export" q-before.sql q-after.sql

# --- late data: a backdated rollback in a later export -------------------------------
# March again, with a rollback dated 20 February (seqs 9 and 10) among it.
events late.jsonl deploy=2026-03-02T10:00:00Z,CHG-5 rb=2026-02-20T10:00:00Z,2026-02-20T11:00:00Z,RB-9,CHG-4 \
	deploy=2026-03-30T10:00:00Z,CHG-6
for m in jan feb; do seal_into l-state.json $m.jsonl lex/$m; done
seal_into l-state.json late.jsonl lex/late
mkjob l ', "stale_after_hours": 87600'
cp -r lex/jan l/inbox/2026-01
cp -r lex/feb l/inbox/2026-02
expect_exit 0 "a run of February with January and February exits 0" -- "$RBAUDIT" run --config l/job.json --period 2026-02
expect_json "  February has one rollback" l/reports/2026-02/analysis-2026-02.json 'd["analysis"]["rollbacks_executed"]' 1
expect_json "  and its pack supersedes nothing" l/reports/2026-02/analysis-2026-02.json \
	'd["attestation"].get("supersedes")' null
expect_exit 0 "a run of January exits 0" -- "$RBAUDIT" run --config l/job.json --period 2026-01
old=$(sha256sum l/reports/2026-02/MANIFEST | cut -d' ' -f1)
cp l/reports/2026-01/MANIFEST jan.manifest
cp -r lex/late l/inbox/2026-03
expect_exit 1 "the backdated rollback arrives with March: the run of March alerts (exit 1)" -- \
	"$RBAUDIT" run --config l/job.json --period 2026-03
expect_grep "  the summary line names the period with late data" "$OUT" \
	'^ATTENTION: period 2026-03, 1 export accepted, 0 rejected, 0 rollbacks, 0 alerts; LATE DATA in 2026-02 \(1 re-rendered\)'
expect_grep "  the log says February was re-rendered, and what it supersedes" "$ERR" \
	"late +re-rendered +2026-02: 2 entries with times in the period stored after its last analysis; 4 files and a signed MANIFEST in l/reports/2026-02, superseding the MANIFEST of SHA-256 $old"
expect_grep "  and alerts naming it" "$ERR" 'late +alert +late data in 1 earlier period with a report folder: 2026-02; 1 re-rendered'
expect_json "February's folder now counts the backdated rollback" l/reports/2026-02/analysis-2026-02.json \
	'd["analysis"]["rollbacks_executed"]' 2
expect_json "  its pack names the MANIFEST it supersedes" l/reports/2026-02/analysis-2026-02.json \
	'd["attestation"]["supersedes"]["manifest_sha256"]' "$old"
expect_json "  and why" l/reports/2026-02/analysis-2026-02.json \
	'd["attestation"]["supersedes"]["reason"].split(";")[0]' \
	"late data: 2 entries with times in 2026-02 stored after the analysis of the pack it replaces (ledger size 8 then)"
expect_json "  it lists the warnings of the backdated entries" l/reports/2026-02/analysis-2026-02.json \
	'sorted({(w["code"], w["seq"]) for w in d["attestation"]["warnings"]})' '[["W_TIME_BACKWARDS", 9], ["W_TIME_BACKWARDS", 10]]'
expect_exit 0 "  the new folder verifies" -- "$RBAUDIT" verify-report l/reports/2026-02 --keys trust.json
pdftext l/reports/2026-02/auditor-pack-2026-02.pdf aud-l02.txt
expect_grep -F "  the auditor pack names the superseded MANIFEST" aud-l02.txt "This pack supersedes the report folder whose MANIFEST has SHA-256 $old"
expect_grep -F "  and the warning" aud-l02.txt "W_TIME_BACKWARDS"
pdftext l/reports/2026-02/governance-2026-02.pdf gov-l02.txt
expect_grep -F "  so does the governance cover" gov-l02.txt "This pack supersedes the report folder whose MANIFEST has SHA-256 $old"
expect_same "January, without late data, is left as it was" jan.manifest l/reports/2026-01/MANIFEST
expect_json "March's pack holds none of February's warnings" l/reports/2026-03/analysis-2026-03.json \
	'd["attestation"]["warnings"]' '[]'
expect_exit 0 "a second run of March, nothing new, exits 0" -- "$RBAUDIT" run --config l/job.json --period 2026-03
expect_no_grep "  and re-renders nothing" "$ERR" 'late '

# --- each export where it is now and where it came from -------------------------------
expect_json "the attestation lists each export's inbox path and archive path" l/reports/2026-03/analysis-2026-03.json \
	'[[x["path"], x["archived_path"]] for x in d["attestation"]["ingests"]]' \
	'[["l/inbox/2026-01", "l/archive/2026-01"], ["l/inbox/2026-02", "l/archive/2026-02"], ["l/inbox/2026-03", "l/archive/2026-03"]]'
expect_eq "  as the database does" "l/archive/2026-01 l/archive/2026-02 l/archive/2026-03" \
	"$(sqlite3 l/audit.db "SELECT group_concat(archived_path, ' ') FROM (SELECT archived_path FROM ingest_export ORDER BY id)")"
expect_grep -F "  the auditor pack shows both" aud-l02.txt "l/archive/2026-03 (from l/inbox/2026-03)"

done_testing
