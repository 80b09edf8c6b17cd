# t_verify.sh - focus: rbaudit verify against the spec's vectors: the three
# vector exports verify, the --json report's members and ranges, --jobs does
# not change the report, a flipped payload letter is E_SIG at the right seq
# and line (as the independent verifier also finds), a missing checkpoint is
# E_IO, and the exit codes for a missing (66) or malformed (65) trust store
# and a bad --jobs (64).
. "$ROOT/tests/cli/lib.sh"

KEYS="$VECTORS/keys.json"
X07="$VECTORS/export-2026-07"
X08="$VECTORS/export-2026-08"
X09="$VECTORS/export-2026-09"

# --- the vectors verify ------------------------------------------------
expect_exit 0 "the three vector exports verify (exit 0)" -- "$RBAUDIT" verify --keys "$KEYS" "$X07" "$X08" "$X09"
for m in 07 08 09; do
	expect_grep -F "text report: export-2026-$m: VALID" "$OUT" "export-2026-$m: VALID"
done
expect_no_grep "text report: no INVALID and no E_ line" "$OUT" 'INVALID|^E_'
expect_grep "text report: export-2026-08 covers seq 252..468" "$OUT" 'range +seq 252\.\.468 '

expect_exit 0 "verify --json of the three vectors exits 0" -- "$RBAUDIT" verify --keys "$KEYS" --json "$X07" "$X08" "$X09"
cp "$OUT" vec.json
expect_json "verify --json: one report per export, in argument order (path)" vec.json \
	'[e["path"] for e in d["exports"]]' "[\"$X07\", \"$X08\", \"$X09\"]"
expect_json "verify --json: every report has path/ledger/first_seq/last_seq/valid/errors/warnings" vec.json \
	'all({"path", "ledger", "first_seq", "last_seq", "valid", "errors", "warnings"} <= set(e) for e in d["exports"])' true
expect_json "verify --json: ledger is acme.example/rollback-ledger" vec.json \
	'sorted({e["ledger"] for e in d["exports"]})' "[\"$LEDGER\"]"
expect_json "verify --json: ranges 0..251, 252..468, 469..678" vec.json \
	'[[e["first_seq"], e["last_seq"]] for e in d["exports"]]' '[[0, 251], [252, 468], [469, 678]]'
expect_json "verify --json: all valid with empty errors and warnings" vec.json \
	'[[e["valid"], e["errors"], e["warnings"]] for e in d["exports"]]' '[[true, [], []], [true, [], []], [true, [], []]]'
expect_json "verify --json: entries count matches the ranges (252, 217, 210)" vec.json \
	'[e["entries"] for e in d["exports"]]' '[252, 217, 210]'
expect_json "verify --json: root of export-2026-08 is the root in its checkpoint" vec.json \
	'd["exports"][1]["root"] == open(d["exports"][1]["path"] + "/checkpoint").read().split("\n")[2]' true

expect_exit 0 "the independent verifier accepts the three vectors" -- "$PY" "$INDEP" verify --keys "$KEYS" "$X07" "$X08" "$X09"
expect_eq "rbaudit and the independent verifier agree on path/first_seq/last_seq/valid" \
	"$(json_get "$OUT" '[[e["path"], e["first_seq"], e["last_seq"], e["valid"]] for e in d["exports"]]')" \
	"$(json_get vec.json '[[e["path"], e["first_seq"], e["last_seq"], e["valid"]] for e in d["exports"]]')"

# --- --jobs ------------------------------------------------------------
flipped_seq=$(flip_payload "$X07" flipped 5) || fail "setup: flip a payload letter" "flip_payload failed"
expect_eq "test data: the flipped entry on line 5 has seq 4" 4 "$flipped_seq"
rm -rf nocp && cp -r "$X08" nocp && rm nocp/checkpoint

run "$RBAUDIT" verify --keys "$KEYS" --json --jobs 1 "$X07" "$X08" "$X09" flipped nocp
cp "$OUT" jobs1.json
expect_eq "verify --jobs 1 exits 1 on vectors + tampered copies" 1 "$RC"
run "$RBAUDIT" verify --keys "$KEYS" --json --jobs 2 "$X07" "$X08" "$X09" flipped nocp
cp "$OUT" jobs2.json
expect_eq "verify --jobs 2 exits 1 on vectors + tampered copies" 1 "$RC"
expect_same "verify --json with --jobs 1 and --jobs 2 is identical" jobs1.json jobs2.json
run "$RBAUDIT" verify --keys "$KEYS" --json --jobs 7 "$X07" "$X08" "$X09" flipped nocp
expect_same "verify --json with --jobs 7 is identical to --jobs 1" jobs1.json "$OUT"
run "$RBAUDIT" verify --keys "$KEYS" --json "$X07" "$X08" "$X09" flipped nocp
expect_same "verify --json with the default --jobs is identical to --jobs 1" jobs1.json "$OUT"
expect_json "a bad export does not spoil the others' verdicts" jobs1.json \
	'[e["valid"] for e in d["exports"]]' '[true, true, true, false, false]'

# --- one payload letter flipped --------------------------------------------
expect_exit 1 "a payload letter flipped on line 5: verify exits 1" -- "$RBAUDIT" verify --keys "$KEYS" --json flipped
cp "$OUT" flip.rb.json
expect_json "flipped: valid is false" flip.rb.json 'd["exports"][0]["valid"]' false
expect_json "flipped: E_SIG reported with seq 4 and line 5" flip.rb.json \
	'[[x["seq"], x["line"]] for x in d["exports"][0]["errors"] if x["code"] == "E_SIG"]' '[[4, 5]]'
