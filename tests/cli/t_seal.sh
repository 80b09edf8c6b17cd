# t_seal.sh - focus: rbaudit seal, the producer side, checked end to end:
# two months sealed with --state verify with rbaudit AND the independent
# Python verifier; the manifest chains the two exports; sealing is
# deterministic; seal refuses an existing export, a private key readable by
# others and a bad event line (leaving nothing behind); --cosigner gives
# countersigned approvals; a sealed export with its last line removed, and
# exports signed by a key revoked before their entries, are rejected.
. "$ROOT/tests/cli/lib.sh"

JUL="$SAMPLES/events-2026-07.jsonl"
AUG="$SAMPLES/events-2026-08.jsonl"

make_key ledger k || fail "setup: keygen ledger" "$(_snip "$_LIB_DIR/keygen.err")"
make_key oren k --roles approver --identity oren@acme.example ||
	fail "setup: keygen oren" "$(_snip "$_LIB_DIR/keygen.err")"
"$RBAUDIT" keys add k/ledger.pub.json --keys keys.json >/dev/null 2>&1 ||
	fail "setup: keys add ledger" "keys add failed"
"$RBAUDIT" keys add k/ledger.pub.json k/oren.pub.json --keys keys-cos.json >/dev/null 2>&1 ||
	fail "setup: keys add ledger oren" "keys add failed"

# --- two months, chained by the state file -------------------------------
expect_exit 0 "seal July with --state exits 0" -- \
	"$RBAUDIT" seal --key k/ledger.pem --ledger "$LEDGER" --events "$JUL" --out e1 --state state.json
expect_grep "seal July reports 252 entries, seq 0..251" "$OUT" 'sealed 252 entries, seq 0\.\.251'
check "July export has entries.jsonl, manifest.json and checkpoint" test -f e1/entries.jsonl -a -f e1/manifest.json -a -f e1/checkpoint
check "July entries.jsonl has one line per event (252)" test "$(wc -l <e1/entries.jsonl)" -eq 252
expect_file "seal wrote the state file" state.json
cp state.json state-07.json

expect_exit 0 "seal August continuing the state exits 0" -- \
	"$RBAUDIT" seal --key k/ledger.pem --ledger "$LEDGER" --events "$AUG" --out e2 --state state.json
expect_grep "seal August reports 217 entries, seq 252..468" "$OUT" 'sealed 217 entries, seq 252\.\.468'

expect_json "July manifest: format, version, range 0..251, 252 entries" e1/manifest.json \
	'[d["format"], d["version"], d["ledger"], d["first_seq"], d["last_seq"], d["entry_count"]]' \
	"[\"rollback-ledger-export\", 1, \"$LEDGER\", 0, 251, 252]"
expect_json "July manifest: empty frontier, previous_checkpoint null" e1/manifest.json \
	'[d["frontier"], d["previous_checkpoint"]]' '[[], null]'
expect_json "August manifest: range 252..468, 217 entries" e2/manifest.json \
	'[d["first_seq"], d["last_seq"], d["entry_count"]]' '[252, 468, 217]'
expect_json "August manifest: previous_checkpoint is July's checkpoint file" e2/manifest.json \
	'd["previous_checkpoint"] == open("e1/checkpoint", encoding="utf-8").read()' true
expect_json "August manifest: frontier has one hash per 1-bit of 252 (6)" e2/manifest.json 'len(d["frontier"])' 6
expect_json "July manifest: entries_sha256 is the SHA-256 of entries.jsonl" e1/manifest.json \
	'd["entries_sha256"]' "$(sha256sum e1/entries.jsonl | cut -d' ' -f1)"
expect_json "August manifest: entries_sha256 is the SHA-256 of entries.jsonl" e2/manifest.json \
	'd["entries_sha256"]' "$(sha256sum e2/entries.jsonl | cut -d' ' -f1)"
check "August checkpoint names the ledger and tree size 469" \
	test "$(sed -n 1p e2/checkpoint)|$(sed -n 2p e2/checkpoint)" = "$LEDGER|469"
expect_grep "August checkpoint is signed by ledger (signed-note line)" e2/checkpoint '^— ledger [A-Za-z0-9+/]+=*$'

