#!/bin/sh
# t_witness.sh - witness cosignatures (c2sp.org/tlog-cosignature, issue #21
# point 5) in keygen, keys, cosign, verify, ingest, check and the report's
# attestation: a valid cosignature by a trusted witness is named; lines of
# unknown witnesses (or of a known name with another key ID) are ignored; a
# failing line of a trusted witness is E_WITNESS_SIG; a witness_policy's
# quorum not met is E_WITNESS_QUORUM (ingest refuses, the database
# unchanged), met is accepted; a cosignature made here by an independent
# implementation (python3-cryptography, the message built by hand from the
# spec) is accepted, and one rbaudit cosign made verifies under it; cosign
# refuses a checkpoint the log did not sign; a malformed witness_policy, or
# a key that is both witness and checkpoint, is refused on load.
. "$ROOT/tests/cli/lib.sh"

"$RBAUDIT" sample --out s >/dev/null 2>&1
cat > cosig.py <<'EOP'
"""cosig.py: an independent tlog-cosignature/v1 (Ed25519) for the test.
  sign KEY.pem NAME TIME FILE       the cosignature line of FILE's checkpoint at TIME
  badlen KEY.pem NAME FILE          a line with the witness's key ID and 64 bytes only
  verify PUB.json NAME FILE         exit 0 when NAME's cosignature verifies; prints its time
  keystring PUB.json NAME           the witness's verifier key NAME+ID+base64(0x04||key)
"""
import base64, hashlib, json, struct, sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

DASH = "\u2014 "

def body(note):
    # The signed text: up to and with the newline before the blank line.
    return note[:note.index(b"\n\n") + 1]

def key_id(name, pub):
    return hashlib.sha256(name.encode() + b"\n" + b"\x04" + pub).digest()[:4]

def message(t, text):
    return b"cosignature/v1\ntime " + str(t).encode() + b"\n" + text

def pub_of(path):
    return base64.b64decode(json.load(open(path))["public_key"])

cmd = sys.argv[1]
if cmd in ("sign", "badlen"):
    key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
    pub = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    name = sys.argv[3]
    if cmd == "sign":
        t = int(sys.argv[4])
        text = body(open(sys.argv[5], "rb").read())
        blob = key_id(name, pub) + struct.pack(">Q", t) + key.sign(message(t, text))
    else:
        blob = key_id(name, pub) + key.sign(body(open(sys.argv[4], "rb").read()))
    sys.stdout.write(DASH + name + " " + base64.b64encode(blob).decode() + "\n")
elif cmd == "verify":
    pub, name = pub_of(sys.argv[2]), sys.argv[3]
    note = open(sys.argv[4], "rb").read()
    text = body(note)
    for line in note[len(text) + 1:].decode().splitlines():
        if not line.startswith(DASH + name + " "):
            continue
        raw = base64.b64decode(line.split(" ")[2])
        if raw[:4] != key_id(name, pub) or len(raw) != 76:
            continue
        t = struct.unpack(">Q", raw[4:12])[0]
        try:
            Ed25519PublicKey.from_public_bytes(pub).verify(raw[12:], message(t, text))
        except InvalidSignature:
            sys.exit(1)
        print(t)
        sys.exit(0)
    sys.exit(1)
elif cmd == "keystring":
    pub, name = pub_of(sys.argv[2]), sys.argv[3]
    print("%s+%s+%s" % (name, key_id(name, pub).hex(), base64.b64encode(b"\x04" + pub).decode()))
EOP
E5=s/exports/rollback-ledger/2026-05
E6=s/exports/rollback-ledger/2026-06
T1=1793491200           # 2026-11-01T00:00:00Z
T2=1793620800           # 2026-11-02T12:00:00Z

# --- witness keys ------------------------------------------------------
for w in w1 w2 w3 w9; do
	"$RBAUDIT" keygen --name $w --out k --roles witness --valid-from "$VALID_FROM" \
		>$w.ks 2>/dev/null
