# t_notify.sh - focus: alerts that say what (#22): the run's summary names
# each alerting rollback with its level and findings and each rejected
# export with its folder and error; it is printed by `run --json`, recorded
# in job_run and given as JSON on the standard input of the job file's
# notify_command, which runs without a shell (its argv elements reach it
# as written) and whose failure, absence or hanging (killed after
# notify_timeout) never changes the run's exit code.  The alerting
# rollbacks are worked out below from the events sealed here: those with
# no rollback.approved (approvals-missing, the one finding that alerts).
# The contrib examples (mail through sendmail -t, a webhook through curl)
# are run against stubs; and the job's tz and fiscal_start give the
# period's bounds (July in Berlin, FY2027 from April), worked out by hand.
. "$ROOT/tests/cli/lib.sh"

make_key ledger k --roles entry,checkpoint || fail "setup: keygen ledger" "$(_snip "$_LIB_DIR/keygen.err")"
make_key reports keys --roles report || fail "setup: keygen reports" "$(_snip "$_LIB_DIR/keygen.err")"
"$RBAUDIT" keys add k/ledger.pub.json keys/reports.pub.json --keys trust.json >/dev/null ||
	fail "setup: keys add" "keys add failed"
export RBAUDIT_TEMPLATES="$ROOT/templates"

# events (lib.sh): every event EV_ENV=production
EV_ENV=production
events july.jsonl deploy=2026-07-02T09:00:00Z,CHG-1 deploy=2026-07-03T09:00:00Z,CHG-2 \
	deploy=2026-07-04T09:00:00Z,CHG-3 deploy=2026-07-05T09:00:00Z,CHG-4 \
	rb=2026-07-06T10:00:00Z,2026-07-06T12:00:00Z,RB-0001,CHG-1,2026-07-06T11:00:00Z \
	rb=2026-07-07T10:00:00Z,2026-07-07T12:00:00Z,RB-0002,CHG-2 \
	rb=2026-07-08T10:00:00Z,2026-07-08T12:00:00Z,RB-0003,CHG-3 \
	rb=2026-07-09T10:00:00Z,2026-07-09T12:00:00Z,RB-0004,CHG-4,2026-07-09T11:00:00Z \
	deploy=2026-07-31T20:00:00Z,CHG-5
