# t_openmetrics.sh - focus: the openmetrics template (issue #22, point 5):
# the period's figures in the Prometheus text exposition format 0.0.4, as
# node_exporter's textfile collector reads it.  promtool (Debian package
# prometheus) checks and lints the file; every series is compared with the
# JSON report of the same run (the analysis's figures, and what the test
# works out itself from its rollbacks); label escaping and the figures of a
# one-rollback ledger are worked out by hand; a period without rollbacks
# still passes promtool; and every series the Grafana dashboard in contrib/
# queries is one rbaudit writes, with the labels it filters on.
. "$ROOT/tests/cli/lib.sh"

PROMTOOL=${PROMTOOL:-/usr/bin/promtool}
check "promtool is installed (Debian package prometheus; make check installs it)" \
	test -x "$PROMTOOL"

expect_exit 0 "the sample is written" -- "$RBAUDIT" sample --out s
expect_exit 0 "the sample is ingested" -- "$RBAUDIT" ingest --db a.db --keys s/keys.json \
	s/exports/rollback-ledger/2026-05 s/exports/rollback-ledger/2026-06 \
	s/exports/rollback-ledger/2026-07 s/exports/rollback-ledger/2026-08 \
	s/exports/rollback-ledger/2026-09 s/exports/rollback-ledger/2026-10
expect_exit 0 "the period is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-10 \
	--sample 10 --sample-seed 3
expect_exit 0 "report --template openmetrics renders, beside the JSON report" -- \
	"$RBAUDIT" report --db a.db --period 2026-10 --template openmetrics \
	--template analysis-json --out r
P=r/rbaudit-2026-10.prom
expect_mode "the .prom file is written 0640" "$P" 640
expect_grep "the MANIFEST lists it" r/MANIFEST '^[0-9a-f]{64} [0-9]+ rbaudit-2026-10\.prom$'
run sh -c '"$0" check metrics <"$1"' "$PROMTOOL" "$P"
expect_eq "promtool check metrics passes it, lint included" "0" "$RC"
check "  and has nothing to say about it" test ! -s "$OUT" -a ! -s "$ERR"

# The file read by the test's own parser of the text format, and every
# figure compared with the JSON report.
cat >promread.py <<'EOF'
import re, sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')

def unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)

def read(path):
    """{name: [(labels, value)]} and {family: type}; exits on a bad line."""
    series, types, helps, fam = {}, {}, set(), None
    raw = open(path, "rb").read()
    if not raw.endswith(b"\n"):
        sys.exit("WHY: the file does not end with a line feed")
    for n, line in enumerate(raw.decode("utf-8").split("\n")[:-1], 1):
        if line.startswith("# HELP "):
            helps.add(line.split(" ")[2])
            continue
        if line.startswith("# TYPE "):
            _, _, fam, t = line.split(" ")
            if fam not in helps:
                sys.exit("WHY: line %d: TYPE of %s before its HELP" % (n, fam))
            types[fam] = t
            continue
        m = SAMPLE.match(line)
        if m is None:
            sys.exit("WHY: line %d is not a sample: %r" % (n, line))
        name, body, value = m.groups()
        base = re.sub(r'_(sum|count)$', '', name) if types.get(fam) == "summary" else name
        if base != fam:
            sys.exit("WHY: line %d: %s outside its family (%s)" % (n, name, fam))
        labels, pos = {}, 0
        while pos < len(body):
            lm = LABEL.match(body, pos)
            if lm is None:
                sys.exit("WHY: line %d: bad labels %r" % (n, body))
            labels[lm.group(1)] = unescape(lm.group(2))
            pos = lm.end()
        series.setdefault(name, []).append((labels, float(value)))
    return series, types
EOF

cat >promcheck.py <<'EOF'
import json, math, sys
from datetime import datetime
sys.path.insert(0, ".")
from promread import read

series, types = read(sys.argv[1])
j = json.load(open(sys.argv[2]))
a, at = j["analysis"], j["attestation"]
rbs = a["rollbacks"]
bad = []

def one(name):
    s = series.get(name, [])
    return s[0][1] if len(s) == 1 else None

def by(name, label):
    out = {}
    for labels, v in series.get(name, []):
        out[labels[label]] = out.get(labels[label], 0) + v
    return out

def close(x, y):
    return x is not None and y is not None and math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-9)

def expect(what, got, want):
    if not (close(got, want) if isinstance(want, float) else got == want):
        bad.append("%s: %r, not %r" % (what, got, want))