expect_exit 0 "rbaudit verify accepts both sealed exports" -- "$RBAUDIT" verify --keys keys.json e1 e2
expect_grep "rbaudit verify says e1: VALID" "$OUT" '^e1: VALID$'
expect_grep "rbaudit verify says e2: VALID" "$OUT" '^e2: VALID$'
expect_no_grep "rbaudit verify reports no E_ code on the sealed exports" "$OUT" '^E_'
expect_exit 0 "rbaudit verify --json on both sealed exports exits 0" -- "$RBAUDIT" verify --keys keys.json --json e1 e2
expect_json "verify --json: ranges 0..251 and 252..468, both valid, no errors" "$OUT" \
	'[(e["first_seq"], e["last_seq"], e["valid"], e["errors"]) for e in d["exports"]]' \
	'[[0, 251, true, []], [252, 468, true, []]]'
expect_json "verify --json: entries and checkpoint signed by key ledger" "$OUT" \
	'[(e["entry_keys"], e["checkpoint_key"]) for e in d["exports"]]' '[[["ledger"], "ledger"], [["ledger"], "ledger"]]'

expect_exit 0 "the independent verifier accepts both sealed exports" -- "$PY" "$INDEP" verify --keys keys.json e1 e2
expect_json "the independent verifier: ranges 0..251, 252..468, valid, no errors or warnings" "$OUT" \
	'[(e["first_seq"], e["last_seq"], e["valid"], e["errors"], e["warnings"]) for e in d["exports"]]' \
	'[[0, 251, true, [], []], [252, 468, true, [], []]]'

# --- determinism -------------------------------------------------------
seal_quiet "$JUL" d1 --state s1.json
seal_quiet "$JUL" d2 --state s2.json
for f in entries.jsonl manifest.json checkpoint; do
	expect_same "sealing July twice from no state: identical $f" d1/$f d2/$f
	expect_same "sealing July again gives the same $f as the first run" e1/$f d1/$f
done
expect_same "sealing July twice: identical state files" s1.json s2.json
cp state-07.json sa.json
cp state-07.json sb.json
seal_quiet "$AUG" a1 --state sa.json
seal_quiet "$AUG" a2 --state sb.json
for f in entries.jsonl manifest.json checkpoint; do
	expect_same "sealing August twice from the same state: identical $f" a1/$f a2/$f
	expect_same "sealing August from a copy of the state gives the first run's $f" e2/$f a1/$f
done

# --- refusals ----------------------------------------------------------
cp -r e1 e1.copy
expect_exit nonzero "seal refuses an --out directory that already holds an export" -- \
	"$RBAUDIT" seal --key k/ledger.pem --ledger "$LEDGER" --events "$AUG" --out e1 --state fresh.json
expect_grep "the refusal says the directory holds an export" "$ERR" 'export'
check "the refused seal leaves the existing export untouched" diff -r e1.copy e1
check "the refused seal writes no state file" test ! -e fresh.json

mkdir empty
expect_exit 0 "seal accepts an existing empty --out directory" -- \
	"$RBAUDIT" seal --key k/ledger.pem --ledger "$LEDGER" --events "$JUL" --out empty
expect_same "the export in the pre-made directory is the usual one" e1/entries.jsonl empty/entries.jsonl

cp k/ledger.pem open.pem
chmod 0644 open.pem
expect_exit nonzero "seal refuses a private key with mode 0644" -- \
	"$RBAUDIT" seal --key open.pem --key-name ledger --ledger "$LEDGER" --events "$JUL" --out o644
expect_grep "the refusal mentions the key's mode or permissions" "$ERR" '644|[Pp]ermission|mode|accessible'
check "the refused seal wrote no export" test ! -e o644/entries.jsonl -a ! -e o644/manifest.json -a ! -e o644/checkpoint
chmod 0640 open.pem
expect_exit nonzero "seal refuses a group-readable private key (mode 0640)" -- \
	"$RBAUDIT" seal --key open.pem --key-name ledger --ledger "$LEDGER" --events "$JUL" --out o640
cp k/ledger.pem ro.pem
chmod 0400 ro.pem
expect_exit 0 "seal accepts an owner-only read-only private key (mode 0400)" -- \
	"$RBAUDIT" seal --key ro.pem --key-name ledger --ledger "$LEDGER" --events "$JUL" --out o400
expect_same "the 0400 key seals the same export" e1/entries.jsonl o400/entries.jsonl

cp state-07.json other-state.json
expect_exit nonzero "seal refuses a state file of another ledger" -- \
	"$RBAUDIT" seal --key k/ledger.pem --ledger other.example/ledger --events "$AUG" --out wrongledger --state other-state.json
expect_grep -F "the refusal names the state's ledger" "$ERR" "$LEDGER"
expect_same "the refused seal leaves the state file untouched" state-07.json other-state.json

