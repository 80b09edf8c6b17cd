# t_hostile.sh - focus: hostile input to every file rbaudit reads (trust
# store, policy, template, job file, manifest, checkpoint, entries): empty,
# missing, a directory, huge lines, deep nesting, NUL bytes, invalid and
# overlong UTF-8, numbers like 1e400, -0 and 2^63, wrong types.  Each gets
# a clear error with a documented exit code, in bounded time, never a crash
# (a crash is exit 128+signal, which expect_exit's "nonzero" refuses).
. "$ROOT/tests/cli/lib.sh"

V="$VECTORS"
mkdir dir-not-file
printf '' > empty
printf '{"keys":[' > cut.json
"$PY" -c 'import sys; sys.stdout.write("[" * 100000 + "]" * 100000)' > deep.json
"$PY" -c 'import sys; sys.stdout.write("{\"keys\":[\"" + "a" * (100 << 20) + "\"]}")' > huge.json
printf '{"keys":[{"name":"a\000b"}]}' > nul.json
printf '{"keys":[{"name":"\300\257"}]}' > overlong.json
printf '{"keys":[{"name":"\377"}]}' > badutf8.json
printf '{"review_window_hours":1e400}' > big.json
printf '{"review_window_hours":-0,"max_revert_days":9223372036854775808}' > int63.json
printf '{"keys":"nope"}' > wrongtype.json

for f in empty cut.json deep.json huge.json nul.json overlong.json badutf8.json wrongtype.json dir-not-file missing.json; do
	expect_exit 65 "verify refuses the trust store $f (65 or 66)" -- sh -c \
		"'$RBAUDIT' verify --keys $f '$V/export-2026-07'; rc=\$?; [ \$rc = 66 ] && exit 65 || exit \$rc"
done
for f in empty cut.json deep.json huge.json nul.json overlong.json badutf8.json big.json int63.json wrongtype.json; do
	expect_exit 78 "analyze refuses the policy $f with exit 78" -- \
		"$RBAUDIT" analyze --db none.db --period 2026-08 --policy $f
done
expect_exit 66 "a missing policy file exits 66" -- "$RBAUDIT" analyze --db none.db --period 2026-08 --policy missing.json
expect_exit 66 "a directory as policy exits 66" -- "$RBAUDIT" analyze --db none.db --period 2026-08 --policy dir-not-file
for f in empty cut.json deep.json huge.json nul.json overlong.json badutf8.json wrongtype.json; do
	expect_exit 78 "run refuses the job file $f with exit 78" -- "$RBAUDIT" run --config $f
done

# Report templates (on a database with an analysis to report).
check "setup: vectors ingested and analysed" sh -c "'$RBAUDIT' ingest --db t.db --keys '$V/keys.json' \
	'$V/export-2026-07' '$V/export-2026-08' '$V/export-2026-09' && '$RBAUDIT' analyze --db t.db --period 2026-08"
printf '{"template":"t","format":"pdf","file":"t-{period}.pdf","sections":[{"type":"cover","limit":1e400}]}' > tbig.json
printf '{"template":"t","format":"pdf","file":"t-{period}.pdf","sections":[{"type":"top-risk","limit":9223372036854775808}]}' > t63.json
printf '{"template":"t","format":"pdf","file":"t-{period}.pdf","sections":[{"type":"top-risk","limit":-0}]}' > tneg0.json
for f in empty cut.json deep.json huge.json nul.json overlong.json badutf8.json wrongtype.json tbig.json t63.json tneg0.json; do
	expect_exit 78 "report refuses the template $f with exit 78" -- \
		timeout 60 "$RBAUDIT" report --db t.db --period 2026-08 --template "./$f" --out "rep-$f"
	expect_no_file "  and writes no report" "rep-$f/t-2026-08.pdf"
done
expect_exit 66 "a missing template exits 66" -- "$RBAUDIT" report --db t.db --period 2026-08 --template ./missing.json --out rep-m
expect_exit 66 "a directory as template exits 66" -- "$RBAUDIT" report --db t.db --period 2026-08 --template ./dir-not-file --out rep-d

# Exports: every file of an export replaced by something hostile.
for what in manifest.json checkpoint entries.jsonl; do
	for f in empty deep.json huge.json nul.json overlong.json badutf8.json; do
		rm -rf x && mkdir x && cp "$V/export-2026-08/"* x/ && cp $f x/$what
		expect_exit 1 "verify rejects $what replaced by $f (exit 1)" -- \
			timeout 60 "$RBAUDIT" verify --keys "$V/keys.json" x
	done
	rm -rf x && mkdir x && cp "$V/export-2026-08/"* x/ && rm x/$what && mkdir x/$what
	expect_exit 1 "verify rejects a directory as $what (exit 1)" -- "$RBAUDIT" verify --keys "$V/keys.json" x
	expect_grep "naming E_IO" "$OUT" 'E_IO'
