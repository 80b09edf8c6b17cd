# t_check.sh - focus: `rbaudit check` re-verifies what the database holds,
# against the trust store as it is now.  A clean database of the sample
# organisation is VALID with every entry counted; each edit an attacker with
# write access could make with sqlite3 (a column analysis reads, a payload,
# a time, a leaf, a deleted row, a stored checkpoint or root, the counted
# mark) is caught with its code, seq and the rollbacks it concerns; a key
# revoked after the fact fails exactly the entries it signed since; the
# database is never written.
. "$ROOT/tests/cli/lib.sh"

"$RBAUDIT" sample --out s --months 2 >/dev/null
"$RBAUDIT" ingest --db a.db --keys s/keys.json s/exports/rollback-ledger/* >/dev/null
L=acme.example/rollback-ledger
# The number of entries, from the exports' manifests (not from rbaudit).
total=$("$PY" -c 'import json, glob
print(sum(json.load(open(m))["entry_count"] for m in glob.glob("s/exports/rollback-ledger/*/manifest.json")))')

expect_exit 0 "check --help exits 0" -- "$RBAUDIT" check --help
expect_exit 64 "check without --keys exits 64" -- "$RBAUDIT" check --db a.db
expect_exit 66 "check of a missing database exits 66" -- "$RBAUDIT" check --db none.db --keys s/keys.json
sqlite3 a.db .dump > before.sql
expect_exit 0 "check of the sample's database exits 0" -- "$RBAUDIT" check --db a.db --keys s/keys.json
expect_grep "  every entry of the exports is checked: VALID" "$OUT" \
	"^$L: VALID, $total entries \\(seq 0\\.\\.$((total - 1))\\) checked against s/keys.json: 0 errors"
sqlite3 a.db .dump > after.sql
expect_same "  the database is not written" before.sql after.sql

# tamper NAME SQL CODE PATTERN: a copy of the database edited by SQL is INVALID.
tamper() {
	cp a.db t.db
	sqlite3 t.db "$2"
	expect_exit 1 "$1: exit 1" -- "$RBAUDIT" check --db t.db --keys s/keys.json
	expect_grep "  $3" "$OUT" "$4"
}
ap=$(sqlite3 a.db "SELECT seq || ' ' || rollback_id FROM entry WHERE event = 'rollback.approved' ORDER BY seq LIMIT 1")
aseq=${ap% *}
arb=${ap#* }
tamper "the actor of an approval edited (to hide a separation-of-duties breach)" \
	"UPDATE entry SET actor = 'someone.else@acme.example' WHERE seq = $aseq" \
	"E_STORED at its seq, naming the rollback" \
	"^E_STORED ledger $L seq $aseq \\(rollbacks $arb\\): the actor column holds \"someone.else@acme.example\""
tamper "the payload and actor edited together" \
	"UPDATE entry SET payload = CAST(replace(CAST(payload AS TEXT), actor, 'x@acme.example') AS BLOB), actor = 'x@acme.example' WHERE seq = $aseq" \
	"E_SIG at its seq: no signature verifies" "^E_SIG ledger $L seq $aseq .*no signature verifies"
ex=$(sqlite3 a.db "SELECT seq || ' ' || rollback_id FROM entry WHERE event = 'rollback.executed' ORDER BY seq LIMIT 1 OFFSET 3")
xseq=${ex% *}
xrb=${ex#* }
tamper "an executed rollback moved two months back (time_s)" \
	"UPDATE entry SET time_s = time_s - 61 * 86400 WHERE seq = $xseq" \
	"E_STORED naming the time columns" "^E_STORED ledger $L seq $xseq \\(rollbacks $xrb\\): the time_s and time_ns columns"
tamper "the time text edited" "UPDATE entry SET time = '2026-01-01T00:00:00Z' WHERE seq = $xseq" \
	"E_STORED naming the time column" "^E_STORED ledger $L seq $xseq .*the time column holds \"2026-01-01T00:00:00Z\""
dep=$(sqlite3 a.db "SELECT seq FROM entry WHERE event = 'change.deployed' ORDER BY seq LIMIT 1")
tamper "a deployment's service edited" "UPDATE entry SET service = 'other' WHERE seq = $dep" \
	"E_STORED naming the service column" "^E_STORED ledger $L seq $dep.*the service column holds \"other\""
cs=$(sqlite3 a.db "SELECT seq FROM entry WHERE countersigner IS NOT NULL ORDER BY seq LIMIT 1")
tamper "a countersignature's mark removed" "UPDATE entry SET countersigner = NULL WHERE seq = $cs" \
	"E_STORED: the countersigner column" "^E_STORED ledger $L seq $cs .*the countersigner column holds none, but the signatures"
tamper "a leaf hash edited" "UPDATE entry SET leaf = zeroblob(32) WHERE seq = 5" \
	"E_STORED: the leaf column" "^E_STORED ledger $L seq 5: the leaf column is not the leaf hash"
tamper "the counted mark flipped" "UPDATE entry SET counted = 0 WHERE seq = $dep" \
	"E_STORED: the counted column" "^E_STORED ledger $L seq $dep: the counted column says it does not count"
tamper "a row deleted" "DELETE FROM entry WHERE seq = 300" \
	"E_SEQ where it is missing" "^E_SEQ ledger $L seq 301: seq 301 where 300 was expected"
tamper "an ingested export's checkpoint edited" \
	"UPDATE ingest_export SET checkpoint = replace(checkpoint, 'acme.example', 'acme.exampl3') WHERE id = 2" \
	"E_CHECKPOINT_SIG" "^E_CHECKPOINT_SIG ledger $L seq [0-9]+: ingested export 2"
tamper "the ledger's root edited" "UPDATE ledger SET root = zeroblob(32)" \
	"E_ROOT for the ledger" "^E_ROOT ledger $L: the stored entries give another root than the ledger's"

# A key revoked after the fact (compromise found): what it signed since fails.
cp s/keys.json late.json
"$RBAUDIT" keys revoke sample-ledger-k2 --at 2026-06-20T00:00:00Z --keys late.json >/dev/null
want=$(sqlite3 a.db "SELECT count(*) FROM entry WHERE signer = 'sample-ledger-k2' AND time >= '2026-06-20T00:00:00Z'")
expect_exit 1 "check against a trust store with a retroactive revocation exits 1" -- \
	"$RBAUDIT" check --db a.db --keys late.json --json
expect_json "  every entry it signed since the revocation is E_KEY_REVOKED" "$OUT" \
	"d['ledgers'][0]['errors_total']" "$want"
expect_json "  and each error is E_KEY_REVOKED" "$OUT" \
	"sorted({x['code'] for x in d['ledgers'][0]['errors']})" '["E_KEY_REVOKED"]'
expect_json "  the earlier ones it signed pass, with W_KEY_REVOKED_LATER" "$OUT" \
	"d['ledgers'][0]['warnings_total']" \
	"$(sqlite3 a.db "SELECT count(*) FROM entry WHERE signer = 'sample-ledger-k2' AND time < '2026-06-20T00:00:00Z'")"
expect_json "  the JSON says the database is not valid" "$OUT" "d['valid']" false

done_testing
