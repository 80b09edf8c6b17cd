#!/bin/sh
# t_import_git.sh - rbaudit import git on a repository this test builds with
# real git commands (issue #20): reverts with trailers, a revert of a merge,
# a squash-merge body quoting a revert of a commit the repository lacks,
# relands (a revert of the revert, and Chromium's "This is a reland of"),
# quoted trailers, a bare clone, the state, and the events sealed, ingested,
# analysed and reported.  Every expected value is what the test built.
. "$ROOT/tests/cli/lib.sh"

export GIT_CONFIG_NOSYSTEM=1 HOME="$PWD" GIT_AUTHOR_NAME=Dev GIT_COMMITTER_NAME=Dev
git config --global init.defaultBranch main
git config --global user.email dev@example.com
git config --global user.name Dev

commit() { # AUTHOR_TIME COMMITTER_TIME MESSAGE
	GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$2" git -C repo commit -q --allow-empty-message \
		-am "$3" >/dev/null
}

git init -q repo
mkdir -p repo/services/billing repo/services/search
echo 1 > repo/services/billing/a && echo 1 > repo/services/search/s
git -C repo add -A
commit 2026-08-01T08:00:00Z 2026-08-01T08:00:00Z "Initial"

# C1 on billing, reverted by ops with a reason, a ticket and two approvals.
echo 2 >> repo/services/billing/a
commit 2026-08-03T09:00:00Z 2026-08-03T10:00:00Z "Change billing rounding (#41)"
c1=$(git -C repo rev-parse HEAD)
GIT_AUTHOR_DATE=2026-08-03T11:00:00Z GIT_COMMITTER_DATE=2026-08-03T11:20:00Z \
	git -C repo -c user.email=ops@example.com revert --no-edit HEAD >/dev/null
GIT_AUTHOR_DATE=2026-08-03T11:00:00Z GIT_COMMITTER_DATE=2026-08-03T11:20:00Z \
	git -C repo -c user.email=ops@example.com commit -q --amend -m "Revert \"Change billing rounding (#41)\"

This reverts commit $c1.

Reason for revert: invoices rounded wrongly

Original change's description:
> Change billing rounding
>
> Reviewed-by: quoted@example.com

Bug: OPS-7
Reviewed-by: Ana Lead <ana@example.com>
Acked-by: bo@example.com"
r1=$(git -C repo rev-parse HEAD)

# A merge of a search branch, reverted with -m 1 (a revert of a merge).
git -C repo checkout -q -b feature
echo 2 >> repo/services/search/s
commit 2026-08-05T09:00:00Z 2026-08-05T09:00:00Z "Search tweak"
git -C repo checkout -q main
GIT_AUTHOR_DATE=2026-08-05T10:00:00Z GIT_COMMITTER_DATE=2026-08-05T10:00:00Z \
	git -C repo merge -q --no-ff -m "Merge feature" feature
m=$(git -C repo rev-parse HEAD)
GIT_AUTHOR_DATE=2026-08-05T12:00:00Z GIT_COMMITTER_DATE=2026-08-05T12:30:00Z \
	git -C repo revert -m 1 --no-edit HEAD >/dev/null
r2=$(git -C repo rev-parse HEAD)

# A squash-merge body that quotes a revert of a commit this repository lacks.
echo 3 > repo/services/billing/b
git -C repo add services/billing/b
commit 2026-08-06T09:00:00Z 2026-08-06T09:00:00Z "Squashed PR (#50)

* Revert \"Old thing\"

This reverts commit 1111111111111111111111111111111111111111."

# The revert of C1 reverted again: a reland, which closes rollback r1.
GIT_AUTHOR_DATE=2026-08-10T09:00:00Z GIT_COMMITTER_DATE=2026-08-10T09:30:00Z \
	git -C repo revert --no-edit "$r1" >/dev/null
l1=$(git -C repo rev-parse HEAD)

