# t_pack.sh - focus: a report folder changes all at once or not at all, and
# its MANIFEST covers the whole folder.  A failed report (missing key, key
# readable by others, a key the trust store does not hold as a report key,
# a template named twice) leaves a signed folder byte-identical and VALID;
# an unsigned report over a signed one needs --allow-unsigned; a folder
# holding a file rbaudit did not write is refused; verify-report fails on
# any file or folder the MANIFEST does not list, dotfiles and subfolders
# included; what a killed run leaves is repaired by the next one and is
# never inside the folder; a text too long for a workbook cell is cut with
# a marker and a warning, never left blank.
. "$ROOT/tests/cli/lib.sh"

V="$VECTORS"
check "setup: the vectors ingested and 2026-08 analysed" sh -c "'$RBAUDIT' ingest --db a.db \
	--keys '$V/keys.json' '$V/export-2026-07' '$V/export-2026-08' '$V/export-2026-09' >/dev/null &&
	'$RBAUDIT' analyze --db a.db --period 2026-08 >/dev/null"
make_key reports rk --roles report || fail "setup: keygen" "$(_snip "$_LIB_DIR/keygen.err")"
make_key other rk --roles entry || fail "setup: keygen other" "$(_snip "$_LIB_DIR/keygen.err")"
cp "$V/keys.json" trust.json
"$RBAUDIT" keys add rk/reports.pub.json --keys trust.json >/dev/null
"$RBAUDIT" keys add rk/other.pub.json --keys trust.json >/dev/null

# The digests of every file under a folder, names included, dotfiles too.
snap() { (cd "$1" && find . -type f -o -type d | LC_ALL=C sort | while read -r f; do
	if [ -f "$f" ]; then printf '%s %s\n' "$(sha256sum < "$f" | cut -c1-64)" "$f"; else echo "dir $f"; fi
	done); }
report() { "$RBAUDIT" report --db a.db --period 2026-08 "$@"; }

expect_exit 0 "a signed pack is written" -- report --template governance-monthly \
	--template analysis-json --out rs --sign rk/reports.pem --keys trust.json
expect_exit 0 "  and verifies" -- "$RBAUDIT" verify-report rs --keys trust.json
expect_eq "  the folder holds the reports, their proofs and the MANIFEST, nothing else" \
	"MANIFEST analysis-2026-08.json governance-2026-08.pdf proofs" "$(ls -A rs | tr '\n' ' ' | sed 's/ $//')"
expect_eq "  nothing is left beside it" "rk rs" "$(ls -A | grep -v -e '\.db' -e '^\.lib$' -e trust.json | tr '\n' ' ' | sed 's/ $//')"
before=$(snap rs)
listed=$(sed -n '/^$/q; /^signed /d; p' rs/MANIFEST)
# The snapshot less the MANIFEST line (its signing time changes with each run).
reports_of() { printf '%s\n' "$1" | grep -v ' ./MANIFEST$'; }
expect_grep "the signed MANIFEST carries its signing time" rs/MANIFEST \
	'^signed [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?Z$'

# Failed runs leave the signed folder as it was.
expect_exit 66 "report --sign with a missing key exits 66" -- report --template analysis-json \
	--out rs --sign rk/missing.pem
expect_eq "  the signed folder is byte-identical" "$before" "$(snap rs)"
cp rk/reports.pem rk/open.pem && chmod 0644 rk/open.pem
expect_exit 78 "report --sign with a key of mode 0644 exits 78" -- report --template analysis-json \
	--out rs --sign rk/open.pem --sign-name reports
expect_eq "  the signed folder is byte-identical" "$before" "$(snap rs)"
expect_exit 78 "a template named twice exits 78" -- report --template analysis-json \
	--template analysis-json --out rs --sign rk/reports.pem
expect_grep "  naming the file both would write" "$ERR" "both write 'analysis-2026-08.json'"
expect_eq "  the signed folder is byte-identical" "$before" "$(snap rs)"
expect_exit 78 "--keys refuses a sign key without the role report" -- report --template analysis-json \
	--out rs --sign rk/other.pem --keys trust.json
expect_grep "  saying it lacks the role" "$ERR" 'lacks the role "report"'
expect_exit 78 "--keys refuses a --sign-name that is not the key's" -- report --template analysis-json \
	--out rs --sign rk/reports.pem --sign-name other --keys trust.json
expect_eq "  the signed folder is byte-identical" "$before" "$(snap rs)"
expect_exit 0 "  and still VALID" -- "$RBAUDIT" verify-report rs --keys trust.json

# The report key judged at the signing time the MANIFEST carries.
signed=$(sed -n 's/^signed //p' rs/MANIFEST)
cp trust.json revoked-before.json
"$RBAUDIT" keys revoke reports --at 2026-06-01T00:00:00Z --keys revoked-before.json >/dev/null
expect_exit 1 "a MANIFEST signed by a key revoked before the signing is INVALID" -- \
	"$RBAUDIT" verify-report rs --keys revoked-before.json