expect_json "flipped: the E_SIG finding has a message" flip.rb.json \
	'all(isinstance(x["message"], str) and len(x["message"]) > 0 for x in d["exports"][0]["errors"])' true
expect_exit 1 "flipped: text mode exits 1" -- "$RBAUDIT" verify --keys "$KEYS" flipped
expect_grep "flipped: text mode prints 'E_SIG seq 4 line 5'" "$OUT" '^E_SIG seq 4 line 5: '
expect_grep "flipped: text mode says INVALID" "$OUT" '^flipped: INVALID$'
expect_exit 1 "flipped: the independent verifier exits 1" -- "$PY" "$INDEP" verify --keys "$KEYS" flipped
cp "$OUT" flip.py.json
expect_json "flipped: the independent verifier reports E_SIG at seq 4, line 5" flip.py.json \
	'[[x["seq"], x["line"]] for x in d["exports"][0]["errors"] if x["code"] == "E_SIG"]' '[[4, 5]]'
expect_eq "flipped: rbaudit and the independent verifier report the same error codes" \
	"$(error_codes flip.py.json)" "$(error_codes flip.rb.json)"

# --- checkpoint missing -----------------------------------------------
expect_exit 1 "checkpoint deleted: verify exits 1" -- "$RBAUDIT" verify --keys "$KEYS" --json nocp
cp "$OUT" nocp.json
expect_json "checkpoint deleted: E_IO reported" nocp.json '"E_IO" in [x["code"] for x in d["exports"][0]["errors"]]' true
expect_json "checkpoint deleted: the E_IO message names the checkpoint" nocp.json \
	'any("checkpoint" in x["message"] for x in d["exports"][0]["errors"] if x["code"] == "E_IO")' true
expect_json "checkpoint deleted: valid is false" nocp.json 'd["exports"][0]["valid"]' false
expect_exit 1 "checkpoint deleted: the independent verifier exits 1" -- "$PY" "$INDEP" verify --keys "$KEYS" nocp
expect_json "checkpoint deleted: the independent verifier also reports E_IO" "$OUT" \
	'"E_IO" in [x["code"] for x in d["exports"][0]["errors"]]' true

expect_exit 1 "a directory that does not exist: verify exits 1" -- "$RBAUDIT" verify --keys "$KEYS" --json no-such-export
expect_json "a directory that does not exist: E_IO" "$OUT" '"E_IO" in [x["code"] for x in d["exports"][0]["errors"]]' true

# --- trust-store problems and bad options ---------------------------
expect_exit 66 "a missing --keys file exits 66" -- "$RBAUDIT" verify --keys no-such-keys.json "$X07"
expect_grep -F "the error names the missing trust store" "$ERR" 'no-such-keys.json'
check "a missing trust store prints no report" test ! -s "$OUT"
head -c 40 "$KEYS" >truncated-keys.json
expect_exit 65 "a malformed (truncated) keys file exits 65" -- "$RBAUDIT" verify --keys truncated-keys.json "$X07"
expect_grep -F "the error names the malformed trust store" "$ERR" 'truncated-keys.json'
echo '[1, 2, 3]' >array-keys.json
expect_exit 65 "a keys file that is a JSON array exits 65" -- "$RBAUDIT" verify --keys array-keys.json "$X07"
"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["keys"][0]["public_key"] = "AAAA"
json.dump(d, open("shortkey-keys.json", "w"))' "$KEYS"
expect_exit 65 "a keys file with a 3-byte public key exits 65" -- "$RBAUDIT" verify --keys shortkey-keys.json "$X07"
expect_exit 64 "--jobs 0 exits 64" -- "$RBAUDIT" verify --keys "$KEYS" --jobs 0 "$X07"
expect_grep -F "--jobs 0: stderr explains --jobs" "$ERR" '--jobs'
expect_exit 64 "--jobs abc exits 64" -- "$RBAUDIT" verify --keys "$KEYS" --jobs abc "$X07"
expect_exit 64 "--jobs -1 exits 64" -- "$RBAUDIT" verify --keys "$KEYS" --jobs -1 "$X07"
expect_exit 0 "--jobs 1 on a vector exits 0" -- "$RBAUDIT" verify --keys "$KEYS" --jobs 1 "$X07"

# --- a trust store that does not know the signer ------------------------
"$RBAUDIT" keygen --name stranger --out k --valid-from "$VALID_FROM" >/dev/null 2>&1 &&
	"$RBAUDIT" keys add k/stranger.pub.json --keys stranger.json >/dev/null 2>&1 ||
	fail "setup: stranger trust store" "keygen/keys add failed"
expect_exit 1 "vectors verified against an unrelated trust store fail (exit 1)" -- "$RBAUDIT" verify --keys stranger.json --json "$X07"
expect_json "unrelated trust store: E_KEY_UNKNOWN on line 1 (seq 0)" "$OUT" \
	'[[x["seq"], x["line"]] for x in d["exports"][0]["errors"] if x["code"] == "E_KEY_UNKNOWN"][:1]' '[[0, 1]]'
expect_json "unrelated trust store: the checkpoint is not validly signed (E_CHECKPOINT_SIG)" "$OUT" \
	'"E_CHECKPOINT_SIG" in [x["code"] for x in d["exports"][0]["errors"]]' true

done_testing
