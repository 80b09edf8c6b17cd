# t_report.sh - focus: `rbaudit report` and `rbaudit verify-report` as a user
# runs them, the outputs read back with real clients: pdfinfo and pdftotext
# (poppler-utils) find the pages, the period, the analysis's figures and a
# non-ASCII name; the XLSX is unzipped and its XML checked (sheets, one row
# per rollback, a formula-like actor stored as text); the same data give the
# same bytes; the signed MANIFEST verifies and catches any change.
. "$ROOT/tests/cli/lib.sh"

# A database from the sample organisation, analysed for 2026-10.
expect_exit 0 "the sample is written" -- "$RBAUDIT" sample --out s
expect_exit 0 "the sample is ingested" -- "$RBAUDIT" ingest --db a.db --keys s/keys.json \
	s/exports/rollback-ledger/2026-05 s/exports/rollback-ledger/2026-06 \
	s/exports/rollback-ledger/2026-07 s/exports/rollback-ledger/2026-08 \
	s/exports/rollback-ledger/2026-09 s/exports/rollback-ledger/2026-10
expect_exit 0 "report --help exits 0" -- "$RBAUDIT" report --help
expect_exit 66 "a report before any analysis exits 66" -- "$RBAUDIT" report --db a.db \
	--period 2026-10 --template governance-monthly --out early
expect_grep "and says to analyse the period first" "$ERR" "analyse the period"
expect_exit 0 "the period is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-10 \
	--sample 10 --sample-seed 3 --json
cp "$OUT" analysis.json

expect_exit 0 "all four templates render" -- "$RBAUDIT" report --db a.db --period 2026-10 \
	--template governance-monthly --template auditor-pack \
	--template engineering-metrics --template analysis-json --out r
for f in governance-2026-10.pdf auditor-pack-2026-10.pdf engineering-metrics-2026-10.xlsx \
	analysis-2026-10.json MANIFEST; do
	expect_mode "$f is written 0640" "r/$f" 640
done
expect_no_file "no temporary folder is left beside it" ".r.rbaudit-new"

# PDF read back.
run pdfinfo r/governance-2026-10.pdf
expect_grep "pdfinfo reads the governance PDF" "$OUT" '^Pages: +[0-9]+'
pages=$(sed -n 's/^Pages: *//p' "$OUT")
check "the governance PDF has several pages" test "$pages" -ge 3
pdftotext -layout r/governance-2026-10.pdf gov.txt 2>/dev/null
pdftotext -layout r/auditor-pack-2026-10.pdf aud.txt 2>/dev/null
expect_grep "the PDF names the period" gov.txt '2026-10'
n=$(json_get analysis.json "d['rollbacks_executed']")
d=$(json_get analysis.json "d['deployments']")
expect_grep "the PDF shows the analysis's rollback count" gov.txt "^ *$n +$d"
expect_grep -F "the PDF says page X of Y" gov.txt "Page 1 of $pages"
expect_grep "the PDF has the methodology" gov.txt 'nearest|ceil\(0.9 n\)'
expect_grep "the auditor pack has the attestation" aud.txt 'Verification attestation'
expect_grep "the auditor pack lists a C2SP key string" aud.txt 'sample-ledger-k[12]\+[0-9a-f]{8}\+'
expect_grep "the auditor pack shows a non-ASCII name" aud.txt 'ł|ü|ø|é|á|ö'
sid=$(json_get analysis.json "d['sample']['rollbacks'][0]['rollback_id']")
expect_grep "the auditor pack details a sampled rollback" aud.txt "$sid"
expect_grep "the auditor pack has the control mapping" aud.txt 'SOC2-CC8.1'

# XLSX read back.
mkdir x && (cd x && unzip -q ../r/engineering-metrics-2026-10.xlsx)
expect_grep "the workbook has the seven sheets" x/xl/workbook.xml 'name="Summary".*name="Rollbacks".*name="Findings".*name="Approvals".*name="Evidence".*name="Trend".*name="Sample"'
rows=$(grep -o '<row ' x/xl/worksheets/sheet2.xml | wc -l)
expect_eq "Rollbacks has one header row and one row per rollback" "$((n + 1))" "$rows"
expect_grep "the workbook has a native chart" x/xl/charts/chart1.xml 'c:barChart'
expect_grep "Rollbacks has an autofilter" x/xl/worksheets/sheet2.xml '<autoFilter'
expect_grep "Rollbacks has a frozen header" x/xl/worksheets/sheet2.xml 'state="frozen"'

