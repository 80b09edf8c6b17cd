#!/bin/sh
# t_show.sh - focus: `rbaudit show ID` (issue #22 point 1) on the sample
# organisation's database: the timeline's entries with the export folder and
# line each came from, the record's texts, every stored analysis that holds
# the rollback, --proofs, and an unknown id with the closest ids.
#
# Expected values are computed here by ledger.py from the exports' own
# entries.jsonl (the timeline: the rollback's entries, the first
# change.deployed of its change and the first incident.detected of its
# incident; each entry's line), from `rbaudit analyze --json` (the scores and
# findings show repeats) and by a Levenshtein distance written here.
. "$ROOT/tests/cli/lib.sh"

"$RBAUDIT" sample --out s >/dev/null 2>&1
E=s/exports/rollback-ledger
expect_exit 0 "the sample is ingested" -- "$RBAUDIT" ingest --db a.db --keys s/keys.json "$E"/*
expect_exit 0 "2026-09 is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-09 --json
cp "$OUT" a09.json
expect_exit 0 "2026-10 is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-10 --json
cp "$OUT" a10.json
expect_exit 0 "and the quarter 2026-Q4, which holds October's rollbacks too" -- \
	"$RBAUDIT" analyze --db a.db --period 2026-Q4

cat > ledger.py <<'EOP'
"""ledger.py: what the sample's exports say about one rollback."""
import base64, json, os, sys

def entries(root):
    out = []
    for d in sorted(os.listdir(root)):
        with open(os.path.join(root, d, "entries.jsonl"), "rb") as f:
            for n, line in enumerate(f, 1):
                p = json.loads(base64.b64decode(json.loads(line)["payload"]))
                p["_export"], p["_line"] = d, n
                out.append(p)
    return out

def timeline(ents, rid):
    own = [e for e in ents if e["data"].get("rollback_id") == rid]
    req = [e for e in own if e["event"] == "rollback.requested"]
    seqs = {e["seq"] for e in own}
    if req:
        ch, inc = req[0]["data"].get("change_id"), req[0]["data"].get("incident_id")
        for ev, k, v in (("change.deployed", "change_id", ch), ("incident.detected", "incident_id", inc)):
            first = [e for e in ents if e["event"] == ev and v is not None and e["data"].get(k) == v]
            if first:
                seqs.add(first[0]["seq"])
    return [e for e in ents if e["seq"] in seqs]

def lev(a, b):
    a, b = a.lower(), b.lower()
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            cur = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev, row[j] = row[j], cur
    return row[len(b)]

ents = entries(sys.argv[2])
if sys.argv[1] == "timeline":
    for e in timeline(ents, sys.argv[3]):
        print(e["seq"], e["time"], e["event"], e["actor"], e["_export"], e["_line"], sep="|")
elif sys.argv[1] == "closest":
    ids = sorted({e["data"]["rollback_id"] for e in ents if "rollback_id" in e["data"]})
    print(", ".join(sorted(ids, key=lambda x: (lev(sys.argv[3], x), x))[:3]))
EOP

# A rollback of October with findings, from the analysis.
R=$(json_get a10.json "[r['rollback_id'] for r in d['rollbacks'] if r['findings']][0]")
expect_exit 0 "show --help exits 0" -- "$RBAUDIT" show --help
expect_grep "  and documents --proofs" "$OUT" '^  --proofs DIR'
expect_exit 0 "show $R --json" -- "$RBAUDIT" show "$R" --db a.db --json
cp "$OUT" show.json
"$PY" ledger.py timeline "$E" "$R" > want.txt
json_get show.json "'\n'.join('|'.join(str(x[k]) for k in ('seq','time','event','actor')) + '|' + x['export'].rstrip('/').split('/')[-1] + '|' + str(x['line']) for x in d['entries'])" > got.txt
check "its entries are the timeline's, each with seq, time, event, actor, export and line" \
	cmp want.txt got.txt
check "  (the timeline holds several entries)" test "$(wc -l < want.txt)" -ge 4
expect_json "  and each names the file entries.jsonl" show.json \
	"sorted({x['file'] for x in d['entries']})" '["entries.jsonl"]'
expect_json "  with its payload's data decoded" show.json \
	"[x['data']['rollback_id'] for x in d['entries'] if x['event'] == 'rollback.requested']" "[\"$R\"]"
expect_json "the record starts with the request's ticket" show.json "d['record'][0][0]" "Ticket"
want_ticket=$(json_get show.json "[x['data']['ticket'] for x in d['entries'] if x['event'] == 'rollback.requested'][0]")
expect_json "  as the request says it" show.json "d['record'][0][1]" "$want_ticket"
expect_json "every stored analysis that holds it: 2026-10 and 2026-Q4" show.json \
	"[a['period'] for a in d['analyses']]" '["2026-10", "2026-Q4"]'
expect_json "  its score as analyze computed it" show.json "d['analyses'][0]['score']" \
	"$(json_get a10.json "[r['score'] for r in d['rollbacks'] if r['rollback_id'] == '$R'][0]")"
expect_json "  its findings" show.json "d['analyses'][0]['facts']['findings']" \
	"$(json_get a10.json "[r['findings'] for r in d['rollbacks'] if r['rollback_id'] == '$R'][0]")"
expect_json "  its evidence items" show.json "d['analyses'][0]['facts']['evidence']" \
	"$(json_get a10.json "[r['evidence'] for r in d['rollbacks'] if r['rollback_id'] == '$R'][0]")"
expect_json "  its score factors" show.json "d['analyses'][0]['facts']['score_factors']" \
	"$(json_get a10.json "[r['score_factors'] for r in d['rollbacks'] if r['rollback_id'] == '$R'][0]")"
expect_json "  flagged, as it has findings" show.json "d['analyses'][0]['flagged']" "true"

# The text form.
expect_exit 0 "show $R (text)" -- "$RBAUDIT" show "$R" --db a.db
cp "$OUT" show.txt
first=$(head -n 1 want.txt)
seq=${first%%|*}
line=${first##*|}
expect_grep "the text names the first entry's seq" show.txt "^  seq $seq "
expect_grep "  and the file and line it came from" show.txt "/entries.jsonl line $line"
expect_grep "the text shows the analysis of 2026-10" show.txt "^analysis [0-9]+ of period 2026-10 "
f1=$(json_get a10.json "[r['findings'] for r in d['rollbacks'] if r['rollback_id'] == '$R'][0][0]")
expect_grep "  with its first finding" show.txt "^  findings:.* $f1"
expect_grep "  and its evidence" show.txt '^  evidence: approvals '

# A rollback no analysis holds: one requested in May is shown, without analyses.
R5=$("$PY" -c '
import base64, json, sys
for line in open(sys.argv[1], "rb"):
    p = json.loads(base64.b64decode(json.loads(line)["payload"]))
    if p["event"] == "rollback.requested":
        print(p["data"]["rollback_id"]); break' "$E/2026-05/entries.jsonl")
expect_exit 0 "a May rollback is shown though no analysis holds it" -- \
	"$RBAUDIT" show "$R5" --db a.db --json
expect_json "  with no analyses" "$OUT" "d['analyses']" "[]"

# --proofs.
expect_exit 0 "show --proofs writes its entries' proofs" -- "$RBAUDIT" show "$R" --db a.db \
	--proofs pr --json
cp "$OUT" showp.json
n=$(wc -l < want.txt)
expect_eq "  one proof file per entry of the timeline" "$n" "$(ls pr/"$R" | wc -l)"
check "  named seq-N.tlog-proof for each entry" sh -c "
	for s in \$(cut -d'|' -f1 want.txt); do test -f pr/$R/seq-\$s.tlog-proof || exit 1; done"
expect_exit 0 "  and they verify offline" -- "$RBAUDIT" verify-proof --keys s/keys.json pr/"$R"/*
expect_json "  the JSON lists them" showp.json "len(d['proofs'])" "$n"

# Unknown ids.
expect_exit 1 "an unknown id exits 1" -- "$RBAUDIT" show RB-0013 --db a.db
expect_grep -F "  saying no rollback RB-0013 in ledger acme.example/rollback-ledger" "$ERR" \
	"no rollback RB-0013 in ledger acme.example/rollback-ledger"
want=$("$PY" ledger.py closest "$E" RB-0013)
expect_grep -F "  and naming the closest ids ($want)" "$ERR" "the closest ids: $want"
expect_exit 1 "an id with SQL in it is just unknown" -- "$RBAUDIT" show "RB-1' OR '1'='1" --db a.db
expect_eq "  and the database still holds every entry" "$(cat "$E"/*/entries.jsonl | wc -l)" \
	"$(sqlite3 a.db 'SELECT count(*) FROM entry')"

# Usage.
expect_exit 64 "show without an id is a usage error" -- "$RBAUDIT" show --db a.db
expect_exit 64 "show without --db is a usage error" -- "$RBAUDIT" show "$R"
expect_exit 64 "two ids are a usage error" -- "$RBAUDIT" show "$R" "$R" --db a.db
expect_exit 66 "a ledger the database does not hold exits 66" -- "$RBAUDIT" show "$R" \
	--db a.db --ledger other.example/l
expect_exit 66 "a missing database exits 66" -- "$RBAUDIT" show "$R" --db nope.db

done_testing
