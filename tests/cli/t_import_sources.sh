#!/bin/sh
# t_import_sources.sh - rbaudit import helm, argocd, gitlab, github and
# pagerduty on the fixtures of tests/data/import (each in the shape of the
# tool's own output; README.md and README-apis.md there say where each shape
# comes from and what story each file tells).  Every expected event below is
# worked out by hand from that story and docs/IMPORT.md's rules, not taken
# from rbaudit's output.  Then a GitLab history with PagerDuty incidents is
# sealed, ingested and analysed, and its figures checked.
. "$ROOT/tests/cli/lib.sh"

D="$ROOT/tests/data/import"
ev() { "$PY" "$ROOT/tests/cli/import_events.py" "$1"; }
# expect_events_json NAME FILE PYEXPR EXPECTED: PYEXPR over E, the file's events.
expect_events_json() {
	expect_eq "$1" "$4" "$("$PY" -c 'import json, sys
E = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
print(eval(sys.argv[2]))' "$2" "$3")"
}
expect_events() { # NAME FILE (the expected lines on standard input)
	cat > want.txt
	ev "$2" > got.txt
	if cmp -s want.txt got.txt; then pass "$1"; else
		fail "$1"; diff want.txt got.txt | sed 's/^/#   /' >&2; fi
}

# ---- Helm ----
expect_exit 0 "helm: a release's history imports" -- "$RBAUDIT" import helm \
	"$D/helm/billing.json" --out helm.jsonl
expect_events "  every revision a deployment, 'Rollback to N' a rollback, a failed rollback retried (times from +01:00 to UTC)" helm.jsonl <<'X'
2026-11-02T08:00:00Z change.deployed helm change_id=billing#1
2026-11-05T09:00:00.123456789Z change.deployed helm change_id=billing#2
2026-11-06T10:30:00Z rollback.requested helm rollback_id=helm-billing-3 change_id=billing#2
2026-11-06T10:30:00Z rollback.executed helm rollback_id=helm-billing-3 result=success
2026-11-10T13:00:00Z change.deployed helm change_id=billing#4 status=failed
2026-11-10T13:20:00Z rollback.requested helm rollback_id=helm-billing-5 change_id=billing#4
2026-11-10T13:20:00Z rollback.executed helm rollback_id=helm-billing-5 result=failed
2026-11-10T13:40:00Z rollback.executed helm rollback_id=helm-billing-5 result=success
2026-11-20T07:00:00Z change.deployed helm change_id=billing#7
X
expect_grep -F "  the summary counts revisions and rollbacks" "$ERR" \
	"import: 7 records scanned, 2 rollbacks, 9 events written"
expect_events_json "  the rollback names where it went back to" helm.jsonl \
	"[e['data']['operation'] for e in E if 'helm-billing-3' in json.dumps(e) and 'requested' in json.dumps(e)][0]" \
	"{'kind': 'helm-rollback', 'target': '1'}"
echo '{"default_actor": "platform@acme.example", "services": [{"name": "web", "service": "web-frontend", "team": "web"}]}' > helm-map.json
expect_exit 0 "helm: newer Helm's rollback_revision, with --release and a map" -- "$RBAUDIT" \
	import helm "$D/helm/web-new.json" --release web --map helm-map.json --out web.jsonl
expect_events_json "  the rollback goes back to revision 1, by the map's default actor" web.jsonl \
	"[(e['actor'], e['data']['operation']['target'], e['data']['service']) for e in E if 'requested' in json.dumps(e)]" \
	"[('platform@acme.example', '1', 'web-frontend')]"
expect_events_json "  the change's team from the map" web.jsonl \
	"sorted(set(e['data'].get('team') for e in E if 'deployed' in json.dumps(e)))" \
	"['web']"
expect_exit 0 "helm: missing members" -- "$RBAUDIT" import helm "$D/helm/missing.json" --out m.jsonl
expect_grep -F "  a revision without a time is counted, not dropped silently" "$ERR" \
	'not mapped (1): a Helm revision without a valid "updated" time'
expect_eq "  the three others are deployments (the rollback among the dropped)" \
	"change.deployed change.deployed change.deployed" \
	"$(ev m.jsonl | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//')"
expect_exit 0 "helm: Helm 3's empty time and a failed wait" -- "$RBAUDIT" import helm \
	"$D/helm/helm3-quirks.json" --out q.jsonl
expect_grep -F "  the empty time is counted" "$ERR" "not mapped (1)"
expect_exit 65 "helm: 'Error: release: not found' is refused" -- "$RBAUDIT" import helm \
	"$D/helm/notjson.json" --out bad.jsonl