for name, samples in series.items():
    for labels, _ in samples:
        if labels.get("ledger") != a["ledger"] or labels.get("period") != a["period"]:
            bad.append("%s %r lacks the ledger or the period" % (name, labels))
            break
for fam, t in types.items():
    if t not in ("gauge", "summary"):
        bad.append("%s is a %s" % (fam, t))
    if fam.endswith("_total"):
        bad.append("%s ends in _total, but is no counter" % fam)

expect("rollbacks executed", one("rbaudit_rollbacks_executed"), a["rollbacks_executed"])
expect("deployments", one("rbaudit_deployments"), a["deployments"])
expect("rollback rate", one("rbaudit_rollback_rate"), float(a["rollback_rate"]))
expect("failed executions", one("rbaudit_failed_executions"), a["failed_executions"])
for lab, member in (("service", "by_service"), ("team", "by_team"),
                    ("environment", "by_environment")):
    expect("rollbacks by " + lab, by("rbaudit_service_rollbacks_executed", lab), a[member])
expect("findings by code", by("rbaudit_findings", "code"), a["finding_counts"])
expect("rollbacks by level", by("rbaudit_rollbacks_by_level", "level"), a["levels"])
# Worked out here from the rollbacks.
flagged = sum(1 for r in rbs if r["findings"] or r["level"] in ("high", "critical"))
expect("flagged", one("rbaudit_rollbacks_flagged"), flagged)
expect("with findings", one("rbaudit_rollbacks_with_findings"),
       sum(1 for r in rbs if r["findings"]))
req, pres = {}, {}
for r in rbs:
    for item, ev in r["evidence"].items():
        req[item] = req.get(item, 0) + (1 if ev["required"] else 0)
        pres[item] = pres.get(item, 0) + (1 if ev["required"] and ev["present"] else 0)
expect("evidence required", by("rbaudit_evidence_required", "item"), req)
expect("evidence present", by("rbaudit_evidence_present", "item"), pres)
expect("complete evidence", one("rbaudit_evidence_complete"), a["evidence_complete"])
expect("complete ratio", one("rbaudit_evidence_complete_ratio"),
       float(a["evidence_complete_ratio"]))
expect("mean completeness", one("rbaudit_evidence_mean_completeness_ratio"),
       float(a["evidence_mean_completeness"]))
for name, member, key in (("rbaudit_time_to_detect_seconds", "ttd", "ttd"),
                          ("rbaudit_time_to_restore_seconds", "ttr", "ttr"),
                          ("rbaudit_approval_latency_seconds", "approval_latency",
                           "approval_latency")):
    if types.get(name) != "summary":
        bad.append("%s is not a summary" % name)
    q = {l["quantile"]: v for l, v in series.get(name, [])}
    st = a[member]
    expect(name + " 0.5", q.get("0.5"), float(st["median"]))
    expect(name + " 0.9", q.get("0.9"), float(st["p90"]))
    vals = [r[key] for r in rbs if r[key] is not None]
    expect(name + "_count", one(name + "_count"), st["n"])
    expect(name + "_count (rollbacks)", one(name + "_count"), len(vals))
    expect(name + "_sum", one(name + "_sum"), float(sum(vals)))
    expect(name + " mean", one(name + "_sum") / max(one(name + "_count"), 1), float(st["mean"]))
t = datetime.strptime(a["as_of"][:19], "%Y-%m-%dT%H:%M:%S")
asof = (t - datetime(1970, 1, 1)).total_seconds() + float("0" + a["as_of"][19:].rstrip("Z"))
expect("as of", one("rbaudit_data_as_of_timestamp_seconds"), float(asof))
expect("coverage", one("rbaudit_period_coverage_ratio"), at["coverage"]["percent"] / 100.0)
expect("rejected exports", one("rbaudit_rejected_exports"), len(at["rejected_exports"]))
expect("warnings", one("rbaudit_verification_warnings"), at["warnings_total"])
expect("failing entries", one("rbaudit_entries_failing_verification"),
       at["trust"]["failures_in_period"])
print("WHY: " + "; ".join(bad[:6]) if bad else "every series agrees")
sys.exit(1 if bad else 0)
EOF
check "every series agrees with the JSON report of the same run" \
	python3 promcheck.py "$P" r/analysis-2026-10.json
