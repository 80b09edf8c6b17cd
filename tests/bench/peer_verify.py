#!/usr/bin/env python3
"""peer_verify: an independent verifier of one ledger export, for `make bench`.

    peer_verify.py --keys keys.json EXPORT_DIR

The benchmark's peer: what a competent user would write from docs/FORMATS.md
with Python and python3-cryptography, sharing no code with rbaudit.  It
checks the manifest (ledger, range, count, digest of entries.jsonl), every
line of entries.jsonl (the DSSE envelope, the payload's members, seq order,
the prev hash chain) and the export's Merkle root against the signed
checkpoint; the Ed25519 signatures of each line (the entry's, and an
approver's countersignature where there is one: every signature a line
carries) are verified in batches by a pool of worker processes while the
main process reads on and does the in-order checks.

Prints `OK <n> entries` (and the number of countersigned approvals) and
exits 0, or prints the first failure and exits 1.  It stops at the first
failure and does not try rbaudit's finer diagnosis (FORMATS.md's codes are
named where one plainly applies), nor every strict rule of the payload
(duplicate member names, U+0000, nesting depth).  A countersignature that
does not verify makes an approval not countersigned, not the entry invalid.
"""

import argparse
import base64
import binascii
import calendar
import collections
import concurrent.futures
import hashlib
import json
import os
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ENTRY_TYPE = "application/vnd.rollback-ledger.entry.v1+json"
BATCH = 1000            # lines per task: large enough that pickling is cheap
MAX_LINE = 1 << 20      # FORMATS.md: a longer line is E_PARSE
TIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z\Z")


class Failure(Exception):
    pass


def parse_time(s):
    """An RFC 3339 UTC time as (seconds, nanoseconds), exact to the nanosecond
    (datetime keeps microseconds only)."""
    m = TIME_RE.match(s) if isinstance(s, str) else None
    if not m:
        return None
    y, mo, d, h, mi, sec = (int(x) for x in m.groups()[:6])
    if not (1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1] and h < 24
            and mi < 60 and sec < 60):
        return None
    frac = (m.group(7) or "").ljust(9, "0")
    return calendar.timegm((y, mo, d, h, mi, sec)), int(frac)


