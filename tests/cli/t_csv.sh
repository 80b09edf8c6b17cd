# t_csv.sh - focus: the rollbacks-csv and findings-csv templates (issue #22,
# point 4), read back with Python's csv module: RFC 4180 (CRLF after every
# record, quoted fields, doubled quotes), UTF-8 without a byte order mark, a
# header row, one row per rollback or finding in the analysis's order with
# every figure the JSON report of the same run has for it (compared member
# by member); texts that would be formulas written with a leading
# apostrophe, worked out by hand on a ledger of our own; both files listed in
# the signed MANIFEST; bad CSV templates refused naming the line and member.
. "$ROOT/tests/cli/lib.sh"

# The sample organisation, analysed for 2026-10.
expect_exit 0 "the sample is written" -- "$RBAUDIT" sample --out s
expect_exit 0 "the sample is ingested" -- "$RBAUDIT" ingest --db a.db --keys s/keys.json \
	s/exports/rollback-ledger/2026-05 s/exports/rollback-ledger/2026-06 \
	s/exports/rollback-ledger/2026-07 s/exports/rollback-ledger/2026-08 \
	s/exports/rollback-ledger/2026-09 s/exports/rollback-ledger/2026-10
expect_exit 0 "the period is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-10 \
	--sample 10 --sample-seed 3
"$RBAUDIT" keygen --name reports --out rk --roles report >/dev/null 2>&1
cp s/keys.json trust.json
"$RBAUDIT" keys add rk/reports.pub.json --keys trust.json >/dev/null
expect_exit 0 "the CSV templates render, signed, beside the JSON report" -- "$RBAUDIT" report \
	--db a.db --period 2026-10 --template rollbacks-csv --template findings-csv \
	--template analysis-json --out r --sign rk/reports.pem --keys trust.json
expect_mode "rollbacks-2026-10.csv is written 0640" r/rollbacks-2026-10.csv 640
expect_mode "findings-2026-10.csv is written 0640" r/findings-2026-10.csv 640
expect_grep "the MANIFEST lists the rollbacks CSV" r/MANIFEST \
	'^[0-9a-f]{64} [0-9]+ rollbacks-2026-10\.csv$'
expect_grep "the MANIFEST lists the findings CSV" r/MANIFEST \
	'^[0-9a-f]{64} [0-9]+ findings-2026-10\.csv$'
expect_exit 0 "the signed folder verifies" -- "$RBAUDIT" verify-report r --keys trust.json

# The reader: RFC 4180 as Python's csv module reads it, and the byte-level
# rules it forgives (CRLF outside quotes, no BOM, valid UTF-8).
cat >csvcheck.py <<'EOF'
import csv, io, json, sys

ROLLBACK_COLS = ["rollback_id", "service", "environment", "team", "risk_tier", "emergency",
    "ttd", "ttr", "approval_latency", "failed_attempts", "completeness", "complete",
    "missing", "score", "level", "findings", "change_id", "incident_id", "requester",
    "executor", "deployed", "detected", "incident_found", "requested", "executed", "need",
    "approved", "approvers", "approvals", "same_person", "evidence_required",
    "evidence_present", "score_factors", "environment_factor", "raw_score",
    "finding_controls", "seqs", "sampled", "flagged"]
FINDING_COLS = ["rollback_id", "finding", "controls", "service", "environment", "team",
    "risk_tier", "emergency", "requester", "executor", "executed", "score", "level",
    "sampled", "flagged"]
WORDS = {"missing", "findings", "seqs"}
AS_JSON = {"approvers", "approvals", "same_person", "score_factors", "finding_controls"}

def read(path):
    """The records of an RFC 4180 file, after checking its bytes."""
    raw = open(path, "rb").read()
    if raw.startswith(b"\xef\xbb\xbf"):
        sys.exit("%s starts with a byte order mark" % path)
    text = raw.decode("utf-8")
    quoted = False
    for i, b in enumerate(raw):
        if b == 0x22:
            quoted = not quoted
        elif b == 0x0A and not quoted and raw[i - 1:i] != b"\r":
            sys.exit("%s: a record ends in LF without CR at byte %d" % (path, i))
    if not raw.endswith(b"\r\n"):
        sys.exit("%s does not end with CRLF" % path)
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))

