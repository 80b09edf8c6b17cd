#!/bin/sh
# t_search.sh - focus: `rbaudit search` (issue #22 point 2) and its open work
# view, `search --open` (point 8), on the sample organisation's database:
# each filter alone and combined, actors matched as the same person
# (metrics-v1 §8.1), --json and --csv (RFC 4180, formula-safe), hostile
# input that must stay data.
#
# Expected values are computed here by want.py from the exports' own
# entries.jsonl (requests, actors, texts, executions, closures) and from
# the documents `rbaudit analyze --json` printed (team, level, findings),
# never from search's output.
. "$ROOT/tests/cli/lib.sh"

"$RBAUDIT" sample --out s >/dev/null 2>&1
E=s/exports/rollback-ledger
expect_exit 0 "the sample is ingested" -- "$RBAUDIT" ingest --db a.db --keys s/keys.json "$E"/*
expect_exit 0 "2026-09 is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-09 --json
cp "$OUT" a09.json
expect_exit 0 "2026-10 is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-10 --json
cp "$OUT" a10.json

cat > want.py <<'EOP'
"""want.py MODE [ARG...]: the rollbacks a search should list, one id a line."""
import base64, datetime, json, os, sys, unicodedata

ROOT = "s/exports/rollback-ledger"
ents = []
for d in sorted(os.listdir(ROOT)):
    for line in open(os.path.join(ROOT, d, "entries.jsonl"), "rb"):
        ents.append(json.loads(base64.b64decode(json.loads(line)["payload"])))

def norm(s):
    # metrics-v1 §8.1: NFC(casefold(NFC(trim(s)))); the sample's spaces are ASCII.
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", s.strip()).casefold())

def secs(t):
    return int(datetime.datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")
               .replace(tzinfo=datetime.timezone.utc).timestamp())

req = {}
own = {}
for e in ents:
    rid = e["data"].get("rollback_id")
    if rid is None:
        continue
    own.setdefault(rid, []).append(e)
    if e["event"] == "rollback.requested" and rid not in req:
        req[rid] = e
order = sorted(req, key=lambda r: (secs(req[r]["time"]), req[r]["seq"]))

facts = {}
for f in ("a09.json", "a10.json"):
    for r in json.load(open(f))["rollbacks"]:
        facts[r["rollback_id"]] = r

def status(rid):
    es = sorted(own[rid], key=lambda e: e["seq"])
    closed = [e for e in es if e["event"] == "rollback.closed"]
    ex = [e for e in es if e["event"] == "rollback.executed"]
    ok = [e for e in ex if "result" not in e["data"] or e["data"]["result"] == "success"]
    bad = [e for e in ex if e not in ok]
    rej = [e for e in es if e["event"] == "rollback.rejected"]
    if closed: return "closed", closed[0]["time"]
    if ok: return "executed", ok[0]["time"]
    if bad: return "failed", bad[-1]["time"]
    if rej: return "rejected", rej[0]["time"]
    return "requested", req[rid]["time"]

mode, args = sys.argv[1], sys.argv[2:]
out = []
for rid in order:
    d = req[rid]["data"]
    if mode == "all":
        keep = True
    elif mode == "service":
        keep = d.get("service") == args[0]
    elif mode == "service-env":
        keep = d.get("service") == args[0] and d.get("environment") == args[1]
    elif mode == "actor":
        keep = any(norm(e["actor"]) == norm(args[0]) for e in own[rid])
    elif mode == "spelt":
        keep = any(e["actor"] == args[0] for e in own[rid])
    elif mode == "time":
        keep = secs(args[0]) <= secs(req[rid]["time"]) < secs(args[1])
    elif mode == "text":
        texts = [d.get(k) for k in ("rationale", "impact", "security_considerations", "ticket")]
        keep = any(isinstance(t, str) and norm(args[0]) in norm(t) for t in texts)
    elif mode == "team":
        keep = rid in facts and facts[rid]["team"] == args[0]
    elif mode == "finding":
        keep = rid in facts and args[0] in facts[rid]["findings"]
    elif mode == "level":
        keep = rid in facts and facts[rid]["level"] == args[0]
    elif mode == "team-finding":
        keep = rid in facts and facts[rid]["team"] == args[0] and args[1] in facts[rid]["findings"]
    elif mode == "open":
        st, since = status(rid)
        if st in ("requested", "executed", "failed"):
            out.append("%s %s %d" % (rid, st, secs(args[0]) - secs(since)))
        continue
    elif mode == "top-service":
        continue
    if keep:
        out.append(rid)
if mode == "top-service":
    from collections import Counter
    out = [Counter(req[r]["data"]["service"] for r in order).most_common(1)[0][0]]
print("\n".join(out))
EOP

# got FILE: the ids of a search --json, one a line.
got() {
	json_get "$1" "'\n'.join(r['rollback_id'] for r in d['rollbacks'])"
}

# want MODE [ARG...]: want.py's list into want.txt.
want() {
	"$PY" want.py "$@" > want.txt
}

# same NAME SEARCH-OPTIONS...: search --json lists exactly want.txt, in order.
same() {
	_name=$1
	shift
	run "$RBAUDIT" search --db a.db --json "$@"
	if [ "$RC" -ne 0 ]; then
		fail "$_name" "search exited $RC: $(_snip "$ERR")"
		return
	fi
	cp "$OUT" got.json
	got got.json > got.txt
	if cmp -s want.txt got.txt; then
		pass "$_name ($(grep -c . want.txt) rollbacks)"
	else
		fail "$_name" "want $(tr '\n' ' ' < want.txt | cut -c1-120), got $(tr '\n' ' ' < got.txt | cut -c1-120)"
	fi
}

expect_exit 0 "search --help exits 0" -- "$RBAUDIT" search --help
expect_grep "  and documents --open" "$OUT" '^  --open '

want all
same "no filter lists every requested rollback in request order"
expect_json "  the JSON counts them" got.json "d['count']" "$(grep -c . want.txt)"
expect_json "  and names the ledger" got.json "d['ledger']" "acme.example/rollback-ledger"
svc=$("$PY" want.py top-service)
want service "$svc"
same "--service $svc" --service "$svc"
want service-env "$svc" production
same "--service $svc --environment production (AND)" --service "$svc" --environment production
want actor kenji@acme.example
same "--actor kenji@acme.example finds every spelling of Kenji" --actor kenji@acme.example
"$PY" want.py spelt 'Kenji@acme.example ' > spelt.txt
check "  including his entries spelt 'Kenji@acme.example ' (a capital and a trailing space)" \
	"$PY" -c 'spelt = open("spelt.txt").read().split(); got = open("got.txt").read().split()
assert spelt and set(spelt) <= set(got), (spelt, got)'

want actor kenji@acme.example
same "--actor '  KENJI@ACME.EXAMPLE' is the same person" --actor "  KENJI@ACME.EXAMPLE"
want actor "zoë.müller@acme.example"
same "--actor 'zoë.müller@acme.example' (non-ASCII)" --actor "ZOË.MÜLLER@acme.example"
want actor nobody@nowhere.example
same "--actor nobody finds nothing" --actor nobody@nowhere.example
want time 2026-09-01T00:00:00Z 2026-10-01T00:00:00Z
same "--since and --until (half-open)" --since 2026-09-01T00:00:00Z --until 2026-10-01T00:00:00Z
want text reverting
same "--text in the rationale, any case" --text REVERTING
# The ticket of an October request that has one, in lower case.
tk=$("$PY" -c '
import base64, json
for line in open("s/exports/rollback-ledger/2026-10/entries.jsonl", "rb"):
    p = json.loads(base64.b64decode(json.loads(line)["payload"]))
    t = p["data"].get("ticket")
    if p["event"] == "rollback.requested" and isinstance(t, str) and t.strip():
        print(t.lower()); break')
want text "$tk"
same "--text $tk: one rollback's ticket, in lower case" --text "$tk"
check "  (a search that finds few)" test "$(grep -c . want.txt)" -ge 1 -a "$(grep -c . want.txt)" -le 3
want text "SEE FAILURES (≈10% OF"
same "--text with a non-ASCII character, any case" --text "SEE FAILURES (≈10% OF"
want text %
same "--text '%' is a character, not a pattern" --text %
want text _
same "--text '_' is a character, not a pattern" --text _
want text "'; DROP TABLE entry; --"
same "--text with SQL in it finds nothing and changes nothing" --text "'; DROP TABLE entry; --"
expect_eq "  the database still holds every entry" "$(cat "$E"/*/entries.jsonl | wc -l)" \
	"$(sqlite3 a.db 'SELECT count(*) FROM entry')"