# Chromium's reland of the merge's change: closes rollback r2.
echo 4 >> repo/services/search/s
commit 2026-08-12T09:00:00Z 2026-08-12T09:45:00Z "Reland \"Search tweak\"

This is a reland of commit $m

Bug: SEARCH-3"
l2=$(git -C repo rev-parse HEAD)

cat > map.json <<'EOM'
{"environment": "production", "risk_tier": "high", "team": "core",
 "services": [{"path": "services/billing/", "service": "billing", "team": "payments"},
              {"path": "services/search/", "service": "search", "team": "discovery"}]}
EOM

expect_exit 0 "import git writes the events" -- "$RBAUDIT" import git repo --map map.json \
	--out ev.jsonl
expect_grep "  its summary counts the commits, rollbacks and the unmapped" "$ERR" \
	'^import: 9 records scanned, 2 rollbacks, [0-9]+ events written, 0 already imported, 1 not mapped'
expect_grep -F "  and says why one was not mapped" "$ERR" \
	"not mapped (1): a revert of a commit that is not in the repository"

# The events, against what the repository holds.
"$PY" - ev.jsonl "$c1" "$r1" "$m" "$r2" "$l1" "$l2" > ev.check <<'EOP'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
c1, r1, m, r2, l1, l2 = sys.argv[2:8]
def one(event, pred):
    x = [e for e in ev if e["event"] == event and pred(e["data"])]
    return x[0] if len(x) == 1 else None
bad = []
def want(name, got, exp):
    if got != exp:
        bad.append("%s: %r, not %r" % (name, got, exp))
id1, id2 = "git-" + r1[:12], "git-" + r2[:12]
d = one("change.deployed", lambda d: d["change_id"] == c1)
want("c1 deployed at its committer time", d and d["time"], "2026-08-03T10:00:00Z")
want("c1 on billing", d and (d["data"]["service"], d["data"]["team"]), ("billing", "payments"))
q = one("rollback.requested", lambda d: d["rollback_id"] == id1)
want("r1 requested at its author time by its author", q and (q["time"], q["actor"]),
     ("2026-08-03T11:00:00Z", "ops@example.com"))
want("r1 rationale", q and q["data"]["rationale"], "invoices rounded wrongly")
want("r1 ticket", q and q["data"]["ticket"], "OPS-7")
want("r1 change", q and q["data"]["change_id"], c1)
want("r1 risk tier from the map", q and q["data"]["risk_tier"], "high")
a = sorted((e["actor"], e["data"]["role"], e["time"]) for e in ev
           if e["event"] == "rollback.approved" and e["data"]["rollback_id"] == id1)
want("r1 approvals: its own trailers, not the quoted one", a,
     [("ana@example.com", "reviewer", "2026-08-03T11:20:00Z"),
      ("bo@example.com", "acker", "2026-08-03T11:20:00Z")])
x = one("rollback.executed", lambda d: d["rollback_id"] == id1)
want("r1 executed at its committer time", x and x["time"], "2026-08-03T11:20:00Z")
cl = one("rollback.closed", lambda d: d["rollback_id"] == id1)
want("r1 closed by its revert's revert", cl and (cl["time"], cl["data"]["resolution"],
     cl["data"]["commit"]), ("2026-08-10T09:30:00Z", "relanded", l1))
q2 = one("rollback.requested", lambda d: d["rollback_id"] == id2)
want("r2 reverts the merge", q2 and q2["data"]["change_id"], m)
want("r2 on search", q2 and q2["data"]["service"], "search")
want("r2 has no ticket", q2 and "ticket" in q2["data"], False)
cl2 = one("rollback.closed", lambda d: d["rollback_id"] == id2)
want("r2 closed by the reland", cl2 and (cl2["time"], cl2["data"]["commit"]),
     ("2026-08-12T09:45:00Z", l2))
want("no rollback of the revert's revert", len([e for e in ev if e["event"] ==
     "rollback.requested"]), 2)