done

# A line with a million signatures, and numbers out of range in a payload.
"$PY" - "$V/export-2026-08/entries.jsonl" > sigs.jsonl <<'EOP'
import json, sys
lines = open(sys.argv[1]).read().split("\n")
env = json.loads(lines[0])
env["signatures"] = env["signatures"] * 1000000
lines[0] = json.dumps(env)
sys.stdout.write("\n".join(lines))
EOP
rm -rf x && mkdir x && cp "$V/export-2026-08/"* x/ && cp sigs.jsonl x/entries.jsonl
expect_exit 1 "a million signatures on one entry is rejected, in bounded time" -- \
	timeout 60 "$RBAUDIT" verify --keys "$V/keys.json" x
expect_grep "as E_PARSE on line 1" "$OUT" '^E_PARSE line 1:'

rm -rf x && mkdir x && cp "$V/export-2026-08/"* x/
expect_exit 1 "ingest of a hostile export changes nothing" -- sh -c \
	"cp huge.json x/entries.jsonl && '$RBAUDIT' ingest --db h.db --keys '$V/keys.json' x"
expect_eq "the database holds no entry" 0 "$(sqlite3 h.db 'SELECT count(*) FROM entry')"

# Inputs that are not regular files: a FIFO (nobody writing: opening it
# would block), a character device, a directory.  Each is refused at once
# with a message saying what it is; timeout 20 turns a hang into a failure.
mkfifo fifo
make_key fk fkeys --roles entry,checkpoint || fail "setup: keygen" "$(_snip "$_LIB_DIR/keygen.err")"
for what in entries.jsonl manifest.json checkpoint; do
	rm -rf xf && mkdir xf && cp "$V/export-2026-08/"* xf/ && rm xf/$what && mkfifo xf/$what
	expect_exit 1 "verify rejects a FIFO as $what at once (exit 1)" -- \
		timeout 20 "$RBAUDIT" verify --keys "$V/keys.json" xf
	expect_grep "  saying it is a FIFO" "$OUT" 'is a FIFO, not a regular file'
	expect_exit 1 "ingest rejects a FIFO as $what at once (exit 1)" -- \
		timeout 20 "$RBAUDIT" ingest --db fifo.db --keys "$V/keys.json" xf
done
for t in fifo /dev/null dir-not-file; do
	expect_exit 66 "verify refuses the trust store $t at once (66)" -- \
		timeout 20 "$RBAUDIT" verify --keys $t "$V/export-2026-08"
	expect_grep "  saying what it is" "$ERR" 'is (a FIFO|a character device|a directory), not a regular file'
	expect_exit 66 "analyze refuses the policy $t at once (66)" -- \
		timeout 20 "$RBAUDIT" analyze --db t.db --period 2026-08 --policy $t --no-store
	expect_exit 66 "report refuses the template $t at once (66)" -- \
		timeout 20 "$RBAUDIT" report --db t.db --period 2026-08 --template ./$t --out rep-fifo
	expect_exit 66 "report refuses the sign key $t at once (66)" -- \
		timeout 20 "$RBAUDIT" report --db t.db --period 2026-08 --template analysis-json \
		--sign $t --sign-name k --out rep-fifo
	expect_exit 66 "run refuses the job file $t at once (66)" -- timeout 20 "$RBAUDIT" run --config $t
	expect_exit 66 "seal refuses the events file $t at once (66)" -- timeout 20 "$RBAUDIT" seal \
		--key fkeys/fk.pem --ledger "$LEDGER" --events $t --out seal-fifo
	expect_exit 66 "keys add refuses the entry $t at once (66)" -- timeout 20 "$RBAUDIT" keys add $t --keys kf.json
done
expect_no_file "no report folder was made" rep-fifo
# The monthly job with a FIFO inside an inbox export: rejected, never a hang
# holding the lock.
mkdir -p fjob/inbox/a fjob/inbox/e && cp "$V/export-2026-07/"* fjob/inbox/a/ && : > fjob/inbox/a/READY &&
	cp "$V/export-2026-08/"* fjob/inbox/e/ && rm fjob/inbox/e/entries.jsonl &&
	mkfifo fjob/inbox/e/entries.jsonl && : > fjob/inbox/e/READY
cp "$V/keys.json" fjob/keys.json
printf '{"database":"a.db","trust_store":"keys.json","inbox":"inbox","archive":"archive","quarantine":"quarantine","output":"reports/{period}","templates":["analysis-json"],"alert_level":"none","alert_findings":[]}' > fjob/job.json
expect_exit 2 "run with a FIFO in an inbox export rejects it at once (exit 2)" -- \
	timeout 20 "$RBAUDIT" run --config fjob/job.json --period 2026-07
expect_exit 0 "  and the next run is not locked out" -- timeout 20 "$RBAUDIT" run --config fjob/job.json --period 2026-07

done_testing