# The JSON report streams the rollbacks from the rows: its analysis is the
# very document analyze printed, and it is valid JSON.
check "the JSON report's analysis is what analyze --json printed" python3 -c '
import json, sys
a = json.load(open("analysis.json"))
r = json.load(open("r/analysis-2026-10.json"))
sys.exit(0 if r["analysis"] == a and len(a["rollbacks"]) > 0 else 1)'

# An analysis stored by an older rbaudit, with its rollbacks inside the
# document: the reports are the same bytes.
cp a.db old.db
sqlite3 old.db "UPDATE analysis SET document = json_set(document, '\$.rollbacks',
  (SELECT json_group_array(json(facts)) FROM (SELECT facts FROM analysis_rollback
   WHERE analysis_id = analysis.id ORDER BY ord, rowid)))"
check "the older stored document holds the rollbacks" test \
	"$(sqlite3 old.db "SELECT json_array_length(document, '\$.rollbacks') FROM analysis")" = "$n"
expect_exit 0 "reports of an older stored analysis" -- "$RBAUDIT" report --db old.db \
	--period 2026-10 --template governance-monthly --template auditor-pack \
	--template engineering-metrics --template analysis-json --out rold
for f in governance-2026-10.pdf auditor-pack-2026-10.pdf engineering-metrics-2026-10.xlsx \
	analysis-2026-10.json; do
	expect_same "  $f is the same" "r/$f" "rold/$f"
done

# The PDF sections keep only what they show: with small limits, the first
# ones in the analysis's order, and the rest counted.
cat > small.json <<'EOT'
{"template": "small", "format": "pdf", "file": "small-{period}.pdf",
 "sections": [{"type": "findings", "limit": 2}, {"type": "top-risk", "limit": 3},
  {"type": "rollback-details", "select": "flagged", "limit": 1}]}
EOT
expect_exit 0 "a template with small limits renders" -- "$RBAUDIT" report --db a.db \
	--period 2026-10 --template ./small.json --out rs
