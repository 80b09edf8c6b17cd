#!/bin/sh
# t_compare.sh - focus: `rbaudit compare` (issue #22 point 3) on the sample
# organisation's database: every metric of two stored analyses side by side
# with the change, what is new in the second period, and the errors for a
# period with no stored analysis or one that does not parse.
#
# Expected values are worked out here by want.py from the two documents
# `rbaudit analyze --json` printed when it stored them: the numbers under
# each metric, their differences and ratios, and the rollbacks and findings
# of B that A does not hold.
. "$ROOT/tests/cli/lib.sh"

"$RBAUDIT" sample --out s >/dev/null 2>&1
E=s/exports/rollback-ledger
expect_exit 0 "the sample is ingested" -- "$RBAUDIT" ingest --db a.db --keys s/keys.json "$E"/*
expect_exit 0 "2026-09 is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-09 --json
cp "$OUT" a09.json
expect_exit 0 "2026-10 is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-10 --json
cp "$OUT" a10.json
expect_exit 0 "2026-Q4 is analysed (it holds October's rollbacks)" -- "$RBAUDIT" analyze \
	--db a.db --period 2026-Q4 --json
cp "$OUT" aq4.json

cat > want.py <<'EOP'
"""want.py A.json B.json WHAT: what a comparison of A with B must say."""
import json, sys

a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
METRICS = ["rollbacks_executed", "deployments", "failed_executions", "rollback_rate", "ttd",
           "ttr", "approval_latency", "evidence_complete", "evidence_complete_ratio",
           "evidence_mean_completeness", "levels", "finding_counts", "by_service",
           "by_environment", "by_team"]

def flat(v, path, out):
    if isinstance(v, bool):
        return
    if v is None or isinstance(v, (int, float)):
        out.setdefault(path, v)
    elif isinstance(v, dict):
        for k, x in v.items():
            flat(x, path + "." + k, out)

rows = []
for m in METRICS:
    fa, fb = {}, {}
    flat(a.get(m), m, fa)
    flat(b.get(m), m, fb)
    for name in list(fa) + [k for k in fb if k not in fa]:
        x, y = fa.get(name), fb.get(name)
        ch = y - x if x is not None and y is not None else None
        rel = ch / x if ch is not None and x != 0 else None
        rows.append([name, x, y, ch, rel])
what = sys.argv[3]
if what == "metrics":
    for r in rows:
        print(r[0], *("null" if v is None else "%.9g" % v for v in r[1:]))
elif what == "new-rollbacks":
    have = {r["rollback_id"] for r in a["rollbacks"]}
    print(" ".join(r["rollback_id"] for r in b["rollbacks"] if r["rollback_id"] not in have))
elif what == "new-findings":
    have = {(r["rollback_id"], f) for r in a["rollbacks"] for f in r["findings"]}
    print(" ".join("%s:%s" % (r["rollback_id"], f) for r in b["rollbacks"]
                   for f in sorted(r["findings"]) if (r["rollback_id"], f) not in have))
elif what == "new-codes":
    ca, cb = a["finding_counts"], b["finding_counts"]
    print(" ".join(c for c in cb if cb[c] > 0 and not ca.get(c, 0) > 0))
EOP

# got FILE WHAT: the same from compare's --json.
got() {
	case $2 in
	metrics) json_get "$1" "'\n'.join(' '.join([r['metric']] + ['null' if r[k] is None else '%.9g' % r[k] for k in ('a', 'b', 'change', 'relative')]) for r in d['metrics'])" ;;
	new-rollbacks) json_get "$1" "' '.join(d['new_rollbacks'])" ;;
	new-findings) json_get "$1" "' '.join('%s:%s' % (x['rollback_id'], x['code']) for x in d['new_findings'])" ;;
	new-codes) json_get "$1" "' '.join(d['new_finding_codes'])" ;;
	esac
}

expect_exit 0 "compare --help exits 0" -- "$RBAUDIT" compare --help
expect_grep "  and documents --tz" "$OUT" '^  --tz ZONE'
expect_exit 0 "compare 2026-09 with 2026-10 --json" -- "$RBAUDIT" compare --db a.db \
	--period 2026-09 --period 2026-10 --json
cp "$OUT" c.json
"$PY" want.py a09.json a10.json metrics > want.txt
got c.json metrics > got.txt
check "every metric side by side, with the change and the relative change" cmp want.txt got.txt
check "  (rollbacks, TTR, evidence, levels, findings and teams among them)" sh -c '
	for m in rollbacks_executed ttr.median evidence_complete_ratio levels.high \
		finding_counts.unverified by_team.; do grep -q "^$m" got.txt || exit 1; done'
expect_json "  A is 2026-09's stored analysis" c.json "d['a']['period']" "2026-09"
expect_json "  B is 2026-10's" c.json "d['b']['period']" "2026-10"
expect_json "  made under the same policy" c.json "d['same_policy']" "true"
expect_json "a relative change from 0 is null" c.json \
	"all(r['relative'] is None for r in d['metrics'] if r['a'] == 0)" "true"
for w in new-rollbacks new-findings new-codes; do
	expect_eq "$w of B" "$("$PY" want.py a09.json a10.json $w)" "$(got c.json $w)"
done
check "  (October's rollbacks are all new against September's)" test -n "$(got c.json new-rollbacks)"

# A period that holds the other: the quarter against its month.
expect_exit 0 "compare 2026-10 with 2026-Q4" -- "$RBAUDIT" compare --db a.db \
	--period 2026-10 --period 2026-Q4 --json
cp "$OUT" q.json
expect_eq "  the quarter holds no rollback the month does not" \
	"$("$PY" want.py a10.json aq4.json new-rollbacks)" "$(got q.json new-rollbacks)"
expect_eq "  and no new finding" "$("$PY" want.py a10.json aq4.json new-findings)" \
	"$(got q.json new-findings)"

# The text form.
expect_exit 0 "compare (text)" -- "$RBAUDIT" compare --db a.db --period 2026-09 --period 2026-10
cp "$OUT" c.txt
n9=$(json_get a09.json "d['rollbacks_executed']")
n10=$(json_get a10.json "d['rollbacks_executed']")
expect_grep "  shows rollbacks_executed of both and the change" c.txt \
	"^  rollbacks_executed +$n9 +$n10 +[+]?$((n10 - n9)) "
expect_grep "  and counts the rollbacks new in B" c.txt \
	"^rollbacks new in B: $(json_get a10.json "len(d['rollbacks'])")$"

# Errors.
expect_exit 66 "a period with no stored analysis exits 66" -- "$RBAUDIT" compare --db a.db \
	--period 2026-08 --period 2026-10
expect_grep -F "  naming the period" "$ERR" "no stored analysis of period 2026-08"
expect_grep -F "  and saying to store one with rbaudit analyze" "$ERR" "rbaudit analyze --period 2026-08"
expect_exit 64 "a period that does not parse is a usage error" -- "$RBAUDIT" compare --db a.db \
	--period 2026-13 --period 2026-10
expect_exit 64 "one period only is a usage error" -- "$RBAUDIT" compare --db a.db \
	--period 2026-10
expect_exit 64 "three periods are a usage error" -- "$RBAUDIT" compare --db a.db \
	--period 2026-08 --period 2026-09 --period 2026-10
expect_exit 64 "--fiscal-start 13 is a usage error" -- "$RBAUDIT" compare --db a.db \
	--period 2026-09 --period 2026-10 --fiscal-start 13
expect_exit 64 "an unknown --tz is a usage error" -- "$RBAUDIT" compare --db a.db \
	--period 2026-09 --period 2026-10 --tz No/Such_Zone
expect_exit 66 "a ledger the database does not hold exits 66" -- "$RBAUDIT" compare --db a.db \
	--period 2026-09 --period 2026-10 --ledger other.example/l
expect_exit 66 "a missing database exits 66" -- "$RBAUDIT" compare --db nope.db \
	--period 2026-09 --period 2026-10

done_testing
