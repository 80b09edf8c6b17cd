# t_usage.sh - focus: the command line itself: --help and --version on
# rbaudit and every subcommand (exit 0, usage on stdout, nothing on stderr),
# unknown commands and options (exit 64, message on stderr), and missing
# required options or arguments (exit 64) for keygen, keys, seal and verify.
. "$ROOT/tests/cli/lib.sh"

# --- --help ------------------------------------------------------------
expect_exit 0 "rbaudit --help exits 0" -- "$RBAUDIT" --help
expect_grep "rbaudit --help prints 'usage: rbaudit COMMAND' on stdout" "$OUT" '^usage: rbaudit COMMAND'
for c in keygen keys seal verify; do
	expect_grep "rbaudit --help lists command $c" "$OUT" "^  $c "
done
check "rbaudit --help writes nothing to stderr" test ! -s "$ERR"

for c in keygen keys seal verify; do
	expect_exit 0 "rbaudit $c --help exits 0" -- "$RBAUDIT" $c --help
	expect_grep "rbaudit $c --help prints 'usage: rbaudit $c' on stdout" "$OUT" "^usage: rbaudit $c( |\$)"
	check "rbaudit $c --help writes nothing to stderr" test ! -s "$ERR"
done

# --help wins even after other options.
expect_exit 0 "rbaudit verify --keys x --help exits 0" -- "$RBAUDIT" verify --keys x.json --help
expect_grep "rbaudit verify --keys x --help prints the usage" "$OUT" '^usage: rbaudit verify'
expect_grep "verify --help documents exit status 66" "$OUT" '66'

expect_exit 0 "rbaudit --version exits 0" -- "$RBAUDIT" --version
expect_grep "rbaudit --version prints 'rbaudit X.Y.Z'" "$OUT" '^rbaudit [0-9]+\.[0-9]+\.[0-9]+$'

# --- no command, unknown command --------------------------------------
expect_exit 64 "rbaudit with no arguments exits 64" -- "$RBAUDIT"
expect_grep "rbaudit with no arguments prints the usage on stderr" "$ERR" '^usage: rbaudit'
check "rbaudit with no arguments prints nothing on stdout" test ! -s "$OUT"

expect_exit 64 "unknown command exits 64" -- "$RBAUDIT" frobnicate
expect_grep "unknown command is named on stderr" "$ERR" "unknown command 'frobnicate'"
check "unknown command prints nothing on stdout" test ! -s "$OUT"

# --- unknown options ---------------------------------------------------
expect_exit 64 "keygen --bogus exits 64" -- "$RBAUDIT" keygen --bogus --name a --out k
expect_grep "keygen --bogus: message on stderr" "$ERR" 'unknown option|unrecognized option'
check "keygen --bogus created no key directory" test ! -e k

expect_exit 64 "keys list --bogus exits 64" -- "$RBAUDIT" keys list --keys keys.json --bogus
expect_grep "keys list --bogus: message on stderr" "$ERR" 'unknown option|unrecognized option'

expect_exit 64 "seal --bogus exits 64" -- "$RBAUDIT" seal --bogus
expect_grep "seal --bogus: message on stderr" "$ERR" 'unknown option|unrecognized option'

expect_exit 64 "verify --bogus exits 64" -- "$RBAUDIT" verify --bogus --keys "$VECTORS/keys.json" "$VECTORS/export-2026-07"
expect_grep "verify --bogus: message on stderr" "$ERR" 'unknown option|unrecognized option'
check "verify --bogus prints no report on stdout" test ! -s "$OUT"

expect_exit 64 "keys with an unknown subcommand exits 64" -- "$RBAUDIT" keys frob --keys keys.json
expect_grep "keys frob: names the subcommand on stderr" "$ERR" "frob"

# --- missing required options ------------------------------------------
expect_exit 64 "keygen without --out exits 64" -- "$RBAUDIT" keygen --name a
expect_grep "keygen without --out: stderr names the required options" "$ERR" '--out'
expect_exit 64 "keygen without --name exits 64" -- "$RBAUDIT" keygen --out k
check "keygen without --name created nothing" test ! -e k

expect_exit 64 "keys without a subcommand exits 64" -- "$RBAUDIT" keys
expect_exit 64 "keys list without --keys exits 64" -- "$RBAUDIT" keys list
expect_grep "keys list without --keys: stderr names --keys" "$ERR" '--keys'
expect_exit 64 "keys add without a file exits 64" -- "$RBAUDIT" keys add --keys keys.json
check "keys add without a file created no trust store" test ! -e keys.json
expect_exit 64 "keys revoke without --at exits 64" -- "$RBAUDIT" keys revoke somekey --keys "$VECTORS/keys.json"
expect_exit 64 "keys revoke without a NAME exits 64" -- "$RBAUDIT" keys revoke --at 2026-08-01T00:00:00Z --keys "$VECTORS/keys.json"

expect_exit 64 "seal without any option exits 64" -- "$RBAUDIT" seal
expect_exit 64 "seal without --events exits 64" -- "$RBAUDIT" seal --key k.pem --ledger "$LEDGER" --out x
expect_grep "seal without --events: stderr names --events" "$ERR" '--events'
check "seal without --events created no --out directory" test ! -e x
expect_exit 64 "seal without --out exits 64" -- "$RBAUDIT" seal --key k.pem --ledger "$LEDGER" --events "$SAMPLES/events-2026-07.jsonl"
expect_exit 64 "seal --cosigner without NAME= exits 64" -- "$RBAUDIT" seal --key k.pem --ledger "$LEDGER" --events e --out x --cosigner k.pem

expect_exit 64 "verify without --keys exits 64" -- "$RBAUDIT" verify "$VECTORS/export-2026-07"
expect_grep "verify without --keys: stderr names --keys" "$ERR" '--keys'
expect_exit 64 "verify without an export directory exits 64" -- "$RBAUDIT" verify --keys "$VECTORS/keys.json"

done_testing
