# t_trend_sheet.sh - focus: the workbook's Trend sheet (#22 point 7) gains one
# column per finding code (lib/vocab.h's eight, in that order) and keeps the
# failed executions: three months of rollbacks are sealed here from events
# written below, each rollback made to raise exactly the findings its comment
# names under the default policy, so every expected count is worked out by
# hand from metrics-v1 §6 and §8, not read from rbaudit.  The sheet is read
# back with python3's zipfile and XML parser, as a spreadsheet reads it.
. "$ROOT/tests/cli/lib.sh"

make_key ledger k --roles entry,checkpoint || fail "setup: keygen ledger" "$(_snip "$_LIB_DIR/keygen.err")"
"$RBAUDIT" keys add k/ledger.pub.json --keys trust.json >/dev/null || fail "setup: keys add" "keys add failed"

# Each rollback: requested at its day 10:00, approved 10:10 by bob, executed
# 11:00 by eve, verified (tests pass) 12:00, closed 13:00, its change
# deployed 08:00; low tier, production, not emergency, unless it says so.
# A last deployment on 20 December makes as_of later than every window.
"$PY" - events.jsonl <<'EOP'
import json, sys
out = open(sys.argv[1], "w")
def w(t, ev, actor, data):
    out.write(json.dumps({"time": t, "event": ev, "actor": actor, "data": data}) + "\n")
def rb(rid, day, approvers=("bob@acme.example",), verified=True, closed=True,
       emergency=False, reintroduces=(), failed=0, executed=True, rejected=False):
    d = day + "T"
    chg = "CHG-" + rid[3:]
    w(d + "08:00:00Z", "change.deployed", "deploy-bot@acme.example", {"change_id": chg,
      "service": "profile", "environment": "production", "team": "identity", "ticket": "OPS-1"})
    w(d + "10:00:00Z", "rollback.requested", "alice@acme.example", {"rollback_id": rid,
      "change_id": chg, "service": "profile", "environment": "production", "risk_tier": "low",
      "emergency": emergency, "ticket": "OPS-" + rid[3:], "rationale": "bad release",
      "impact": "logins fail", "security_considerations": "none"})
    for a in approvers:
        w(d + "10:10:00Z", "rollback.approved", a, {"rollback_id": rid, "role": "owner"})
    if rejected:
        w(d + "10:15:00Z", "rollback.rejected", "carol@acme.example", {"rollback_id": rid,
          "reason": "no"})
    for i in range(failed):
        w(d + "10:%02d:00Z" % (20 + 20 * i), "rollback.executed", "eve@acme.example",
          {"rollback_id": rid, "result": "failure", "from_version": "v2", "to_version": "v1",
           "touches": []})
    if not executed:
        return
    w(d + "11:00:00Z", "rollback.executed", "eve@acme.example", {"rollback_id": rid,
      "result": "success", "from_version": "v2", "to_version": "v1", "touches": [],
      "reintroduces": list(reintroduces)})
    if verified:
        w(d + "12:00:00Z", "rollback.verified", "qa@acme.example", {"rollback_id": rid,
          "evidence": [{"kind": "tests", "result": "pass", "ref": "ci/1", "sha256": "00" * 32}]})
    if closed:
        w(d + "13:00:00Z", "rollback.closed", "alice@acme.example", {"rollback_id": rid,
          "resolution": "fixed forward"})
# September: approvals-missing 1, unverified 1.
rb("RB-0901", "2026-09-03")
rb("RB-0902", "2026-09-10", approvers=())                 # approvals-missing
rb("RB-0903", "2026-09-17", verified=False)                # unverified
# October: separation-of-duties 1, emergency-unreviewed 1, stale-revert 1; 1 failed attempt.
rb("RB-1001", "2026-10-02", approvers=("alice@acme.example", "bob@acme.example"))  # SoD
rb("RB-1002", "2026-10-08", emergency=True)                # emergency-unreviewed
rb("RB-1003", "2026-10-14", failed=1)                      # one failed attempt
rb("RB-1004", "2026-10-20", closed=False)                  # stale-revert
# November: security-regression 1, rejected-executed 1, approvals-missing 1,
# unverified 1; failed attempts: RB-1104 one (never executed), RB-1105 two.
rb("RB-1101", "2026-11-04", reintroduces=("CVE-2026-0001",))   # security-regression
rb("RB-1102", "2026-11-09", rejected=True)                 # rejected-executed
rb("RB-1103", "2026-11-12", approvers=(), verified=False)  # approvals-missing, unverified
rb("RB-1104", "2026-11-18", failed=1, executed=False)
rb("RB-1105", "2026-11-24", failed=2)
w("2026-12-20T08:00:00Z", "change.deployed", "deploy-bot@acme.example", {"change_id": "CHG-END",
  "service": "profile", "environment": "production", "team": "identity", "ticket": "OPS-1"})