expect_grep -F "  naming the file and line" "$ERR" "notjson.json: line 1: not JSON"
expect_no_file "  and writes nothing" bad.jsonl

# ---- Argo CD ----
expect_exit 0 "argocd: an application's status.history imports" -- "$RBAUDIT" import argocd \
	"$D/argocd/guestbook.json" --out argo.jsonl
A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
expect_events "  a sync back to an earlier revision is a rollback, a resync is not, automation by the default actor, the later redeploy relands" argo.jsonl <<'X'
2026-11-03T10:00:00Z change.deployed alice@acme.example change_id=guestbook#0
2026-11-04T10:00:00Z change.deployed argocd change_id=guestbook#1
2026-11-04T11:58:00Z rollback.requested bob@acme.example rollback_id=argocd-guestbook-2 change_id=guestbook#1
2026-11-04T12:00:00Z rollback.executed bob@acme.example rollback_id=argocd-guestbook-2 result=success
2026-11-05T09:00:00Z change.deployed argocd change_id=guestbook#3
2026-11-12T10:00:00Z change.deployed alice@acme.example change_id=guestbook#4
2026-11-13T10:00:00Z rollback.requested argocd rollback_id=argocd-guestbook-5 change_id=guestbook#4 automated=True
2026-11-13T10:00:00Z rollback.executed argocd rollback_id=argocd-guestbook-5 result=success
2026-11-13T10:00:00Z rollback.closed argocd rollback_id=argocd-guestbook-2 change_id=guestbook#5 resolution=relanded
X
echo '{"bots": ["argocd-automation@acme.example"], "environment": "prod-eu"}' > argo-map.json
expect_exit 0 "argocd: with the map's bot and environment" -- "$RBAUDIT" import argocd \
	"$D/argocd/guestbook.json" --map argo-map.json --out argo2.jsonl
expect_events_json "  the automated rollback is by the bot, in prod-eu" argo2.jsonl \
	"[(e['actor'], e['data']['environment']) for e in E if 'argocd-guestbook-5' in json.dumps(e) and 'requested' in json.dumps(e)]" \
	"[('argocd-automation@acme.example', 'prod-eu')]"
expect_exit 0 "argocd: a List of applications" -- "$RBAUDIT" import argocd \
	"$D/argocd/apps-list.json" --out list.jsonl
expect_events "  each application its own history" list.jsonl <<'X'
2026-11-01T08:00:00Z change.deployed carol change_id=payments#0
2026-11-02T08:00:00Z change.deployed carol change_id=payments#1
2026-11-02T09:29:38Z rollback.requested dave@acme.example rollback_id=argocd-payments-2 change_id=payments#1
2026-11-02T09:30:00Z rollback.executed dave@acme.example rollback_id=argocd-payments-2 result=success
2026-11-07T14:15:00Z change.deployed argocd change_id=search#0
X
expect_exit 0 "argocd: a multi-source application" -- "$RBAUDIT" import argocd \
	"$D/argocd/multisource.json" --out multi.jsonl
expect_events_json "  its revisions compared whole" multi.jsonl \
	"[e['data']['rollback_id'] for e in E if 'requested' in json.dumps(e)]" \
	"['argocd-multi-2']"
expect_exit 0 "argocd: an application never synced" -- "$RBAUDIT" import argocd \
	"$D/argocd/nohistory.json" --out none.jsonl
expect_eq "  gives no events" "0" "$(wc -l < none.jsonl | tr -d ' ')"
expect_exit 0 "argocd: entries lacking members" -- "$RBAUDIT" import argocd \
	"$D/argocd/missing-fields.json" --out mf.jsonl
expect_grep -F "  the entry without deployedAt is counted" "$ERR" \
	"not mapped (1): an Argo CD history entry without a valid deployedAt"

# ---- GitLab ----
expect_exit 0 "gitlab: deployments with approvals" -- "$RBAUDIT" import gitlab \
	"$D/gitlab/deployments.json" --name acme/billing --out gl.jsonl