team=$(json_get a10.json "d['rollbacks'][0]['team']")
want team "$team"
same "--team $team (from the stored analyses)" --team "$team"
fnd=$(json_get a10.json "[f for r in d['rollbacks'] for f in r['findings']][0]")
want finding "$fnd"
same "--finding $fnd" --finding "$fnd"
want level low
same "--level low" --level low
lv=$(json_get a10.json "[r['level'] for r in d['rollbacks'] if r['level'] != 'low'][0]")
want level "$lv"
same "--level $lv" --level "$lv"
team2=$(json_get a10.json "[r['team'] for r in d['rollbacks'] if '$fnd' in r['findings']][0]")
want team-finding "$team2" "$fnd"
same "--team $team2 --finding $fnd (AND)" --team "$team2" --finding "$fnd"
want team "$team2"
check "  (fewer than --team $team2 alone)" test "$(grep -c . want.txt)" -gt "$(grep -c . got.txt)"

# Open work.
NOW=2026-11-01T00:00:00Z
"$PY" want.py open "$NOW" > want-open.txt
expect_exit 0 "search --open --now $NOW" -- "$RBAUDIT" search --db a.db --open --now "$NOW" --json
cp "$OUT" open.json
json_get open.json "'\n'.join('%s %s %d' % (r['rollback_id'], r['status'], r['age_seconds']) for r in d['rollbacks'])" > got-open.txt
check "  lists requested, executed-not-closed and failed rollbacks with their ages" \
	cmp want-open.txt got-open.txt