# A malformed time on line 3.
sed -n 1,2p "$JUL" >bad-time.jsonl
sed -n 3p "$JUL" | sed 's/"time":"[^"]*"/"time":"2026-07-01 03:14:26"/' >>bad-time.jsonl
sed -n 4,6p "$JUL" >>bad-time.jsonl
check "test data: line 3 of bad-time.jsonl has the malformed time" grep -q '"time":"2026-07-01 03:14:26"' bad-time.jsonl
cp state-07.json bad-state.json
expect_exit nonzero "seal fails on an event line with a malformed time" -- \
	"$RBAUDIT" seal --key k/ledger.pem --ledger "$LEDGER" --events bad-time.jsonl --out badout --state bad-state.json
expect_grep "the error names the file and line 3" "$ERR" 'bad-time\.jsonl(:| line |, line |: line )3([^0-9]|$)'
expect_grep "the error is about the time" "$ERR" 'time'
check "the failed seal leaves no entries.jsonl in --out" test ! -e badout/entries.jsonl
check "the failed seal leaves no manifest.json in --out" test ! -e badout/manifest.json
check "the failed seal leaves no checkpoint in --out" test ! -e badout/checkpoint
check "the failed seal leaves no stray file in --out" test -z "$(ls -A badout 2>/dev/null)"
expect_same "the failed seal leaves the state file untouched" state-07.json bad-state.json

sed -n 1p "$JUL" >bad-json.jsonl
echo '{"time":"2026-07-01T03:13:42Z","event":' >>bad-json.jsonl
sed -n 3p "$JUL" >>bad-json.jsonl
expect_exit nonzero "seal fails on an event line that is not JSON" -- \
	"$RBAUDIT" seal --key k/ledger.pem --ledger "$LEDGER" --events bad-json.jsonl --out badjson
expect_grep "the error names the file and line 2" "$ERR" 'bad-json\.jsonl(:| line |, line |: line )2([^0-9]|$)'
check "the failed seal leaves no export files" test ! -e badjson/entries.jsonl -a ! -e badjson/manifest.json -a ! -e badjson/checkpoint

# --- cosigners ---------------------------------------------------------
cat >cos.jsonl <<'EOF'
{"time":"2026-07-05T12:00:00Z","event":"rollback.requested","actor":"bob@acme.example","data":{"rollback_id":"RB-0001"}}
{"time":"2026-07-05T12:47:32Z","event":"rollback.approved","actor":"oren@acme.example","data":{"rollback_id":"RB-0001","role":"change-approver"},"cosign":["oren"]}
{"time":"2026-07-05T13:08:37Z","event":"rollback.approved","actor":"eve@acme.example","data":{"rollback_id":"RB-0001","role":"change-approver"},"cosign":["oren"]}
{"time":"2026-07-05T13:10:00Z","event":"rollback.executed","actor":"oren@acme.example","data":{"rollback_id":"RB-0001"},"cosign":["oren"]}
{"time":"2026-07-05T13:11:00Z","event":"rollback.approved","actor":"oren@acme.example","data":{"rollback_id":"RB-0002","role":"change-approver"}}
EOF
expect_exit 0 "seal with --cosigner oren=k/oren.pem exits 0" -- \
	"$RBAUDIT" seal --key k/ledger.pem --ledger "$LEDGER" --events cos.jsonl --out c1 --cosigner oren=k/oren.pem
check "test data: the approver key has role approver and identity oren@acme.example" \
	test "$(json_get keys-cos.json '[(k["roles"], k.get("identity")) for k in d["keys"] if k["name"] == "oren"]')" = '[[["approver"], "oren@acme.example"]]'