expect_events "  rollbacks by the rule, approvals and a rejection, a failed attempt and its retry" gl.jsonl <<'X'
2026-11-03T09:24:00Z change.deployed alice change_id=acme/billing#1001
2026-11-03T10:00:00Z change.deployed alice change_id=acme/billing#1002
2026-11-04T10:00:00Z change.deployed bob change_id=acme/billing#1003
2026-11-04T11:00:00Z rollback.requested carol rollback_id=gitlab-acme/billing-1004 change_id=acme/billing#1003
2026-11-04T11:02:00Z rollback.approved dave rollback_id=gitlab-acme/billing-1004 conditions=ok
2026-11-04T11:05:00Z rollback.executed carol rollback_id=gitlab-acme/billing-1004 result=success
2026-11-10T09:00:00Z change.deployed alice change_id=acme/billing#1005 status=failed
2026-11-10T09:10:00Z rollback.requested carol rollback_id=gitlab-acme/billing-1006 change_id=acme/billing#1005
2026-11-10T09:12:00Z rollback.approved dave rollback_id=gitlab-acme/billing-1006
2026-11-10T09:29:58Z rollback.rejected erin rollback_id=gitlab-acme/billing-1006 reason=not during the freeze
2026-11-10T09:30:00Z rollback.executed carol rollback_id=gitlab-acme/billing-1006 result=failed
2026-11-10T09:45:00Z rollback.executed carol rollback_id=gitlab-acme/billing-1006 result=success
2026-11-10T09:45:00Z rollback.closed carol rollback_id=gitlab-acme/billing-1004 change_id=acme/billing#1007 resolution=relanded
X
expect_events_json "  staging is its own environment" gl.jsonl \
	"sorted(set(e['data']['environment'] for e in E if 'environment' in e['data']))" \
	"['production', 'staging']"
expect_exit 0 "gitlab: two pages concatenated" -- "$RBAUDIT" import gitlab "$D/gitlab/page2.json" \
	--name acme/search --out p2.jsonl
expect_grep -F "  all six deployments read, one rollback" "$ERR" \
	"import: 6 records scanned, 1 rollback,"
expect_exit 65 "gitlab: a truncated file is refused" -- "$RBAUDIT" import gitlab \
	"$D/gitlab/broken.json" --out bad.jsonl
expect_grep -F "  naming its line" "$ERR" "broken.json: line "
expect_no_file "  and writes nothing" bad.jsonl

# ---- GitHub ----
expect_exit 0 "github: deployments and their statuses" -- "$RBAUDIT" import github \
	"$D/github/deployments.json" "$D/github/statuses.json" --out gh.jsonl
expect_events "  done at the first success (not updated_at), a failure before it a failed attempt, a redeploy of the current sha no rollback" gh.jsonl <<'X'
2026-11-02T08:33:00Z change.deployed alice change_id=acme/web#4101
2026-11-02T09:05:00Z change.deployed alice change_id=acme/web#4102
2026-11-03T09:04:00Z change.deployed bob change_id=acme/web#4103
2026-11-03T12:00:00Z rollback.requested carol rollback_id=github-acme/web-4104 change_id=acme/web#4103 rationale=Deploy aaaaaaa
2026-11-03T12:03:00Z rollback.executed carol rollback_id=github-acme/web-4104 result=failed
2026-11-03T12:06:00Z rollback.executed carol rollback_id=github-acme/web-4104 result=success
2026-11-08T09:10:00Z change.deployed alice change_id=acme/web#4105
2026-11-08T10:07:00Z change.deployed alice change_id=acme/web#4106
X
expect_exit 0 "github: the files in the other order" -- "$RBAUDIT" import github \
	"$D/github/statuses.json" "$D/github/deployments.json" --out gh2.jsonl
expect_same "  give the same bytes" gh.jsonl gh2.jsonl
expect_exit 0 "github: a deployment never done" -- "$RBAUDIT" import github \
	"$D/github/nostatus.json" "$D/github/nostatus-statuses.json" --out ns.jsonl
expect_grep -F "  is counted" "$ERR" \
	"not mapped (1): a GitHub deployment with no success, failure or error status"

# ---- PagerDuty ----
cat > pd-map.json <<'M'
{"services": [{"name": "acme/billing", "service": "billing", "team": "payments"},
              {"name": "PBILL01", "service": "billing"}],
 "incident_window_hours": 24}
M
expect_exit 0 "pagerduty with gitlab: incidents linked to the deployments" -- "$RBAUDIT" \
	import gitlab "$D/gitlab/deployments.json" --name acme/billing --map pd-map.json \
	--incidents "$D/pagerduty/incidents.json" --out glpd.jsonl
