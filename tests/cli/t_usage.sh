# t_usage.sh - focus: the command line itself: --help and --version on
# rbaudit and every subcommand (exit 0, usage on stdout, nothing on stderr),
# unknown commands and options (exit 64, message on stderr), and missing
# required options or arguments (exit 64) for keygen, keys, seal and verify;
# messages a person can act on: an option without its value, numbers with
# their range, a date that does not exist, `rbaudit help COMMAND`; for every
# command: --help (its option lines, --help, an exit status paragraph naming
# only the codes of lib/err.h) and an unknown option (64); the man page's
# EXIT STATUS against lib/err.h.
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
expect_grep "verify --help documents exit status 66 in its exit status paragraph" "$OUT" \
	'^E_ code, 64 usage, 65 malformed trust store, 66 trust store missing\.$'

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

# --- messages a person can act on --------------------------------------
# An option given without its value: one message, naming the option, and
# not "unknown option" after getopt's own.
for c in analyze ingest report check; do
	expect_exit 64 "$c --db with no value exits 64" -- "$RBAUDIT" $c --db
	expect_grep -F "  $c says --db needs a value" "$ERR" "--db needs a value"
	expect_no_grep "  $c does not also call it unknown" "$ERR" "unknown option"
	check "  $c prints one line on stderr" test "$(wc -l < "$ERR")" -eq 1
done
expect_exit 64 "verify --keys with no value exits 64" -- "$RBAUDIT" verify --keys
expect_grep -F "  says --keys needs a value" "$ERR" "verify: --keys needs a value"
expect_exit 64 "an unknown option is named as written" -- "$RBAUDIT" analyze --db a.db --nosuch
expect_grep -F "  analyze: unknown option '--nosuch'" "$ERR" "analyze: unknown option '--nosuch'"
expect_exit 64 "an unknown short option is named" -- "$RBAUDIT" ingest -x
expect_grep -F "  ingest: unknown option '-x'" "$ERR" "ingest: unknown option '-x'"
# Numbers are refused with their range.
expect_exit 64 "analyze --sample 1000000000 exits 64" -- "$RBAUDIT" analyze --db a.db --period 2026-08 --sample 1000000000
expect_grep -F "  giving the range" "$ERR" "--sample takes a whole number from 0 to 100000, not '1000000000'"
expect_exit 64 "analyze --trend 121 exits 64" -- "$RBAUDIT" analyze --db a.db --period 2026-08 --trend 121
expect_grep -F "  giving the range" "$ERR" "--trend takes a whole number from 0 to 120"
expect_exit 64 "sample --seed -1 exits 64" -- "$RBAUDIT" sample --out sx --seed -1
expect_grep -F "  giving the range" "$ERR" "--seed takes a whole number from 0 to 9007199254740991"
# seal: a time of the right form on a day that does not exist, and a state
# file whose size is negative, each said for what it is.
make_key ledger k || fail "setup: keygen" "$(_snip "$_LIB_DIR/keygen.err")"
head -n 2 "$SAMPLES/events-2026-07.jsonl" | sed '2s/"time":"[^"]*"/"time":"2026-02-30T00:00:00Z"/' >feb30.jsonl
expect_exit 65 "seal of an event on 2026-02-30 exits 65" -- "$RBAUDIT" seal --key k/ledger.pem \
	--ledger "$LEDGER" --events feb30.jsonl --out f30
expect_grep -F "  saying the time is no real time, not that the form is wrong" "$ERR" \
	'"2026-02-30T00:00:00Z" has the form YYYY-MM-DDTHH:MM:SS[.f]Z but is no real time'
head -n 1 "$SAMPLES/events-2026-07.jsonl" >one.jsonl
expect_exit 0 "seal of one event with a state file" -- "$RBAUDIT" seal --key k/ledger.pem \
	--ledger "$LEDGER" --events one.jsonl --out s1 --state st.json
"$PY" -c 'import json; d = json.load(open("st.json")); d["size"] = -5; json.dump(d, open("st.json", "w"))'
expect_exit 65 "a state file with size -5 exits 65" -- "$RBAUDIT" seal --key k/ledger.pem \
	--ledger "$LEDGER" --events one.jsonl --out s2 --state st.json
expect_grep -F "  saying what is wrong with size" "$ERR" '"size" must be a whole number from 0'
expect_no_grep "  not that it is missing" "$ERR" "missing"

# A job file without trust_store is a configuration error (78), as run --help says.
printf '{"database": "a.db", "inbox": "i", "output": "o"}\n' >notrust.json
expect_exit 78 "run with a job file that names no trust_store exits 78" -- "$RBAUDIT" run --config notrust.json
expect_grep -F "  naming the member" "$ERR" 'member "trust_store" is required'
expect_exit 0 "run --help exits 0" -- "$RBAUDIT" run --help
expect_grep "  and promises 78 for a configuration error" "$OUT" '^  78 +configuration error'

