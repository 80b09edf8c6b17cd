# t_run.sh - focus: `rbaudit run`, the scheduled job, end to end as a
# scheduler runs it: sample -> inbox -> run -> reports present, manifest
# verifies, database holds the month; a second run is a no-op; a tampered
# export dropped into the inbox lands in quarantine, the run exits with the
# "rejected" code and the other exports still go in; each exit code.
. "$ROOT/tests/cli/lib.sh"

"$RBAUDIT" sample --out s >/dev/null
"$RBAUDIT" keygen --name reports --out keys --roles report --valid-from 2026-01-01T00:00:00Z >/dev/null 2>&1
cp s/keys.json trust.json
"$RBAUDIT" keys add keys/reports.pub.json --keys trust.json >/dev/null
mkdir -p job/inbox
for m in 2026-05 2026-06 2026-07 2026-08 2026-09; do
	cp -r s/exports/rollback-ledger/$m job/inbox/$m
done
cp trust.json job/trust.json
cp -r keys job/keys
cat > job/job.json <<'EOJ'
{"database": "audit.db", "trust_store": "trust.json",
 "inbox": "inbox", "archive": "archive", "quarantine": "quarantine",
 "output": "reports/{period}",
 "templates": ["governance-monthly", "auditor-pack", "engineering-metrics", "analysis-json"],
 "report_key": "keys/reports.pem", "retention": 2,
 "alert_level": "none", "alert_findings": []}
EOJ

expect_exit 0 "run --help exits 0" -- "$RBAUDIT" run --help
expect_grep "run --help documents the exit codes" "$OUT" '^  2 +an export was rejected'
expect_exit 0 "the first run, no alerts configured, exits 0" -- "$RBAUDIT" run --config job/job.json --period 2026-09
expect_grep "it logs one line per step on stderr" "$ERR" 'rbaudit run: ingest +accepted'
expect_grep "and the report step" "$ERR" 'rbaudit run: report +ok'
for f in governance-2026-09.pdf auditor-pack-2026-09.pdf engineering-metrics-2026-09.xlsx analysis-2026-09.json MANIFEST; do
	expect_file "the reports hold $f" "job/reports/2026-09/$f"
done
cp "$ERR" run1.stderr
cp "$OUT" run1.stdout
sqlite3 job/audit.db .dump > run1.dump
# No secret anywhere: the report key's private bytes (raw, hex, base64, the
# PEM body) in no log line, no report (text of the PDFs, cells of the
# workbook, JSON, MANIFEST) and nowhere in the database.
cat > nosecret.py <<'EOP'
import base64, binascii, os, subprocess, sys, zipfile
from cryptography.hazmat.primitives import serialization
pem = open(sys.argv[1], "rb").read()
key = serialization.load_pem_private_key(pem, None)
raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                        serialization.NoEncryption())
body = b"".join(l for l in pem.splitlines() if not l.startswith(b"-----"))
needles = [raw, binascii.hexlify(raw), base64.b64encode(raw).rstrip(b"="),
           base64.urlsafe_b64encode(raw).rstrip(b"="), body[:40], b"PRIVATE KEY"]
texts = {}
for a in sys.argv[2:]:
    paths = [a] if os.path.isfile(a) else sorted(os.path.join(d, f) for d, _, fs in os.walk(a)
                                                 for f in fs)
    for p in paths:
        data = open(p, "rb").read()
        texts[p] = data
        if p.endswith(".pdf"):
            texts[p + " (text)"] = subprocess.run(["pdftotext", p, "-"], capture_output=True).stdout
        if p.endswith(".xlsx"):
            with zipfile.ZipFile(p) as z:
                texts[p + " (cells)"] = b"".join(z.read(n) for n in z.namelist())
if len(texts) < 8:
    print("WHY: only %d files read" % len(texts)); sys.exit(1)
for name, data in texts.items():
    for n in needles:
        if n in data:
            print("WHY: %s holds private key material" % name); sys.exit(1)
EOP
check "no private key material in the logs, the reports or the database" "$PY" nosecret.py \
	job/keys/reports.pem run1.stderr run1.stdout run1.dump job/reports/2026-09
expect_exit 0 "the manifest verifies" -- "$RBAUDIT" verify-report job/reports/2026-09 --keys trust.json
expect_eq "the database holds the five months" 5 "$(sqlite3 job/audit.db 'SELECT count(*) FROM ingest_export')"
expect_eq "and an analysis of the month" 1 "$(sqlite3 job/audit.db "SELECT count(*) FROM analysis WHERE period = '2026-09'")"
expect_eq "the run is recorded" 1 "$(sqlite3 job/audit.db 'SELECT count(*) FROM job_run')"
expect_eq "the inbox is empty" "" "$(ls job/inbox)"
expect_eq "the exports are archived" 5 "$(ls job/archive | wc -l)"

sqlite3 job/audit.db .dump > before.sql
cp job/reports/2026-09/MANIFEST manifest.before
expect_exit 0 "a second run with nothing new exits 0" -- "$RBAUDIT" run --config job/job.json --period 2026-09
expect_grep "and says nothing is new" "$ERR" 'nothing new since the last run'
sqlite3 job/audit.db .dump > after.sql
grep -v '^INSERT INTO job_run' before.sql > before-data.sql
grep -v '^INSERT INTO job_run' after.sql > after-data.sql
expect_same "a second run changes nothing in the database but the record of runs" \
	before-data.sql after-data.sql
expect_eq "  and records itself in job_run" 1 \
	"$(( $(grep -c '^INSERT INTO job_run' after.sql) - $(grep -c '^INSERT INTO job_run' before.sql) ))"
expect_same "nor the reports" manifest.before job/reports/2026-09/MANIFEST

