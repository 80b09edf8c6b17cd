# t_job.sh - focus: the job's safety rules (retention by period, only what rbaudit wrote; folders that may not overlap; a dry run that checks and creates nothing; exports still being written wait; seal writes READY).
. "$ROOT/tests/cli/lib.sh"

E=s/exports/rollback-ledger
"$RBAUDIT" sample --out s >/dev/null
make_key reports keys --roles report || fail "setup: keygen reports" "$(_snip "$_LIB_DIR/keygen.err")"
make_key other keys --roles report || fail "setup: keygen other" "$(_snip "$_LIB_DIR/keygen.err")"
cp s/keys.json trust.json
"$RBAUDIT" keys add keys/reports.pub.json --keys trust.json >/dev/null
# Two databases made once: every month stored, and May to August only.
"$RBAUDIT" ingest --db full.db --keys trust.json $E/2026-0[5-9] $E/2026-10 >/dev/null
"$RBAUDIT" ingest --db part.db --keys trust.json $E/2026-0[5-8] >/dev/null

# mkjob DIR DB [EXTRA MEMBERS]: a job folder over a copy of database DB.
mkjob() {
	mkdir -p "$1"
	cp "$2" "$1/audit.db"
	cp trust.json "$1/trust.json"
	cp -r keys "$1/keys"
	cat > "$1/job.json" <<EOJ
{"database": "audit.db", "trust_store": "trust.json",
 "inbox": "inbox", "archive": "archive", "quarantine": "quarantine",
 "output": "reports/{period}", "templates": ["analysis-json"],
 "report_key": "keys/reports.pem", "alert_level": "none", "alert_findings": []$3}
EOJ
}
folders() { ls "$1" | tr '\n' ' ' | sed 's/ $//'; }

# --- retention --------------------------------------------------------------
mkjob r1 full.db ', "retention": 1'
"$RBAUDIT" run --config r1/job.json --period 2026-10 >/dev/null 2>&1
mv r1/reports/2026-10 r1/reports/2026-11
cp -r r1/reports/2026-11 r1/reports/2026-Q1
expect_exit 0 "retention 1: a run of 2026-06 beside 2026-11 and 2026-Q1 exits 0" -- \
	"$RBAUDIT" run --config r1/job.json --period 2026-06
expect_eq "it keeps the month just run and the newest by period (2026-11), not by name (2026-Q1)" \
	"2026-06 2026-11" "$(folders r1/reports)"
expect_grep "the log says what it keeps" "$ERR" 'retention +kept +2 of 3 report folders .*: 2026-11, 2026-06'
expect_grep "and each folder it removes" "$ERR" 'retention +removed +r1/reports/2026-Q1$'

mkjob r2 full.db ', "retention": 2'
"$RBAUDIT" run --config r2/job.json --period 2026-09 >/dev/null 2>&1
cp -r r2/reports/2026-09 r2/reports/2026-Q3
cp -r r2/reports/2026-09 r2/reports/2026
expect_exit 0 "retention 2: a run of 2026-05 beside 2026, 2026-09 and 2026-Q3 exits 0" -- \
	"$RBAUDIT" run --config r2/job.json --period 2026-05
expect_eq "ranked by the end of the period (2026 first), then its start (2026-09 before 2026-Q3)" \
	"2026 2026-05 2026-09" "$(folders r2/reports)"

mkjob r3 full.db ', "retention": 1'
sed -i 's|"reports/{period}"|"reports/{period}/pack"|' r3/job.json
expect_exit 0 "output reports/{period}/pack: a first run exits 0" -- \
	"$RBAUDIT" run --config r3/job.json --period 2026-09