def b64(s, what):
    try:
        return base64.b64decode(s, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise Failure("%s is not valid base64" % what)


# The trust store -------------------------------------------------------------

def load_trust(path):
    """keys.json as a list of plain tuples (picklable, for the workers):
    (name, public key, roles, identity, valid_from, valid_until, revoked_at)."""
    try:
        with open(path, "rb") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise Failure("E_IO: cannot read the trust store %s: %s" % (path, e))
    keys = []
    for k in doc.get("keys", []):
        if k.get("algorithm") != "ed25519":
            continue
        pub = b64(k.get("public_key"), "the public key of %s" % k.get("name"))
        if len(pub) != 32:
            raise Failure("trust store: the key %s is not 32 bytes" % k.get("name"))
        times = []
        for member in ("valid_from", "valid_until", "revoked_at"):
            v = k.get(member)
            t = parse_time(v) if v is not None else None
            if v is not None and t is None:
                raise Failure("trust store: %s of %s is not a time" % (member, k.get("name")))
            times.append(t)
        keys.append((k.get("name"), pub, tuple(k.get("roles", [])), k.get("identity"),
                     times[0], times[1], times[2]))
    return keys


def valid_at(key, t):
    """FORMATS.md: valid_from <= t, t < valid_until (if set), t < revoked_at (if set)."""
    _, _, _, _, vfrom, vuntil, revoked = key
    return ((vfrom is None or vfrom <= t) and (vuntil is None or t < vuntil)
            and (revoked is None or t < revoked))


# The signature checks, in the worker processes --------------------------------

_KEYS = None            # name -> (trust tuple, Ed25519PublicKey), one per worker


def init_worker(trust):
    global _KEYS
    _KEYS = {k[0]: (k, Ed25519PublicKey.from_public_bytes(k[1])) for k in trust}


def check_sigs(batch):
    """Verify every signature of a batch of entries, in order.  Each item is
    (line number, PAE, [(keyid, sig base64)], time, event, actor).  Returns
    (countersigned approvals, None) or (count so far, (line, message))."""
    countersigned = 0
    for line_no, pae, sigs, t, event, actor in batch:
        entry_ok = cosigned = False
        bad = reason = None
        for keyid, sig_b64 in sigs:
            known = _KEYS.get(keyid)
            if known is None:
                continue        # a key this trust store does not have: ignored
            key, pub = known
            try:
                sig = base64.b64decode(sig_b64, validate=True)
                pub.verify(sig, pae)
            except (binascii.Error, ValueError, InvalidSignature):
                if "entry" in key[2]:
                    bad = keyid
                continue
            if "entry" in key[2]:
                if valid_at(key, t):
                    entry_ok = True
                elif key[6] is not None and t >= key[6]:
                    reason = "E_KEY_REVOKED: %s was revoked at or before the entry's time" % keyid
                else:
                    reason = reason or ("E_KEY_NOT_VALID: %s is not valid at the entry's time"
                                        % keyid)
            if ("approver" in key[2] and event == "rollback.approved"
                    and key[3] == actor and valid_at(key, t)):
                cosigned = True
        if not entry_ok:
            # FORMATS.md, choice 3: a verified but invalid key says more than
            # a signature that does not verify.
            if not reason and bad:
                reason = "E_SIG: the signature by %s does not verify" % bad
            return countersigned, (line_no, reason or
                                   "E_SIG, E_KEY_ROLE or E_KEY_UNKNOWN: no signature "
                                   "verifies under a trusted entry key")
        countersigned += cosigned
    return countersigned, None


# The checkpoint and the Merkle tree ---------------------------------------------

def key_hash(name, pub):
    return hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]


def check_note(text, trust, what):
    """A C2SP signed note of a checkpoint: (origin, size, root) if a trusted
    `checkpoint` key signed its three lines, else Failure."""
    fail = "E_CHECKPOINT_SIG: the %s " % what
    if "\n\n" not in text:
        raise Failure(fail + "is malformed")
    body, sigs = text.split("\n\n", 1)
    lines = body.split("\n")
    if len(lines) != 3 or not lines[1].isdigit():
        raise Failure(fail + "is malformed")
    root = b64(lines[2], "the %s's root" % what)
    if len(root) != 32:
        raise Failure(fail + "holds a root that is not 32 bytes")
    signed = (body + "\n").encode()
    for line in sigs.split("\n"):
        m = re.match(r"\u2014 (\S+) (\S+)\Z", line)
        if not m:
            continue
        name = m.group(1)
        try:
            blob = base64.b64decode(m.group(2), validate=True)
        except binascii.Error:
            continue
        for k in trust:
            if (k[0] == name and "checkpoint" in k[2] and len(blob) == 68
                    and blob[:4] == key_hash(name, k[1])):
                try:
                    Ed25519PublicKey.from_public_bytes(k[1]).verify(blob[4:], signed)
                    return lines[0], int(lines[1]), root
                except InvalidSignature:
                    pass
    raise Failure(fail + "is not signed by a trusted checkpoint key")


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Tree:
    """RFC 6962 tree built leaf by leaf: the roots of its perfect subtrees,
    largest first (what the manifest calls the frontier), O(log n) memory."""

    def __init__(self, frontier, size):
        heights = [h for h in range(63, -1, -1) if size >> h & 1]
        if len(heights) != len(frontier):
            raise Failure("E_MANIFEST: the frontier does not match first_seq")
        self.stack = list(zip(heights, frontier))     # (height, hash)

    def add(self, leaf):
        h, x = 0, leaf
        while self.stack and self.stack[-1][0] == h:
            x = node(self.stack.pop()[1], x)
            h += 1
        self.stack.append((h, x))

    def root(self):
        if not self.stack:
            return hashlib.sha256(b"").digest()
        x = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            x = node(left, x)
        return x