def text(cell):
    """A text field as the JSON has it: a leading apostrophe is rbaudit's."""
    return cell[1:] if cell.startswith("'") else cell

def want(col, r, sample):
    """What the JSON rollback r says column col holds, as text or a checker."""
    if col == "evidence_required" or col == "evidence_present":
        k = col.split("_")[1]
        return " ".join(n for n, v in r["evidence"].items() if v[k])
    if col == "sampled":
        return "true" if r["rollback_id"] in sample else "false"
    if col == "flagged":   # lib/vocab.h: a finding, or a level high or critical
        return "true" if r["findings"] or r["level"] in ("high", "critical") else "false"
    v = r[col]
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if col in WORDS:
        return " ".join(str(x) for x in v)
    return v

def same(col, cell, w):
    if col in AS_JSON and w != "":
        return json.loads(cell) == w
    if isinstance(w, (int, float)) and not isinstance(w, bool):
        return cell != "" and float(cell) == float(w)
    return text(cell) == w

def check_rows(rows, cols, expected, sample):
    bad = []
    if rows[0] != cols:
        bad.append("header %r" % rows[0])
    if len(rows) - 1 != len(expected):
        bad.append("%d records, not %d" % (len(rows) - 1, len(expected)))
    for row, (r, finding) in zip(rows[1:], expected):
        if len(row) != len(cols):
            bad.append("%s: %d fields" % (r["rollback_id"], len(row)))
            continue
        for col, cell in zip(cols, row):
            if col == "finding":
                w = finding
            elif col == "controls":
                w = " ".join(r["finding_controls"][finding])
            else:
                w = want(col, r, sample)
            if not same(col, cell, w):
                bad.append("%s %s: %r, the JSON has %r" % (r["rollback_id"], col, cell, w))
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                bad.append("%s: a field starts with %r" % (r["rollback_id"], cell[:1]))
    return bad

def main(folder, period):
    a = json.load(open("%s/analysis-%s.json" % (folder, period)))["analysis"]
    rbs = a["rollbacks"]
    sample = {s["rollback_id"] for s in a.get("sample", {}).get("rollbacks", [])}
    bad = []
    # Every member of the JSON report's rollback is a column ("evidence" as two).
    for r in rbs:
        missing = set(r) - {"evidence"} - set(ROLLBACK_COLS)
        if missing:
            bad.append("no column for %s" % sorted(missing))
            break
    rows = read("%s/rollbacks-%s.csv" % (folder, period))
    bad += check_rows(rows, ROLLBACK_COLS, [(r, None) for r in rbs], sample)
    rows = read("%s/findings-%s.csv" % (folder, period))
    bad += check_rows(rows, FINDING_COLS, [(r, f) for r in rbs for f in r["findings"]], sample)
    if len(sys.argv) > 3 and len(rows) < 2:
        bad.append("no finding in the findings CSV")
    print("WHY: " + "; ".join(bad[:5]) if bad else "all fields agree")
    sys.exit(1 if bad else 0)

main(sys.argv[1], sys.argv[2])
EOF
check "every rollback's record matches the JSON report member by member" \
	python3 csvcheck.py r 2026-10 nonempty
n=$(python3 -c 'import json; print(len(json.load(open("r/analysis-2026-10.json"))["analysis"]["rollbacks"]))')
check "  over a month with rollbacks" test "$n" -gt 10
expect_eq "the header row is the first line, ending CRLF" \
	"$(printf 'rollback_id,service,environment,team,risk_tier,emergency,ttd,ttr,approval_latency,failed_attempts,completeness,complete,missing,score,level,findings,change_id,incident_id,requester,executor,deployed,detected,incident_found,requested,executed,need,approved,approvers,approvals,same_person,evidence_required,evidence_present,score_factors,environment_factor,raw_score,finding_controls,seqs,sampled,flagged\r')" \
	"$(head -n 1 r/rollbacks-2026-10.csv)"