expect_file "  and writes reports/2026-09/pack" r3/reports/2026-09/pack/MANIFEST
cp -r r3/reports/2026-09 r3/reports/2026-08
echo "a note" > r3/reports/2026-08/notes.txt
expect_exit 0 "  a second run, of 2026-10, exits 0" -- "$RBAUDIT" run --config r3/job.json --period 2026-10
expect_no_file "  retention removes the older period's folder whole (pack, then the empty 2026-09)" r3/reports/2026-09
expect_no_file "  and 2026-08/pack" r3/reports/2026-08/pack
expect_file "  but not 2026-08, which holds something else" r3/reports/2026-08/notes.txt
expect_file "  and keeps the new one" r3/reports/2026-10/pack/MANIFEST

mkjob r4 full.db ', "retention": 1'
"$RBAUDIT" run --config r4/job.json --period 2026-10 >/dev/null 2>&1
cp -r r4/reports/2026-10 r4/reports/2026-05
echo "not listed" > r4/reports/2026-05/extra.txt
mkdir r4/reports/2026-06 && echo "mine" > r4/reports/2026-06/notes.txt
expect_exit 0 "retention beside folders rbaudit did not write (or not as they are) exits 0" -- \
	"$RBAUDIT" run --config r4/job.json --period 2026-09
expect_file "a report folder holding a file its MANIFEST does not list is left" r4/reports/2026-05/extra.txt
expect_grep "  and the log says it is skipped" "$ERR" 'retention +skipped +r4/reports/2026-05: not removed'
expect_file "a folder named like a period without a MANIFEST is left" r4/reports/2026-06/notes.txt

# --- the job file as a whole ------------------------------------------------
mkdir -p cfg/quarantine cfg/inbox
ln -s quarantine cfg/qlink
ln -s inbox cfg/ilink
layout() { # NAME OUTPUT INBOX ARCHIVE QUARANTINE MEMBER-RE
	printf '{"database":"a.db","trust_store":"t.json","inbox":"%s","archive":"%s","quarantine":"%s","output":"%s","templates":["x"]}' \
		"$3" "$4" "$5" "$2" > cfg/job.json
	expect_exit 78 "$1 exits 78" -- "$RBAUDIT" run --config cfg/job.json --dry-run
	expect_grep "  naming the members" "$ERR" "job 'cfg/job.json': members $6"
}
layout "an output inside the inbox" "inbox/{period}" inbox archive quarantine '"output" and "inbox": "output" is inside "inbox"'
layout "an output inside the archive, through ./../" "./archive/../archive/x/{period}" inbox archive quarantine '"output" and "archive"'
layout "an output inside the quarantine, through a symlink" "qlink/{period}" inbox archive quarantine '"output" and "quarantine"'
layout "an archive that is the inbox" "r/{period}" inbox ./inbox// quarantine '"inbox" and "archive": they are the same folder'
layout "an archive that is the inbox through a symlink" "r/{period}" inbox ilink quarantine '"inbox" and "archive": they are the same folder'
layout "a quarantine inside the inbox" "r/{period}" inbox archive inbox/q '"inbox" and "quarantine": "quarantine" is inside "inbox"'
layout "an inbox inside the archive" "r/{period}" store/inbox store quarantine '"inbox" and "archive": "inbox" is inside "archive"'
for o in "r/{period}/{period}" "r/x{period}" "r/{period}x"; do
	printf '{"database":"a.db","trust_store":"t.json","inbox":"i","output":"%s","templates":["x"]}' "$o" > cfg/p.json
	expect_exit 78 "output $o exits 78" -- "$RBAUDIT" run --config cfg/p.json --dry-run
	expect_grep "  naming the member" "$ERR" 'member "output" must hold \{period\} (once|as a whole path part)'
done
mkfifo cfg/fifo.json
expect_exit 66 "a FIFO as job file fails at once (66), never waits for a writer" -- \
	timeout 10 "$RBAUDIT" run --config cfg/fifo.json --dry-run
expect_exit 66 "a folder as job file exits 66" -- "$RBAUDIT" run --config cfg --dry-run