done
expect_eq "keygen --roles witness prints the C2SP witness verifier key (type 0x04)" \
	"$("$PY" cosig.py keystring k/w1.pub.json w1)" "$(cat w1.ks)"
expect_exit 64 "keygen refuses a key both witness and checkpoint" -- "$RBAUDIT" keygen \
	--name both --out k --roles witness,checkpoint
check "  and writes no key" test ! -e k/both.pem
cp s/keys.json t.json
"$RBAUDIT" keys add k/w1.pub.json k/w2.pub.json k/w3.pub.json --keys t.json >/dev/null
"$RBAUDIT" keys list --keys t.json >list.txt
expect_grep -F "keys list shows a witness's verifier key of type 0x04" list.txt "$(cat w2.ks)"

# --- one valid cosignature, by rbaudit cosign --------------------------
cp -r "$E5" a
chmod 0640 a/checkpoint
expect_exit 0 "cosign --keys: a checkpoint the log signed is cosigned" -- "$RBAUDIT" cosign \
	--key k/w1.pem --checkpoint a/checkpoint --keys t.json --time 2026-11-01T00:00:00Z
expect_grep -F "  saying so" "$OUT" "cosigned a/checkpoint as witness 'w1' at 2026-11-01T00:00:00Z"
expect_mode "  the checkpoint replaced with its mode kept" a/checkpoint 640
expect_eq "  one line more" "$(($(wc -l < "$E5/checkpoint") + 1))" "$(wc -l < a/checkpoint)"
expect_eq "  the independent implementation verifies rbaudit's cosignature, at its time" \
	"$T1" "$("$PY" cosig.py verify k/w1.pub.json w1 a/checkpoint)"
expect_exit 0 "verify accepts the export with a trusted witness's cosignature" -- "$RBAUDIT" \
	verify a --keys t.json
expect_grep "  and names the witness and its time" "$OUT" \
	'^  witnesses +w1 \(2026-11-01T00:00:00Z\)$'
expect_exit 0 "verify --json" -- "$RBAUDIT" verify --json a --keys t.json
expect_json "  names it too" "$OUT" 'd["exports"][0]["witnesses"]' \
	'[{"name": "w1", "time": "2026-11-01T00:00:00Z"}]'
expect_exit 0 "under the sample's trust store (no witnesses) the line is ignored" -- \
	"$RBAUDIT" verify a --keys s/keys.json
expect_grep "  and no witness is named" "$OUT" '^  witnesses +-$'
expect_exit 65 "cosign refuses a checkpoint this key cosigned already" -- "$RBAUDIT" cosign \
	--key k/w1.pem --checkpoint a/checkpoint --keys t.json
expect_grep -F "  saying so" "$ERR" "cosignature of 'w1' by this key already"

# --- a cosignature by the independent implementation -------------------
"$PY" cosig.py sign k/w2.pem w2 "$T2" a/checkpoint >>a/checkpoint
expect_exit 0 "a cosignature made by an independent implementation is accepted" -- \
	"$RBAUDIT" verify a --keys t.json
expect_grep "  both witnesses named, in line order" "$OUT" \
	'^  witnesses +w1 \(2026-11-01T00:00:00Z\), w2 \(2026-11-02T12:00:00Z\)$'

# --- unknown witnesses are ignored -------------------------------------
cp -r "$E5" u
"$RBAUDIT" cosign --key k/w9.pem --checkpoint u/checkpoint --time 2026-11-01T00:00:00Z \
	>/dev/null 2>&1
"$RBAUDIT" cosign --key k/w9.pem --name w1 --checkpoint u/checkpoint \
	--time 2026-11-01T00:00:00Z >/dev/null 2>&1
expect_exit 0 "lines of an unknown witness, and of a known name with another key ID, are ignored" \
	-- "$RBAUDIT" verify u --keys t.json
expect_grep "  and no witness is named" "$OUT" '^  witnesses +-$'