EOP
seal_quiet events.jsonl ex || fail "setup: seal" "$(_snip "$_LIB_DIR/seal.err")"
expect_exit 0 "the three months are ingested" -- "$RBAUDIT" ingest --db a.db --keys trust.json ex
expect_exit 0 "November is analysed with two earlier periods" -- "$RBAUDIT" analyze --db a.db \
	--period 2026-11 --trend 2
expect_exit 0 "the workbook is written" -- "$RBAUDIT" report --db a.db --period 2026-11 \
	--template engineering-metrics --out r

# The Trend sheet as rows of cell texts (shared or inline strings, numbers).
cat > trend_rows.py <<'EOP'
import json, re, sys, zipfile
import xml.etree.ElementTree as ET
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
z = zipfile.ZipFile(sys.argv[1])
wb = ET.fromstring(z.read("xl/workbook.xml"))
rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
target = {r.get("Id"): r.get("Target") for r in rels}
sheet = [s for s in wb.find("m:sheets", NS) if s.get("name") == "Trend"][0]
path = "xl/" + target[sheet.get("{%s}id" % NS["r"])].lstrip("/").replace("xl/", "", 1)
shared = []
if "xl/sharedStrings.xml" in z.namelist():
    for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
        shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
rows = []
for row in ET.fromstring(z.read(path)).iter("{%s}row" % NS["m"]):
    cells = {}
    for c in row.findall("m:c", NS):
        col = re.match(r"[A-Z]+", c.get("r")).group(0)
        idx = 0
        for ch in col:
            idx = idx * 26 + ord(ch) - 64
        t, v = c.get("t"), c.find("m:v", NS)
        if t == "s":
            val = shared[int(v.text)]
        elif t == "inlineStr":
            val = "".join(x.text or "" for x in c.iter("{%s}t" % NS["m"]))
        else:
            val = v.text if v is not None else ""
        cells[idx - 1] = val
    rows.append([cells.get(i, "") for i in range(max(cells) + 1)] if cells else [])
print(json.dumps(rows))
EOP
"$PY" trend_rows.py r/engineering-metrics-2026-11.xlsx > trend.json
codes="approvals-missing separation-of-duties emergency-unreviewed unverified stale-revert security-regression unauthorized-actor rejected-executed"
expect_json "the Trend sheet's header: the figures, failed executions, then the eight codes in vocab order" \
	trend.json 'd[0][8:]' \
	"$("$PY" -c 'import json, sys; print(json.dumps(["Failed executions"] + sys.argv[1].split()))' "$codes")"
expect_json "its rows: the periods oldest first, then November" trend.json \
	'[r[0] for r in d[1:4]]' '["2026-09", "2026-10", "2026-11"]'
# Columns: 8 failed executions, then approvals-missing .. rejected-executed.
expect_json "September: one approvals-missing, one unverified, no failed attempt" trend.json \
	'[int(float(x)) for x in d[1][8:17]]' '[0, 1, 0, 0, 1, 0, 0, 0, 0]'
expect_json "October: one separation-of-duties, one emergency-unreviewed, one stale-revert, one failed attempt" \
	trend.json '[int(float(x)) for x in d[2][8:17]]' '[1, 0, 1, 1, 0, 1, 0, 0, 0]'
expect_json "November: approvals-missing, unverified, security-regression and rejected-executed once, three failed attempts" \
	trend.json '[int(float(x)) for x in d[3][8:17]]' '[3, 1, 0, 0, 1, 0, 1, 0, 1]'
expect_json "the rollbacks per period: 3, 4 and 4 (RB-1104 was never executed)" trend.json \
	'[int(float(r[1])) for r in d[1:4]]' '[3, 4, 4]'
expect_json "the Trend sheet has nothing below the periods but its chart" trend.json 'len(d)' 4

done_testing