# --- the dry run --------------------------------------------------------------
mkjob d1 part.db
rm d1/audit.db
expect_exit 0 "a dry run of a job never run exits 0" -- "$RBAUDIT" run --config d1/job.json --period 2026-08 --dry-run
expect_no_file "  and creates no lock file" d1/audit.db.lock
expect_no_file "  no inbox" d1/inbox
expect_no_file "  no database" d1/audit.db
sed 's|"archive": "archive"|"archive": "job.json/archive"|' d1/job.json > d1/unwritable.json
expect_exit 73 "a dry run with an archive that cannot be created exits 73" -- \
	"$RBAUDIT" run --config d1/unwritable.json --period 2026-08 --dry-run
expect_grep "  naming the member" "$ERR" 'member "archive"'
sed 's|keys/reports.pem|keys/none.pem|' d1/job.json > d1/nokey.json
expect_exit 66 "a dry run with a missing report key exits 66" -- \
	"$RBAUDIT" run --config d1/nokey.json --period 2026-08 --dry-run
cp d1/keys/reports.pem d1/keys/open.pem && chmod 644 d1/keys/open.pem
sed 's|keys/reports.pem|keys/open.pem|' d1/job.json > d1/open.json
expect_exit 78 "a dry run with a report key of mode 0644 exits 78" -- \
	"$RBAUDIT" run --config d1/open.json --period 2026-08 --dry-run
sed 's|keys/reports.pem|keys/other.pem|' d1/job.json > d1/other.json
expect_exit 78 "a dry run with a report key not in the trust store exits 78" -- \
	"$RBAUDIT" run --config d1/other.json --period 2026-08 --dry-run
mkjob d2 part.db
mkdir d2/inbox && cp -r $E/2026-09 d2/inbox/2026-09
sed 's|keys/reports.pem|keys/open.pem|' d2/job.json > d2/open.json
cp d2/keys/reports.pem d2/keys/open.pem && chmod 644 d2/keys/open.pem
expect_exit 78 "a real run with a bad report key exits 78" -- "$RBAUDIT" run --config d2/open.json --period 2026-09
expect_file "  before any export moves" d2/inbox/2026-09/manifest.json
expect_eq "  or is stored" 4 "$(sqlite3 d2/audit.db 'SELECT count(*) FROM ingest_export')"
printf '{"template":"x","format":"xlsx","file":"x-{period}.xlsx","sections":[\n {"type":"sheet","sheet":"Summary"},\n {"type":"sheet","sheet":"Summary"}]}\n' > d2/twice.json
sed 's|"templates": \["analysis-json"\]|"templates": ["analysis-json", "./twice.json"]|' d2/job.json > d2/twice-job.json
expect_exit 78 "a real run with a template naming a sheet twice exits 78, no crash" -- \
	"$RBAUDIT" run --config d2/twice-job.json --period 2026-09
expect_grep "  naming the template and the line" "$ERR" "twice.json' line 3: member \"sheet\" names the sheet \"Summary\" a second time"
expect_file "  before any export moves" d2/inbox/2026-09/manifest.json
expect_eq "  or is stored" 4 "$(sqlite3 d2/audit.db 'SELECT count(*) FROM ingest_export')"
expect_no_file "  and no report folder is made" d2/reports

# --- exports still being written ----------------------------------------------
mkjob w1 part.db
mkdir w1/inbox
cp -r $E/2026-09 w1/inbox/2026-09 && rm w1/inbox/2026-09/READY
head -n 50 $E/2026-09/entries.jsonl > w1/inbox/2026-09/entries.jsonl
cp -r $E/2026-10 w1/inbox/2026-10
expect_exit 1 "an export being copied (no READY, changed just now) does not fail the run (exit 1: October's data is stale)" -- \
	"$RBAUDIT" run --config w1/job.json --period 2026-10