# --- every command: --help, a usage error, its exit codes -------------
# The exit codes a command may document are those of lib/err.h's enum
# rb_exit, read from the header itself; the man page's EXIT STATUS lists
# exactly those.
CODES=$(sed -n 's/^[[:space:]]*RB_EX_[A-Z]* = \([0-9][0-9]*\),*.*/\1/p' "$ROOT/lib/err.h" | sort -n | tr '\n' ' ')
check "lib/err.h defines the exit codes 0 1 2 64 65 66 70 73 74 75 78" \
	test "$CODES" = "0 1 2 64 65 66 70 73 74 75 78 "
MAN=$(awk '/^\.SH EXIT STATUS/{on=1; next} /^\.SH/{on=0} on && prev == ".TP" && /^\.B [0-9]+$/ {print $2} {prev=$0}' \
	"$ROOT/rbaudit.1" | sort -n | tr '\n' ' ')
check "the man page's EXIT STATUS lists exactly lib/err.h's codes ($MAN)" test "$MAN" = "$CODES"
for c in keygen keys import seal verify ingest check analyze report verify-report cosign run sample; do
	expect_exit 0 "rbaudit $c --help exits 0" -- "$RBAUDIT" $c --help
	expect_grep "  prints $c's usage on stdout" "$OUT" "^usage: rbaudit $c( |\$)"
	check "  writes nothing to stderr" test ! -s "$ERR"
	expect_grep "  lists --help itself" "$OUT" '^  --help +print this help and exit$'
	expect_grep "  has an exit status paragraph" "$OUT" '^Exit status'
	# Every number the paragraph names as an exit code is one of err.h's.
	bad=$(awk '/^Exit status/{on=1} on' "$OUT" | grep -oE '(^|[ (;,:])[0-9]{1,3}( |,|;|$)' |
		tr -dc '0-9\n' | sort -un | while read -r n; do
			case " $CODES" in *" $n "*) ;; *) echo "$n" ;; esac; done | tr '\n' ' ')
	check "  names only exit codes of lib/err.h (not: $bad)" test -z "$bad"
	expect_grep "  documents 64 for a usage error" "$OUT" '64'
	expect_exit 64 "rbaudit $c --no-such-option exits 64" -- "$RBAUDIT" $c --no-such-option
	expect_grep -F "  naming it" "$ERR" "unknown option '--no-such-option'"
	check "  prints nothing on stdout" test ! -s "$OUT"
done
# Each option line of the help comes from the command's table: analyze's.
"$RBAUDIT" analyze --help >ah.txt
for o in db period policy trend sample sample-seed ledger controls no-store json busy-timeout keys jobs; do
	expect_grep "analyze --help lists --$o" ah.txt "^  --$o( |\$)"
done
# A value that is itself an option: the first option was given none.
expect_exit 64 "analyze --db --period 2026-08 exits 64" -- "$RBAUDIT" analyze --db --period 2026-08
expect_grep -F "  saying --db has no value" "$ERR" "--db needs a value (it is followed by the option '--period')"
check "  and creating no database called --period" test ! -e ./--period
# report takes --busy-timeout, checked as every command checks it.
expect_exit 64 "report --busy-timeout x exits 64" -- "$RBAUDIT" report --db a.db --template analysis-json --out o --busy-timeout x
expect_grep -F "  giving the range" "$ERR" "--busy-timeout takes whole seconds from 0 to 86400, not 'x'"
expect_exit 64 "sample --start 2026-13 exits 64" -- "$RBAUDIT" sample --out sx --start 2026-13
expect_grep -F "  saying it takes a month" "$ERR" "--start takes a month, YYYY-MM, not '2026-13'"
expect_exit 64 "sample --deploys-per-day 2e6 exits 64" -- "$RBAUDIT" sample --out sx --deploys-per-day 2e6
expect_grep -F "  giving the range" "$ERR" "--deploys-per-day takes a number from 0 to 1000000, not '2e6'"
check "  and writing nothing" test ! -e sx

# rbaudit help COMMAND is COMMAND --help.
for c in keygen keys import seal verify ingest check analyze report verify-report cosign run sample; do
	expect_exit 0 "rbaudit help $c exits 0" -- "$RBAUDIT" help $c
	expect_grep "  and prints $c's own usage" "$OUT" "^usage: rbaudit $c( |\$)"
done
expect_exit 64 "rbaudit help of an unknown command exits 64" -- "$RBAUDIT" help frobnicate
expect_grep "  naming it" "$ERR" "unknown command 'frobnicate'"

done_testing
