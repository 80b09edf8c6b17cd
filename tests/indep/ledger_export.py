#!/usr/bin/python3
"""Independent verifier of ledger-export-v1 exports (a test oracle).

This is a from-scratch reference implementation of the checks in
spec/ledger-export-v1.md, sections 2 to 7 (everything except the
cross-export checks E_FORK and E_GAP).  The C project's test suite uses it to
cross-check rbaudit: both must reach the same verdict and the same error
codes on the same exports.  It shares no code with rbaudit and needs only the
Python 3.11 standard library plus `cryptography` (Debian python3-cryptography).

Usage:
    ledger_export.py verify --keys KEYS.json EXPORT_DIR [EXPORT_DIR...]
        Prints one JSON object:
          {"exports":[{"path","ledger","first_seq","last_seq","valid",
                       "errors":[{"code","seq","line","message"}],
                       "warnings":[...same shape...]}]}
        Exit status 0 when every export is valid (warnings allowed), 1 when
        any export has an E_ code, 2 for usage errors (including an unreadable
        or malformed trust store).

    ledger_export.py keystring NAME PUBKEY_B64
        Prints the C2SP verifier key string
        <name>+<8 hex digits of key hash>+<base64(0x01 || public key)>.

"line" is the 1-based line number in entries.jsonl (null for manifest and
checkpoint errors); "seq" is the entry's seq where known, else null.

Decisions on points the spec leaves open are marked "DECISION" below.
"""

import argparse
import base64
import binascii
import datetime
import hashlib
import json
import os
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ENTRY_PAYLOAD_TYPE = "application/vnd.rollback-ledger.entry.v1+json"
MANIFEST_FORMAT = "rollback-ledger-export"
MAX_SEQ = 2 ** 53
MAX_DEPTH = 64
ZERO_HASH = b"\x00" * 32
EM_DASH = "\u2014"

_TIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?Z", re.ASCII)
# General RFC 3339 date-time (for the optional manifest member "created").
_RFC3339_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})", re.ASCII)
_HEX64_RE = re.compile(r"[0-9a-f]{64}", re.ASCII)
_HEX64_ANYCASE_RE = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)
_DECIMAL_RE = re.compile(r"0|[1-9][0-9]*", re.ASCII)


# ---------------------------------------------------------------- helpers

class FormatError(ValueError):
    """A value does not have the form the spec requires."""


def b64_strict(s):
    """Decode standard, padded base64 strictly.

    Rejects characters outside the alphabet, missing or misplaced padding and
    (DECISION) non-canonical encodings whose unused trailing bits are not zero:
    only the exact RFC 4648 encoding of some byte string is accepted.
    """
    if not isinstance(s, str):
        raise FormatError("not a string")
    try:
        raw = base64.b64decode(s.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError) as e:
        raise FormatError("invalid base64 (%s)" % e) from None
    if base64.b64encode(raw).decode("ascii") != s:
        raise FormatError("non-canonical base64")
    return raw


def parse_time(s):
    """Parse YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z into a comparable (seconds, nanos).

    The date and time must exist in the proleptic Gregorian calendar as
    Python's datetime understands it.  DECISION: leap second 60 and year 0000
    are rejected.
    """
    if not isinstance(s, str):
        raise FormatError("not a string")
    m = _TIME_RE.fullmatch(s)
    if not m:
        raise FormatError("not of the form YYYY-MM-DDTHH:MM:SS[.fraction]Z")
    y, mo, d, h, mi, se = (int(g) for g in m.groups()[:6])
    frac = m.group(7) or ""
    try:
        datetime.datetime(y, mo, d, h, mi, se)
    except ValueError as e:
        raise FormatError("not a real date/time (%s)" % e) from None
    secs = datetime.date(y, mo, d).toordinal() * 86400 + h * 3600 + mi * 60 + se
    return (secs, int(frac.ljust(9, "0")) if frac else 0)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class StrictJSONError(ValueError):
    pass