printf 'x\r\n' >>r/findings-2026-10.csv
expect_exit 1 "a changed CSV is caught by verify-report" -- "$RBAUDIT" verify-report r \
	--keys trust.json
expect_grep "  naming it" "$OUT" 'findings-2026-10\.csv: [0-9]+ bytes, the manifest says'

# The same data, the same bytes; an older stored analysis (its rollbacks
# inside the document) gives the same files.
expect_exit 0 "the same report again" -- "$RBAUDIT" report --db a.db --period 2026-10 \
	--template rollbacks-csv --template findings-csv --out r2
expect_same "  the same rollbacks CSV" r/rollbacks-2026-10.csv r2/rollbacks-2026-10.csv
cp a.db old.db
sqlite3 old.db "UPDATE analysis SET document = json_set(document, '\$.rollbacks',
  (SELECT json_group_array(json(facts)) FROM (SELECT facts FROM analysis_rollback
   WHERE analysis_id = analysis.id ORDER BY ord, rowid)))"
expect_exit 0 "the CSV of an older stored analysis" -- "$RBAUDIT" report --db old.db \
	--period 2026-10 --template rollbacks-csv --template findings-csv --out rold
expect_same "  is the same rollbacks CSV" r2/rollbacks-2026-10.csv rold/rollbacks-2026-10.csv
expect_same "  and the same findings CSV" r2/findings-2026-10.csv rold/findings-2026-10.csv

# Quoting and formula safety, worked out by hand: a ledger of our own whose
# texts hold commas, quotes, a line feed, and start with = @ + TAB and '.
"$RBAUDIT" keygen --name led --out k --valid-from 2026-01-01T00:00:00Z >/dev/null 2>&1
"$RBAUDIT" keys add k/led.pub.json --keys keys.json >/dev/null
cat >ev.jsonl <<'EOV'
{"time":"2026-08-01T00:00:00Z","event":"change.deployed","actor":"dev","data":{"change_id":"C1","service":"svc, \"north\"","environment":"production","team":"line1\nline2","ticket":"T","commit":"c","artifact":"a"}}
{"time":"2026-08-01T01:00:00Z","event":"rollback.requested","actor":"=HYPERLINK(\"http://x\")","data":{"rollback_id":"R1","change_id":"C1","service":"svc, \"north\"","environment":"production","risk_tier":"low","emergency":false,"ticket":"T","rationale":"r","impact":"i","security_considerations":"s","components":[],"operation":{}}}
{"time":"2026-08-01T02:00:00Z","event":"rollback.executed","actor":"@ops","data":{"rollback_id":"R1","result":"success","from_version":"2","to_version":"1","touches":[]}}
{"time":"2026-08-01T03:00:00Z","event":"rollback.approved","actor":"-lead","data":{"rollback_id":"R1","role":"lead"}}
{"time":"2026-08-02T00:00:00Z","event":"change.deployed","actor":"dev","data":{"change_id":"'C2","service":"+plus","environment":"\tstaging","team":"","ticket":"T","commit":"c","artifact":"a"}}
{"time":"2026-08-02T01:00:00Z","event":"rollback.requested","actor":"dev","data":{"rollback_id":"R2","change_id":"'C2","service":"+plus","environment":"\tstaging","risk_tier":"low","emergency":false,"ticket":"T","rationale":"r","impact":"i","security_considerations":"s","components":[],"operation":{}}}
{"time":"2026-08-02T02:00:00Z","event":"rollback.executed","actor":"ops","data":{"rollback_id":"R2","result":"success","from_version":"2","to_version":"1","touches":[]}}
EOV
"$RBAUDIT" seal --key k/led.pem --ledger f.example/l --events ev.jsonl --out fx >/dev/null
expect_exit 0 "the hand-made ledger is ingested" -- "$RBAUDIT" ingest --db f.db --keys keys.json fx
expect_exit 0 "  and analysed" -- "$RBAUDIT" analyze --db f.db --period 2026-08
expect_exit 0 "  and its CSVs and JSON report render" -- "$RBAUDIT" report --db f.db \
	--period 2026-08 --template rollbacks-csv --template findings-csv \
	--template analysis-json --out fr