expect_events "  each incident to the latest deployment of its service within the window before it; the rollback after it names it" glpd.jsonl <<'X'
2026-11-03T09:24:00Z change.deployed alice change_id=acme/billing#1001
2026-11-03T10:00:00Z change.deployed alice change_id=acme/billing#1002
2026-11-04T10:00:00Z change.deployed bob change_id=acme/billing#1003
2026-11-04T10:40:00Z incident.detected pagerduty change_id=acme/billing#1003 incident_id=Q1BIL0101AAAAA
2026-11-04T11:00:00Z rollback.requested carol rollback_id=gitlab-acme/billing-1004 change_id=acme/billing#1003 incident_id=Q1BIL0101AAAAA
2026-11-04T11:02:00Z rollback.approved dave rollback_id=gitlab-acme/billing-1004 conditions=ok
2026-11-04T11:05:00Z rollback.executed carol rollback_id=gitlab-acme/billing-1004 result=success
2026-11-10T09:00:00Z change.deployed alice change_id=acme/billing#1005 status=failed
2026-11-10T09:10:00Z rollback.requested carol rollback_id=gitlab-acme/billing-1006 change_id=acme/billing#1005
2026-11-10T09:12:00Z rollback.approved dave rollback_id=gitlab-acme/billing-1006
2026-11-10T09:20:00Z incident.detected pagerduty change_id=acme/billing#1005 incident_id=Q1BIL0102AAAAA
2026-11-10T09:29:58Z rollback.rejected erin rollback_id=gitlab-acme/billing-1006 reason=not during the freeze
2026-11-10T09:30:00Z rollback.executed carol rollback_id=gitlab-acme/billing-1006 result=failed
2026-11-10T09:45:00Z rollback.executed carol rollback_id=gitlab-acme/billing-1006 result=success
2026-11-10T09:45:00Z rollback.closed carol rollback_id=gitlab-acme/billing-1004 change_id=acme/billing#1007 resolution=relanded
X
expect_grep -F "  incidents of other services are counted" "$ERR" \
	"not mapped (2): a PagerDuty incident with no deployment of its service within the window before it"
expect_exit 0 "pagerduty alone, against an events file" -- "$RBAUDIT" import pagerduty \
	"$D/pagerduty/incidents.json" --deployments glpd.jsonl --map pd-map.json --out pd.jsonl
expect_eq "  gives the same two incidents, and nothing else" \
	"$(grep incident.detected glpd.jsonl)" "$(cat pd.jsonl)"
expect_exit 0 "pagerduty: incidents lacking members" -- "$RBAUDIT" import pagerduty \
	"$D/pagerduty/incident-missing.json" --deployments glpd.jsonl --out pm.jsonl
expect_grep -F "  the one without a service is counted" "$ERR" \
	"a PagerDuty incident without a service"
expect_grep -F "  the one without created_at is counted" "$ERR" \
	"a PagerDuty incident without id or a valid created_at"

# ---- the state, and the whole way to the figures ----
expect_exit 0 "with a state, a second import writes nothing" -- "$RBAUDIT" import gitlab \
	"$D/gitlab/deployments.json" --name acme/billing --map pd-map.json \
	--incidents "$D/pagerduty/incidents.json" --since-state st.json --out s1.jsonl
expect_same "  the first writes every event" glpd.jsonl s1.jsonl
"$RBAUDIT" import gitlab "$D/gitlab/deployments.json" --name acme/billing --map pd-map.json \
	--incidents "$D/pagerduty/incidents.json" --since-state st.json --out s2.jsonl 2>/dev/null
expect_eq "  the second none" "0" "$(wc -l < s2.jsonl | tr -d ' ')"

"$RBAUDIT" keygen --name gl --out k --valid-from 2026-01-01T00:00:00Z >/dev/null 2>&1
"$RBAUDIT" keys add k/gl.pub.json --keys keys.json >/dev/null
expect_exit 0 "the GitLab and PagerDuty events seal unchanged" -- "$RBAUDIT" seal --key k/gl.pem \
	--ledger gitlab.example/acme-billing --events glpd.jsonl --out x
"$RBAUDIT" ingest --db g.db --keys keys.json x >/dev/null
expect_exit 0 "  and analyse" -- "$RBAUDIT" analyze --db g.db --period 2026-11 --json
expect_json "  two rollbacks executed" "$OUT" "d['rollbacks_executed']" 2
expect_json "  four deployments (three in production, one in staging)" "$OUT" "d['deployments']" 4
expect_json "  one failed attempt" "$OUT" "d['failed_executions']" 1
expect_json "  the first's restore time from the incident (10:40 to 11:05)" "$OUT" \
	"[r['ttr'] for r in d['rollbacks'] if r['rollback_id'] == 'gitlab-acme/billing-1004']" "[1500]"
expect_json "  its detection 40 minutes after the deployment" "$OUT" \
	"[r['ttd'] for r in d['rollbacks'] if r['rollback_id'] == 'gitlab-acme/billing-1004']" "[2400]"
expect_json "  the rejected rollback executed anyway is found" "$OUT" \
	"'rejected-executed' in [f for r in d['rollbacks'] if r['rollback_id'] == 'gitlab-acme/billing-1006' for f in r['findings']]" \
	"true"
done_testing
