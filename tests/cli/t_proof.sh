#!/bin/sh
# t_proof.sh - tlog-proof and consistency proofs (issue #21 points 1, 2, 4, 6).
#
# The expected proofs are computed here by tlog.py, written from RFC 6962
# §2.1 (MTH, PATH, SUBPROOF) and RFC 9162 §2.1.3.2 / §2.1.4.2 over the
# leaves read from the exports' own entries.jsonl, and the checkpoint
# signatures by the C2SP signed-note rules with python3-cryptography:
# nothing is taken from rbaudit's output but the files under test.
. "$ROOT/tests/cli/lib.sh"

"$RBAUDIT" sample --out s >/dev/null 2>&1
E=s/exports/rollback-ledger
"$RBAUDIT" ingest --db a.db --keys s/keys.json "$E"/* >/dev/null 2>&1
cat > tlog.py <<'EOP'
"""tlog.py: an independent RFC 6962 / C2SP reader for the test."""
import base64, binascii, hashlib, json, os, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

def H(b): return hashlib.sha256(b).digest()
def node(l, r): return H(b"\x01" + l + r)
def k_of(n):
    k = 1
    while 2 * k < n: k *= 2
    return k
def mth(L):
    if len(L) == 1: return L[0]
    k = k_of(len(L)); return node(mth(L[:k]), mth(L[k:]))
def path(m, L):
    if len(L) == 1: return []
    k = k_of(len(L))
    return path(m, L[:k]) + [mth(L[k:])] if m < k else path(m - k, L[k:]) + [mth(L[:k])]
def subproof(m, L, b):
    n = len(L)
    if m == n: return [] if b else [mth(L)]
    k = k_of(n)
    if m <= k: return subproof(m, L[:k], b) + [mth(L[k:])]
    return subproof(m - k, L[k:], False) + [mth(L[:k])]
def verify_incl(leaf, index, size, proof, root):
    if index >= size: return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0: fn >>= 1; sn >>= 1
        else: r = node(r, p)
        fn >>= 1; sn >>= 1
    return sn == 0 and r == root
def verify_cons(m, mroot, n, nroot, proof):
    if m == n: return not proof and mroot == nroot
    if m == 0: return not proof
    if not proof: return False
    if m & (m - 1) == 0: proof = [mroot] + proof
    fn, sn = m - 1, n - 1
    while fn & 1: fn >>= 1; sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0: fn >>= 1; sn >>= 1
        else: sr = node(sr, c)
        fn >>= 1; sn >>= 1
    return fr == mroot and sr == nroot and sn == 0
def leaves(exports):
    L = []
    for d in sorted(os.listdir(exports)):
        for line in open(os.path.join(exports, d, "entries.jsonl"), "rb"):
            L.append(H(b"\x00" + base64.b64decode(json.loads(line)["payload"])))
    return L
def b64(s):
    b = base64.b64decode(s, validate=True)
    assert base64.b64encode(b).decode() == s, "non-canonical base64"
    return b
def checkpoint_ok(text, keys):
    """C2SP signed note: one valid line by a trusted checkpoint key."""
    body, _, sigs = text.partition("\n\n")
    body += "\n"
    lines = body.split("\n")
    ok = False
    for s in sigs.splitlines():
        name, sig = s[2:].split(" ")
        raw = base64.b64decode(sig)
        for k in keys["keys"]:
            pub = base64.b64decode(k["public_key"])
            kh = H(k["name"].encode() + b"\n\x01" + pub)[:4]
            if k["name"] == name and raw[:4] == kh and "checkpoint" in k["roles"]:
                Ed25519PublicKey.from_public_bytes(pub).verify(raw[4:], body.encode())
                ok = True
    return lines[0], int(lines[1]), b64(lines[2]), ok
def read_proof(f):
    t = open(f).read()
    head, _, cp = t.partition("\n\n")
    h = head.split("\n")
    assert h[0] == "c2sp.org/tlog-proof@v1"
    i = 1
    extra = None
    if h[i].startswith("extra "): extra = b64(h[i][6:]); i += 1
    assert h[i].startswith("index "); idx = h[i][6:]
    assert idx == "0" or not idx.startswith("0"), "leading zero"
    return extra, int(idx), [b64(x) for x in h[i + 1:]], cp

cmd = sys.argv[1]
if cmd == "proofs":          # tlog.py proofs EXPORTS KEYS FILE...: each proof as RFC 6962 says
    L = leaves(sys.argv[2]); keys = json.load(open(sys.argv[3]))
    for f in sys.argv[4:]:
        extra, idx, proof, cp = read_proof(f)
        origin, size, root, signed = checkpoint_ok(cp, keys)
        assert signed, f + ": checkpoint not signed"
        assert size == len(L) and root == mth(L), f + ": not the tree of the exports"
        assert H(b"\x00" + extra) == L[idx], f + ": extra is not the entry's payload"
        assert proof == path(idx, L), f + ": not RFC 6962 PATH(%d, D[%d])" % (idx, size)
        assert verify_incl(L[idx], idx, size, proof, root), f + ": does not verify"
        p = json.loads(extra)
        assert p["seq"] == idx and os.path.basename(f) == "seq-%d.tlog-proof" % idx
        print("%d %s %s" % (idx, p["event"], p["actor"]))
elif cmd == "consistency":   # tlog.py consistency EXPORTS OLD_CHECKPOINT PROOF
    L = leaves(sys.argv[2])
    old = open(sys.argv[3]).read().split("\n")
    m, mroot = int(old[1]), b64(old[2])
    t = open(sys.argv[4]).read()
    head, _, cp = t.partition("\n\n")
    h = head.split("\n")
    assert h[0] == "old %d" % m
    proof = [b64(x) for x in h[1:]]
    n, nroot = int(cp.split("\n")[1]), b64(cp.split("\n")[2])
    assert proof == (subproof(m, L[:n], True) if 0 < m < n else []), "not RFC 6962 PROOF"
    assert verify_cons(m, mroot, n, nroot, proof) and mroot == mth(L[:m]) and nroot == mth(L[:n])
    print("ok %d %d" % (m, n))
elif cmd == "seqs":          # tlog.py seqs EXPORTS RB: the rollback's own entries
    for d in sorted(os.listdir(sys.argv[2])):
        for line in open(os.path.join(sys.argv[2], d, "entries.jsonl"), "rb"):
            p = json.loads(base64.b64decode(json.loads(line)["payload"]))
            if p["data"].get("rollback_id") == sys.argv[3]: print(p["seq"])
elif cmd == "forge":         # tlog.py forge CHECKPOINT KEY.pem NAME: same size, other root, signed
    from cryptography.hazmat.primitives import serialization
    lines = open(sys.argv[2]).read().split("\n")
    key = serialization.load_pem_private_key(open(sys.argv[3], "rb").read(), None)
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    body = "%s\n%s\n%s\n" % (lines[0], lines[1], base64.b64encode(H(b"forged")).decode())
    kh = H(sys.argv[4].encode() + b"\n\x01" + pub)[:4]
    sig = base64.b64encode(kh + key.sign(body.encode())).decode()
    sys.stdout.write(body + "\n\u2014 %s %s\n" % (sys.argv[4], sig))
EOP

# --- proof: a rollback's timeline ---
expect_exit 0 "proof --rollback writes the timeline's proofs" -- "$RBAUDIT" proof --db a.db \
	--rollback RB-00113 --out pr
own=$("$PY" tlog.py seqs "$E" RB-00113 | tr '\n' ' ')
for q in $own; do
	expect_file "  its entry seq $q has RB-00113/seq-$q.tlog-proof" pr/RB-00113/seq-$q.tlog-proof
done
check "  every proof is RFC 6962's PATH over the exports' leaves, at the newest checkpoint" \
	"$PY" tlog.py proofs "$E" s/keys.json pr/RB-00113/*.tlog-proof
expect_exit 0 "proof --seq of the first and the last entry" -- "$RBAUDIT" proof --db a.db \
	--seq 0 --seq 2559 --out pr2 --json
expect_grep "  --json names the files" "$OUT" '"file":'
p0=$(ls pr2/*/seq-0.tlog-proof pr2/seq-0.tlog-proof 2>/dev/null | head -n 1)
plast=$(ls pr2/*/seq-2559.tlog-proof pr2/seq-2559.tlog-proof 2>/dev/null | head -n 1)
check "  both are RFC 6962's" "$PY" tlog.py proofs "$E" s/keys.json "$p0" "$plast"

# --- verify-proof ---
expect_exit 0 "verify-proof accepts them all" -- "$RBAUDIT" verify-proof --keys s/keys.json \
	pr/RB-00113/*.tlog-proof
first=$(echo $own | cut -d' ' -f1)
want=$("$PY" tlog.py proofs "$E" s/keys.json pr/RB-00113/seq-$first.tlog-proof)
"$RBAUDIT" verify-proof --keys s/keys.json --json pr/RB-00113/seq-$first.tlog-proof > v.json
expect_eq "  and prints the entry's seq, event and actor (from the payload)" "$want" \
	"$("$PY" -c 'import json;d=json.load(open("v.json"))["proofs"][0];print(d["seq"],d["event"],d["actor"])')"
expect_eq "  its rollback id" "RB-00113" \
	"$("$PY" -c 'import json;print(json.load(open("v.json"))["proofs"][0]["rollback_id"])')"

P=pr/RB-00113/seq-$first.tlog-proof
refused() { # refused NAME PATTERN FILE
	expect_exit 1 "$1" -- "$RBAUDIT" verify-proof --keys s/keys.json "$3"
	expect_grep "  saying why" "$OUT" "$2"
}
sed "s/^index $first\$/index $((first + 1))/" "$P" > t-index.tlog-proof
refused "a wrong index is refused" "does not lead" t-index.tlog-proof
awk 'NR==4{print; print "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; next} {print}' "$P" \
	> t-more.tlog-proof
refused "an extra hash is refused" "does not lead" t-more.tlog-proof
awk 'NR!=4' "$P" > t-less.tlog-proof
refused "a missing hash is refused" "does not lead" t-less.tlog-proof
# The same proof with the 2026-09 checkpoint: a proof for another tree size.
{ sed '/^$/q' "$P"; cat "$E/2026-09/checkpoint"; } > t-size.tlog-proof
refused "a proof for another tree size is refused" "not in the checkpoint's tree of 2111" \
	t-size.tlog-proof
"$PY" - "$P" > t-b64.tlog-proof <<'EOP'
import sys
A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
t = open(sys.argv[1]).read().split("\n")
h = t[3]                      # the first hash: 43 characters and '='
v = A.index(h[42]) | 1        # its last 2 bits encode nothing: set one
t[3] = h[:42] + A[v] + "=" if v != A.index(h[42]) else h[:42] + A[v ^ 2] + "="
sys.stdout.write("\n".join(t))
EOP
refused "a non-canonical base64 hash (same bytes, other text) is refused" \
	"line 4: not the canonical base64" t-b64.tlog-proof
"$PY" - "$P" > t-extra.tlog-proof <<'EOP'
import base64, sys
t = open(sys.argv[1]).read().split("\n")
p = base64.b64decode(t[1][6:]).replace(b'"seq"', b'"seq" ')
t[1] = "extra " + base64.b64encode(p).decode()
sys.stdout.write("\n".join(t))
EOP
refused "a changed payload is refused" "does not lead" t-extra.tlog-proof
sed 's/^\(— sample-ledger-k2 .\)./\1A/' "$P" > t-sig.tlog-proof
cmp -s "$P" t-sig.tlog-proof && sed 's/^\(— sample-ledger-k2 .\)./\1B/' "$P" > t-sig.tlog-proof
refused "a checkpoint whose signature was changed is refused" "E_CHECKPOINT_SIG" t-sig.tlog-proof
sed '/^extra /d' "$P" > t-noextra.tlog-proof
refused "a proof without the payload is refused" "no extra line" t-noextra.tlog-proof
printf 'c2sp.org/tlog-proof@v1\nindex 007\n\n' > t-zero.tlog-proof
refused "leading zeros in the index are refused" "line 2" t-zero.tlog-proof
expect_exit 1 "several files: one bad one fails the run" -- "$RBAUDIT" verify-proof \
	--keys s/keys.json "$P" t-less.tlog-proof
expect_grep "  the good one is VALID" "$OUT" "seq-$first.tlog-proof: VALID"
expect_grep "  the bad one INVALID" "$OUT" "t-less.tlog-proof: INVALID"
printf '{"keys":[]}\n' > empty.json
expect_exit 1 "an untrusted log's proof is refused (an empty trust store)" -- "$RBAUDIT" \
	verify-proof --keys empty.json "$P"
expect_grep "  saying why" "$OUT" "E_CHECKPOINT_SIG"

# --- bad requests ---
expect_exit 1 "an unknown rollback is exit 1" -- "$RBAUDIT" proof --db a.db --rollback RB-99999 \
	--out no
expect_grep "  naming it and the ledger" "$ERR" "no rollback RB-99999 in ledger acme.example/rollback-ledger"
expect_exit 1 "an entry beyond the ledger is exit 1" -- "$RBAUDIT" proof --db a.db --seq 99999 \
	--out no
expect_exit 64 "both --rollback and --seq is a usage error" -- "$RBAUDIT" proof --db a.db \
	--rollback RB-00113 --seq 1 --out no
expect_eq "  and nothing was written" "" "$(ls -d no 2>/dev/null)"

# --- consistency between every pair of the monthly checkpoints ---
"$RBAUDIT" consistency --db a.db --list > list.txt
expect_eq "every checkpoint ingest verified is kept" 6 "$(grep -c '^ ' list.txt)"
months=$(ls "$E")
pairs=0
bad=""
for a in $months; do
	for b in $months; do
		[ "$a" \< "$b" ] || [ "$a" = "$b" ] || continue
		"$RBAUDIT" consistency --db a.db --from "$E/$a/checkpoint" --to "$E/$b/checkpoint" \
			--out c-$a-$b 2>/dev/null || bad="$bad $a-$b(make)"
		"$RBAUDIT" verify-consistency --keys s/keys.json --old "$E/$a/checkpoint" c-$a-$b \
			>/dev/null || bad="$bad $a-$b(verify)"
		"$PY" tlog.py consistency "$E" "$E/$a/checkpoint" c-$a-$b >/dev/null 2>&1 ||
			bad="$bad $a-$b(rfc)"
		pairs=$((pairs + 1))
	done
done
expect_eq "consistency proofs of all 21 pairs of monthly checkpoints: made, verified, RFC 6962's" \
	"21" "$pairs$bad"
expect_exit 0 "the default newer checkpoint is the newest stored" -- "$RBAUDIT" consistency \
	--db a.db --from-size 431 --out c-def
expect_eq "  of size 2560" "2560" "$(sed -n '/^$/{n;n;p;q}' c-def)"
awk 'NR==3{ $0 = ($0 ~ /^A/ ? "B" : "A") substr($0, 2) } {print}' c-2026-06-2026-09 > forged
expect_exit 1 "a forged consistency proof is refused" -- "$RBAUDIT" verify-consistency \
	--keys s/keys.json --old "$E/2026-06/checkpoint" forged
expect_grep "  INCONSISTENT" "$OUT" "INCONSISTENT"
expect_exit 1 "the proof against another old checkpoint is refused" -- "$RBAUDIT" \
	verify-consistency --keys s/keys.json --old "$E/2026-07/checkpoint" c-2026-06-2026-09
expect_exit 64 "verify-consistency needs the older checkpoint" -- "$RBAUDIT" verify-consistency \
	--keys s/keys.json c-2026-06-2026-09
"$PY" tlog.py forge "$E/2026-07/checkpoint" s/keys/sample-ledger-k2.pem sample-ledger-k2 > fork.cp
expect_exit 1 "a validly signed checkpoint of another history (a fork) is refused" -- \
	"$RBAUDIT" consistency --db a.db --from fork.cp
expect_grep -F "  named a fork" "$ERR" "contradicts the stored history (a fork)"
expect_exit 1 "  and verify-consistency refuses a proof from it" -- "$RBAUDIT" verify-consistency \
	--keys s/keys.json --old fork.cp c-2026-07-2026-10
# --- proofs under a witness policy (point 5) ---
"$RBAUDIT" keygen --name w1 --roles witness --out wk --valid-from 2026-01-01T00:00:00Z \
	>/dev/null 2>&1
cp s/keys.json wt.json
"$RBAUDIT" keys add wk/w1.pub.json --keys wt.json >/dev/null
"$RBAUDIT" keys policy --quorum 1 --witness w1 --keys wt.json >/dev/null
expect_exit 1 "under a witness policy, a proof whose checkpoint lacks the quorum is refused" -- \
	"$RBAUDIT" verify-proof --keys wt.json "$P"
expect_grep "  E_WITNESS_QUORUM" "$OUT" "E_WITNESS_QUORUM"
cp -r "$E/2026-10" cosigned
"$RBAUDIT" cosign --key wk/w1.pem --checkpoint cosigned/checkpoint --keys wt.json >/dev/null 2>&1
expect_exit 0 "the cosigned copy of the newest export ingests (nothing new)" -- "$RBAUDIT" ingest \
	--db a.db --keys s/keys.json cosigned
expect_eq "  and its checkpoint is kept beside the first" 2 \
	"$(sqlite3 a.db "SELECT count(*) FROM checkpoint WHERE size = 2560")"
expect_exit 0 "  so rbaudit check under the policy passes: the kept copy meets the quorum" -- \
	"$RBAUDIT" check --db a.db --keys wt.json
cp wt.json wt2.json
"$RBAUDIT" keygen --name w2 --roles witness --out wk --valid-from 2026-01-01T00:00:00Z \
	>/dev/null 2>&1
"$RBAUDIT" keys add wk/w2.pub.json --keys wt2.json >/dev/null
"$RBAUDIT" keys policy --quorum 2 --witness w1 --witness w2 --keys wt2.json >/dev/null
expect_exit 1 "  while under a quorum of 2 it finds the newest checkpoint short" -- \
	"$RBAUDIT" check --db a.db --keys wt2.json
expect_grep "  E_WITNESS_QUORUM" "$OUT" "E_WITNESS_QUORUM"
expect_exit 0 "proofs made now carry the cosigned checkpoint" -- "$RBAUDIT" proof --db a.db \
	--seq "$first" --out pw
expect_exit 0 "  and verify under the policy" -- "$RBAUDIT" verify-proof --keys wt.json \
	pw/RB-00113/seq-$first.tlog-proof
expect_grep "  naming the witness" "$OUT" "witnesses +w1"
check "  still RFC 6962's PATH, the checkpoint signed by the log" "$PY" tlog.py proofs "$E" \
	s/keys.json pw/RB-00113/seq-$first.tlog-proof
done_testing
