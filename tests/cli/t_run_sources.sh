#!/bin/sh
# t_run_sources.sh - the job's "sources" (issue #20 point 4): `rbaudit run`
# imports a GitLab history with PagerDuty incidents and a Helm release,
# seals each into an export in the inbox with the producer key, ingests,
# analyses and reports them in one step; a second run imports nothing new; a
# source that cannot be sealed (a key the trust store lacks, an event before
# the key's window) stops the run before anything moves, both states as
# they were.
. "$ROOT/tests/cli/lib.sh"

D="$ROOT/tests/data/import"
mkdir -p job/keys job/in job/state
"$RBAUDIT" keygen --name producer --out job/keys --valid-from 2026-01-01T00:00:00Z >/dev/null 2>&1
"$RBAUDIT" keygen --name reports --out job/keys --roles report --valid-from 2026-01-01T00:00:00Z >/dev/null 2>&1
"$RBAUDIT" keys add job/keys/producer.pub.json --keys job/trust.json >/dev/null
"$RBAUDIT" keys add job/keys/reports.pub.json --keys job/trust.json >/dev/null
cp "$D/gitlab/deployments.json" job/in/gitlab.json
cp "$D/pagerduty/incidents.json" job/in/pd.json
cp "$D/helm/billing.json" job/in/billing.json
cat > job/import.json <<'M'
{"services": [{"name": "acme/billing", "service": "billing", "team": "payments"},
              {"name": "PBILL01", "service": "billing"},
              {"name": "billing", "service": "billing-chart", "team": "payments"}]}
M
cat > job/job.json <<'J'
{"database": "audit.db", "trust_store": "trust.json", "inbox": "inbox",
 "archive": "archive", "quarantine": "quarantine", "output": "reports/{period}",
 "templates": ["governance-monthly", "analysis-json"], "report_key": "keys/reports.pem",
 "alert_level": "none", "alert_findings": [], "settle_seconds": 0, "stale_after_hours": 8760,
 "sources": [
   {"source": "gitlab", "inputs": ["in/gitlab.json"], "name": "acme/billing",
    "incidents": ["in/pd.json"], "map": "import.json", "state": "state/gitlab.json",
    "key": "keys/producer.pem", "ledger": "gitlab.example/acme-billing",
    "seal_state": "state/gitlab.ledger"},
   {"source": "helm", "inputs": "in/billing.json", "map": "import.json",
    "state": "state/helm.json", "key": "keys/producer.pem",
    "ledger": "gitlab.example/acme-billing", "seal_state": "state/gitlab.ledger"}]}
J

expect_exit 0 "a dry run" -- "$RBAUDIT" run --config job/job.json --period 2026-11 --dry-run
expect_grep "  says what it would seal" "$ERR" 'import +would +gitlab .*: 15 new events would be sealed'
expect_no_file "  and saves no state" job/state/gitlab.json
expect_no_file "  nor a seal state" job/state/gitlab.ledger
expect_no_file "  nor a scratch file" job/state/gitlab.json.next.tmp
expect_exit 0 "a run with two sources" -- "$RBAUDIT" run --config job/job.json --period 2026-11
expect_grep "  logs the GitLab import" "$ERR" 'rbaudit run: import +ok +gitlab .*: 15 new events'
expect_grep "  and the Helm one" "$ERR" 'rbaudit run: import +ok +helm .*: 9 new events'
expect_grep "  sealed together, one ledger, one export in time order" "$ERR" \
	'rbaudit run: import +ok +24 events of gitlab\+helm sealed for ledger gitlab.example/acme-billing'
expect_grep "  which is ingested" "$ERR" 'ingest +accepted .*import-.*-1-gitlab\+helm: 24 new entries'
expect_no_grep "  with no time running backwards" "$ERR" 'W_TIME_BACKWARDS'
expect_file "  the import states saved" job/state/gitlab.json
expect_file "  the seal state saved" job/state/gitlab.ledger
expect_no_file "  no scratch file left" job/state/gitlab.json.events.tmp
expect_json "  the analysis holds both sources' rollbacks (2 GitLab, 2 Helm)" \
	job/reports/2026-11/analysis-2026-11.json "d['analysis']['rollbacks_executed']" 4
