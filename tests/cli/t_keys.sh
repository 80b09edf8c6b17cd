# t_keys.sh - focus: the trust store kept by rbaudit keys: add (creates the
# store, same file again is a no-op, a different key under a taken name is
# refused), list (text and --json: names, roles, identity, key strings) and
# revoke (sets revoked_at; unknown names and bad times are refused and leave
# the store untouched); exit codes for a missing or malformed store.
. "$ROOT/tests/cli/lib.sh"

make_key ledger k || fail "setup: keygen ledger" "$(_snip "$_LIB_DIR/keygen.err")"
make_key oren k --roles approver --identity oren@acme.example ||
	fail "setup: keygen oren" "$(_snip "$_LIB_DIR/keygen.err")"
# Another key under the name "ledger", in another directory.
make_key ledger k2 || fail "setup: keygen second ledger" "$(_snip "$_LIB_DIR/keygen.err")"

# --- add ---------------------------------------------------------------
check "keys.json does not exist before the first add" test ! -e keys.json
expect_exit 0 "keys add creates the trust store" -- "$RBAUDIT" keys add k/ledger.pub.json --keys keys.json
expect_file "keys add wrote keys.json" keys.json
expect_grep "keys add says it added key 'ledger'" "$OUT" "added key 'ledger'"
expect_json "keys.json holds one key, named ledger" keys.json '[k["name"] for k in d["keys"]]' '["ledger"]'
expect_json "keys.json: ledger's public_key is the one in ledger.pub.json" keys.json \
	'd["keys"][0]["public_key"]' "$(json_get k/ledger.pub.json 'd["public_key"]')"
expect_json "keys.json: ledger's roles are entry,checkpoint" keys.json 'd["keys"][0]["roles"]' '["entry", "checkpoint"]'

cp keys.json keys.before
expect_exit 0 "adding the same file again exits 0" -- "$RBAUDIT" keys add k/ledger.pub.json --keys keys.json
expect_grep "adding the same file again says it is already present" "$OUT" "already present"
expect_no_grep "adding the same file again does not claim to add it" "$OUT" '^added'
expect_same "adding the same file again leaves keys.json byte-identical" keys.before keys.json

expect_exit nonzero "adding a different key under the name ledger fails" -- "$RBAUDIT" keys add k2/ledger.pub.json --keys keys.json
expect_grep "the refusal names the key 'ledger' and says it differs" "$ERR" "different key named 'ledger'"
expect_same "the refused add leaves keys.json untouched" keys.before keys.json

expect_exit 0 "keys add of the approver key exits 0" -- "$RBAUDIT" keys add k/oren.pub.json --keys keys.json
expect_json "keys.json now holds ledger and oren" keys.json '[k["name"] for k in d["keys"]]' '["ledger", "oren"]'
expect_json "keys.json keeps oren's identity" keys.json '[k.get("identity") for k in d["keys"] if k["name"] == "oren"]' '["oren@acme.example"]'

echo '{"name": "broken"' >broken.pub.json
cp keys.json keys.before
expect_exit 65 "keys add of a malformed pub.json exits 65" -- "$RBAUDIT" keys add broken.pub.json --keys keys.json
expect_grep -F "the error names the malformed file" "$ERR" 'broken.pub.json'
expect_same "the failed add leaves keys.json untouched" keys.before keys.json

# Adding several files where one is bad must not half-apply.
make_key third k3 || fail "setup: keygen third" "$(_snip "$_LIB_DIR/keygen.err")"
expect_exit nonzero "keys add of a good and a conflicting file fails" -- \
	"$RBAUDIT" keys add k3/third.pub.json k2/ledger.pub.json --keys keys.json
expect_same "the failed multi-file add stores neither key" keys.before keys.json

# --- list --------------------------------------------------------------
expect_exit 0 "keys list --json exits 0" -- "$RBAUDIT" keys list --keys keys.json --json
cp "$OUT" list.json
expect_json "list --json: names" list.json '[k["name"] for k in d["keys"]]' '["ledger", "oren"]'
expect_json "list --json: ledger's roles are entry and checkpoint" list.json \
	'sorted(d["keys"][0]["roles"].split(",") if isinstance(d["keys"][0]["roles"], str) else d["keys"][0]["roles"])' \
	'["checkpoint", "entry"]'
expect_json "list --json: oren's roles are approver" list.json \
	'[d["keys"][1]["roles"]] if isinstance(d["keys"][1]["roles"], str) else d["keys"][1]["roles"]' '["approver"]'
expect_json "list --json: oren's identity" list.json 'd["keys"][1]["identity"]' oren@acme.example
expect_json "list --json: valid_from as given to keygen" list.json '[k["valid_from"] for k in d["keys"]]' "[\"$VALID_FROM\", \"$VALID_FROM\"]"
expect_json "list --json: nothing revoked yet" list.json '[k["revoked_at"] for k in d["keys"]]' '[null, null]'
expect_json "list --json: ledger's keystring is the one keygen printed" list.json 'd["keys"][0]["keystring"]' "$(cat k/ledger.keystring)"