check_sigs() {
	got=$("$PY" -c '
import json, sys
print(";".join(",".join(s["keyid"] for s in json.loads(l)["signatures"]) for l in open(sys.argv[1])))' c1/entries.jsonl) || return 1
	[ "$got" = "ledger;ledger,oren;ledger,oren;ledger,oren;ledger" ] || { why "signature keyids per line: $got"; return 1; }
}
check "signature keyids per entry follow the cosign members" check_sigs
expect_exit 0 "verify --json of the cosigned export exits 0" -- "$RBAUDIT" verify --keys keys-cos.json --json c1
expect_json "verify --json: countersigned is 1 (only oren's own approval)" "$OUT" 'd["exports"][0]["countersigned"]' 1
expect_json "verify --json: the cosigned export is valid with no errors" "$OUT" '[d["exports"][0]["valid"], d["exports"][0]["errors"]]' '[true, []]'
expect_exit 0 "the independent verifier accepts the cosigned export" -- "$PY" "$INDEP" verify --keys keys-cos.json c1
expect_exit 0 "a trust store without the approver still accepts the cosigned export" -- "$RBAUDIT" verify --keys keys.json --json c1
expect_json "without the approver key nothing is countersigned" "$OUT" 'd["exports"][0]["countersigned"]' 0
expect_exit nonzero "seal fails when cosign names a key not given with --cosigner" -- \
	"$RBAUDIT" seal --key k/ledger.pem --ledger "$LEDGER" --events cos.jsonl --out c2
expect_grep "the error names the events file and line 2" "$ERR" 'cos\.jsonl(:| line |, line |: line )2([^0-9]|$)'
check "the failed cosign seal leaves no export files" test ! -e c2/entries.jsonl -a ! -e c2/manifest.json -a ! -e c2/checkpoint

# --- a sealed export, tampered -------------------------------------------
cp -r e2 cut
sed -i '$d' cut/entries.jsonl
check "test data: the tampered copy lost exactly one line" test "$(wc -l <cut/entries.jsonl)" -eq 216
expect_exit 1 "rbaudit verify rejects the export with its last line deleted (exit 1)" -- "$RBAUDIT" verify --keys keys.json --json cut
cp "$OUT" cut.rb.json
expect_json "rbaudit: the cut export is not valid" cut.rb.json 'd["exports"][0]["valid"]' false
expect_json "rbaudit: the cut export reports E_TRUNCATED" cut.rb.json '"E_TRUNCATED" in {x["code"] for x in d["exports"][0]["errors"]}' true
expect_exit 1 "the independent verifier rejects the cut export (exit 1)" -- "$PY" "$INDEP" verify --keys keys.json cut
cp "$OUT" cut.py.json
expect_json "the independent verifier: the cut export is not valid" cut.py.json 'd["exports"][0]["valid"]' false
expect_eq "rbaudit and the independent verifier report the same error codes for the cut export" \
	"$(error_codes cut.py.json)" "$(error_codes cut.rb.json)"
expect_exit 1 "rbaudit rejects the cut export also in text mode" -- "$RBAUDIT" verify --keys keys.json cut
expect_grep "text mode says cut: INVALID" "$OUT" '^cut: INVALID$'

# --- revocation --------------------------------------------------------
cp keys.json keys-rev.json
"$RBAUDIT" keys revoke ledger --at 2026-08-01T00:00:00Z --keys keys-rev.json >/dev/null 2>&1 ||
	fail "setup: keys revoke" "keys revoke failed"
expect_exit 0 "July (signed before the revocation) still verifies" -- "$RBAUDIT" verify --keys keys-rev.json --json e1
expect_json "July: every entry warns W_KEY_REVOKED_LATER" "$OUT" \
	'[d["exports"][0]["warnings_total"], sorted({w["code"] for w in d["exports"][0]["warnings"]})]' '[252, ["W_KEY_REVOKED_LATER"]]'
expect_exit 1 "August (signed after the revocation) fails" -- "$RBAUDIT" verify --keys keys-rev.json --json e2
expect_json "August: the errors are E_KEY_REVOKED" "$OUT" '"E_KEY_REVOKED" in {x["code"] for x in d["exports"][0]["errors"]}' true
expect_exit 1 "the independent verifier also rejects August with the revoked key" -- "$PY" "$INDEP" verify --keys keys-rev.json e2

# Revocation compares times as instants, fractions included: .1 < .12 <
# .123 (the revocation) <= .1231 < .5 < 1 s.
cat >frac.jsonl <<'EOF'
{"time":"2026-08-01T00:00:00Z","event":"change.deployed","actor":"a@acme.example","data":{}}
{"time":"2026-08-01T00:00:00.1Z","event":"change.deployed","actor":"a@acme.example","data":{}}
{"time":"2026-08-01T00:00:00.12Z","event":"change.deployed","actor":"a@acme.example","data":{}}
{"time":"2026-08-01T00:00:00.123Z","event":"change.deployed","actor":"a@acme.example","data":{}}
{"time":"2026-08-01T00:00:00.1231Z","event":"change.deployed","actor":"a@acme.example","data":{}}
{"time":"2026-08-01T00:00:00.5Z","event":"change.deployed","actor":"a@acme.example","data":{}}
{"time":"2026-08-01T00:00:01Z","event":"change.deployed","actor":"a@acme.example","data":{}}
EOF
seal_quiet frac.jsonl frac || fail "setup: seal frac.jsonl" "$(_snip "$_LIB_DIR/seal.err")"
cp keys.json keys-frac.json
"$RBAUDIT" keys revoke ledger --at 2026-08-01T00:00:00.123Z --keys keys-frac.json >/dev/null 2>&1 ||
	fail "setup: keys revoke at a fraction" "keys revoke failed"
expect_exit 1 "revoked at 00:00:00.123Z: the export fails" -- "$RBAUDIT" verify --keys keys-frac.json --json frac
expect_json "revoked at 00:00:00.123Z: E_KEY_REVOKED for seq 3..6, W_KEY_REVOKED_LATER for seq 0..2" "$OUT" \
	'[sorted(x["seq"] for x in d["exports"][0]["errors"] if x["code"] == "E_KEY_REVOKED"), sorted(x["seq"] for x in d["exports"][0]["warnings"] if x["code"] == "W_KEY_REVOKED_LATER")]' \
	'[[3, 4, 5, 6], [0, 1, 2]]'

# --- invalid seal options ------------------------------------------------
expect_exit 64 "seal --key-name 'a+b' exits 64" -- \
	"$RBAUDIT" seal --key k/ledger.pem --key-name 'a+b' --ledger "$LEDGER" --events "$JUL" --out badname
expect_exit 64 "seal --ledger '' exits 64" -- \
	"$RBAUDIT" seal --key k/ledger.pem --ledger '' --events "$JUL" --out badledger
check "invalid seal options wrote no export" test ! -e badname/entries.jsonl -a ! -e badledger/entries.jsonl
expect_exit nonzero "seal with a missing events file fails" -- \
	"$RBAUDIT" seal --key k/ledger.pem --ledger "$LEDGER" --events no-such-events.jsonl --out noevents
expect_grep -F "the error names the missing events file" "$ERR" 'no-such-events.jsonl'

# --- seal catches its own mistakes (issue #20) ---------------------------
# keygen's default valid_from is now: a key made today cannot sign July.
"$RBAUDIT" keygen --name today --out kt >/dev/null 2>&1
expect_exit 65 "seal refuses events before the key's valid_from" -- \
	"$RBAUDIT" seal --key kt/today.pem --ledger "$LEDGER" --events "$JUL" --out early
expect_grep "  naming the file, line 1, the event's time and the key's window" "$ERR" \
	"$(basename "$JUL"):1: key 'today' cannot validly sign an event of 2026-07-[0-9T:]+Z \(it is valid from [0-9-]+T[0-9:]+Z, with no end\); nothing was sealed"
check "  and writes nothing" test ! -e early
rm kt/today.pub.json
"$RBAUDIT" keys add k/ledger.pub.json --keys kt-keys.json >/dev/null 2>&1
"$PY" -c 'import json; d = json.load(open("kt-keys.json")); [k.update(valid_from="2027-01-01T00:00:00Z") for k in d["keys"]]; json.dump(d, open("kt-keys.json", "w"))'
expect_exit 65 "  with --keys, the trust store's entry is judged the same" -- \
	"$RBAUDIT" seal --key k/ledger.pem --keys kt-keys.json --ledger "$LEDGER" \
	--events "$JUL" --out early2
check "  and writes nothing" test ! -e early2
printf '%s\n' '{"time":"2026-08-01T00:00:00Z","event":"change.deployed","actor":"a@acme.example","data":{},"ticket":"T-1"}' > extra.jsonl
expect_exit 65 "seal refuses an unknown member of an event" -- \
	"$RBAUDIT" seal --key k/ledger.pem --ledger "$LEDGER" --events extra.jsonl --out extra
expect_grep -F "  naming the line and the member" "$ERR" 'extra.jsonl:1: unknown member "ticket"'
check "  and writes no export" test ! -e extra/entries.jsonl
# An export of events the key cannot sign (sealed with no entry beside the
# key to judge by): verify's E_KEY_NOT_VALID names the key's window.
mkdir -p kn && cp k/ledger.pem kn/ledger.pem && chmod 600 kn/ledger.pem
"$RBAUDIT" seal --key kn/ledger.pem --ledger "$LEDGER" --events "$JUL" --out late >/dev/null 2>&1
expect_exit 1 "an export signed outside the key's window fails verify" -- \
	"$RBAUDIT" verify --keys kt-keys.json late
expect_grep -F "  E_KEY_NOT_VALID names the window" "$OUT" "(it is valid from 2027-01-01T00:00:00Z, with no end)"

done_testing
