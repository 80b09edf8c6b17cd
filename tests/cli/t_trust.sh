# t_trust.sh - focus: the trust store as it is today applies to stored
# history (issue #15 part 3).  A key revoked after the fact (keys revoke
# --at a past date) used to change nothing for what was stored: ingest said
# "no-op ... identical", run "reports are current", and the auditor pack
# attested every entry verified.  Now ingest, analyze --keys and run notice
# the changed trust store (its SHA-256 in trust_state), verify the stored
# history again, record what no longer verifies (trust_failure), run alerts
# and writes the reports again, and the pack lists the entries and the
# rollbacks they concern and does not claim that everything verified.
# Expected values come from the database's own columns (signer, time) and
# the documented rules, worked out here in Python and SQL, never from the
# output under test.
. "$ROOT/tests/cli/lib.sh"

"$RBAUDIT" sample --out s >/dev/null
E=s/exports/rollback-ledger
K1=sample-ledger-k1
AT=2026-07-10T00:00:00Z
cp s/keys.json late.json
"$RBAUDIT" keys revoke $K1 --at $AT --keys late.json >/dev/null
"$RBAUDIT" ingest --db a.db --keys s/keys.json $E/* >/dev/null
cp a.db b.db
cp a.db c.db
# The entries the revocation fails: signed by K1 at or after $AT.
want=$(sqlite3 a.db "SELECT count(*) FROM entry WHERE signer = '$K1' AND time >= '$AT'")
sha() { sha256sum "$1" | cut -d' ' -f1; }

# --- the trial: verify says INVALID, and now ingest notices ---------------
expect_exit 1 "verify of the stored July export under the revoked key: INVALID" -- \
	"$RBAUDIT" verify $E/2026-07 --keys late.json
expect_grep "  with E_KEY_REVOKED" "$OUT" 'E_KEY_REVOKED'
check "  the revocation fails some stored entries (the test is not empty)" [ "$want" -gt 0 ]
expect_exit 1 "ingest under a trust store with a retroactive revocation exits 1" -- \
	"$RBAUDIT" ingest --db a.db --keys late.json --json $E/*
expect_json "  every export is still a no-op" "$OUT" "d['noop']" 6
expect_json "  it says it re-checked the stored history" "$OUT" "d['trust']['rechecked']" true
expect_json "  the entries that no longer verify: those K1 signed since $AT" "$OUT" \
	"d['trust']['failures']" "$want"
expect_json "  the digest it checked against is the trust store file's SHA-256" "$OUT" \
	"d['trust']['sha256']" "$(sha late.json)"
expect_json "  and the one before, the first ingest's" "$OUT" "d['trust']['previous_sha256']" \
	"$(sha s/keys.json)"
expect_eq "  trust_state records the store, the entries and the failures" \
	"$(sha late.json)|$(sqlite3 a.db 'SELECT count(*) FROM entry')|$want" \
	"$(sqlite3 a.db 'SELECT sha256, entries, failures FROM trust_state')"
expect_eq "  trust_failure: one E_KEY_REVOKED row per entry K1 signed since $AT" \
	"$(sqlite3 a.db "SELECT group_concat(seq) FROM (SELECT seq FROM entry WHERE signer = '$K1' AND time >= '$AT' ORDER BY seq)")|E_KEY_REVOKED" \
	"$(sqlite3 a.db "SELECT group_concat(seq) FROM (SELECT seq FROM trust_failure ORDER BY seq)")|$(sqlite3 a.db 'SELECT group_concat(DISTINCT code) FROM trust_failure')"
expect_exit 0 "ingest again under the same trust store exits 0 (nothing re-checked)" -- \
	"$RBAUDIT" ingest --db a.db --keys late.json --json $E/2026-07
expect_json "  not re-checked" "$OUT" "d['trust']['rechecked']" false
expect_json "  the failures still stand" "$OUT" "d['trust']['failures']" "$want"
expect_exit 0 "ingest under the first trust store again: re-checked, exit 0" -- \
	"$RBAUDIT" ingest --db a.db --keys s/keys.json --json $E/2026-07
expect_json "  nothing fails under it" "$OUT" "d['trust']['failures']" 0
expect_eq "  trust_failure is empty again" 0 "$(sqlite3 a.db 'SELECT count(*) FROM trust_failure')"
run "$RBAUDIT" ingest --db a.db --keys late.json $E/2026-07
expect_grep "  ingest's text names the changed store and the count" "$OUT" \
	"^ingest: the trust store late.json .* $want do not verify under it"
expect_grep "  and an entry with its code" "$OUT" "^  E_KEY_REVOKED ledger $LEDGER seq [0-9]+"

# --- analyze --keys ------------------------------------------------------
expect_exit 64 "analyze --keys with --no-store is a usage error" -- \
	"$RBAUDIT" analyze --db b.db --period 2026-07 --keys late.json --no-store
expect_exit 1 "analyze --keys under the revoked store re-checks and exits 1" -- \
	"$RBAUDIT" analyze --db b.db --period 2026-07 --keys late.json --json
expect_json "  its JSON holds the re-check" "$OUT" "[d['trust']['rechecked'], d['trust']['failures']]" \
	"[true, $want]"
expect_eq "  and the database records it" "$want" "$(sqlite3 b.db 'SELECT failures FROM trust_state')"

# --- the pack ------------------------------------------------------------
# The failures touching July, by the documented rule: the entry's time is in
# July, or it concerns a rollback (its own; else its change's or incident's)
# that has an entry in July.
cat > touch.py <<'EOF'
import sqlite3, sys, json
db = sqlite3.connect(sys.argv[1]); k1, at = sys.argv[2], sys.argv[3]
lo, hi = "2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z"
rows = db.execute("SELECT seq, time, rollback_id, change_id, incident_id FROM entry").fetchall()
inmonth = {r for (r,) in db.execute("SELECT DISTINCT rollback_id FROM entry WHERE rollback_id "
                                    "IS NOT NULL AND time >= ? AND time < ?", (lo, hi))}
def concerns(rb, ch, inc):
    if rb is not None:
        return {rb}
    return {r[2] for r in rows if r[2] is not None and
            ((ch is not None and r[3] == ch) or (inc is not None and r[4] == inc))}
seqs, rbs = [], set()
for seq, t, rb, ch, inc in db.execute("SELECT seq, time, rollback_id, change_id, incident_id "
                                      "FROM entry WHERE signer = ? AND time >= ? ORDER BY seq",
                                      (k1, at)):
    c = concerns(rb, ch, inc)
    if lo <= t < hi or c & inmonth:
        seqs.append(seq)
        rbs |= c
print(json.dumps([seqs, sorted(rbs)]))
EOF
expected=$("$PY" touch.py b.db $K1 $AT)
expect_exit 0 "report --keys without --sign renders" -- "$RBAUDIT" report --db b.db --period 2026-07 \
	--template analysis-json --template auditor-pack --out r --keys late.json
expect_json "  the attestation lists exactly the failures touching July, and the rollbacks" \
	r/analysis-2026-07.json "[[x['seq'] for x in d['attestation']['trust']['failures']], d['attestation']['trust']['rollbacks_affected']]" \
	"$expected"
expect_json "  each with its code and reason" r/analysis-2026-07.json \
	"sorted({(x['code'], x['message'].startswith(\"key '$K1' was revoked\")) for x in d['attestation']['trust']['failures']})" \
	'[["E_KEY_REVOKED", true]]'
expect_json "  it does not claim all verified" r/analysis-2026-07.json \
	"d['attestation']['trust']['all_verified']" false
expect_json "  the key table: K1's roles, validity and revocation as the trust store has them" \
	r/analysis-2026-07.json "[(k['roles'], k['valid_from'], k['valid_until'], k['revoked_at']) for k in d['attestation']['keys'] if k['name'] == '$K1']" \
	"$("$PY" -c "import json; k=[k for k in json.load(open('late.json'))['keys'] if k['name']=='$K1'][0]; print(json.dumps([[','.join(k['roles']), k['valid_from'], k['valid_until'], k['revoked_at']]]))")"
expect_json "  and the entries each key signed in July" r/analysis-2026-07.json \
	"json.dumps(sorted([k['name'], k['entries_signed']] for k in d['attestation']['keys'] if k['entries_signed']), separators=(',', ':'))" \
	"$(sqlite3 b.db "SELECT json_group_array(json_array(signer, n)) FROM (SELECT signer, count(*) n FROM entry WHERE time >= '2026-07-01' AND time < '2026-08-01' GROUP BY signer ORDER BY signer)")"
expect_json "  and countersigned" r/analysis-2026-07.json \
	"json.dumps(sorted([k['name'], k['countersigned']] for k in d['attestation']['keys'] if k['countersigned']), separators=(',', ':'))" \
	"$(sqlite3 b.db "SELECT json_group_array(json_array(countersigner, n)) FROM (SELECT countersigner, count(*) n FROM entry WHERE countersigner IS NOT NULL AND time >= '2026-07-01' AND time < '2026-08-01' GROUP BY countersigner ORDER BY countersigner)")"
pdftotext -layout r/auditor-pack-2026-07.pdf aud.txt 2>/dev/null
expect_grep -F "  the auditor pack says not every entry verifies" aud.txt "NOT EVERY ENTRY BEHIND THIS REPORT VERIFIES"
expect_no_grep -F "  and does not claim every entry was verified" aud.txt "Every entry behind this report was verified"
first=$("$PY" -c "import json,sys; print(json.loads(sys.argv[1])[0][0])" "$expected")
expect_grep "  it lists the first failing entry with its code" aud.txt "^$first +2026-07-.* E_KEY_REVOKED"
expect_grep -F "  and the rollbacks affected" aud.txt \
	"Rollbacks affected: $("$PY" -c "import json,sys; print(', '.join(json.loads(sys.argv[1])[1][:3]))" "$expected")"
expect_grep "  the key table shows K1's validity and revocation" aud.txt \
	"^$K1 +entry,checkpoint +2026-05-01T00:00:00Z +2026-08-15T00:00:00Z +$AT"
"$RBAUDIT" analyze --db c.db --period 2026-07 >/dev/null
"$RBAUDIT" report --db c.db --period 2026-07 --template auditor-pack --out rc >/dev/null
pdftotext -layout rc/auditor-pack-2026-07.pdf clean.txt 2>/dev/null
expect_grep -F "a clean history still attests every entry verified" clean.txt "Every entry behind this report was verified"
expect_no_grep -F "  and lists no failure" clean.txt "Entries that no longer verify"

# An approver key removed: the approvals it countersigned lose that.
cs=$(sqlite3 c.db "SELECT countersigner FROM entry WHERE countersigner IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
"$PY" -c "import json,sys; d=json.load(open('s/keys.json')); d['keys']=[k for k in d['keys'] if k['name']!=sys.argv[1]]; json.dump(d, open('gone.json','w'))" "$cs"
expect_exit 1 "analyze --keys after an approver key was removed exits 1" -- \
	"$RBAUDIT" analyze --db c.db --period 2026-07 --keys gone.json --json
expect_eq "  each approval it countersigned is E_COUNTERSIG" \
	"$(sqlite3 c.db "SELECT group_concat(seq) FROM (SELECT seq FROM entry WHERE countersigner = '$cs' ORDER BY seq)")|E_COUNTERSIG" \
	"$(sqlite3 c.db "SELECT group_concat(seq) FROM (SELECT seq FROM trust_failure ORDER BY seq)")|$(sqlite3 c.db 'SELECT group_concat(DISTINCT code) FROM trust_failure')"
"$RBAUDIT" report --db c.db --period 2026-07 --template analysis-json --out rg --keys gone.json >/dev/null
expect_json "  the key table marks it as no longer in the trust store" rg/analysis-2026-07.json \
	"[k['in_trust_store'] for k in d['attestation']['keys'] if k['name'] == '$cs']" '[false]'

# --- run -------------------------------------------------------------------
mkdir -p job/inbox empty
cp -r $E/* job/inbox/
cp s/keys.json job/trust.json
cat > job/job.json <<'EOJ'
{"database": "audit.db", "trust_store": "trust.json",
 "inbox": "inbox", "archive": "archive", "quarantine": "quarantine",
 "output": "reports/{period}", "templates": ["auditor-pack", "analysis-json"],
 "alert_level": "none", "alert_findings": []}
EOJ
expect_exit 0 "run: the first run exits 0" -- "$RBAUDIT" run --config job/job.json --period 2026-07
expect_exit 0 "  a second run exits 0" -- "$RBAUDIT" run --config job/job.json --period 2026-07
expect_grep "  and finds the reports current" "$ERR" 'rbaudit run: report +noop'
cp late.json job/trust.json
expect_exit 1 "run after a retroactive revocation exits 1 (alert)" -- \
	"$RBAUDIT" run --config job/job.json --period 2026-07
expect_grep "  it logs the re-check and the count" "$ERR" \
	"rbaudit run: trust +alert +trust store sha256 $(sha late.json): changed since the last check: every stored entry re-checked; $want stored entries"
expect_grep "  it writes the reports again (they are not current)" "$ERR" 'rbaudit run: report +ok'
expect_no_grep "  it does not say the reports are current" "$ERR" 'are current'
expect_grep "  stdout says why it needs attention" "$OUT" "^ATTENTION: $want stored entr(y does|ies do) not verify"
expect_json "  the new pack lists the failures" job/reports/2026-07/analysis-2026-07.json \
	"[x['seq'] for x in d['attestation']['trust']['failures']]" \
	"$("$PY" -c "import json,sys; print(json.dumps(json.loads(sys.argv[1])[0]))" "$expected")"
expect_exit 1 "a run again: still exit 1, the period is touched" -- \
	"$RBAUDIT" run --config job/job.json --period 2026-07
expect_grep "  now the reports are current" "$ERR" 'rbaudit run: report +noop'
expect_exit 0 "a run of a period the failures do not touch (2026-05) exits 0" -- \
	"$RBAUDIT" run --config job/job.json --period 2026-05
# The trust store changed by an ingest between two runs: run still writes again.
cp s/keys.json job/trust.json
"$RBAUDIT" ingest --db job/audit.db --keys job/trust.json --inbox empty >/dev/null
expect_exit 0 "after an ingest re-checked under the first store, run exits 0" -- \
	"$RBAUDIT" run --config job/job.json --period 2026-07
expect_grep "  and writes the reports again (written under the other store)" "$ERR" 'rbaudit run: report +ok'
expect_json "  which attest all verified again" job/reports/2026-07/analysis-2026-07.json \
	"d['attestation']['trust']['all_verified']" true

# A pack made with a trust store the stored history was not re-checked
# against claims nothing about it: d.db is checked against s/keys.json only.
"$RBAUDIT" ingest --db d.db --keys s/keys.json $E/* >/dev/null
"$RBAUDIT" analyze --db d.db --period 2026-07 >/dev/null
expect_exit 0 "report --keys with a trust store not re-checked against exits 0" -- \
	"$RBAUDIT" report --db d.db --period 2026-07 --template analysis-json \
	--template auditor-pack --template governance-monthly --out rd --keys late.json
expect_json "  the attestation says the verdict is not about that store" rd/analysis-2026-07.json \
	"[d['attestation']['trust']['current'], d['attestation']['trust']['all_verified']]" \
	'[false, false]'
expect_json "  naming the store given" rd/analysis-2026-07.json \
	"d['attestation']['trust']['given_trust_store_sha256']" "$(sha late.json)"
pdftotext rd/auditor-pack-2026-07.pdf rd.txt 2>/dev/null
expect_grep "  the auditor pack says it is not attested" rd.txt "IS NOT ATTESTED"
expect_no_grep "  and does not claim every entry verified" rd.txt "under a trusted key valid"
pdftotext -l 1 rd/governance-2026-07.pdf rdg.txt 2>/dev/null
expect_grep "  the governance pack's cover says so too" rdg.txt "Trust: NOT ATTESTED"

done_testing