def _pairs_hook(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise StrictJSONError("duplicate member name %r" % k)
        seen.add(k)
    return dict(pairs)


def _reject_constant(name):
    raise StrictJSONError("%s is not JSON" % name)


def strict_json_loads(text):
    """json.loads that rejects duplicate member names and NaN/Infinity."""
    try:
        return json.loads(text, object_pairs_hook=_pairs_hook,
                          parse_constant=_reject_constant)
    except RecursionError:
        raise StrictJSONError("nesting too deep to parse") from None
    except StrictJSONError:
        raise
    except ValueError as e:
        raise StrictJSONError(str(e)) from None


def json_shape_problem(value, max_depth):
    """Return a description of the first structural problem, or None.

    Depth counts containers: the top-level object is level 1 (DECISION), so
    up to 64 nested objects/arrays are allowed.  Strings (member names too)
    must not hold U+0000, nor (DECISION) lone surrogates from \\uD800-style
    escapes, which cannot be encoded as UTF-8.
    """
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, (dict, list)):
            if depth > max_depth:
                return "nests deeper than %d levels" % max_depth
            if isinstance(v, dict):
                for k, x in v.items():
                    p = _string_problem(k)
                    if p:
                        return "member name " + p
                    stack.append((x, depth + 1))
            else:
                for x in v:
                    stack.append((x, depth + 1))
        elif isinstance(v, str):
            p = _string_problem(v)
            if p:
                return "string " + p
    return None


def _string_problem(s):
    if "\x00" in s:
        return "holds U+0000"
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate"
    return None


def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def leaf_hash(payload):
    return sha256(b"\x00", payload)


def node_hash(left, right):
    return sha256(b"\x01", left, right)


def fold_range(hashes):
    """Root of a compact range (largest subtree first), folded from the right."""
    if not hashes:
        return sha256(b"")
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def frontier_sizes(n):
    """Sizes of the perfect subtrees of [0, n), largest first."""
    return [1 << b for b in range(n.bit_length() - 1, -1, -1) if n >> b & 1]


class CompactRange:
    """RFC 6962 compact range [0, size) that leaves are appended to."""

    def __init__(self, size, hashes):
        sizes = frontier_sizes(size)
        if len(sizes) != len(hashes):
            raise ValueError("frontier has %d hashes, size %d needs %d"
                             % (len(hashes), size, len(sizes)))
        self.nodes = list(zip(sizes, hashes))

    def append(self, leaf):
        self.nodes.append((1, leaf))
        while len(self.nodes) >= 2 and self.nodes[-1][0] == self.nodes[-2][0]:
            (s, right), (_, left) = self.nodes.pop(), self.nodes.pop()
            self.nodes.append((2 * s, node_hash(left, right)))

    def root(self):
        return fold_range([h for _, h in self.nodes])


def pae(payload_type, body):
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def note_key_hash(name, pub):
    return sha256(name.encode("utf-8"), b"\x0a\x01", pub)[:4]


def note_name_ok(name):
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def ed25519_verify(pub_obj, sig, msg):
    try:
        pub_obj.verify(sig, msg)
        return True
    except InvalidSignature:
        return False
    except Exception:  # malformed key material: treat as a failed signature
        return False


# ---------------------------------------------------------------- trust store

class TrustStoreError(Exception):
    pass


class Key:
    def __init__(self, name, pub, roles, valid_from, valid_until, revoked_at):
        self.name = name
        self.pub = pub
        self.pub_obj = Ed25519PublicKey.from_public_bytes(pub)
        self.roles = roles
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.revoked_at = revoked_at
        self.note_hash = note_key_hash(name, pub)