expect_grep "HELP and TYPE precede the time to restore, a summary" "$P" \
	'^# TYPE rbaudit_time_to_restore_seconds summary$'
expect_no_grep "no sample has a timestamp (the textfile collector refuses them)" "$P" \
	'^[a-z_]+\{.*\} [^ ]+ [^ ]+$'
expect_exit 0 "the same report again" -- "$RBAUDIT" report --db a.db --period 2026-10 \
	--template openmetrics --out r2
expect_same "  gives the same bytes" "$P" r2/rbaudit-2026-10.prom

# A period without a rollback or a deployment: no rate (it is null), the
# summaries with a count of 0 and no quantiles; promtool still passes.
expect_exit 0 "an empty period is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-01
expect_exit 0 "  and rendered" -- "$RBAUDIT" report --db a.db --period 2026-01 \
	--template openmetrics --out e
run sh -c '"$0" check metrics <"$1"' "$PROMTOOL" e/rbaudit-2026-01.prom
expect_eq "  promtool passes it" "0" "$RC"
expect_grep -F "  0 rollbacks" e/rbaudit-2026-01.prom \
	'rbaudit_rollbacks_executed{ledger="acme.example/rollback-ledger",period="2026-01"} 0'
expect_no_grep "  no rollback rate" e/rbaudit-2026-01.prom 'rbaudit_rollback_rate'
expect_grep -F "  a time to restore counted 0" e/rbaudit-2026-01.prom \
	'rbaudit_time_to_restore_seconds_count{ledger="acme.example/rollback-ledger",period="2026-01"} 0'
expect_no_grep "  and no quantile" e/rbaudit-2026-01.prom 'quantile='

# By hand: one rollback (as in t_report.sh: deployed 00:00, requested 01:00,
# executed 02:00, its one approval after the execution), of a service whose
# name holds a quote, a backslash and a line feed.
"$RBAUDIT" keygen --name led --out k --valid-from 2026-01-01T00:00:00Z >/dev/null 2>&1
"$RBAUDIT" keys add k/led.pub.json --keys keys.json >/dev/null
cat >ev.jsonl <<'EOV'
{"time":"2026-08-01T00:00:00Z","event":"change.deployed","actor":"dev","data":{"change_id":"C1","service":"a\"b\\c\nd","environment":"production","team":"t","ticket":"T","commit":"c","artifact":"a"}}
{"time":"2026-08-01T01:00:00Z","event":"rollback.requested","actor":"req","data":{"rollback_id":"R1","change_id":"C1","service":"a\"b\\c\nd","environment":"production","risk_tier":"low","emergency":false,"ticket":"T","rationale":"r","impact":"i","security_considerations":"s","components":[],"operation":{}}}
{"time":"2026-08-01T02:00:00Z","event":"rollback.executed","actor":"ops","data":{"rollback_id":"R1","result":"success","from_version":"2","to_version":"1","touches":[]}}
{"time":"2026-08-01T03:00:00Z","event":"rollback.approved","actor":"lead","data":{"rollback_id":"R1","role":"lead"}}
EOV
"$RBAUDIT" seal --key k/led.pem --ledger f.example/l --events ev.jsonl --out fx >/dev/null
"$RBAUDIT" ingest --db f.db --keys keys.json fx >/dev/null
"$RBAUDIT" analyze --db f.db --period 2026-08 >/dev/null
expect_exit 0 "the one-rollback ledger renders" -- "$RBAUDIT" report --db f.db \
	--period 2026-08 --template openmetrics --out fr
F=fr/rbaudit-2026-08.prom
run sh -c '"$0" check metrics <"$1"' "$PROMTOOL" "$F"
expect_eq "  promtool passes it" "0" "$RC"
expect_grep -F "the service's quote, backslash and line feed are escaped" "$F" \
	'rbaudit_service_rollbacks_executed{ledger="f.example/l",period="2026-08",service="a\"b\\c\nd",team="t",environment="production"} 1'
L='ledger="f.example/l",period="2026-08"'
expect_grep -F "1 rollback executed" "$F" "rbaudit_rollbacks_executed{$L} 1"
expect_grep -F "1 deployment: a rate of 1" "$F" "rbaudit_rollback_rate{$L} 1"
expect_grep -F "time to restore 1 h: the median" "$F" \
	"rbaudit_time_to_restore_seconds{$L,quantile=\"0.5\"} 3600"