expect_grep -F "  saying when it was signed and revoked" "$OUT" "signed at $signed by key 'reports', revoked at 2026-06-01T00:00:00Z (E_KEY_REVOKED)"
cp trust.json revoked-later.json
"$RBAUDIT" keys revoke reports --at 2099-01-01T00:00:00Z --keys revoked-later.json >/dev/null
expect_exit 0 "a key revoked after the signing: VALID" -- "$RBAUDIT" verify-report rs --keys revoked-later.json
expect_grep -F "  with the warning W_KEY_REVOKED_LATER" "$OUT" "warning: W_KEY_REVOKED_LATER: key 'reports' signed at $signed and was revoked later, at 2099-01-01T00:00:00Z"
cp trust.json expired.json
"$RBAUDIT" keys set-valid-until reports --at 2026-06-01T00:00:00Z --keys expired.json >/dev/null
expect_exit 1 "a key whose validity ended before the signing: INVALID" -- \
	"$RBAUDIT" verify-report rs --keys expired.json
expect_grep -F "  saying so" "$OUT" "by key 'reports' after its validity ended"
rm -rf v && cp -r rs v && sed -i "s/^signed .*/signed 2026-01-02T00:00:00Z/" v/MANIFEST
expect_exit 1 "the signing time is signed: changing it breaks the signature" -- \
	"$RBAUDIT" verify-report v --keys trust.json
expect_grep -F "  (no signature verifies)" "$OUT" "no signature by a trusted key"

# Unsigned over signed needs an explicit option.
expect_exit 73 "an unsigned report over a signed folder exits 73" -- report --template analysis-json --out rs
expect_grep "  naming the option" "$ERR" 'allow-unsigned'
expect_eq "  the signed folder is byte-identical" "$before" "$(snap rs)"
cp -r rs rs-copy
expect_exit 0 "--allow-unsigned replaces it" -- report --template analysis-json --out rs-copy --allow-unsigned
expect_eq "  the whole folder is replaced: only the new report and its MANIFEST" \
	"MANIFEST analysis-2026-08.json proofs" "$(ls -A rs-copy | tr '\n' ' ' | sed 's/ $//')"

# A folder holding what rbaudit did not write is refused, and not signed.
cp -r rs rs-notes && printf 'my notes\n' > rs-notes/notes.txt
notes_before=$(snap rs-notes)
expect_exit 73 "report into a folder holding notes.txt exits 73" -- report --template analysis-json \
	--out rs-notes --sign rk/reports.pem
expect_grep "  naming the file" "$ERR" "rs-notes/notes.txt' is not in the folder's MANIFEST"
expect_eq "  the folder is byte-identical" "$notes_before" "$(snap rs-notes)"
mkdir mine && printf 'x' > mine/a.txt
expect_exit 73 "report into a folder of the user's without a MANIFEST exits 73" -- report \
	--template analysis-json --out mine
expect_eq "  the folder is as it was" "a.txt" "$(ls -A mine)"
mkdir emptyout
expect_exit 0 "report into an empty folder is fine" -- report --template analysis-json --out emptyout

# verify-report covers the whole folder.
for extra in .evil extra/f .hidden/x; do
	rm -rf v && cp -r rs v && mkdir -p "v/$(dirname "$extra")" && printf 'x' > "v/$extra"
	expect_exit 1 "verify-report fails on an unlisted $extra" -- "$RBAUDIT" verify-report v --keys trust.json
	expect_grep -F "  naming it" "$OUT" "$extra: present but not in the manifest"
done
rm -rf v && cp -r rs v && mkdir v/emptydir
expect_exit 1 "verify-report fails on an unlisted empty folder" -- "$RBAUDIT" verify-report v --keys trust.json
expect_grep -F "  naming it" "$OUT" "emptydir/ (a folder with no file): not in the manifest"
rm -rf v && cp -r rs v && mkfifo v/.pipe
expect_exit 1 "verify-report fails on an unlisted FIFO" -- timeout 20 "$RBAUDIT" verify-report v --keys trust.json
expect_grep -F "  naming it" "$OUT" ".pipe (a FIFO): not in the manifest"
rm -rf v && cp -r rs v && rm v/governance-2026-08.pdf
expect_exit 1 "verify-report fails on a listed file that is missing" -- "$RBAUDIT" verify-report v --keys trust.json
expect_grep -F "  naming it" "$OUT" "governance-2026-08.pdf: listed but missing"
rm -rf v && cp -r rs v && printf 'x' >> v/analysis-2026-08.json
expect_exit 1 "verify-report fails on a file whose size changed" -- "$RBAUDIT" verify-report v --keys trust.json
expect_grep "  giving both sizes, not the same digest twice" "$OUT" 'analysis-2026-08.json: [0-9]+ bytes, the manifest says [0-9]+$'

# What a killed run leaves is beside the folder, never in it, and repaired.
mkdir .rs.rbaudit-new && printf 'half' > .rs.rbaudit-new/governance-2026-08.pdf
# (--keys as for the first: the attestation's key table is the trust store's then.)
expect_exit 0 "a run after a killed one (a half-written new folder beside)" -- report \
	--template governance-monthly --template analysis-json --out rs --sign rk/reports.pem \
	--keys trust.json