# The export, in order, in the main process ---------------------------------------

def read_export(export):
    try:
        with open(os.path.join(export, "manifest.json"), "rb") as f:
            manifest = json.load(f)
        with open(os.path.join(export, "checkpoint"), "rb") as f:
            checkpoint = f.read().decode("utf-8")
    except (OSError, ValueError) as e:
        raise Failure("E_IO or E_MANIFEST: %s" % e)
    if (not isinstance(manifest, dict) or manifest.get("format") != "rollback-ledger-export"
            or manifest.get("version") != 1):
        raise Failure("E_MANIFEST: not a version 1 rollback-ledger export manifest")
    for member, kind in (("ledger", str), ("first_seq", int), ("last_seq", int),
                         ("entry_count", int), ("entries_sha256", str), ("frontier", list)):
        if not isinstance(manifest.get(member), kind) or isinstance(manifest[member], bool):
            raise Failure("E_MANIFEST: %s is missing or mistyped" % member)
    return manifest, checkpoint


def parse_line(raw, line_no):
    """One envelope: (payload bytes, PAE, signatures, payload object)."""
    if len(raw) > MAX_LINE:
        raise Failure("line %d: E_PARSE: longer than 1 MiB" % line_no)
    try:
        env = json.loads(raw)
    except ValueError:
        raise Failure("line %d: E_PARSE: not JSON" % line_no)
    sigs = env.get("signatures") if isinstance(env, dict) else None
    if (not isinstance(env, dict) or env.get("payloadType") != ENTRY_TYPE
            or not isinstance(env.get("payload"), str) or not isinstance(sigs, list)
            or not 1 <= len(sigs) <= 64):
        raise Failure("line %d: E_PARSE: not a DSSE envelope of the entry type" % line_no)
    pairs = []
    for s in sigs:
        if (not isinstance(s, dict) or not isinstance(s.get("keyid"), str)
                or not isinstance(s.get("sig"), str)):
            raise Failure("line %d: E_PARSE: a signature lacks keyid or sig" % line_no)
        pairs.append((s["keyid"], s["sig"]))
    payload = b64(env["payload"], "line %d: E_PARSE: the payload" % line_no)
    ptype = ENTRY_TYPE.encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
    try:
        p = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        p = None
    return payload, pae, pairs, p


def check_payload(p, line_no, ledger):
    """The payload's members (FORMATS.md's table); returns its time."""
    def bad(what):
        return Failure("line %d: E_PAYLOAD: %s" % (line_no, what))
    if not isinstance(p, dict):
        raise bad("not a JSON object in UTF-8")
    for member, kind in (("v", int), ("ledger", str), ("seq", int), ("time", str),
                         ("prev", str), ("event", str), ("actor", str), ("data", dict)):
        if not isinstance(p.get(member), kind) or isinstance(p[member], bool):
            raise bad("%s is missing or mistyped" % member)
    if p["v"] != 1:
        raise bad("v is not 1")
    if p["ledger"] != ledger:
        raise Failure("line %d: E_LEDGER: %s is not the manifest's ledger" % (line_no, p["ledger"]))
    t = parse_time(p["time"])
    if t is None:
        raise bad("time is not YYYY-MM-DDTHH:MM:SS[.f]Z")
    return t


