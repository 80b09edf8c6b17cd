#!/bin/sh
# t_checkpoint_rev2.sh - checkpoints read as the C2SP ecosystem reads them
# (ledger-export-v1 §4 revision 2, issue #21 point 0), in verify and ingest:
# a checkpoint with extension lines after the root hash, validly signed, is
# valid; one with a valid signature and a failing one by another trusted
# checkpoint key is not (E_CHECKPOINT_SIG), while the same failing line by
# a key the trust store lacks, or holds without the checkpoint role, is
# ignored.  The notes are signed here with python3-cryptography from the
# key files, by the C2SP signed-note rules written in the test.  The
# independent verifier (tests/indep/ledger_export.py) reaches the same
# verdicts; both refuse a checkpoint holding a control character.
. "$ROOT/tests/cli/lib.sh"

"$RBAUDIT" sample --out s >/dev/null 2>&1
cat > note.py <<'EOP'
"""note.py KEY.pem NAME TEXTFILE: the C2SP signature line of TEXTFILE's bytes."""
import base64, hashlib, sys
from cryptography.hazmat.primitives import serialization
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
name = sys.argv[2]
text = open(sys.argv[3], "rb").read()
keyhash = hashlib.sha256(name.encode() + b"\n" + b"\x01" + pub).digest()[:4]
sig = key.sign(text)
sys.stdout.write("\u2014 %s %s\n" % (name, base64.b64encode(keyhash + sig).decode()))
EOP
E=s/exports/rollback-ledger/2026-05
body() { head -n 3 "$1"; }

# An extension line, signed with the ledger's checkpoint key.
cp -r "$E" ext
{ body "$E/checkpoint"; echo "rbaudit-test extension line"; } > ext.body
{ cat ext.body; echo; "$PY" note.py s/keys/sample-ledger-k1.pem sample-ledger-k1 ext.body; } > ext/checkpoint
expect_exit 0 "a checkpoint with an extension line, validly signed, verifies" -- "$RBAUDIT" verify \
	ext --keys s/keys.json
expect_exit 0 "  and the independent verifier agrees" -- "$PY" "$INDEP" verify --keys s/keys.json ext
expect_exit 0 "  and ingests" -- "$RBAUDIT" ingest --db e.db --keys s/keys.json ext
expect_eq "  its text stored verbatim, the extension line with it" "1" \
	"$(sqlite3 e.db "SELECT count(*) FROM ingest_export WHERE checkpoint LIKE '%rbaudit-test extension line%'")"
expect_exit 0 "  and rbaudit check re-verifies the stored checkpoint" -- "$RBAUDIT" check --db e.db \
	--keys s/keys.json
{ body "$E/checkpoint"; echo "rbaudit-test extension lime"; echo; \
  "$PY" note.py s/keys/sample-ledger-k1.pem sample-ledger-k1 ext.body; } > ext/checkpoint
expect_exit 1 "  an extension line changed after signing does not" -- "$RBAUDIT" verify ext \
	--keys s/keys.json
expect_grep -F "  (E_CHECKPOINT_SIG)" "$OUT" "E_CHECKPOINT_SIG"
expect_exit 1 "  nor under the independent verifier" -- "$PY" "$INDEP" verify --keys s/keys.json ext
cp -r "$E" cr
{ body "$E/checkpoint" | sed 's/$/\r/'; echo; tail -n 1 "$E/checkpoint"; } > cr/checkpoint
expect_exit 1 "a checkpoint with CR line ends (control characters) is refused" -- "$RBAUDIT" \
	verify cr --keys s/keys.json
expect_grep -F "  as malformed (E_CHECKPOINT_SIG)" "$OUT" "control character"
expect_exit 1 "  by the independent verifier too" -- "$PY" "$INDEP" verify --keys s/keys.json cr

# A second trusted checkpoint key whose line does not verify.
"$RBAUDIT" keygen --name witness-like --out k --roles checkpoint \
	--valid-from 2026-01-01T00:00:00Z >/dev/null 2>&1
cp s/keys.json two.json
"$RBAUDIT" keys add k/witness-like.pub.json --keys two.json >/dev/null
body "$E/checkpoint" > good.body
printf 'another text\n' > other.body
"$PY" note.py k/witness-like.pem witness-like other.body > bad.line
cp -r "$E" bad
{ cat "$E/checkpoint"; cat bad.line; } > bad/checkpoint
expect_exit 0 "the original checkpoint verifies under both keys" -- "$RBAUDIT" verify "$E" \
	--keys two.json
expect_exit 1 "a valid signature and a failing one by another trusted checkpoint key: not valid" \
	-- "$RBAUDIT" verify bad --keys two.json
expect_grep -F "  E_CHECKPOINT_SIG" "$OUT" "E_CHECKPOINT_SIG"
expect_exit 1 "  ingest refuses it too" -- "$RBAUDIT" ingest --db b.db --keys two.json bad
expect_exit 1 "  and so does the independent verifier" -- "$PY" "$INDEP" verify --keys two.json bad
{ body "$E/checkpoint"; echo; cat bad.line; tail -n 1 "$E/checkpoint"; } > bad/checkpoint
expect_exit 1 "  whichever line comes first" -- "$RBAUDIT" verify bad --keys two.json
expect_exit 1 "  (the independent verifier too)" -- "$PY" "$INDEP" verify --keys two.json bad
{ cat "$E/checkpoint"; "$PY" note.py k/witness-like.pem witness-like good.body; cat bad.line; } \
	> bad/checkpoint
expect_exit 0 "a trusted key's later line is ignored: a good first line, a bad later one" -- \
	"$RBAUDIT" verify bad --keys two.json
expect_exit 0 "  and the independent verifier agrees" -- "$PY" "$INDEP" verify --keys two.json bad
{ cat "$E/checkpoint"; cat bad.line; } > bad/checkpoint
expect_exit 0 "the same line by a key the trust store lacks is ignored" -- "$RBAUDIT" verify bad \
	--keys s/keys.json
expect_exit 0 "  by the independent verifier too" -- "$PY" "$INDEP" verify --keys s/keys.json bad
"$RBAUDIT" keygen --name witness-like --out k2 --roles report \
	--valid-from 2026-01-01T00:00:00Z >/dev/null 2>&1
cp s/keys.json role.json
"$RBAUDIT" keys add k2/witness-like.pub.json --keys role.json >/dev/null
"$PY" note.py k2/witness-like.pem witness-like other.body > bad2.line
{ cat "$E/checkpoint"; cat bad2.line; } > bad/checkpoint
expect_exit 0 "  and so is one by a trusted key without the checkpoint role" -- "$RBAUDIT" verify \
	bad --keys role.json
expect_exit 0 "  by the independent verifier too" -- "$PY" "$INDEP" verify --keys role.json bad
done_testing