# New exports: one good (October) and one tampered copy of it under another name.
cp -r s/exports/rollback-ledger/2026-10 job/inbox/2026-10
flip_payload s/exports/rollback-ledger/2026-10 job/inbox/zz-tampered 7
expect_exit 2 "a tampered export makes the run exit 2 (rejected)" -- "$RBAUDIT" run --config job/job.json --period 2026-10
expect_grep "the log names the rejected export and its error" "$ERR" 'ingest +rejected .*zz-tampered.*E_SIG'
expect_file "the tampered export is in quarantine" job/quarantine/zz-tampered/REJECTED.json
expect_file "the good one is archived" job/archive/2026-10/manifest.json
expect_eq "and stored" 6 "$(sqlite3 job/audit.db 'SELECT count(*) FROM ingest_export')"
expect_file "the month's reports are written" job/reports/2026-10/MANIFEST
expect_exit 0 "a re-analysed earlier month" -- "$RBAUDIT" run --config job/job.json --period 2026-08
expect_eq "retention keeps the newest two report folders, and the month just run" \
	"2026-08 2026-09 2026-10" "$(ls job/reports | tr '\n' ' ' | sed 's/ $//')"

# Alerts: exit 1 when a rollback reaches the threshold.
sed 's/"alert_level": "none", "alert_findings": \[\]/"alert_level": "low"/' job/job.json > job/alert.json
expect_exit 1 "findings at the alert threshold exit 1" -- "$RBAUDIT" run --config job/alert.json --period 2026-07
expect_grep "and say so" "$OUT" '^ATTENTION'
expect_exit 0 "--log-format json logs JSON lines" -- "$RBAUDIT" run --config job/job.json --period 2026-07 --log-format json
check "every log line is a JSON object with step and status" "$PY" -c '
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines
for l in lines:
    d = json.loads(l)
    assert "step" in d and "status" in d and "time" in d
' "$ERR"
expect_exit 0 "--dry-run writes nothing" -- "$RBAUDIT" run --config job/job.json --period 2026-06 --dry-run
expect_no_file "no report folder for the dry run" job/reports/2026-06

# Configuration errors: 78, naming the member.
printf '{"database":"a.db","trust_store":"t.json","inbox":"i","output":"r/{period}","templates":["x"],"colour":1}' > bad1.json
expect_exit 78 "an unknown member exits 78" -- "$RBAUDIT" run --config bad1.json
expect_grep "naming it" "$ERR" 'member "colour"'
printf '{\n"database":"a.db",\n"trust_store":"t.json",\n"inbox":"i",\n"output":"reports",\n"templates":["x"]}' > bad2.json
expect_exit 78 "an output without {period} exits 78" -- "$RBAUDIT" run --config bad2.json
expect_grep "naming the line" "$ERR" 'line 5: member "output"'
printf '{"database":"a.db","trust_store":"t.json","inbox":"i","output":"r/{period}","templates":["x"],"retention":-1}' > bad3.json
expect_exit 78 "a negative retention exits 78" -- "$RBAUDIT" run --config bad3.json
printf '{"trust_store":"t.json","inbox":"i","output":"r/{period}","templates":["x"]}' > bad4.json
expect_exit 78 "a missing database member exits 78" -- "$RBAUDIT" run --config bad4.json
expect_exit 64 "a run without --config exits 64" -- "$RBAUDIT" run

# Temporary failure: another run holds the lock.
"$PY" -c '
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(4)
' job/audit.db.lock locked.flag &
holder=$!
i=0
while [ ! -f locked.flag ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
expect_exit 75 "a second run while one holds the lock exits 75" -- "$RBAUDIT" run --config job/job.json --period 2026-10
expect_grep "with a clear message" "$ERR" 'another rbaudit run holds'
wait $holder

# The database deleted (or replaced by an older copy): the next run notices
# from the last signed pack, whose MANIFEST names the tree it was made from,
# before anything moves; ingesting the archive restores it.
# 2026-09 was reported after its export was ingested: the tree up to its last seq.
size=$("$PY" -c 'import json; print(json.load(open("s/exports/rollback-ledger/2026-09/manifest.json"))["last_seq"] + 1)')
expect_grep "the MANIFEST names the ledger's size it was made from" job/reports/2026-09/MANIFEST \
	"^tree $size [A-Za-z0-9+/=]{44}\$"
# The newest signed pack is 2026-10's: the run holds the database against it.
size=$(sed -n 's/^tree \([0-9]*\) .*/\1/p' job/reports/2026-10/MANIFEST)
mv job/audit.db gone.db
rm -f job/audit.db-wal job/audit.db-shm
expect_exit 1 "a run after the database was deleted exits 1" -- \
	"$RBAUDIT" run --config job/job.json --period 2026-09
expect_grep "  it says the database is behind the signed pack" "$ERR" \
	"holds 0 entries of acme.example/rollback-ledger, but the signed pack in 'job/reports/2026-10' was made from $size"
expect_grep "  and how to restore it" "$ERR" "ingest the archived exports again"
cp gone.db old.db
sqlite3 old.db "DELETE FROM entry WHERE seq >= $((size - 10)); UPDATE ledger SET size = $((size - 10))" >/dev/null
cp old.db job/audit.db
expect_exit 1 "a run on an older copy of the database exits 1" -- \
	"$RBAUDIT" run --config job/job.json --period 2026-09
expect_grep "  naming both sizes" "$ERR" "holds $((size - 10)) entries of .*made from $size"
rm -f job/audit.db job/audit.db-wal job/audit.db-shm
(cd job && "$RBAUDIT" ingest --db audit.db --keys trust.json archive/* >/dev/null)
expect_exit 0 "after ingesting the archive, the run exits 0" -- \
	"$RBAUDIT" run --config job/job.json --period 2026-09

done_testing