expect_exit 0 "keys list (text) exits 0" -- "$RBAUDIT" keys list --keys keys.json
expect_grep -F "keys list (text) shows ledger's key string" "$OUT" "$(cat k/ledger.keystring)"
expect_grep "keys list (text) shows oren with its identity and role approver" "$OUT" '^oren +oren@acme\.example +approver '

# --- revoke ------------------------------------------------------------
expect_exit 0 "keys revoke ledger --at 2026-08-01T00:00:00Z exits 0" -- \
	"$RBAUDIT" keys revoke ledger --at 2026-08-01T00:00:00Z --keys keys.json
expect_grep "keys revoke confirms the name and time" "$OUT" "ledger.*2026-08-01T00:00:00Z"
expect_json "keys.json: ledger's revoked_at is set" keys.json '[k["revoked_at"] for k in d["keys"]]' '["2026-08-01T00:00:00Z", null]'
expect_exit 0 "keys list --json after revoke exits 0" -- "$RBAUDIT" keys list --keys keys.json --json
expect_json "list --json shows ledger revoked_at 2026-08-01T00:00:00Z, oren not revoked" "$OUT" \
	'[(k["name"], k["revoked_at"]) for k in d["keys"]]' '[["ledger", "2026-08-01T00:00:00Z"], ["oren", null]]'

cp keys.json keys.before
expect_exit nonzero "revoking an unknown name fails" -- "$RBAUDIT" keys revoke nobody --at 2026-08-01T00:00:00Z --keys keys.json
expect_grep -F "the refusal names the unknown key" "$ERR" "nobody"
expect_same "revoking an unknown name leaves keys.json untouched" keys.before keys.json

expect_exit 64 "keys revoke --at yesterday exits 64" -- "$RBAUDIT" keys revoke oren --at yesterday --keys keys.json
expect_grep -F "the usage error quotes the bad --at value" "$ERR" "yesterday"
expect_exit 64 "keys revoke --at 2026-08-01 (date only) exits 64" -- "$RBAUDIT" keys revoke oren --at 2026-08-01 --keys keys.json
expect_exit 64 "keys revoke --at 2026-13-01T00:00:00Z (month 13) exits 64" -- "$RBAUDIT" keys revoke oren --at 2026-13-01T00:00:00Z --keys keys.json
expect_exit 64 "keys revoke --at 2026-02-30T00:00:00Z (no such day) exits 64" -- "$RBAUDIT" keys revoke oren --at 2026-02-30T00:00:00Z --keys keys.json
expect_exit 64 "keys revoke --at with an offset instead of Z exits 64" -- "$RBAUDIT" keys revoke oren --at 2026-08-01T02:00:00+02:00 --keys keys.json
expect_same "bad --at times leave keys.json untouched" keys.before keys.json
expect_exit 0 "keys revoke accepts a time with a 9-digit fraction" -- \
	"$RBAUDIT" keys revoke oren --at 2026-09-01T00:00:00.123456789Z --keys keys.json
expect_json "the fraction is kept in revoked_at" keys.json \
	'[k["revoked_at"] for k in d["keys"] if k["name"] == "oren"]' '["2026-09-01T00:00:00.123456789Z"]'

# --- no silent rewriting of the past ---------------------------------------
cp keys.json keys.before
expect_exit 65 "revoking ledger again at a later time is refused" -- \
	"$RBAUDIT" keys revoke ledger --at 2026-10-01T00:00:00Z --keys keys.json
expect_grep -F "  saying it would make entries valid again" "$ERR" "already revoked at 2026-08-01T00:00:00Z: a later time would make"
expect_same "  keys.json is untouched" keys.before keys.json
expect_exit 0 "revoking ledger again at an earlier time widens the revocation" -- \
	"$RBAUDIT" keys revoke ledger --at 2026-07-01T00:00:00Z --keys keys.json
expect_json "  revoked_at moved earlier" keys.json \
	'[k["revoked_at"] for k in d["keys"] if k["name"] == "ledger"]' '["2026-07-01T00:00:00Z"]'
expect_exit 0 "keys set-valid-until oren ends its validity" -- \
	"$RBAUDIT" keys set-valid-until oren --at 2026-08-15T00:00:00Z --keys keys.json
expect_json "  valid_until is set" keys.json \
	'[k["valid_until"] for k in d["keys"] if k["name"] == "oren"]' '["2026-08-15T00:00:00Z"]'
expect_exit 65 "  a later valid_until is refused" -- \
	"$RBAUDIT" keys set-valid-until oren --at 2026-12-01T00:00:00Z --keys keys.json
