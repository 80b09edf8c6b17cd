# t_keygen.sh - focus: rbaudit keygen: the two files it writes (PKCS#8 private
# key with mode 0600, trust-store entry), the C2SP key string it prints
# (checked against the spec's formula and the independent tool), that the
# private key never reaches stdout/stderr, refusal to replace a key, and
# rejection of invalid names, roles and times.
. "$ROOT/tests/cli/lib.sh"

expect_exit 0 "keygen --name ledger --out k exits 0" -- \
	"$RBAUDIT" keygen --name ledger --out k --valid-from "$VALID_FROM"
cp "$OUT" keygen.stdout
cp "$ERR" keygen.stderr

expect_file "keygen writes k/ledger.pem" k/ledger.pem
expect_mode "k/ledger.pem has mode 0600" k/ledger.pem 600
expect_file "keygen writes k/ledger.pub.json" k/ledger.pub.json
expect_json "ledger.pub.json: name is ledger" k/ledger.pub.json 'd["name"]' ledger
expect_json "ledger.pub.json: algorithm is ed25519" k/ledger.pub.json 'd["algorithm"]' ed25519
expect_json "ledger.pub.json: default roles are entry,checkpoint" k/ledger.pub.json 'd["roles"]' '["entry", "checkpoint"]'
expect_json "ledger.pub.json: valid_from is the --valid-from time" k/ledger.pub.json 'd["valid_from"]' "$VALID_FROM"
expect_json "ledger.pub.json: not revoked, no end of validity" k/ledger.pub.json '[d["valid_until"], d["revoked_at"]]' '[null, null]'
expect_json "ledger.pub.json: public_key is base64 of 32 bytes" k/ledger.pub.json \
	'len(__import__("base64").b64decode(d["public_key"], validate=True))' 32
expect_no_grep -F "ledger.pub.json holds no private key" k/ledger.pub.json 'PRIVATE'

PUB=$(json_get k/ledger.pub.json 'd["public_key"]')
KS=$(cat keygen.stdout)

# The C2SP verifier key string is NAME+HASH8+base64(0x01 || 32-byte key):
# 33 bytes are 44 base64 characters with no padding.
expect_grep "keygen stdout is the key string ledger+HASH8+BASE64(0x01||key)" keygen.stdout \
	'^ledger\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$'
check "keygen stdout is exactly one line" test "$(wc -l <keygen.stdout)" -eq 1

