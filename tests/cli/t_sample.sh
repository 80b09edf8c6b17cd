# t_sample.sh - focus: `rbaudit sample` as a user runs it.  Same options give
# the same bytes, another seed other data; every export verifies with
# rbaudit and with the independent verifier; keys are 0600 and marked
# unsafe; sample-data/ is what the default options write; bad options exit 64.
. "$ROOT/tests/cli/lib.sh"

expect_exit 0 "sample --help exits 0" -- "$RBAUDIT" sample --help
expect_grep "sample --help prints the usage" "$OUT" '^usage: rbaudit sample'
expect_exit 64 "sample without --out exits 64" -- "$RBAUDIT" sample
expect_exit 64 "sample --start 2026-13 exits 64" -- "$RBAUDIT" sample --out x --start 2026-13
expect_exit 64 "sample --months 0 exits 64" -- "$RBAUDIT" sample --out x --months 0
expect_exit 64 "sample --deploys-per-day -1 exits 64" -- "$RBAUDIT" sample --out x --deploys-per-day -1
expect_exit 64 "sample --ledgers 0 exits 64" -- "$RBAUDIT" sample --out x --ledgers 0

expect_exit 0 "the default sample is written" -- "$RBAUDIT" sample --out a
expect_grep "it reports what it wrote" "$OUT" '^sample: [0-9]+ entries in 6 exports'
expect_exit 0 "the same options again" -- "$RBAUDIT" sample --out b
check "the same options give byte-identical files" diff -r a b
expect_exit 0 "another seed" -- "$RBAUDIT" sample --out c --seed 7
check "another seed gives other entries" sh -c '! cmp -s a/exports/rollback-ledger/2026-05/entries.jsonl c/exports/rollback-ledger/2026-05/entries.jsonl'
check "sample-data/ holds the default sample's exports" diff -r a/exports "$ROOT/sample-data/exports"
expect_same "sample-data/keys.json is the default sample's trust store" a/keys.json "$ROOT/sample-data/keys.json"
expect_mode "sample keys are written 0600" a/keys/sample-ledger-k1.pem 600
expect_json "every trust-store entry is marked unsafe" a/keys.json \
	"all('unsafe' in k['comment'] for k in d['keys'])" true
expect_json "the ledger key rotates: k1 has an end, k2 starts there" a/keys.json \
	"[k['valid_until'] for k in d['keys'] if k['name']=='sample-ledger-k1'][0] == [k['valid_from'] for k in d['keys'] if k['name']=='sample-ledger-k2'][0]" true

expect_exit 0 "rbaudit verifies every export of the sample" -- \
	"$RBAUDIT" verify --keys a/keys.json a/exports/rollback-ledger/2026-05 \
	a/exports/rollback-ledger/2026-06 a/exports/rollback-ledger/2026-07 \
	a/exports/rollback-ledger/2026-08 a/exports/rollback-ledger/2026-09 \
	a/exports/rollback-ledger/2026-10
expect_exit 0 "the independent verifier accepts every export of the sample" -- \
	"$PY" "$INDEP" verify --keys a/keys.json a/exports/rollback-ledger/2026-05 \
	a/exports/rollback-ledger/2026-06 a/exports/rollback-ledger/2026-07 \
	a/exports/rollback-ledger/2026-08 a/exports/rollback-ledger/2026-09 \
	a/exports/rollback-ledger/2026-10

expect_exit 0 "two ledgers over two months" -- "$RBAUDIT" sample --out m --ledgers 2 --months 2 --start 2026-09 --deploys-per-day 4
expect_exit 0 "both ledgers' exports verify" -- "$RBAUDIT" verify --keys m/keys.json \
	m/exports/rollback-ledger-1/2026-09 m/exports/rollback-ledger-1/2026-10 \
	m/exports/rollback-ledger-2/2026-09 m/exports/rollback-ledger-2/2026-10
expect_exit 0 "and both ingest" -- "$RBAUDIT" ingest --db m.db --keys m/keys.json \
	m/exports/rollback-ledger-1/2026-09 m/exports/rollback-ledger-1/2026-10 \
	m/exports/rollback-ledger-2/2026-09 m/exports/rollback-ledger-2/2026-10