check "  (the sample has open work)" test -s want-open.txt
expect_exit 0 "search --open (text)" -- "$RBAUDIT" search --db a.db --open --now "$NOW"
expect_eq "  one line per open rollback" "$(grep -c . want-open.txt)" "$(grep -c . "$OUT")"
r1=$(head -n 1 want-open.txt | cut -d' ' -f1)
s1=$(head -n 1 want-open.txt | cut -d' ' -f2)
a1=$(head -n 1 want-open.txt | cut -d' ' -f3)
expect_grep "  the first with its status and age in days" "$OUT" \
	"^$r1 .* $s1 $((a1 / 86400))d $((a1 % 86400 / 3600))h"

# CSV.
expect_exit 0 "search --csv" -- "$RBAUDIT" search --db a.db --csv
cp "$OUT" all.csv
"$PY" want.py all > want.txt
check "  parses as CSV with a header row and one row per rollback" "$PY" -c '
import csv, sys
rows = list(csv.reader(open("all.csv", newline="", encoding="utf-8")))
want = open("want.txt").read().split()
assert rows[0][:3] == ["rollback_id", "requested", "requester"], rows[0]
assert [r[0] for r in rows[1:]] == want, "ids differ"
assert all(len(r) == len(rows[0]) for r in rows), "ragged rows"
'
check "  its lines end in CRLF (RFC 4180)" "$PY" -c '
data = open("all.csv", "rb").read()
assert data.endswith(b"\r\n") and data.count(b"\n") == data.count(b"\r\n"), "bare LF"
'

# A formula-looking requester and service in a ledger of our own.
"$RBAUDIT" keygen --name led --out k --valid-from 2026-01-01T00:00:00Z >/dev/null 2>&1
"$RBAUDIT" keys add k/led.pub.json --keys keys.json >/dev/null
cat > ev.jsonl <<'EOV'
{"time":"2026-08-01T00:00:00Z","event":"change.deployed","actor":"dev","data":{"change_id":"C1","service":"-svc,1","environment":"production","team":"t","ticket":"T","commit":"c","artifact":"a"}}
{"time":"2026-08-01T01:00:00Z","event":"rollback.requested","actor":"=HYPERLINK(\"http://x\")","data":{"rollback_id":"R1","change_id":"C1","service":"-svc,1","environment":"@prod","risk_tier":"low","emergency":false,"ticket":"+T","rationale":"r","impact":"i","security_considerations":"s","components":[],"operation":{}}}
{"time":"2026-08-01T02:00:00Z","event":"rollback.executed","actor":"@ops","data":{"rollback_id":"R1","result":"success","from_version":"2","to_version":"1","touches":[]}}
EOV
"$RBAUDIT" seal --key k/led.pem --ledger f.example/l --events ev.jsonl --out fx >/dev/null 2>&1
"$RBAUDIT" ingest --db f.db --keys keys.json fx >/dev/null 2>&1
expect_exit 0 "search --csv of a ledger with formula-looking texts" -- "$RBAUDIT" search \
	--db f.db --csv
cp "$OUT" f.csv
expect_grep -F "  the =HYPERLINK requester gets an apostrophe, quoted and its quotes doubled" \
	f.csv "R1,2026-08-01T01:00:00Z,\"'=HYPERLINK(\"\"http://x\"\")\",\"'-svc,1\",'@prod,"
check "  and reads back as that text" "$PY" -c '
import csv
rows = list(csv.reader(open("f.csv", newline="", encoding="utf-8")))
assert rows[1][2] == "'"'"'=HYPERLINK(\"http://x\")", rows[1]
assert rows[1][3] == "'"'"'-svc,1", rows[1]
'
expect_exit 0 "search --actor '@OPS' finds its executor" -- "$RBAUDIT" search --db f.db \
	--actor "@OPS" --json
expect_json "  R1" "$OUT" "[r['rollback_id'] for r in d['rollbacks']]" '["R1"]'
expect_json "  without analysis: no team, level or score" "$OUT" \
	"[d['rollbacks'][0][k] for k in ('team', 'level', 'score', 'analysis_period')]" \
	'[null, null, null, null]'

# Usage.
expect_exit 64 "an unknown --finding is a usage error" -- "$RBAUDIT" search --db a.db \
	--finding no-such-finding
expect_grep "  naming it" "$ERR" "no-such-finding"
expect_exit 64 "an unknown --level is a usage error" -- "$RBAUDIT" search --db a.db --level severe
expect_exit 64 "--json and --csv together are a usage error" -- "$RBAUDIT" search --db a.db \
	--json --csv
expect_exit 64 "--since after --until is a usage error" -- "$RBAUDIT" search --db a.db \
	--since 2026-10-01T00:00:00Z --until 2026-09-01T00:00:00Z
expect_exit 64 "--since that is not a time is a usage error" -- "$RBAUDIT" search --db a.db \
	--since yesterday
expect_exit 64 "a blank --actor is a usage error" -- "$RBAUDIT" search --db a.db --actor "  "
expect_exit 64 "search without --db is a usage error" -- "$RBAUDIT" search --service x
expect_exit 66 "a missing database exits 66" -- "$RBAUDIT" search --db nope.db

done_testing