expect_grep -F "  the p90" "$F" "rbaudit_time_to_restore_seconds{$L,quantile=\"0.9\"} 3600"
expect_grep -F "  its sum" "$F" "rbaudit_time_to_restore_seconds_sum{$L} 3600"
expect_grep -F "no approval latency: counted 0" "$F" "rbaudit_approval_latency_seconds_count{$L} 0"
expect_grep -F "approvals-missing is counted once" "$F" \
	"rbaudit_findings{$L,code=\"approvals-missing\"} 1"
expect_grep -F "  separation-of-duties is 0" "$F" \
	"rbaudit_findings{$L,code=\"separation-of-duties\"} 0"
expect_grep -F "score 20: level low" "$F" "rbaudit_rollbacks_by_level{$L,level=\"low\"} 1"
expect_grep -F "flagged (a finding)" "$F" "rbaudit_rollbacks_flagged{$L} 1"
expect_grep -F "evidence 4 of 6: approvals required, not present" "$F" \
	"rbaudit_evidence_present{$L,item=\"approvals\"} 0"
expect_grep -F "  the ticket present" "$F" "rbaudit_evidence_present{$L,item=\"ticket\"} 1"
expect_grep -F "  no complete package" "$F" "rbaudit_evidence_complete_ratio{$L} 0"
expect_grep -F "as of the newest entry, 2026-08-01T03:00:00Z" "$F" \
	"rbaudit_data_as_of_timestamp_seconds{$L} 1785553200"

# The Grafana dashboard: every series its queries (and its variables') name
# is one rbaudit wrote above, every label it filters or groups on is one of
# that series' labels, and it asks for a Prometheus data source.
cat >dashcheck.py <<'EOF'
import json, re, sys
sys.path.insert(0, ".")
from promread import read

series, types = read(sys.argv[2])
d = json.load(open(sys.argv[1]))
labels_of = {}
for name, samples in series.items():
    for labels, _ in samples:
        labels_of.setdefault(name, set()).update(labels)
bad, queries = [], []

def walk(panels):
    for p in panels:
        for t in p.get("targets", []):
            queries.append(("panel %r" % p.get("title"), t["expr"]))
        if p.get("type") != "row" and p.get("datasource", {}).get("uid") != "${datasource}":
            bad.append("panel %r does not use the datasource variable" % p.get("title"))
        walk(p.get("panels", []))

walk(d["panels"])
vars_ = d["templating"]["list"]
if not any(v["type"] == "datasource" and v["query"] == "prometheus" for v in vars_):
    bad.append("no Prometheus datasource variable")
for v in vars_:
    if v["type"] == "query":
        queries.append(("variable " + v["name"], v["definition"]))
names = set()
for where, q in queries:
    q = re.sub(r'"(?:[^"\\]|\\.)*"', '""', q)
    found = re.findall(r'\b(rbaudit_[a-z0-9_]+)', q)
    if not found:
        bad.append("%s reads no rbaudit series: %s" % (where, q))
    for m in re.finditer(r'\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}', q):
        name = m.group(1)
        if not name.startswith("rbaudit_"):
            bad.append("%s selects %s, which rbaudit does not write" % (where, name))
        for lab in re.findall(r'([a-zA-Z_]+)\s*(?:=~|!~|!=|=)', m.group(2)):
            if lab not in labels_of.get(name, set()):
                bad.append("%s filters %s on %s, a label it lacks" % (where, name, lab))
    for grp in re.findall(r'\bby\s*\(([^)]*)\)', q):
        for lab in [x.strip() for x in grp.split(",")]:
            if not any(lab in ls for n, ls in labels_of.items() if n in found):
                bad.append("%s groups by %s, a label of none of its series" % (where, lab))
    m = re.match(r'label_values\((rbaudit_[a-z0-9_]+)[^,]*,\s*([a-z_]+)\)', q)
    if m and m.group(2) not in labels_of.get(m.group(1), set()):
        bad.append("%s lists %s, a label %s lacks" % (where, m.group(2), m.group(1)))
    names.update(found)
for n in sorted(names):
    if n not in series:
        bad.append("the dashboard reads %s, which rbaudit does not write" % n)
print("WHY: " + "; ".join(bad[:6]) if bad else "%d series, all written" % len(names))
sys.exit(1 if bad else 0)
EOF
check "the Grafana dashboard reads only series rbaudit writes, by their labels" \
	python3 dashcheck.py "$ROOT/contrib/grafana-dashboard.json" "$P"

done_testing