def verify(keys_path, export, workers):
    trust = load_trust(keys_path)
    manifest, checkpoint = read_export(export)
    ledger, first = manifest["ledger"], manifest["first_seq"]
    frontier = [b64(h, "a frontier hash") for h in manifest["frontier"]]
    tree = Tree(frontier, first)
    if first > 0:
        if manifest.get("previous_checkpoint") is None:
            raise Failure("E_MANIFEST: first_seq > 0 and no previous_checkpoint")
        porigin, psize, proot = check_note(manifest["previous_checkpoint"], trust,
                                           "previous checkpoint")
        if psize != first:
            raise Failure("E_MANIFEST: the previous checkpoint's size is not first_seq")
        if porigin != ledger:
            raise Failure("E_LEDGER: the previous checkpoint's origin is not the ledger")
        if tree.root() != proot:
            raise Failure("E_ROOT: the frontier does not fold to the previous checkpoint's root")
    # The chain into the export: known only when the last frontier hash is a
    # leaf (first_seq odd) or there is nothing before (FORMATS.md, choice 6).
    prev = "0" * 64 if first == 0 else (frontier[-1].hex() if first & 1 else None)
    digest = hashlib.sha256()
    seq = first
    n = 0
    countersigned = 0
    failure = None              # the first in-order failure, (line, message)
    pending = collections.deque()
    batch = []

    def collect(fut):
        nonlocal countersigned
        c, fail = fut.result()
        countersigned += c
        if fail:
            raise Failure("line %d: %s" % fail)

    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, initializer=init_worker,
                                                initargs=(trust,)) as pool:
        try:
            with open(os.path.join(export, "entries.jsonl"), "rb") as f:
                for raw in f:
                    n += 1
                    digest.update(raw)
                    try:
                        payload, pae, sigs, p = parse_line(raw, n)
                        t = check_payload(p, n, ledger)
                        if p["seq"] != seq:
                            raise Failure("line %d: E_SEQ: seq %d where %d was next"
                                          % (n, p["seq"], seq))
                        if prev is not None and p["prev"] != prev:
                            raise Failure("line %d: E_CHAIN: prev is not the leaf hash of "
                                          "the entry before" % n)
                    except Failure as e:
                        failure = e
                        break
                    leaf = hashlib.sha256(b"\x00" + payload).digest()
                    tree.add(leaf)
                    prev = leaf.hex()
                    seq += 1
                    batch.append((n, pae, sigs, t, p["event"], p["actor"]))
                    if len(batch) == BATCH:
                        pending.append(pool.submit(check_sigs, batch))
                        batch = []
                        # Two batches in flight per worker keep them busy
                        # without reading the whole export into memory.
                        while len(pending) > 2 * workers:
                            collect(pending.popleft())
            # Every line before the failing one has its signatures checked,
            # so that a bad signature earlier is the one reported.
            if batch:
                pending.append(pool.submit(check_sigs, batch))
            while pending:
                collect(pending.popleft())
        except OSError as e:
            raise Failure("E_IO: entries.jsonl: %s" % e)
        finally:
            for fut in pending:
                fut.cancel()
    if failure:
        raise failure
    if n != manifest["entry_count"] or manifest["last_seq"] != first + n - 1:
        raise Failure("E_MANIFEST: entry_count or last_seq is not what entries.jsonl holds")
    if digest.hexdigest() != manifest["entries_sha256"]:
        raise Failure("E_MANIFEST: entries_sha256 is not the digest of entries.jsonl")
    origin, size, root = check_note(checkpoint, trust, "checkpoint")
    if origin != ledger:
        raise Failure("E_LEDGER: the checkpoint's origin is not the manifest's ledger")
    if size != first + n:
        raise Failure("E_TRUNCATED: the checkpoint's size is %d, the export ends at %d"
                      % (size, first + n))
    if tree.root() != root:
        raise Failure("E_ROOT: the entries' Merkle root is not the checkpoint's")
    return n, countersigned


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", required=True, help="the trust store (keys.json)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                    help="processes verifying signatures (default: the number of cores)")
    ap.add_argument("export", help="an export directory (entries.jsonl, manifest.json, "
                    "checkpoint)")
    a = ap.parse_args()
    try:
        n, countersigned = verify(a.keys, a.export, max(1, a.workers))
    except Failure as e:
        print("FAIL %s: %s" % (a.export, e))
        return 1
    print("OK %d entries" % n)
    print("countersigned approvals: %d" % countersigned)
    return 0


if __name__ == "__main__":
    sys.exit(main())