expect_grep "  the data that waits is missing from October, and the log says so" "$ERR" 'coverage +alert +stale data: the ledger.s newest entry is 2026-08-31T14:15:17Z' 
expect_grep "  it is logged as waiting, with why" "$ERR" 'inbox +waiting +w1/inbox/2026-09: no READY file, and .* changed [0-9]+ s ago'
expect_grep "  the complete export after it in the same ledger waits too" "$ERR" 'inbox +waiting +w1/inbox/2026-10: it follows'
expect_file "  both are left in the inbox" w1/inbox/2026-09/manifest.json
expect_no_file "  nothing is quarantined" w1/quarantine
cp $E/2026-09/entries.jsonl w1/inbox/2026-09/entries.jsonl && : > w1/inbox/2026-09/READY
expect_exit 0 "once the copy is done and READY is there, a later run exits 0" -- \
	"$RBAUDIT" run --config w1/job.json --period 2026-10
expect_grep "  and takes it" "$ERR" 'ingest +accepted +w1/inbox/2026-09'
expect_file "  READY moves along with the export" w1/archive/2026-09/READY
expect_eq "  both are stored" 6 "$(sqlite3 w1/audit.db 'SELECT count(*) FROM ingest_export')"
mkjob w2 part.db ', "settle_seconds": 0'
mkdir w2/inbox && cp -r $E/2026-09 w2/inbox/2026-09 && rm w2/inbox/2026-09/READY
expect_exit 0 "with settle_seconds 0 an export without READY is taken at once" -- \
	"$RBAUDIT" run --config w2/job.json --period 2026-09
expect_file "  and archived" w2/archive/2026-09/manifest.json
mkdir in3 && cp -r $E/2026-09 in3/2026-09 && rm in3/2026-09/READY
expect_exit 0 "ingest --inbox leaves an export without READY changed just now" -- \
	"$RBAUDIT" ingest --db w2/audit.db --keys trust.json --inbox in3 --archive arch3