expect_eq "the database holds two ledgers" 2 "$(sqlite3 m.db 'SELECT count(*) FROM ledger')"

# Nothing a user has is replaced: sample writes only into a new or empty folder.
mkdir own && printf '{"keys":[]}\n' > own/keys.json && cp own/keys.json own-keys.before
expect_exit 73 "sample into a folder holding a trust store exits 73" -- "$RBAUDIT" sample --out own
expect_grep -F "and says the folder is not empty" "$ERR" "'own' is not empty"
expect_same "the user's keys.json is untouched" own-keys.before own/keys.json
expect_eq "and nothing is added to the folder" "keys.json" "$(ls -A own)"
mkdir own2 own2/keys
expect_exit 73 "sample into a folder holding an empty keys/ exits 73" -- "$RBAUDIT" sample --out own2
expect_eq "  and writes nothing into it" "" "$(ls -A own2/keys)"
printf 'mine' > afile
expect_exit 73 "sample --out naming a file exits 73" -- "$RBAUDIT" sample --out afile
expect_eq "  and the file is as it was" "mine" "$(cat afile)"
mkdir emptydir
expect_exit 0 "sample into an empty folder is fine" -- "$RBAUDIT" sample --out emptydir --months 1
expect_file "  and writes the trust store there" emptydir/keys.json

# metrics-v1 revision 2: the sample writes its policy (aliases, authorized),
# and its October, the demo's period, holds every case of §8 under it.
expect_same "sample-data/policy.json is the default sample's policy" a/policy.json \
	"$ROOT/sample-data/policy.json"
"$RBAUDIT" ingest --db r2.db --keys a/keys.json a/exports/rollback-ledger/* >/dev/null 2>&1
expect_exit 0 "October is analysed under the sample's policy" -- "$RBAUDIT" analyze --db r2.db \
	--period 2026-10 --policy a/policy.json --json --no-store
cp "$OUT" r2.json
expect_json "  every one of the eight findings is raised" r2.json \
	"sorted(k for k, v in d['finding_counts'].items() if v > 0) == sorted(['approvals-missing', 'separation-of-duties', 'emergency-unreviewed', 'unverified', 'stale-revert', 'security-regression', 'unauthorized-actor', 'rejected-executed'])" true
expect_json "  the executor the policy does not authorise is ops-intern" r2.json \
	"[r['executor'] for r in d['rollbacks'] if 'unauthorized-actor' in r['findings']]" '["ops-intern@acme.example"]'
expect_json "  failed attempts are counted" r2.json "d['failed_executions'] > 0 and any(r['failed_attempts'] == 1 for r in d['rollbacks'])" true
expect_json "  okatz is taken for oren@acme.example, his alias" r2.json \
	"any(p['person'] == 'oren@acme.example' and 'okatz' in p['spellings'] for r in d['rollbacks'] for p in r['same_person'])" true
expect_json "  a capitalised spelling with a trailing space is the requester" r2.json \
	"any(any(s.endswith(' ') for s in p['spellings']) for r in d['rollbacks'] for p in r['same_person'])" true
expect_json "  a blank rationale is missing evidence" r2.json \
	"any('rationale' in r['missing'] for r in d['rollbacks'])" true
expect_json "  an approval before the request is a timeline anomaly" r2.json \
	"[a['duration'] for a in d['anomalies'] if a['kind'] == 'timeline']" '["approval_latency"]'
# A policy listing one alias under two people is refused, naming both.
printf '{"aliases": {"oren@acme.example": ["okatz"], "olga@acme.example": ["OKatz "]}}\n' > twice.json
expect_exit 78 "an alias under two people exits 78" -- "$RBAUDIT" analyze --db r2.db \
	--period 2026-10 --policy twice.json --no-store
expect_grep -F "  naming the alias and both people" "$ERR" \
	'lists "okatz" under two people, "oren@acme.example" and "olga@acme.example"'

done_testing