def load_keys(path):
    """Load the trust store (section 6).  DECISION: any malformation of the
    trust store is a usage error (exit 2), not a verdict on an export."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise TrustStoreError("cannot read %s: %s" % (path, e))
    try:
        doc = strict_json_loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, StrictJSONError) as e:
        raise TrustStoreError("%s is not valid JSON: %s" % (path, e))
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise TrustStoreError('%s: expected an object with a "keys" list' % path)
    keys = {}
    for i, k in enumerate(doc["keys"]):
        where = "%s: keys[%d]" % (path, i)
        if not isinstance(k, dict):
            raise TrustStoreError(where + " is not an object")
        name = k.get("name")
        if not isinstance(name, str) or not name:
            raise TrustStoreError(where + ': "name" must be a non-empty string')
        if name in keys:
            raise TrustStoreError(where + ": duplicate key name %r" % name)
        if k.get("algorithm") != "ed25519":
            raise TrustStoreError(where + ': "algorithm" must be "ed25519"')
        try:
            pub = b64_strict(k.get("public_key"))
        except FormatError as e:
            raise TrustStoreError(where + ': "public_key": %s' % e)
        if len(pub) != 32:
            raise TrustStoreError(where + ': "public_key" is not 32 bytes')
        roles = k.get("roles")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise TrustStoreError(where + ': "roles" must be a list of strings')
        times = {}
        for member, required in (("valid_from", True), ("valid_until", False),
                                 ("revoked_at", False)):
            v = k.get(member)
            if v is None and not required:
                times[member] = None
                continue
            try:
                times[member] = parse_time(v)
            except FormatError as e:
                raise TrustStoreError(where + ': "%s": %s' % (member, e))
        try:
            keys[name] = Key(name, pub, set(roles), times["valid_from"],
                             times["valid_until"], times["revoked_at"])
        except ValueError as e:
            raise TrustStoreError(where + ": bad public key: %s" % e)
    return keys


# ---------------------------------------------------------------- checkpoint

class NoteError(Exception):
    pass


def parse_checkpoint(text):
    """Parse a C2SP signed note holding a tlog-checkpoint.

    Returns (signed_message_bytes, origin, size, root, [(name, sigbytes)]).
    DECISION (ledger-export-v1 section 4, revision 2, as c2sp.org/
    tlog-checkpoint reads it): the note text is origin, size and root lines,
    then any number of non-empty extension lines; they are part of the
    signed text and otherwise ignored.  As golang.org/x/mod/sumdb/note's
    Open does, a note holding an ASCII control character other than the
    newline (a CR, a tab, a NUL) anywhere is malformed.
    """
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("the note holds an ASCII control character other than newline")
    if not text.endswith("\n"):
        raise NoteError("the note does not end in a newline")
    sep = text.rfind("\n\n")
    if sep < 0:
        raise NoteError("the note has no blank line before the signatures")
    body, sigpart = text[:sep + 1], text[sep + 2:]
    lines = body.split("\n")[:-1]
    if len(lines) < 3:
        raise NoteError("the note text has %d lines, expected 3 at least (origin, size, "
                        "root)" % len(lines))
    if any(not line for line in lines[3:]):
        raise NoteError("an extension line is empty")
    origin, size_s, root_s = lines[:3]
    if not origin:
        raise NoteError("the origin line is empty")
    if not _DECIMAL_RE.fullmatch(size_s):
        raise NoteError("tree size %r is not a decimal without leading zeros" % size_s)
    try:
        root = b64_strict(root_s)
    except FormatError as e:
        raise NoteError("root hash line: %s" % e)
    if len(root) != 32:
        raise NoteError("root hash is %d bytes, expected 32" % len(root))
    sigs = []
    sig_lines = sigpart.split("\n")[:-1]
    if not sig_lines:
        raise NoteError("the note has no signature lines")
    prefix = EM_DASH + " "
    for sl in sig_lines:
        if not sl.startswith(prefix):
            raise NoteError("a signature line does not start with an em dash and a space")
        rest = sl[len(prefix):]
        parts = rest.split(" ")
        if len(parts) != 2:
            raise NoteError("a signature line is not '\u2014 NAME SIGNATURE'")
        name, sig_s = parts
        if not note_name_ok(name):
            raise NoteError("a signature line has an invalid key name %r" % name)
        try:
            sig = b64_strict(sig_s)
        except FormatError as e:
            raise NoteError("signature of %r: %s" % (name, e))
        if len(sig) < 4:
            raise NoteError("signature of %r is shorter than a key hash" % name)
        sigs.append((name, sig))
    return body.encode("utf-8"), origin, int(size_s), root, sigs


def check_note_signatures(msg, sigs, keys):
    """Return None when validly signed by a trusted checkpoint key, else a reason.

    DECISION (ledger-export-v1 section 4, revision 2, as golang.org/x/mod/
    sumdb/note's Open reads notes): a signature line is by a trusted
    checkpoint key when its name and 4-byte key hash both match a key of
    the trust store with role checkpoint; every other line is ignored (an
    unknown name, a known name with another key hash, a key without the
    role, a witness's cosignature).  The first line of each trusted key
    must verify and its later lines are ignored; the note is validly
    signed when at least one trusted key's line verified and none failed:
    a failing line of a trusted key spoils the note even beside a valid
    one.  Key validity periods and revocation are not applied to
    checkpoints (they carry no time).
    """
    seen, good = set(), []
    for name, sig in sigs:
        k = keys.get(name)
        if k is None or sig[:4] != k.note_hash or "checkpoint" not in k.roles:
            continue
        if name in seen:
            continue
        seen.add(name)
        if not (len(sig) == 68 and ed25519_verify(k.pub_obj, sig[4:], msg)):
            return "the signature line of trusted checkpoint key %s does not verify" % name
        good.append(name)
    if good:
        return None
    other = [n for n, sig in sigs if n in keys and sig[:4] == keys[n].note_hash]
    if other:
        return "no signature line is by a key with role checkpoint (lines of %s)" % (
            ", ".join(other))
    return "no signature line is by a trusted key (names: %s)" % (
        ", ".join(n for n, _ in sigs))


# ---------------------------------------------------------------- export

class Report:
    def __init__(self, path):
        self.path = path
        self.ledger = None
        self.first_seq = None
        self.last_seq = None
        self.errors = []
        self.warnings = []

    @staticmethod
    def _item(code, message, seq, line):
        message = message[:1].upper() + message[1:]
        if not message.endswith("."):
            message += "."
        return {"code": code, "seq": seq, "line": line, "message": message}

    def error(self, code, message, seq=None, line=None):
        self.errors.append(self._item(code, message, seq, line))

    def warn(self, code, message, seq=None, line=None):
        self.warnings.append(self._item(code, message, seq, line))

    def as_json(self):
        return {"path": self.path, "ledger": self.ledger,
                "first_seq": self.first_seq, "last_seq": self.last_seq,
                "valid": not self.errors, "errors": self.errors,
                "warnings": self.warnings}


def read_file(rep, directory, name):
    path = os.path.join(directory, name)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        rep.error("E_IO", "cannot read %s: %s" % (name, e.strerror or e))
        return None


def check_manifest(rep, raw):
    """Validate manifest.json; return a dict of the members that are valid."""
    m = {}
    try:
        doc = strict_json_loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        rep.error("E_MANIFEST", "manifest.json is not valid UTF-8.")
        return m
    except StrictJSONError as e:
        rep.error("E_MANIFEST", "manifest.json is not valid JSON: %s." % e)
        return m
    if not isinstance(doc, dict):
        rep.error("E_MANIFEST", "manifest.json is not a JSON object.")
        return m

    def bad(msg):
        rep.error("E_MANIFEST", "manifest: " + msg)

    if doc.get("format") != MANIFEST_FORMAT:
        bad('"format" is not "%s".' % MANIFEST_FORMAT)
    v = doc.get("version")
    if not (is_int(v) and v == 1):
        bad('"version" is not the integer 1.')
    ledger = doc.get("ledger")
    if isinstance(ledger, str) and ledger:
        m["ledger"] = ledger
    else:
        bad('"ledger" is missing or not a non-empty string.')
    for member in ("first_seq", "last_seq"):
        x = doc.get(member)
        if is_int(x) and 0 <= x < MAX_SEQ:
            m[member] = x
        else:
            bad('"%s" is missing or not an integer in [0, 2^53).' % member)
    x = doc.get("entry_count")
    if is_int(x) and x >= 0:
        m["entry_count"] = x
    else:
        bad('"entry_count" is missing or not a non-negative integer.')
    x = doc.get("entries_sha256")
    # DECISION: the spec says "hex" here (not "lowercase hex" as for prev):
    # either case is accepted.
    if isinstance(x, str) and _HEX64_ANYCASE_RE.fullmatch(x):
        m["entries_sha256"] = bytes.fromhex(x)
    else:
        bad('"entries_sha256" is missing or not 64 hex digits.')
    if "first_seq" in m and "last_seq" in m:
        if m["last_seq"] < m["first_seq"]:
            # DECISION: an export holds at least one entry.
            bad("last_seq %d is before first_seq %d." % (m["last_seq"], m["first_seq"]))
        elif "entry_count" in m and m["last_seq"] - m["first_seq"] + 1 != m["entry_count"]:
            bad("entry_count %d disagrees with first_seq..last_seq (%d entries)."
                % (m["entry_count"], m["last_seq"] - m["first_seq"] + 1))
    fr = doc.get("frontier")
    if not isinstance(fr, list):
        bad('"frontier" is missing or not a list.')
    else:
        hashes = []
        for i, s in enumerate(fr):
            try:
                h = b64_strict(s)
            except FormatError as e:
                bad("frontier[%d]: %s." % (i, e))
                hashes = None
                break
            if len(h) != 32:
                bad("frontier[%d] is %d bytes, not 32." % (i, len(h)))
                hashes = None
                break
            hashes.append(h)
        if hashes is not None and "first_seq" in m:
            want = bin(m["first_seq"]).count("1")
            if len(hashes) != want:
                bad("frontier has %d hashes; first_seq %d needs %d."
                    % (len(hashes), m["first_seq"], want))
            else:
                m["frontier"] = hashes
    pc = doc.get("previous_checkpoint")
    if "first_seq" in m:
        if m["first_seq"] == 0:
            if pc is not None:
                bad('"previous_checkpoint" must be null when first_seq is 0.')
        elif not isinstance(pc, str):
            bad('"previous_checkpoint" must be the checkpoint text when first_seq > 0.')
        else:
            m["previous_checkpoint"] = pc
    if "created" in doc and not (isinstance(doc["created"], str)
                                 and _RFC3339_RE.fullmatch(doc["created"])):
        bad('"created" is not an RFC 3339 date-time.')
    return m


def split_lines(data):
    """Split entries.jsonl into lines: LF-terminated, last LF optional,
    one CR before each LF tolerated."""
    if not data:
        return []
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    return [p[:-1] if p.endswith(b"\r") else p for p in parts]


def check_envelope(raw, lineno):
    """Return (envelope_error or None, payload bytes or None, signatures)."""
    if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
        return "starts with a byte-order mark", None, None
    if raw.strip(b" \t\r") == b"":
        return "is blank", None, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "is not valid UTF-8", None, None
    try:
        env = strict_json_loads(text)
    except StrictJSONError as e:
        return "is not valid JSON (%s)" % e, None, None
    if not isinstance(env, dict):
        return "is not a JSON object", None, None
    payload = None
    if isinstance(env.get("payload"), str):
        try:
            payload = b64_strict(env["payload"])
        except FormatError as e:
            return "has an invalid payload: %s" % e, None, None
    else:
        return 'has no string "payload"', None, None
    if env.get("payloadType") != ENTRY_PAYLOAD_TYPE:
        return ('has payloadType %s, not "%s"'
                % (json.dumps(env.get("payloadType")), ENTRY_PAYLOAD_TYPE)), payload, None
    sigs = env.get("signatures")
    if not isinstance(sigs, list) or not sigs:
        return '"signatures" is not a non-empty list', payload, None
    out = []
    for i, s in enumerate(sigs):
        if not isinstance(s, dict):
            return "signatures[%d] is not an object" % i, payload, None
        if not isinstance(s.get("keyid"), str):
            return "signatures[%d] has no string keyid" % i, payload, None
        try:
            sig = b64_strict(s.get("sig"))
        except FormatError as e:
            return "signatures[%d].sig: %s" % (i, e), payload, None
        if len(sig) != 64:
            return "signatures[%d].sig is %d bytes, not 64" % (i, len(sig)), payload, None
        out.append((s["keyid"], sig))
    return None, payload, out


def check_payload(payload):
    """Return (list of problems, dict of valid members)."""
    good = {}
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return ["payload is not valid UTF-8"], good
    try:
        doc = strict_json_loads(text)
    except StrictJSONError as e:
        return ["payload is not valid JSON (%s)" % e], good
    if not isinstance(doc, dict):
        return ["payload is not a JSON object"], good
    p = json_shape_problem(doc, MAX_DEPTH)
    problems = ["payload " + p] if p else []

    v = doc.get("v")
    if not (is_int(v) and v == 1):
        problems.append('"v" is missing or not the integer 1')
    if isinstance(doc.get("ledger"), str):
        good["ledger"] = doc["ledger"]
    else:
        problems.append('"ledger" is missing or not a string')
    seq = doc.get("seq")
    if is_int(seq) and 0 <= seq < MAX_SEQ:
        good["seq"] = seq
    else:
        problems.append('"seq" is missing or not an integer in [0, 2^53)')
    try:
        good["time"] = parse_time(doc.get("time"))
        good["time_str"] = doc["time"]
    except FormatError as e:
        problems.append('"time" %s: %s' % (json.dumps(doc.get("time")), e))
    prev = doc.get("prev")
    if isinstance(prev, str) and _HEX64_RE.fullmatch(prev):
        good["prev"] = prev
    else:
        problems.append('"prev" is missing or not 64 lowercase hex digits')
    for member in ("event", "actor"):
        if not isinstance(doc.get(member), str):
            problems.append('"%s" is missing or not a string' % member)
    if not isinstance(doc.get("data"), dict):
        problems.append('"data" is missing or not an object')
    # Members that are valid (seq, prev, time) are used even when others are
    # not, so that one bad member does not break sequencing of later lines.
    return problems, good


def check_entry_signatures(payload, sigs, keys, t):
    """Section 2 and 6 signature logic.

    Returns (error_code, message) or (None, warning_message_or_None).
    t is the entry's time (seconds, nanos), or None when the payload has no
    valid time; then validity periods are not checked (the entry has already
    failed with E_PAYLOAD).
    """
    msg = pae(ENTRY_PAYLOAD_TYPE, payload)
    valid_keys = []      # keys of signatures that make the entry validly signed
    revoked, not_valid, role, bad_sig, unknown = [], [], [], [], []
    for keyid, sig in sigs:
        k = keys.get(keyid)
        if k is None:
            unknown.append(keyid)
            continue
        if not ed25519_verify(k.pub_obj, sig, msg):
            bad_sig.append(keyid)
            continue
        if "entry" not in k.roles:
            role.append(keyid)
            continue
        if t is not None:
            if k.revoked_at is not None and k.revoked_at <= t:
                revoked.append(keyid)
                continue
            if t < k.valid_from or (k.valid_until is not None and t >= k.valid_until):
                not_valid.append(keyid)
                continue
        valid_keys.append(k)
    if valid_keys:
        # DECISION: warn only when every valid signature is by a key that is
        # revoked later, i.e. the entry's validity rests on such a key.
        if t is not None and all(k.revoked_at is not None for k in valid_keys):
            names = ", ".join(sorted({k.name for k in valid_keys}))
            return None, "entry is signed by key %s, which was revoked after the entry's time" % names
        return None, None
    if revoked:
        return "E_KEY_REVOKED", ("the only verifying signature is by key %s, revoked at or "
                                 "before the entry's time" % ", ".join(revoked))
    if not_valid:
        return "E_KEY_NOT_VALID", ("the entry's time is outside the validity period of "
                                   "signing key %s" % ", ".join(not_valid))
    if role:
        return "E_KEY_ROLE", ("the only verifying signature is by key %s, which lacks role "
                              "entry" % ", ".join(role))
    if bad_sig:
        return "E_SIG", "no signature verifies (failed: %s)" % ", ".join(bad_sig)
    return "E_KEY_UNKNOWN", ("every signature names a key that is not trusted (%s)"
                             % ", ".join(unknown))


def verify_export(directory, keys):
    rep = Report(directory)
    if not os.path.isdir(directory):
        rep.error("E_IO", "%s is not a readable directory." % directory)
        return rep

    manifest_raw = read_file(rep, directory, "manifest.json")
    entries_raw = read_file(rep, directory, "entries.jsonl")
    checkpoint_raw = read_file(rep, directory, "checkpoint")

    m = check_manifest(rep, manifest_raw) if manifest_raw is not None else {}
    rep.ledger = m.get("ledger")
    rep.first_seq = m.get("first_seq")
    rep.last_seq = m.get("last_seq")
    ledger = m.get("ledger")

    # ---- previous checkpoint (section 5)
    if "previous_checkpoint" in m:
        try:
            pmsg, porigin, psize, proot, psigs = parse_checkpoint(m["previous_checkpoint"])
        except NoteError as e:
            rep.error("E_CHECKPOINT_SIG", "previous_checkpoint is not a well-formed "
                      "signed checkpoint: %s." % e)
        else:
            reason = check_note_signatures(pmsg, psigs, keys)
            if reason:
                rep.error("E_CHECKPOINT_SIG",
                          "previous_checkpoint is not validly signed: %s." % reason)
            if ledger is not None and porigin != ledger:
                rep.error("E_LEDGER", "previous_checkpoint origin %r differs from the "
                          "manifest ledger %r." % (porigin, ledger))
            # DECISION: a previous_checkpoint of the wrong size is a manifest
            # inconsistency (E_MANIFEST); a frontier that does not fold to
            # its root is E_ROOT.
            if psize != m["first_seq"]:
                rep.error("E_MANIFEST", "previous_checkpoint is for tree size %d, "
                          "not first_seq %d." % (psize, m["first_seq"]))
            elif "frontier" in m and fold_range(m["frontier"]) != proot:
                rep.error("E_ROOT", "the frontier does not fold to the root of "
                          "previous_checkpoint.")

    # ---- entries
    leaves = []          # leaf hash per line, None where the payload is unknown
    n_lines = None
    if entries_raw is not None:
        if "entries_sha256" in m and hashlib.sha256(entries_raw).digest() != m["entries_sha256"]:
            rep.error("E_MANIFEST", "entries_sha256 does not match the SHA-256 of entries.jsonl.")
        lines = split_lines(entries_raw)
        n_lines = len(lines)
        if "entry_count" in m and m["entry_count"] != n_lines:
            rep.error("E_MANIFEST", "entry_count is %d but entries.jsonl has %d lines."
                      % (m["entry_count"], n_lines))
        # Sequencing state.  `expected` is the seq the next line should have
        # (None: unknown, taken from the first entry that has a valid seq).
        # `slack` counts the lines just before this one whose seq could not
        # be read: each of them may have been a damaged entry (taking one
        # seq) or an inserted line (taking none), so any seq in
        # expected..expected+slack is accepted without E_SEQ.  After an
        # E_SEQ the expected seq is resynchronised to the entry's seq + 1,
        # so one missing, repeated or extra line gives one E_SEQ, not a
        # cascade.
        expected = m.get("first_seq")
        slack = 0
        # Leaf hash of the line before (None: unknown).  The first entry of
        # an export at first_seq > 0 names a leaf outside the export, which
        # is not checked here.
        prev_leaf = ZERO_HASH if expected == 0 else None
        prev_time = None
        for idx, raw in enumerate(lines):
            lineno = idx + 1
            env_err, payload, sigs = check_envelope(raw, lineno)
            leaf = leaf_hash(payload) if payload is not None else None
            leaves.append(leaf)
            if env_err:
                rep.error("E_PARSE", "Line %d %s." % (lineno, env_err), None, lineno)
                slack += 1
                prev_leaf, prev_time = leaf, None
                continue

            problems, good = check_payload(payload)
            seq = good.get("seq")
            t = good.get("time")
            if problems:
                rep.error("E_PAYLOAD", "Invalid payload: %s." % "; ".join(problems),
                          seq, lineno)
            if ledger is not None and "ledger" in good and good["ledger"] != ledger:
                rep.error("E_LEDGER", "Entry ledger %r differs from the manifest ledger %r."
                          % (good["ledger"], ledger), seq, lineno)

            code, text = check_entry_signatures(payload, sigs, keys, t)
            if code:
                rep.error(code, text, seq, lineno)
            elif text:
                rep.warn("W_KEY_REVOKED_LATER", text, seq, lineno)

            if seq is None:
                slack += 1
            else:
                if expected is None:
                    expected, slack = seq, 0
                if not expected <= seq <= expected + slack:
                    want = ("%d" % expected if slack == 0
                            else "one of %d..%d" % (expected, expected + slack))
                    rep.error("E_SEQ", "Entry seq %d is not the next one (expected %s)."
                              % (seq, want), seq, lineno)
                elif "prev" in good:
                    # Check the chain where the line before is known to be
                    # entry seq - 1 (or seq is 0, whose prev is fixed).
                    if seq == 0:
                        want_prev = ZERO_HASH
                    elif seq == expected + slack:
                        want_prev = prev_leaf
                    else:
                        want_prev = None
                    if want_prev is not None and good["prev"] != want_prev.hex():
                        if seq == 0:
                            rep.error("E_CHAIN", "The prev member of seq 0 is not 64 zeros.", seq, lineno)
                        else:
                            rep.error("E_CHAIN", "The prev member is not the leaf hash of entry %d."
                                      % (seq - 1), seq, lineno)
                expected, slack = seq + 1, 0

            if t is not None and prev_time is not None and t < prev_time:
                rep.warn("W_TIME_BACKWARDS", "Entry time %s is earlier than the previous entry's time."
                         % good["time_str"], seq, lineno)
            prev_leaf, prev_time = leaf, t

    # ---- checkpoint (section 4)
    if checkpoint_raw is not None:
        try:
            text = checkpoint_raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
            rep.error("E_CHECKPOINT_SIG", "checkpoint is not valid UTF-8.")
        cp = None
        if text is not None:
            try:
                cp = parse_checkpoint(text)
            except NoteError as e:
                rep.error("E_CHECKPOINT_SIG", "checkpoint is not a well-formed signed "
                          "checkpoint: %s." % e)
        if cp is not None:
            cmsg, corigin, csize, croot, csigs = cp
            reason = check_note_signatures(cmsg, csigs, keys)
            if reason:
                rep.error("E_CHECKPOINT_SIG", "checkpoint is not validly signed: %s." % reason)
            if ledger is not None and corigin != ledger:
                rep.error("E_LEDGER", "checkpoint origin %r differs from the manifest "
                          "ledger %r." % (corigin, ledger))
            first = m.get("first_seq")
            if first is not None and n_lines is not None:
                if csize != first + n_lines:
                    rep.error("E_TRUNCATED", "checkpoint tree size %d is not first_seq %d "
                              "plus %d entries." % (csize, first, n_lines))
                elif "frontier" in m and all(lf is not None for lf in leaves):
                    cr = CompactRange(first, m["frontier"])
                    for lf in leaves:
                        cr.append(lf)
                    if cr.root() != croot:
                        rep.error("E_ROOT", "root computed from frontier and entries "
                                  "differs from the checkpoint's.")
            elif m.get("last_seq") is not None and n_lines is None and csize != m["last_seq"] + 1:
                rep.error("E_TRUNCATED", "checkpoint tree size %d is not last_seq + 1 (%d)."
                          % (csize, m["last_seq"] + 1))
    return rep


# ---------------------------------------------------------------- CLI

class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("%s: error: %s\n" % (self.prog, message))
        sys.exit(2)


def main(argv=None):
    ap = _Parser(prog="ledger_export.py",
                 description="Independent verifier of ledger-export-v1 (cross-checks rbaudit).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verify", help="verify export directories")
    v.add_argument("--keys", required=True, metavar="KEYS.json")
    v.add_argument("exports", nargs="+", metavar="EXPORT_DIR")
    k = sub.add_parser("keystring", help="print a C2SP verifier key string")
    k.add_argument("name")
    k.add_argument("pubkey_b64")
    args = ap.parse_args(argv)

    if args.cmd == "keystring":
        try:
            pub = b64_strict(args.pubkey_b64)
        except FormatError as e:
            sys.stderr.write("ledger_export.py: public key: %s\n" % e)
            return 2
        if len(pub) != 32:
            sys.stderr.write("ledger_export.py: public key is not 32 bytes\n")
            return 2
        if not note_name_ok(args.name):
            sys.stderr.write("ledger_export.py: invalid key name (empty, space or '+')\n")
            return 2
        print("%s+%s+%s" % (args.name, note_key_hash(args.name, pub).hex(),
                            base64.b64encode(b"\x01" + pub).decode("ascii")))
        return 0

    try:
        keys = load_keys(args.keys)
    except TrustStoreError as e:
        sys.stderr.write("ledger_export.py: trust store: %s\n" % e)
        return 2
    reports = [verify_export(d, keys) for d in args.exports]
    json.dump({"exports": [r.as_json() for r in reports]}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if all(not r.errors for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