want("sorted by time", [e["time"] for e in ev] == sorted(e["time"] for e in ev), True)
print("\n".join(bad) if bad else "ok")
EOP
expect_eq "the events hold the rollbacks, times, approvals, tickets and relands built" \
	"ok" "$(cat ev.check)"

expect_exit 0 "the same repository again" -- "$RBAUDIT" import git repo --map map.json \
	--out ev2.jsonl
expect_same "  gives the same bytes" ev.jsonl ev2.jsonl
git clone -q --bare repo bare.git
expect_exit 0 "a bare clone imports" -- "$RBAUDIT" import git bare.git --ref main \
	--map map.json --out ev3.jsonl
expect_same "  to the same events" ev.jsonl ev3.jsonl
expect_exit 66 "a folder that is no repository exits 66" -- "$RBAUDIT" import git map.json \
	--out x.jsonl
expect_no_file "  and writes nothing" x.jsonl
echo '{"environment": 7}' > badmap.json
expect_exit 78 "a bad map exits 78" -- "$RBAUDIT" import git repo --map badmap.json --out x.jsonl
expect_grep -F "  naming the member" "$ERR" 'member "environment"'

# The state: a second import writes nothing again; a new revert only itself.
expect_exit 0 "with a state, the first import writes every event" -- "$RBAUDIT" import git \
	repo --map map.json --since-state st.json --out s1.jsonl
expect_same "  the same events" ev.jsonl s1.jsonl
expect_exit 0 "  a second import with the state" -- "$RBAUDIT" import git repo --map map.json \
	--since-state st.json --out s2.jsonl
expect_eq "  writes none" "0" "$(wc -l < s2.jsonl | tr -d ' ')"
echo 5 >> repo/services/billing/a
commit 2026-08-20T09:00:00Z 2026-08-20T09:00:00Z "Billing again"
GIT_AUTHOR_DATE=2026-08-20T10:00:00Z GIT_COMMITTER_DATE=2026-08-20T10:00:00Z \
	git -C repo revert --no-edit HEAD >/dev/null
expect_exit 0 "  after a new revert" -- "$RBAUDIT" import git repo --map map.json \
	--since-state st.json --out s3.jsonl
expect_eq "  writes its three events only" "change.deployed rollback.executed rollback.requested" \
	"$("$PY" -c 'import json,sys; print(" ".join(sorted(json.loads(l)["event"] for l in open(sys.argv[1]))))' s3.jsonl)"

# Sealed, ingested, analysed, reported.
"$RBAUDIT" keygen --name led --out k --valid-from 2026-01-01T00:00:00Z >/dev/null 2>&1
"$RBAUDIT" keys add k/led.pub.json --keys keys.json >/dev/null
"$RBAUDIT" seal --key k/led.pem --ledger git.example/repo --events ev.jsonl --out x >/dev/null
"$RBAUDIT" ingest --db g.db --keys keys.json x >/dev/null
expect_exit 0 "the imported history analyses" -- "$RBAUDIT" analyze --db g.db --period 2026-08 \
	--json
expect_json "  two rollbacks executed in August" "$OUT" "d['rollbacks_executed']" 2
expect_json "  r1 has two valid approvals" "$OUT" \
	"[[a['actor'] for a in r['approvers']] for r in d['rollbacks'] if r['rollback_id'] == 'git-$(echo "$r1" | cut -c1-12)']" \
	'[["ana@example.com", "bo@example.com"]]'
"$RBAUDIT" analyze --db g.db --period 2026-08 --sample 2 >/dev/null
expect_exit 0 "  and reports" -- "$RBAUDIT" report --db g.db --period 2026-08 \
	--template auditor-pack --out rep
pdftotext -layout rep/auditor-pack-2026-08.pdf aud.txt 2>/dev/null
expect_grep -F "  the auditor pack shows the reason for revert" aud.txt "invoices rounded wrongly"
expect_grep -F "  and the reland" aud.txt "relanded by"
done_testing