# --- a bad cosignature by a known witness ------------------------------
cp -r "$E5" b
"$PY" cosig.py sign k/w1.pem w1 "$T1" "$E6/checkpoint" >>b/checkpoint
expect_exit 1 "a trusted witness's cosignature of another checkpoint: rejected" -- \
	"$RBAUDIT" verify b --keys t.json
expect_grep "  E_WITNESS_SIG naming the witness" "$OUT" \
	"^E_WITNESS_SIG: checkpoint: the cosignature of witness 'w1' does not verify$"
cp -r "$E5" b2
"$RBAUDIT" cosign --key k/w2.pem --checkpoint b2/checkpoint --time 2026-11-01T00:00:00Z \
	>/dev/null 2>&1
"$PY" cosig.py sign k/w1.pem w1 "$T1" "$E6/checkpoint" >>b2/checkpoint
expect_exit 1 "  even beside a valid cosignature of another witness" -- "$RBAUDIT" verify b2 \
	--keys t.json
expect_grep -F "  (E_WITNESS_SIG)" "$OUT" "E_WITNESS_SIG"
cp -r "$E5" b3
"$PY" cosig.py badlen k/w1.pem w1 "$E5/checkpoint" >>b3/checkpoint
expect_exit 1 "a trusted witness's line of the wrong length: rejected" -- "$RBAUDIT" verify b3 \
	--keys t.json
expect_grep -F "  E_WITNESS_SIG" "$OUT" "witness 'w1' is not 8 + 64 bytes"
cp -r "$E5" b4
"$RBAUDIT" cosign --key k/w1.pem --checkpoint b4/checkpoint --time 2026-11-01T00:00:00Z \
	>/dev/null 2>&1
"$PY" cosig.py sign k/w1.pem w1 "$T1" "$E6/checkpoint" >>b4/checkpoint
expect_exit 0 "a witness's later line is ignored (its first one counts)" -- "$RBAUDIT" verify b4 \
	--keys t.json
expect_exit 1 "ingest refuses a bad cosignature too" -- "$RBAUDIT" ingest --db b.db \
	--keys t.json b
expect_grep -F "  (E_WITNESS_SIG)" "$OUT" "E_WITNESS_SIG"

# --- no policy: ingest stores the witnesses ----------------------------
expect_exit 0 "ingest accepts the export cosigned by w1 and w2" -- "$RBAUDIT" ingest \
	--db a.db --keys t.json a
expect_grep "  saying who cosigned" "$OUT" '^  checkpoint cosigned by w1, w2$'
expect_eq "  and stores them in checkpoint.witnesses" \
	'[{"name":"w1","time":"2026-11-01T00:00:00Z"},{"name":"w2","time":"2026-11-02T12:00:00Z"}]' \
	"$(sqlite3 a.db "SELECT c.witnesses FROM checkpoint c JOIN ledger l ON c.note = l.checkpoint")"

# --- a witness policy --------------------------------------------------
cp t.json q.json
expect_exit 0 "keys policy sets a quorum of 2 of 3 witnesses" -- "$RBAUDIT" keys policy \
	--quorum 2 --witness w1 --witness w2 --witness w3 --keys q.json
expect_json "  in the trust store" q.json 'd["witness_policy"]' \
	'{"quorum": 2, "witnesses": ["w1", "w2", "w3"]}'
expect_grep -F "  logged" q.json.log '"command":"keys policy --quorum 2 --witness w1 --witness w2 --witness w3"'
expect_exit 0 "keys list" -- "$RBAUDIT" keys list --keys q.json
expect_grep -F "  shows the policy" "$OUT" "witness policy: a quorum of 2 of w1, w2, w3"
cp -r "$E5" one
"$RBAUDIT" cosign --key k/w1.pem --checkpoint one/checkpoint --time 2026-11-01T00:00:00Z \
	>/dev/null 2>&1
expect_exit 1 "quorum 2 with one valid cosignature: rejected" -- "$RBAUDIT" verify one \
	--keys q.json