expect_json "  and the incident's detection time" job/reports/2026-11/analysis-2026-11.json \
	"[r['ttr'] for r in d['analysis']['rollbacks'] if r['rollback_id'] == 'gitlab-acme/billing-1004']" \
	"[1500]"
pdftotext job/reports/2026-11/governance-2026-11.pdf gov.txt 2>/dev/null
expect_grep -F "  the governance pack shows the imported services" gov.txt "billing-chart"

cp job/state/gitlab.json st1.json
expect_exit 0 "a second run" -- "$RBAUDIT" run --config job/job.json --period 2026-11
expect_grep "  imports nothing new" "$ERR" 'rbaudit run: import +noop +gitlab .*: 0 new events'
expect_same "  the state unchanged" job/state/gitlab.json st1.json

# A new deployment history: only what is new is sealed.
"$PY" - "$D/gitlab/deployments.json" job/in/gitlab.json <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
x = dict(d[-1]); x["id"] = 1099; x["iid"] = 99; x["sha"] = "d" * 40
x["created_at"] = x["updated_at"] = "2026-11-25T10:00:00.000Z"
if x.get("deployable"): x["deployable"] = dict(x["deployable"], finished_at="2026-11-25T10:05:00.000Z")
x.pop("approvals", None)
json.dump(d + [x], open(sys.argv[2], "w"))
EOP
expect_exit 0 "a run after one more deployment" -- "$RBAUDIT" run --config job/job.json \
	--period 2026-11
expect_grep "  seals its one event" "$ERR" 'import +ok +1 event of gitlab\+helm sealed'

# Mistakes stop the run before anything moves.
cp -r job job2
cp job2/state/gitlab.json gl-before.json
cp job2/state/gitlab.ledger seal-before.state
"$PY" - job2/in/gitlab.json <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
x = dict(d[-1]); x["id"] = 1100; x["sha"] = "e" * 40
x["created_at"] = x["updated_at"] = "2025-06-01T10:00:00.000Z"
if x.get("deployable"): x["deployable"] = dict(x["deployable"], finished_at="2025-06-01T10:05:00.000Z")
json.dump(d + [x], open(sys.argv[1], "w"))
EOP
ls job2/inbox > inbox-before.txt 2>/dev/null
expect_exit 65 "an event before the producer key's window stops the run" -- "$RBAUDIT" run \
	--config job2/job.json --period 2026-11
expect_grep -F "  naming the sources and the key's window" "$ERR" "sealing gitlab+helm for ledger"
expect_grep -F "  (the window)" "$ERR" "2026-01-01T00:00:00Z"
expect_same "  the import state as it was" job2/state/gitlab.json gl-before.json
expect_same "  the seal state as it was" job2/state/gitlab.ledger seal-before.state
ls job2/inbox > inbox-after.txt 2>/dev/null
expect_same "  no export left in the inbox" inbox-before.txt inbox-after.txt
"$PY" - job/job.json job/job-bad.json <<'EOP'
import json, sys
j = json.load(open(sys.argv[1]))
for s in j["sources"]:
    s["key_name"] = "nobody"
json.dump(j, open(sys.argv[2], "w"))
EOP
expect_exit 78 "a key the trust store lacks" -- "$RBAUDIT" run --config job/job-bad.json \
	--period 2026-11
expect_grep -F "  is named" "$ERR" "holds no key 'nobody'"
"$PY" - job/job.json job/job-two.json <<'EOP'
import json, sys
j = json.load(open(sys.argv[1]))
j["sources"][1]["ledger"] = "helm.example/billing"
json.dump(j, open(sys.argv[2], "w"))
EOP
expect_exit 78 "two ledgers with one seal state" -- "$RBAUDIT" run --config job/job-two.json \
	--period 2026-11
expect_grep -F "  is refused" "$ERR" "sources 1 and 2 share a seal_state but not their ledger and key"
echo '{"database": "a.db", "trust_store": "t.json", "inbox": "i", "output": "r/{period}", "templates": ["analysis-json"], "sources": [{"source": "svn", "inputs": "x", "state": "s", "key": "k", "ledger": "l", "seal_state": "ss"}]}' > bad.json
expect_exit 78 "an unknown source in the job file" -- "$RBAUDIT" run --config bad.json
expect_grep -F "  is named" "$ERR" '"sources"[0].source must be git, helm, argocd, gitlab or github'
done_testing