pdftotext -layout rs/small-2026-10.pdf small.txt 2>/dev/null
nf=$(python3 -c '
import json
a = json.load(open("analysis.json"))
print(sum(len(r["findings"]) for r in a["rollbacks"]))')
nq=$(python3 -c '
import json
a = json.load(open("analysis.json"))
print(sum(1 for r in a["rollbacks"] if r["findings"] or r["score"] >= 50))')
top=$(python3 -c '
import json
a = json.load(open("analysis.json"))
rs = sorted(enumerate(a["rollbacks"]), key=lambda x: (-x[1]["score"], x[0]))
print(rs[0][1]["rollback_id"], rs[2][1]["rollback_id"])')
expect_grep "the findings table counts the findings it leaves out" small.txt "$((nf - 2)) more findings"
expect_grep "the details count the flagged rollbacks left out" small.txt "$((nq - 1)) more flagged rollbacks are left out"
# The flag analyze stored with each rollback is re-derived with the rest of
# the stored analysis before a report uses it: one row flagged by hand in a
# copy of the database is refused, naming that rollback.
cp a.db fl.db
fid=$(sqlite3 fl.db "SELECT rollback_id FROM analysis_rollback WHERE flagged = 0 ORDER BY ord LIMIT 1")
sqlite3 fl.db "UPDATE analysis_rollback SET flagged = 1 WHERE rollback_id = '$fid'"
expect_exit 1 "a report from a database with a row flagged by hand is refused" -- "$RBAUDIT" \
	report --db fl.db --period 2026-10 --template ./small.json --out rfl
expect_grep "  naming that rollback" "$ERR" "rollback [0-9]* .$fid. differs"
expect_grep "the highest score is listed" small.txt "${top%% *}"
expect_grep "and the third highest" small.txt "${top##* }"

# "Flagged" follows the policy's levels (metrics-v1 §6): with levels.high
# at 8, a rollback without findings is flagged from a score of 8, where the
# default (50) flags none of this month's rollbacks without findings (their
# scores here are 0 to 25).
cp a.db p.db
printf '{"levels": {"medium": 5, "high": 8, "critical": 95}}\n' >low.json
expect_exit 0 "the period is analysed under a policy with levels.high 8" -- "$RBAUDIT" analyze \
	--db p.db --period 2026-10 --policy low.json --sample 10 --sample-seed 3 --json
cp "$OUT" panalysis.json
nq8=$(python3 -c '
import json
a = json.load(open("panalysis.json"))
print(sum(1 for r in a["rollbacks"] if r["findings"] or r["score"] >= 8))')
check "  more rollbacks are flagged under it than under the default" test "$nq8" -gt "$nq"
expect_exit 0 "  the small template renders from it" -- "$RBAUDIT" report --db p.db \
	--period 2026-10 --policy low.json --template ./small.json --out rp
pdftotext -layout rp/small-2026-10.pdf psmall.txt 2>/dev/null
expect_grep "  the details count the rollbacks flagged under that policy" psmall.txt \
	"$((nq8 - 1)) more flagged rollbacks are left out"
expect_exit 0 "  analyze lists the same rollbacks as flagged" -- "$RBAUDIT" analyze --db p.db \
	--period 2026-10 --policy low.json --sample 10 --sample-seed 3
expect_eq "  (one line each)" "$nq8" "$(grep -c ' score ' "$OUT")"

# A formula-like actor stays text: a ledger of our own with actor "=HYPERLINK(...)".
"$RBAUDIT" keygen --name led --out k --valid-from 2026-01-01T00:00:00Z >/dev/null 2>&1
"$RBAUDIT" keys add k/led.pub.json --keys keys.json >/dev/null
cat > ev.jsonl <<'EOV'
{"time":"2026-08-01T00:00:00Z","event":"change.deployed","actor":"dev","data":{"change_id":"C1","service":"svc","environment":"production","team":"t","ticket":"T","commit":"c","artifact":"a"}}
{"time":"2026-08-01T01:00:00Z","event":"rollback.requested","actor":"=HYPERLINK(\"http://x\")","data":{"rollback_id":"R1","change_id":"C1","service":"svc","environment":"production","risk_tier":"low","emergency":false,"ticket":"T","rationale":"r \ud83d\ude00 beyond the BMP","impact":"i","security_considerations":"s","components":[],"operation":{}}}
{"time":"2026-08-01T02:00:00Z","event":"rollback.executed","actor":"@ops","data":{"rollback_id":"R1","result":"success","from_version":"2","to_version":"1","touches":[]}}
{"time":"2026-08-01T03:00:00Z","event":"rollback.approved","actor":"中文@example","data":{"rollback_id":"R1","role":"lead"}}
EOV
"$RBAUDIT" seal --key k/led.pem --ledger f.example/l --events ev.jsonl --out fx >/dev/null
"$RBAUDIT" ingest --db f.db --keys keys.json fx >/dev/null
"$RBAUDIT" analyze --db f.db --period 2026-08 >/dev/null
expect_exit 0 "a report of the formula-like ledger" -- "$RBAUDIT" report --db f.db \
	--period 2026-08 --template engineering-metrics --out fr
mkdir fx2 && (cd fx2 && unzip -q ../fr/engineering-metrics-2026-08.xlsx)
expect_exit 0 "an auditor pack of that ledger" -- "$RBAUDIT" report --db f.db \
	--period 2026-08 --template auditor-pack --out fp
pdftotext -layout fp/auditor-pack-2026-08.pdf fp.txt 2>/dev/null
expect_grep -F "a CJK name is shown in the fallback font, readable" fp.txt "中文@example"
check "  in WenQuanYi Zen Hei, embedded" sh -c \
	'pdffonts fp/auditor-pack-2026-08.pdf 2>/dev/null | grep -q "WenQuanYiZenHei.*TrueType.*yes"'
expect_grep -F "a character no font shows is its code point, not dropped" fp.txt \
	"r [U+1F600] beyond the BMP"
check "and never U+FFFD" sh -c "! grep -q \"\$(printf '\\357\\277\\275')\" fp.txt"
check "no cell of the workbook is a formula" sh -c '! grep -q "<f>" fx2/xl/worksheets/*.xml'
expect_grep -F "the =HYPERLINK actor is stored as a string" fx2/xl/worksheets/sheet2.xml '<c r="R2" t="inlineStr"><is><t>=HYPERLINK("http://x")</t></is></c>'
expect_grep -F "the @ actor is stored as a string" fx2/xl/worksheets/sheet2.xml '<t>@ops</t>'

# That ledger's one rollback, worked out by hand from docs/METRICS.md and
# the default policy: R1 is low tier, in production, not an emergency; its
# only approval (03:00) comes after its execution (02:00), so it is not
# approved: finding approvals-missing, and raw = weights.gate-bypass 20,
# score floor(20 x 1.0 + 0.5) = 20, level low (under 25).  Detected is the
# request (no incident), 01:00: TTD 1 h after the 00:00 deployment, TTR 1 h.
# Evidence: ticket, rationale, impact and security-considerations present;
# approvals and tests missing; no scan or review required: 4 of 6.
check "the workbook's row for R1 holds the figures worked out by hand" python3 -c '
import re, sys
x = open("fx2/xl/worksheets/sheet2.xml").read()
def cell(ref):
    m = re.search(r"<c r=\"%s\"[^>/]*(?:/>|>(.*?)</c>)" % ref, x)
    if m is None or m.group(1) is None:
        return None
    v = re.search(r"<v>(.*?)</v>|<t[^>]*>(.*?)</t>", m.group(1))
    return v.group(1) if v.group(1) is not None else v.group(2)
want = {"A2": "R1", "E2": "low", "F2": "no", "I2": 1.0, "J2": 1.0, "L2": 4 / 6,
        "M2": "no", "N2": "approvals, tests", "O2": 20.0, "P2": "low",
        "Q2": "approvals-missing"}
bad = []
for ref, w in want.items():
    got = cell(ref)
    ok = got is not None and (abs(float(got) - w) < 1e-9 if isinstance(w, float) else got == w)
    if not ok:
        bad.append("%s: %r, not %r" % (ref, got, w))
if cell("K2") not in (None, ""):
    bad.append("K2 (approval latency of a rollback not approved) is %r" % cell("K2"))
print("; ".join(bad))
sys.exit(1 if bad else 0)'
expect_grep "the auditor pack lists R1's finding" fp.txt 'approvals-missing'
expect_grep "and its score of 20, level low" fp.txt 'R1: svc / production, tier low, score 20 \(low\)'

# Reproducible, signed, tamper-evident.
expect_exit 0 "the same report again" -- "$RBAUDIT" report --db a.db --period 2026-10 \
	--template governance-monthly --template auditor-pack \
	--template engineering-metrics --template analysis-json --out r2
check "the same data and templates give byte-identical files" diff -r r r2
expect_exit 1 "an unsigned MANIFEST does not verify" -- "$RBAUDIT" verify-report r --keys s/keys.json
expect_grep "and verify-report says it is not signed" "$OUT" 'not signed'
"$RBAUDIT" keygen --name reports --out rk --roles report >/dev/null 2>&1
cp s/keys.json trust.json
"$RBAUDIT" keys add rk/reports.pub.json --keys trust.json >/dev/null
expect_exit 0 "a signed report" -- "$RBAUDIT" report --db a.db --period 2026-10 \
	--template governance-monthly --template analysis-json --out sr --sign rk/reports.pem
expect_exit 0 "the signed MANIFEST verifies" -- "$RBAUDIT" verify-report sr --keys trust.json
expect_grep "naming its signer" "$OUT" "signed by 'reports'"
expect_exit 1 "a trust store without the report key refuses it" -- "$RBAUDIT" verify-report sr --keys s/keys.json
printf 'x' >> sr/analysis-2026-10.json
expect_exit 1 "a changed file is caught" -- "$RBAUDIT" verify-report sr --keys trust.json
expect_grep "naming the file and both sizes" "$OUT" 'analysis-2026-10.json: [0-9]+ bytes, the manifest says [0-9]+$'
cp sr/MANIFEST m.bak
"$RBAUDIT" report --db a.db --period 2026-10 --template analysis-json --out sr2 --sign rk/reports.pem >/dev/null
touch sr2/extra.txt
expect_exit 1 "a file added after signing is caught" -- "$RBAUDIT" verify-report sr2 --keys trust.json
expect_grep "naming the extra file" "$OUT" 'extra.txt: present but not in the manifest'

# Bad templates: a clear error naming the line and the member.
printf '{\n "template": "t",\n "format": "pdf",\n "file": "t.pdf",\n "sections": [\n  {"type": "cover"},\n  {"type": "pie"}\n ]\n}\n' > bad1.json
expect_exit 78 "an unknown section type exits 78" -- "$RBAUDIT" report --db a.db --period 2026-10 --template ./bad1.json --out b
expect_grep "naming the line and the member" "$ERR" "line 7: member \"type\""
printf '{"template":"t","format":"pdf","file":"../escape.pdf","sections":[{"type":"cover"}]}' > bad2.json
expect_exit 78 "an output name leaving the folder exits 78" -- "$RBAUDIT" report --db a.db --period 2026-10 --template ./bad2.json --out b
expect_no_file "nothing escaped the folder" escape.pdf
printf '{"template":"t","format":"doc","file":"t.doc"}' > bad3.json
expect_exit 78 "an unknown format exits 78" -- "$RBAUDIT" report --db a.db --period 2026-10 --template ./bad3.json --out b
expect_grep "naming the member" "$ERR" 'member "format"'
printf '{"template":"t","format":"xlsx","file":"t.xlsx","sections":[{"type":"sheet","sheet":"Secrets"}],"colour":1}' > bad4.json
expect_exit 78 "an unknown member exits 78" -- "$RBAUDIT" report --db a.db --period 2026-10 --template ./bad4.json --out b
expect_exit 66 "an unknown template name exits 66" -- "$RBAUDIT" report --db a.db --period 2026-10 --template no-such-template --out b

done_testing