expect_grep "  E_WITNESS_QUORUM saying how many, which, and the quorum" "$OUT" \
	"^E_WITNESS_QUORUM: checkpoint: 1 of the witness policy's 3 witnesses cosigned the checkpoint validly \(w1\), its quorum is 2$"
expect_exit 1 "  an unknown witness's line does not count" -- sh -c \
	"\"$RBAUDIT\" cosign --key k/w9.pem --checkpoint one/checkpoint >/dev/null 2>&1; \
	 \"$RBAUDIT\" verify one --keys q.json"
expect_exit 0 "quorum met (w1 and w2): accepted" -- "$RBAUDIT" verify a --keys q.json
expect_exit 0 "  the independent export verifier ignores the cosignature lines" -- "$PY" \
	"$INDEP" verify --keys q.json a
expect_exit 0 "ingest with the policy accepts 2026-05 cosigned by w1 and w2" -- "$RBAUDIT" \
	ingest --db q.db --keys q.json a
cp -r "$E6" six
"$RBAUDIT" cosign --key k/w3.pem --checkpoint six/checkpoint --keys q.json \
	--time 2026-11-01T00:00:00Z >/dev/null 2>&1
sqlite3 q.db .dump > before.sql
expect_exit 1 "ingest refuses 2026-06 cosigned by w3 alone" -- "$RBAUDIT" ingest --db q.db \
	--keys q.json six
expect_grep -F "  (E_WITNESS_QUORUM)" "$OUT" "E_WITNESS_QUORUM"
sqlite3 q.db .dump > after.sql
expect_same "  the database unchanged" before.sql after.sql
"$PY" cosig.py sign k/w2.pem w2 "$T2" six/checkpoint >>six/checkpoint
expect_exit 0 "with w2's cosignature as well: ingested" -- "$RBAUDIT" ingest --db q.db \
	--keys q.json six
expect_eq "  the ledger's checkpoint witnessed by w3 and w2" \
	'[{"name":"w3","time":"2026-11-01T00:00:00Z"},{"name":"w2","time":"2026-11-02T12:00:00Z"}]' \
	"$(sqlite3 q.db "SELECT c.witnesses FROM checkpoint c JOIN ledger l ON c.note = l.checkpoint")"

# --- rbaudit check -----------------------------------------------------
expect_exit 0 "check: the newest checkpoint meets the quorum" -- "$RBAUDIT" check --db q.db \
	--keys q.json
cp q.json q3.json
"$RBAUDIT" keys policy --quorum 3 --witness w1 --witness w2 --witness w3 --keys q3.json >/dev/null
expect_exit 1 "check under a quorum of 3: E_WITNESS_QUORUM" -- "$RBAUDIT" check --db q.db \
	--keys q3.json
expect_grep -F "  naming the witnesses" "$OUT" "2 of the witness policy's 3 witnesses cosigned the checkpoint validly (w2, w3), its quorum is 3"
cp q.db bad.db
"$PY" cosig.py sign k/w1.pem w1 "$T1" "$E5/checkpoint" > w1bad.line
sqlite3 bad.db "UPDATE ledger SET checkpoint = checkpoint || '$(cat w1bad.line)' || char(10)"
expect_exit 1 "check: a bad cosignature of a trusted witness on the stored checkpoint" -- \
	"$RBAUDIT" check --db bad.db --keys q.json
expect_grep -F "  E_WITNESS_SIG" "$OUT" "E_WITNESS_SIG"

# --- the attestation ---------------------------------------------------
"$RBAUDIT" analyze --db q.db --period 2026-06 >/dev/null 2>&1
expect_exit 0 "report of 2026-06" -- "$RBAUDIT" report --db q.db --period 2026-06 \
	--template analysis-json --out r --allow-unsigned
expect_json "  the attestation names the witnesses of the newest checkpoint" \
	r/analysis-2026-06.json '[w["name"] for w in d["attestation"]["witnesses"]]' '["w3", "w2"]'