keystring_formula() {
	want=$("$PY" -c '
import base64, hashlib, sys
name, pub = sys.argv[1], base64.b64decode(sys.argv[2])
h = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
print("%s+%s+%s" % (name, h.hex(), base64.b64encode(b"\x01" + pub).decode()))
' ledger "$PUB") || { why "python failed"; return 1; }
	[ "$want" = "$KS" ] || { why "spec formula gives $want, keygen printed $KS"; return 1; }
}
check "key string = name + SHA-256(name||0x0A||0x01||pub)[:4] + base64(0x01||pub)" keystring_formula

indep_keystring() {
	want=$("$PY" "$INDEP" keystring ledger "$PUB") || { why "ledger_export.py keystring failed"; return 1; }
	[ "$want" = "$KS" ] || { why "ledger_export.py keystring prints $want, keygen printed $KS"; return 1; }
}
check "key string equals 'ledger_export.py keystring' for the public key in pub.json" indep_keystring

expect_grep -F "keygen stderr names the private key file" keygen.stderr 'ledger.pem'

# The private key: the PEM body, and the 32-byte seed as hex and base64.
"$PY" - k/ledger.pem >secrets.txt <<'EOF'
import base64, sys
body = "".join(l.strip() for l in open(sys.argv[1]) if l.strip() and not l.startswith("-----"))
der = base64.b64decode(body)
seed = der[-32:]
print(body)
print(seed.hex())
print(base64.b64encode(seed).decode().rstrip("="))
print(base64.urlsafe_b64encode(seed).decode().rstrip("="))
EOF

pem_is_pkcs8_ed25519() {
	"$PY" - k/ledger.pem "$PUB" <<'EOF'
import base64, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
text = open(sys.argv[1], "rb").read()
if not text.startswith(b"-----BEGIN PRIVATE KEY-----\n"):
    print("WHY: not a PKCS#8 PEM ('BEGIN PRIVATE KEY')"); sys.exit(1)
key = serialization.load_pem_private_key(text, password=None)
if not isinstance(key, Ed25519PrivateKey):
    print("WHY: not an Ed25519 key: %s" % type(key).__name__); sys.exit(1)
raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
if raw != base64.b64decode(sys.argv[2]):
    print("WHY: the public key in pub.json does not belong to the private key"); sys.exit(1)
EOF
}
check "ledger.pem is a PKCS#8 Ed25519 key whose public half is pub.json's public_key" pem_is_pkcs8_ed25519

no_secret_in() { # FILE...
	[ "$(wc -l <secrets.txt)" -eq 4 ] || { why "could not extract the private key"; return 1; }
	while IFS= read -r s; do
		for f in "$@"; do
			if grep -qF -e "$s" "$f"; then why "$f holds private key material ($s)"; return 1; fi
		done
	done <secrets.txt
	for f in "$@"; do
		if grep -q 'PRIVATE KEY' "$f"; then why "$f holds a PEM private key"; return 1; fi
	done
}
check "keygen: private key bytes appear on neither stdout nor stderr" no_secret_in keygen.stdout keygen.stderr

# --- --json ------------------------------------------------------------
expect_exit 0 "keygen --json exits 0" -- "$RBAUDIT" keygen --name j1 --out kj --json --valid-from "$VALID_FROM"
cp "$OUT" j.stdout
cp "$ERR" j.stderr
expect_json "keygen --json: name member" j.stdout 'd["name"]' j1
expect_json "keygen --json: keystring member matches the key string pattern" j.stdout \
	'bool(__import__("re").fullmatch(r"j1\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}", d["keystring"]))' true
expect_json "keygen --json: private_key names the .pem path" j.stdout 'd["private_key"].endswith("kj/j1.pem")' true
expect_json "keygen --json: public_entry names the .pub.json path" j.stdout 'd["public_entry"].endswith("kj/j1.pub.json")' true
"$PY" - kj/j1.pem >secrets.txt <<'EOF'
import base64, sys
body = "".join(l.strip() for l in open(sys.argv[1]) if l.strip() and not l.startswith("-----"))
seed = base64.b64decode(body)[-32:]
print(body); print(seed.hex())
print(base64.b64encode(seed).decode().rstrip("="))
print(base64.urlsafe_b64encode(seed).decode().rstrip("="))
EOF
check "keygen --json: private key bytes appear on neither stdout nor stderr" no_secret_in j.stdout j.stderr
expect_mode "keygen --json: j1.pem has mode 0600" kj/j1.pem 600

# --- two keys never collide -----------------------------------------------
expect_exit 0 "a second key (another name) is made" -- "$RBAUDIT" keygen --name other --out k --valid-from "$VALID_FROM"
check "two keygens give different public keys" test "$(json_get k/ledger.pub.json 'd["public_key"]')" != "$(json_get k/other.pub.json 'd["public_key"]')"

# --- refusing to replace an existing key ------------------------------
cp k/ledger.pem before.pem
cp k/ledger.pub.json before.pub.json
expect_exit nonzero "keygen with an existing name refuses (non-zero exit)" -- \
	"$RBAUDIT" keygen --name ledger --out k --valid-from "$VALID_FROM"
expect_grep "keygen with an existing name says the key exists" "$ERR" 'exist'
check "keygen with an existing name prints no key string" test ! -s "$OUT"
expect_same "refused keygen leaves ledger.pem untouched" before.pem k/ledger.pem
expect_same "refused keygen leaves ledger.pub.json untouched" before.pub.json k/ledger.pub.json
expect_mode "refused keygen leaves ledger.pem at mode 0600" k/ledger.pem 600

# A private key whose pub.json went missing must not be replaced either.
mkdir lone
"$RBAUDIT" keygen --name lone --out lone --valid-from "$VALID_FROM" >/dev/null 2>&1
rm -f lone/lone.pub.json
cp lone/lone.pem lone.before
expect_exit nonzero "keygen refuses when NAME.pem exists without NAME.pub.json" -- \
	"$RBAUDIT" keygen --name lone --out lone --valid-from "$VALID_FROM"
expect_same "the lone private key is left untouched" lone.before lone/lone.pem
check "no new pub.json was written for the lone key" test ! -e lone/lone.pub.json

# --- roles and identity --------------------------------------------------
expect_exit 0 "keygen --roles approver --identity exits 0" -- \
	"$RBAUDIT" keygen --name oren --out k --roles approver --identity oren@acme.example --valid-from "$VALID_FROM"
expect_json "approver pub.json: roles [approver]" k/oren.pub.json 'd["roles"]' '["approver"]'
expect_json "approver pub.json: identity set" k/oren.pub.json 'd["identity"]' oren@acme.example

# --- invalid input -----------------------------------------------------
mkdir inv
expect_exit 64 "keygen --name a+b exits 64" -- "$RBAUDIT" keygen --name 'a+b' --out inv
expect_grep "keygen --name a+b: stderr says the name is invalid" "$ERR" 'invalid key name'
expect_exit 64 "keygen --name ../x exits 64" -- "$RBAUDIT" keygen --name '../x' --out inv
check "keygen --name ../x wrote no file anywhere" test ! -e x.pem -a ! -e x.pub.json -a -z "$(ls inv)"
expect_exit 64 "keygen --name '' exits 64" -- "$RBAUDIT" keygen --name '' --out inv
expect_exit 64 "keygen --name with a space exits 64" -- "$RBAUDIT" keygen --name 'a b' --out inv
long129=$(printf '%0129d' 0 | tr 0 a)
long128=$(printf '%0128d' 0 | tr 0 a)
expect_exit 64 "keygen with a 129-character name exits 64" -- "$RBAUDIT" keygen --name "$long129" --out inv
check "rejected names left the output directory empty" test -z "$(ls inv)"
expect_exit 0 "keygen with a 128-character name (the limit) exits 0" -- "$RBAUDIT" keygen --name "$long128" --out inv
expect_exit 0 "keygen accepts a name using . _ - @" -- "$RBAUDIT" keygen --name 'A.z_0-9@x' --out inv
expect_grep "key string starts with the name A.z_0-9@x" "$OUT" '^A\.z_0-9@x\+[0-9a-f]{8}\+'
expect_exit 64 "keygen --roles 'entry,,x' exits 64" -- "$RBAUDIT" keygen --name r1 --out inv --roles 'entry,,x'
expect_exit 64 "keygen --roles 'Entry' (uppercase) exits 64" -- "$RBAUDIT" keygen --name r2 --out inv --roles 'Entry'
expect_exit 64 "keygen --valid-from 2026-01-01 (no time) exits 64" -- "$RBAUDIT" keygen --name t1 --out inv --valid-from 2026-01-01
expect_exit 64 "keygen --valid-from with an offset instead of Z exits 64" -- "$RBAUDIT" keygen --name t2 --out inv --valid-from 2026-01-01T00:00:00+01:00
expect_exit 64 "keygen --identity '' exits 64" -- "$RBAUDIT" keygen --name i1 --out inv --identity ''
check "rejected roles/times/identity wrote no key" test ! -e inv/r1.pem -a ! -e inv/r2.pem -a ! -e inv/t1.pem -a ! -e inv/t2.pem -a ! -e inv/i1.pem

done_testing