# R2: service +plus gets an apostrophe; environment TAB staging too (TAB
# needs no quotes); team "" is quoted, so that it differs from a null;
# tier low, not an emergency; the change id 'C2 gets a second apostrophe.
expect_grep -F "R2's record: apostrophes before + and TAB, an empty text quoted" \
	fr/rollbacks-2026-08.csv "$(printf "R2,'+plus,'\tstaging,\"\",low,false,")"
expect_grep -F "  a text starting with ' gets a second one" fr/rollbacks-2026-08.csv \
	",''C2,"
# R1, worked out as in t_report.sh: deployed 00:00, requested 01:00,
# executed 02:00: TTD and TTR 3600 s; its only approval comes after the
# execution, so no approval latency (a null: an empty field); no failed
# attempt.  The service's comma and quotes quote the field, its quotes
# doubled; the team's line feed is kept inside the quotes.
check "R1's record starts as worked out by hand" python3 -c '
import sys
raw = open("fr/rollbacks-2026-08.csv", "rb").read()
want = b"\r\nR1,\"svc, \"\"north\"\"\",production,\"line1\nline2\",low,false,3600,3600,,0,"
sys.exit(0 if want in raw else "WHY: not in the file: %r" % want)'
expect_grep -F "  the = requester: quoted, an apostrophe first, quotes doubled" \
	fr/rollbacks-2026-08.csv ",\"'=HYPERLINK(\"\"http://x\"\")\",'@ops,"
expect_grep -F "  the approval by -lead, as compact JSON in one quoted field" \
	fr/rollbacks-2026-08.csv \
	'"[{""actor"":""-lead"",""time"":""2026-08-01T03:00:00Z"",""countersigned"":false}]"'
expect_grep -F "the finding of R1 with its controls" fr/findings-2026-08.csv \
	"R1,approvals-missing,SOC2-CC8.1 ISO27001-A.8.32 PCI-DSS-6.5.1 NIST-CM-3,"
check "the hand-made ledger's CSVs match its JSON report member by member" \
	python3 csvcheck.py fr 2026-08

# Bad CSV templates: refused (exit 78) naming the file, line and member;
# nothing is written.
printf '{"template": "t", "format": "csv", "file": "t.csv"}\n' >nt.json
expect_exit 78 "a csv template without a table exits 78" -- "$RBAUDIT" report --db a.db \
	--period 2026-10 --template ./nt.json --out b
expect_grep "  saying the table is missing" "$ERR" "template './nt.json': member \"table\" is missing"
printf '{\n "template": "t",\n "format": "csv",\n "table": "approvals",\n "file": "t.csv"\n}\n' >bt.json
expect_exit 78 "a csv table rbaudit does not know exits 78" -- "$RBAUDIT" report --db a.db \
	--period 2026-10 --template ./bt.json --out b
expect_grep "  naming the file, the line and the member" "$ERR" \
	"template './bt.json' line 4: member \"table\" must be \"rollbacks\""
printf '{\n "template": "t",\n "format": "json",\n "table": "rollbacks",\n "file": "t.json"\n}\n' >jt.json
expect_exit 78 "a table in a json template exits 78" -- "$RBAUDIT" report --db a.db \
	--period 2026-10 --template ./jt.json --out b
expect_grep "  it is only for csv" "$ERR" "line 4: member \"table\" is only for a csv template"
printf '{"template": "t", "format": "csv", "table": "findings", "file": "t.csv",\n "sections": [{"type": "cover"}]}\n' >st.json
expect_exit 78 "sections in a csv template exit 78" -- "$RBAUDIT" report --db a.db \
	--period 2026-10 --template ./st.json --out b
expect_grep "  naming the member" "$ERR" "line 2: member \"sections\" has no place in a csv template"
printf '{"template": "t", "format": "csv", "table": "findings", "file": "t.txt"}\n' >xt.json
expect_exit 78 "a csv template writing no .csv file exits 78" -- "$RBAUDIT" report --db a.db \
	--period 2026-10 --template ./xt.json --out b
expect_no_file "  and no folder is written" b

done_testing