# The expected alerting rollbacks: requested, executed, never approved.
want=$("$PY" -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
req = {e["data"]["rollback_id"] for e in ev if e["event"] == "rollback.requested"}
ok = {e["data"]["rollback_id"] for e in ev if e["event"] == "rollback.approved"}
print(" ".join(sorted(req - ok)))' july.jsonl)
expect_eq "setup: the events leave two rollbacks unapproved" "RB-0002 RB-0003" "$want"

mkdir -p job/inbox
cp trust.json job/trust.json
seal_quiet july.jsonl job/inbox/july --state state.json || fail "setup: seal" "$(_snip "$_LIB_DIR/seal.err")"
cat > rec.py <<'EOP'
import json, sys
data = sys.stdin.read()
json.dump({"argv": sys.argv[2:], "stdin": data}, open(sys.argv[1], "w"))
print("recorded %d bytes" % len(data))
EOP
# mkjob NAME NOTIFY [EXTRA MEMBERS]: job/NAME.json over job/'s folders.
mkjob() {
	cat > "job/$1.json" <<EOJ
{"database": "audit.db", "trust_store": "trust.json",
 "inbox": "inbox", "archive": "archive", "quarantine": "quarantine",
 "output": "reports/{period}", "templates": ["analysis-json"],
 "report_key": "../keys/reports.pem", "alert_level": "none",
 "alert_findings": ["approvals-missing"]$2$3}
EOJ
}
mkjob plain ''
mkjob rec ", \"notify_command\": [\"$PY\", \"$PWD/rec.py\", \"$PWD/got.json\", \"a; touch $PWD/pwned\", \"\$(touch $PWD/pwned2)\", \"two words\", \"\`id\`\"]"

expect_exit 1 "a run whose rollbacks alert exits 1, notify_command or not" -- \
	"$RBAUDIT" run --config job/rec.json --period 2026-07
cp "$ERR" rec.err
expect_file "  the notify_command ran" got.json
json_get got.json 'd["stdin"]' > summary.json
expect_json "  its standard input is the summary, naming the alerting rollbacks" summary.json \
	'" ".join(sorted(r["rollback_id"] for r in d["alerting"]))' "$want"
check "  each with its level, findings and why it alerts" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["alerting"]:
    assert r["level"] in ("low", "medium", "high", "critical"), r
    assert "approvals-missing" in r["findings"], r
    assert r["alerts_for"] == ["approvals-missing"], r
assert d["summary"] == "rbaudit-run-summary-v1" and d["period"] == "2026-07"
assert d["exit_code"] == 1 and d["status"] == "attention" and d["error"] is None
assert d["alerts"] == 2 and d["rollbacks"] == 4 and d["rejected_exports"] == []
' summary.json
expect_json "  the argv reached it as written: no shell split or expanded it" got.json 'd["argv"]' \
	"[\"a; touch $PWD/pwned\", \"\$(touch $PWD/pwned2)\", \"two words\", \"\`id\`\"]"
expect_no_file "  nothing after ';' ran" pwned
expect_no_file "  nor any \$(...)" pwned2
expect_grep "  its output is logged as the run's" rec.err 'notify +output +recorded [0-9]+ bytes'
expect_grep "  and that it exited 0" rec.err "notify +ok +'$PY' exited 0"
check "  job_run records the summary with the run" "$PY" -c '
import json, sqlite3, sys
steps = json.loads(sqlite3.connect(sys.argv[1]).execute(
    "SELECT steps FROM job_run ORDER BY id DESC LIMIT 1").fetchone()[0])
s = [x["summary"] for x in steps if x["step"] == "summary"]
assert len(s) == 1, steps
assert sorted(r["rollback_id"] for r in s[0]["alerting"]) == sys.argv[2].split(), s
' job/audit.db "$want"

expect_exit 1 "run --json (nothing new) exits 1 as well" -- \
	"$RBAUDIT" run --config job/plain.json --period 2026-07 --json
expect_json "  and prints the summary, naming the same rollbacks" "$OUT" \
	'" ".join(sorted(r["rollback_id"] for r in d["alerting"]))' "$want"
expect_json "  its ledger's figures: 4 rollbacks, 5 deployments" "$OUT" \
	'[d["ledgers"][0]["figures"]["rollbacks_executed"], d["ledgers"][0]["figures"]["deployments"]]' \
	'[4, 5]'

# A notify_command that fails, is missing or hangs: the exit code stays 1.
mkjob false ', "notify_command": ["false"]'
expect_exit 1 "a notify_command that exits 1 leaves the run's exit code 1" -- \
	"$RBAUDIT" run --config job/false.json --period 2026-07
expect_grep "  the failure is logged" "$ERR" "notify +error +notify_command failed: 'false' exited 1 \(the run's exit code stays 1\)"
mkjob missing ', "notify_command": ["/nonexistent/notify", "x"]'
expect_exit 1 "a notify_command that does not exist leaves it 1" -- \
	"$RBAUDIT" run --config job/missing.json --period 2026-07
expect_grep "  and says it cannot be run" "$ERR" "notify +error +notify_command failed: cannot run '/nonexistent/notify': No such file"
mkjob hang ', "notify_command": ["sleep", "30"], "notify_timeout": 1'
t0=$(date +%s)
expect_exit 1 "a notify_command that hangs is killed after notify_timeout; exit code 1" -- \
	"$RBAUDIT" run --config job/hang.json --period 2026-07
t1=$(date +%s)
expect_grep "  the log says it was killed" "$ERR" "notify +error +notify_command failed: 'sleep' did not finish within 1 s \(notify_timeout\): killed"
check "  the run did not wait for it (well under its 30 s)" test $((t1 - t0)) -lt 20
mkjob noread ', "notify_command": ["true"]'
expect_exit 1 "a notify_command that reads nothing of its input: exit code 1" -- \
	"$RBAUDIT" run --config job/noread.json --period 2026-07
expect_no_grep "  and no failure" "$ERR" 'notify +error'

# No alert: no notify.
rm -f got.json
sed 's/"alert_findings": \["approvals-missing"\]/"alert_findings": []/' job/rec.json > job/quiet.json
expect_exit 0 "a run with nothing that alerts exits 0" -- "$RBAUDIT" run --config job/quiet.json --period 2026-07
expect_no_file "  and runs no notify_command" got.json

# A rejected export: exit 2, and the summary names its folder and error.
flip_payload job/archive/july job/inbox/zz-tampered 3 >/dev/null
expect_exit 2 "a rejected export exits 2 with a notify_command" -- \
	"$RBAUDIT" run --config job/rec.json --period 2026-07
json_get got.json 'd["stdin"]' > summary2.json
expect_json "  the summary names the rejected export's folder" summary2.json \
	'[x["path"].rsplit("/", 1)[-1] for x in d["rejected_exports"]]' '["zz-tampered"]'
expect_json "  where it is now, and its error code" summary2.json \
	'[x["quarantined_path"].endswith("quarantine/zz-tampered") and len(x["code"]) > 0 and len(x["reason"]) > 0 for x in d["rejected_exports"]]' \
	'[true]'
expect_json "  and the run's status" summary2.json '[d["exit_code"], d["status"]]' '[2, "rejected"]'

# The mail example turns the summary into a mail for sendmail -t.
cat > sendmail.sh <<'EOS'
#!/bin/sh
cat > "$MAILOUT"
EOS
chmod +x sendmail.sh
SENDMAIL="$PWD/sendmail.sh" MAILOUT="$PWD/mail.txt" sh "$ROOT/contrib/notify-mail.sh" \
	audit@example.org rbaudit@example.org < summary.json > mail.log 2>&1
expect_eq "contrib/notify-mail.sh exits 0" 0 "$?"
expect_grep "  the mail goes to the address given" mail.txt '^To: audit@example.org$'
expect_grep "  its subject says the period and the alerts" mail.txt \
	'^Subject: rbaudit 2026-07: attention, 2 alerting rollbacks, 0 rejected exports$'
expect_grep "  its body names each alerting rollback and why" mail.txt \
	'^rollback RB-0002: level [a-z]+, findings .*approvals-missing.* \(alerts for approvals-missing\)$'

# The webhook example hands the summary, as it came, to curl --data-binary @-.
mkdir -p stub
cat > stub/curl <<'EOS'
#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done > "$CURLOUT.args"
cat > "$CURLOUT.body"
EOS
chmod +x stub/curl
PATH="$PWD/stub:$PATH" CURLOUT="$PWD/curl" sh "$ROOT/contrib/notify-webhook.sh" \
	https://hooks.example.org/rbaudit < summary.json > hook.log 2>&1
expect_eq "contrib/notify-webhook.sh exits 0" 0 "$?"
expect_same "  curl reads the summary, unchanged, on its standard input" summary.json curl.body
expect_grep -F "  as --data-binary @-" curl.args '@-'
expect_grep -F "  with a JSON content type" curl.args 'Content-Type: application/json'
expect_grep "  to the URL given, as one argument" curl.args '^https://hooks\.example\.org/rbaudit$'

# How the job counts periods: its tz and fiscal_start (lib/period.h).  July
# in Berlin is summer time, UTC+2: it runs from 30 June 22:00 UTC.
mkjob berlin ', "tz": "Europe/Berlin"'
expect_exit 1 "a job in Europe/Berlin runs July (exit 1: its alerts)" -- \
	"$RBAUDIT" run --config job/berlin.json --period 2026-07 --json
expect_json "  the summary gives July's bounds in Berlin" "$OUT" '[d["tz"], d["start"], d["end"]]' \
	'["Europe/Berlin", "2026-06-30T22:00:00Z", "2026-07-31T22:00:00Z"]'
expect_no_grep "  the UTC reports of July are not taken as current for Berlin's July" "$ERR" \
	'report +noop'
expect_grep "  it analyses the period again (its 4 rollbacks)" "$ERR" 'analyze +ok +4 rollbacks in 2026-07'
mkjob fiscal ', "fiscal_start": 4'
expect_exit 1 "a job with fiscal years from April runs FY2027 (exit 1: not over, stale)" -- \
	"$RBAUDIT" run --config job/fiscal.json --period FY2027 --json
expect_json "  FY2027 is April 2026 to March 2027" "$OUT" '[d["period"], d["start"], d["end"]]' \
	'["FY2027", "2026-04-01T00:00:00Z", "2027-04-01T00:00:00Z"]'

done_testing