expect_grep "  and says it is waiting" "$OUT" '^waiting +in3/2026-09: no READY file'
touch -d '10 minutes ago' in3/2026-09/* in3/2026-09
expect_exit 0 "  it is taken once unchanged for the settle time (default 300 s)" -- \
	"$RBAUDIT" ingest --db w2/audit.db --keys trust.json --inbox in3 --archive arch3
expect_file "  and archived" arch3/2026-09/manifest.json
expect_exit 64 "ingest --settle without --inbox exits 64" -- \
	"$RBAUDIT" ingest --db w2/audit.db --keys trust.json --settle 0 $E/2026-09
printf '{"database":"a.db","trust_store":"t.json","inbox":"i","output":"r/{period}","templates":["x"],"settle_seconds":86401}' > cfg/settle.json
expect_exit 78 "a settle_seconds over 86400 exits 78" -- "$RBAUDIT" run --config cfg/settle.json

make_key ledger k --roles entry,checkpoint || fail "setup: keygen ledger" "$(_snip "$_LIB_DIR/keygen.err")"
seal_quiet "$SAMPLES/events-2026-07.jsonl" sealed
expect_file "seal writes a READY file" sealed/READY
expect_eq "  empty, mode 0640" "0 640" "$(stat -c '%s %a' sealed/READY)"

# --- every run is recorded; a JSON log stays JSON --------------------------------
mkjob h1 full.db
runs() { sqlite3 h1/audit.db "SELECT group_concat(exit_code, ' ') FROM (SELECT exit_code FROM job_run ORDER BY id)"; }
expect_exit 0 "a first run exits 0" -- "$RBAUDIT" run --config h1/job.json --period 2026-09
expect_exit 0 "a second run with nothing new exits 0" -- "$RBAUDIT" run --config h1/job.json --period 2026-09
mkdir -p h1/reports/2026-10 && printf 'mine\n' > h1/reports/2026-10/notes.txt
expect_exit 73 "a run whose report folder holds a user's file exits 73" -- \
	"$RBAUDIT" run --config h1/job.json --period 2026-10
expect_eq "  the note is kept" "mine" "$(cat h1/reports/2026-10/notes.txt)"
expect_eq "job_run records all three runs, the failed one with its exit code" "0 0 73" "$(runs)"
expect_eq "  and the failed one's last step is the error" "fatal error" \
	"$(sqlite3 h1/audit.db "SELECT json_extract(steps, '\$[#-1].step') || ' ' || json_extract(steps, '\$[#-1].status') FROM job_run ORDER BY id DESC LIMIT 1")"
expect_exit 73 "the same failure with --log-format json exits 73" -- \
	"$RBAUDIT" run --config h1/job.json --period 2026-10 --log-format json
check "  every line of stderr is JSON, the error too" "$PY" -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]
assert lines and objs[-1]["step"] == "fatal" and objs[-1]["status"] == "error", objs[-1]
assert "notes.txt" in objs[-1]["detail"]' "$ERR"
printf '{"database": 1}' > h1/bad.json
expect_exit 78 "a bad job file with --log-format json exits 78" -- \
	"$RBAUDIT" run --config h1/bad.json --log-format json
check "  and its error is a JSON line" "$PY" -c '
import json, sys
o = json.loads(open(sys.argv[1]).read().splitlines()[-1]); assert o["step"] == "fatal", o' "$ERR"

# --- the alert line counts the two causes apart --------------------------------
mkjob a1 full.db
sed 's/"alert_level": "none", "alert_findings": \[\]/"alert_level": "high", "alert_findings": ["approvals-missing", "separation-of-duties"]/' \
	a1/job.json > a1/alerts.json
expect_exit 1 "a run with alerts exits 1" -- "$RBAUDIT" run --config a1/alerts.json --period 2026-10
"$RBAUDIT" analyze --db full.db --period 2026-10 --no-store --json > a1.json
want=$("$PY" - a1.json <<'EOP'
import json, sys
rs = json.load(open(sys.argv[1]))["rollbacks"]
lv = sum(r["level"] in ("high", "critical") for r in rs)
fd = sum(bool(set(r["findings"]) & {"approvals-missing", "separation-of-duties"}) for r in rs)
al = sum(r["level"] in ("high", "critical") or bool(set(r["findings"]) & {"approvals-missing", "separation-of-duties"}) for r in rs)
print("%d alert: %d at or above alert_level high, %d with an alert_findings finding" % (al, lv, fd))
EOP
)
expect_grep -F "the log counts threshold rollbacks and finding rollbacks apart" "$ERR" "$want"

# --- a run with nothing new is honest about the period -----------------------------
cp "$ERR" a1-first.err
expect_exit 1 "a second run with nothing new exits 1, as the first did: the month has alerts" -- \
	"$RBAUDIT" run --config a1/alerts.json --period 2026-10
expect_grep "  it says nothing is new" "$ERR" 'report +noop +nothing new since the last run'
expect_grep -F "  and still counts the month's alerts" "$ERR" "$want"
expect_grep "  its summary line shows the real figures" "$OUT" '^ATTENTION: period 2026-10, 0 exports accepted, 0 rejected, [1-9][0-9]* rollbacks?, [1-9][0-9]* alerts? \(nothing new\)'
rm a1/reports/2026-10/analysis-2026-10.json
expect_exit 1 "a run after a report file was deleted" -- "$RBAUDIT" run --config a1/alerts.json --period 2026-10
expect_grep "  renders the period again" "$ERR" 'report +ok +1 file and a signed MANIFEST'
expect_exit 0 "  and the folder verifies again" -- "$RBAUDIT" verify-report a1/reports/2026-10 --keys a1/trust.json
"$RBAUDIT" report --db a1/audit.db --period 2026-10 --template analysis-json --out a1/reports/2026-10 \
	--allow-unsigned >/dev/null
expect_exit 1 "a run over an unsigned MANIFEST" -- "$RBAUDIT" run --config a1/alerts.json --period 2026-10
expect_grep "  renders and signs again" "$ERR" 'report +ok +1 file and a signed MANIFEST'
expect_exit 0 "  and the folder verifies" -- "$RBAUDIT" verify-report a1/reports/2026-10 --keys a1/trust.json

done_testing