# --- cosign refuses what the log did not sign --------------------------
"$RBAUDIT" keys add k/w1.pub.json --keys only-w.json >/dev/null
cp -r "$E5" n
cp n/checkpoint n.orig
expect_exit 1 "cosign --keys refuses a checkpoint no checkpoint key of the store signed" -- \
	"$RBAUDIT" cosign --key k/w1.pem --checkpoint n/checkpoint --keys only-w.json
expect_grep -F "  saying so" "$ERR" "is not validly signed by a checkpoint key"
expect_same "  and leaves the checkpoint as it was" n.orig n/checkpoint
sed 's/^431$/432/' "$E5/checkpoint" > n/checkpoint
expect_exit 1 "  and one changed after the log signed it" -- "$RBAUDIT" cosign \
	--key k/w1.pem --checkpoint n/checkpoint --keys t.json
expect_exit 64 "cosign --time with a fraction is a usage error" -- "$RBAUDIT" cosign \
	--key k/w1.pem --checkpoint a/checkpoint --time 2026-11-01T00:00:00.5Z
expect_exit 0 "cosign --out writes elsewhere" -- "$RBAUDIT" cosign --key k/w3.pem \
	--checkpoint "$E5/checkpoint" --keys t.json --out out.cp
expect_exit 0 "  a note that verifies with the export" -- sh -c \
	"cp -r \"$E5\" o && cp out.cp o/checkpoint && \"$RBAUDIT\" verify o --keys t.json"
expect_grep "  w3 named" "$OUT" '^  witnesses +w3 \('

# --- malformed trust stores --------------------------------------------
bad_policy() { # NAME JSON-OF-THE-POLICY
	"$PY" -c 'import json,sys; d=json.load(open("t.json")); d["witness_policy"]=json.loads(sys.argv[1]); json.dump(d,open("bad.json","w"))' "$2"
	expect_exit 65 "a witness_policy $1 is refused on load" -- "$RBAUDIT" verify a --keys bad.json
	expect_grep -F "  naming the member" "$ERR" '"witness_policy"'
}
bad_policy "that is not an object" '[1]'
bad_policy "with quorum 0" '{"quorum":0,"witnesses":["w1"]}'
bad_policy "with a quorum above its witnesses" '{"quorum":3,"witnesses":["w1","w2"]}'
bad_policy "with a quorum that is not whole" '{"quorum":1.5,"witnesses":["w1","w2"]}'
bad_policy "without witnesses" '{"quorum":1,"witnesses":[]}'
bad_policy "naming an unknown key" '{"quorum":1,"witnesses":["w9"]}'
bad_policy "naming a key without role witness" '{"quorum":1,"witnesses":["sample-ledger-k1"]}'
bad_policy "naming a witness twice" '{"quorum":2,"witnesses":["w1","w1"]}'
bad_policy "with a witness that is not a string" '{"quorum":1,"witnesses":[1]}'
cp t.json keep.json
expect_exit 65 "keys policy naming an unknown witness is refused" -- "$RBAUDIT" keys policy \
	--quorum 1 --witness w9 --keys t.json
expect_same "  the trust store unchanged" keep.json t.json
expect_exit 64 "keys policy without --witness is a usage error" -- "$RBAUDIT" keys policy \
	--quorum 1 --keys t.json
expect_exit 0 "keys policy --none removes the policy" -- "$RBAUDIT" keys policy --none \
	--keys q3.json
expect_json "  from the file" q3.json '"witness_policy" in d' 'false'
"$PY" -c 'import json; d=json.load(open("t.json")); d["keys"][-1]["roles"]=["witness","checkpoint"]; json.dump(d,open("both.json","w"))'
expect_exit 65 "a key both witness and checkpoint is refused on load" -- "$RBAUDIT" verify a \
	--keys both.json
expect_grep -F "  naming it" "$ERR" "key 'w3': member \"roles\" holds witness with checkpoint"
done_testing