expect_no_file "  the half-written folder is gone" .rs.rbaudit-new
expect_eq "  and the new pack has the same reports as before" "$(reports_of "$before")" \
	"$(reports_of "$(snap rs)")"
expect_eq "  and the same MANIFEST but for its signing time and signature" "$listed" \
	"$(sed -n '/^$/q; /^signed /d; p' rs/MANIFEST)"
mv rs .rs.rbaudit-old
expect_exit 0 "a run after a crash between the two renames (the old folder aside)" -- report \
	--template governance-monthly --template analysis-json --out rs --sign rk/reports.pem
expect_no_file "  the old folder is put back and replaced" .rs.rbaudit-old
expect_exit 0 "  the folder verifies" -- "$RBAUDIT" verify-report rs --keys trust.json
i=0
while [ $i -lt 6 ]; do
	"$RBAUDIT" report --db a.db --period 2026-08 --template governance-monthly \
		--template analysis-json --out rs --sign rk/reports.pem >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$i"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	i=$((i + 1))
done
expect_exit 0 "after six runs killed at different moments the folder verifies" -- \
	"$RBAUDIT" verify-report rs --keys trust.json
expect_eq "  with no temporary file inside" \
	"MANIFEST analysis-2026-08.json governance-2026-08.pdf proofs" \
	"$(ls -A rs | tr '\n' ' ' | sed 's/ $//')"
expect_exit 0 "  and the next run cleans what is beside it" -- report --template governance-monthly \
	--template analysis-json --out rs --sign rk/reports.pem
expect_eq "  nothing is left beside the folder" "" "$(ls -A | grep rbaudit)"

# A sheet named twice is a configuration error, not a crash.
printf '{\n "template": "x",\n "format": "xlsx",\n "file": "x-{period}.xlsx",\n "sections": [\n  {"type": "sheet", "sheet": "Summary"},\n  {"type": "sheet", "sheet": "Summary"}\n ]\n}\n' > twice.json
expect_exit 78 "an XLSX template naming a sheet twice exits 78" -- report --template ./twice.json --out tw
expect_grep "  naming the template, the line and the sheet" "$ERR" "template './twice.json' line 7: member \"sheet\" names the sheet \"Summary\" a second time"
expect_no_file "  and writes nothing" tw

# No silent truncation: a 40,000-character service name in the workbook.
make_key ledger k --roles entry,checkpoint || fail "setup: keygen ledger" "$(_snip "$_LIB_DIR/keygen.err")"
"$RBAUDIT" keys add k/ledger.pub.json --keys long.json >/dev/null
long=$("$PY" -c 'print("s" * 40000)')
sed "s/\"service\":\"catalog\"/\"service\":\"$long\"/g" "$SAMPLES/events-2026-08.jsonl" > long.jsonl
check "setup: the long service name is in the events" grep -q "$long" long.jsonl
seal_quiet long.jsonl longexp || fail "setup: seal" "$(_snip "$_LIB_DIR/seal.err")"
check "setup: sealed, ingested, analysed" sh -c "'$RBAUDIT' ingest --db l.db --keys long.json longexp >/dev/null &&
	'$RBAUDIT' analyze --db l.db --period 2026-08 >/dev/null"
expect_exit 0 "the workbook is written" -- "$RBAUDIT" report --db l.db --period 2026-08 \
	--template engineering-metrics --template analysis-json --out lx
expect_grep "  with a warning on stderr counting the cut texts" "$ERR" 'warning: [0-9]+ texts? (was|were) too long for a workbook cell \(the longest 40000 characters\) and cut'
rm -rf lxz && mkdir lxz && (cd lxz && unzip -q ../lx/engineering-metrics-2026-08.xlsx)
expect_grep -F "the cell ends with the marker" lxz/xl/worksheets/sheet2.xml "… [truncated: 40,000 characters, see the JSON]"
cell=$("$PY" - lxz/xl/worksheets/sheet2.xml <<'EOP'
import re, sys
x = open(sys.argv[1], encoding="utf-8").read()
m = [t for t in re.findall(r"<t[^>]*>([^<]*)</t>", x) if t.startswith("sss")]
print(len(m[0]) if m else 0)
EOP
)
expect_eq "  and holds exactly Excel's 32,767 characters" 32767 "$cell"
expect_json "the JSON holds the name whole" lx/analysis-2026-08.json \
	"max(len(r['service'] or '') for r in d['analysis']['rollbacks'])" 40000

# ... and the job logs the warning.
mkdir -p ljob/inbox && cp -r longexp ljob/inbox/e && : > ljob/inbox/e/READY && cp long.json ljob/keys.json
printf '{"database":"a.db","trust_store":"keys.json","inbox":"inbox","archive":"archive","output":"reports/{period}","templates":["engineering-metrics"],"alert_level":"none","alert_findings":[]}' > ljob/job.json
expect_exit 0 "the job renders the workbook" -- "$RBAUDIT" run --config ljob/job.json --period 2026-08
expect_grep "  and its log has a report warning counting the cut texts" "$ERR" 'report +warning +[0-9]+ texts? (was|were) too long for a workbook cell \(the longest 40000 characters\)'

done_testing