expect_exit 65 "  a valid_until before valid_from is refused" -- \
	"$RBAUDIT" keys set-valid-until oren --at 2025-12-01T00:00:00Z --keys keys.json
expect_exit 0 "keys list --json shows identity, roles, validity and revocation" -- \
	"$RBAUDIT" keys list --keys keys.json --json
expect_json "  for oren" "$OUT" \
	'[[k["identity"], k["roles"], k["valid_from"], k["valid_until"], k["revoked_at"]] for k in d["keys"] if k["name"] == "oren"][0]' \
	'["oren@acme.example", "approver", "2026-01-01T00:00:00Z", "2026-08-15T00:00:00Z", "2026-09-01T00:00:00.123456789Z"]'
"$PY" - keys.json > twin.pub.json <<'EOP'
import json, sys
k = [k for k in json.load(open(sys.argv[1]))["keys"] if k["name"] == "ledger"][0]
k["name"] = "ledger-again"; k["revoked_at"] = None
print(json.dumps(k))
EOP
cp keys.json keys.before
expect_exit 65 "keys add refuses the same public key under a second name" -- \
	"$RBAUDIT" keys add twin.pub.json --keys keys.json
expect_grep -F "  naming the name it has" "$ERR" "already holds this public key as 'ledger'"
expect_same "  keys.json is untouched" keys.before keys.json
# The change log beside the store: one line per change, digests chained.
check "keys.json.log has one line per change" sh -c '[ "$(wc -l < keys.json.log)" -ge 5 ]'
"$PY" - keys.json keys.json.log > log.check <<'EOP'
import hashlib, json, sys
lines = [json.loads(l) for l in open(sys.argv[2])]
last = lines[-1]
ok = (last["command"] == "keys set-valid-until oren --at 2026-08-15T00:00:00Z"
      and last["after_sha256"] == hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()
      and lines[0]["before_sha256"] is None
      and all(a["after_sha256"] == b["before_sha256"] for a, b in zip(lines, lines[1:])))
print("ok" if ok else "bad: %r" % lines)
EOP
expect_eq "  the last line is the last change, each before is the one after it" ok "$(cat log.check)"

# --- missing and malformed stores --------------------------------------
expect_exit 66 "keys list on a missing store exits 66" -- "$RBAUDIT" keys list --keys nosuch.json
expect_grep -F "the error names the missing store" "$ERR" "nosuch.json"
check "keys list on a missing store does not create it" test ! -e nosuch.json
expect_exit 66 "keys revoke on a missing store exits 66" -- "$RBAUDIT" keys revoke ledger --at 2026-08-01T00:00:00Z --keys nosuch.json
printf '{"keys":[' >malformed.json
expect_exit 65 "keys list on a malformed store exits 65" -- "$RBAUDIT" keys list --keys malformed.json
printf '{"keys":[{"name":"x","algorithm":"rsa","public_key":"AAAA","roles":["entry"],"valid_from":"2026-01-01T00:00:00Z","valid_until":null,"revoked_at":null}]}' >badalg.json
expect_exit 65 "keys list on a store with a non-ed25519 key exits 65" -- "$RBAUDIT" keys list --keys badalg.json

# Keys that are not of prime order (the small-order point of "Taming the many
# EdDSAs" case 0, and a non-canonical encoding, case 10; tests/data/ed25519):
# the store is refused where it is read, naming the key, and keys add refuses
# such a key too (docs/FORMATS.md).
weak_store() { # NAME HEX
	"$PY" - "$2" >"$1" <<'EOP'
import base64, json, sys
pk = base64.b64encode(bytes.fromhex(sys.argv[1])).decode()
print(json.dumps({"keys": [{"name": "weak", "algorithm": "ed25519", "public_key": pk,
    "roles": ["entry", "checkpoint"], "valid_from": "2026-01-01T00:00:00Z",
    "valid_until": None, "revoked_at": None}]}))
EOP
}
weak_store small.json c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa
expect_exit 65 "a store holding a small-order key exits 65" -- "$RBAUDIT" keys list --keys small.json
expect_grep -F "  naming the key and why" "$ERR" "key 'weak': member \"public_key\" is not a usable Ed25519 key"
expect_grep -F "  (not of prime order)" "$ERR" "point of prime order"
weak_store noncanon.json ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
expect_exit 65 "a store holding a non-canonical key encoding exits 65" -- \
	"$RBAUDIT" keys list --keys noncanon.json
expect_exit 65 "  and verify refuses to use it" -- "$RBAUDIT" verify --keys noncanon.json "$VECTORS/export-2026-07"
expect_grep -F "  naming the key" "$ERR" "key 'weak'"
json_get small.json 'json.dumps(d["keys"][0])' >weak.pub.json
cp keys.json keys.before
expect_exit 65 "keys add of a small-order key exits 65" -- "$RBAUDIT" keys add weak.pub.json --keys keys.json
expect_same "  keys.json is untouched" keys.before keys.json

done_testing
