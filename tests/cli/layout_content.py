#!/usr/bin/env python3
"""layout_content.py - what the layout organisation's packs must hold
(tests/cli/t_layout.sh), against what layout_org.py wrote, never against
rbaudit's own output: prints one line per thing missing and exits 1.

Usage: layout_content.py CHECK EXPECT.json ANALYSIS.json TEXT...
  CHECK sampled  every sampled rollback's heading, marked "(sampled)", and
                 its rationale, impact, security considerations and whole
                 SHA-256 in the auditor pack's text
  CHECK cut      the 200,000-character rationale cut at 4,000 with the note
  CHECK records  the workbook's Records sheet (TEXT: its XML) holds every
                 rollback's rationale (or its cell's marker) and SHA-256
"""
import html
import json
import re
import sys


RTL = r"[\u0590-\u08ff\ufb1d-\ufefc]"


def squash(s):
    """Text without white space and hyphens: a wrapped line breaks anywhere,
    and pdftotext drops the hyphen at the end of a line."""
    return re.sub(r"[\s-]+", "", s)


def body(text):
    """The packs' text without their footers, which pdftotext puts between
    the halves of a paragraph broken across pages."""
    return re.sub(r"(?m)^(.* - layout\.example/l - 2026-08( +Page \d+ of \d+)?|"
                  r" *Page \d+ of \d+)$", "", text)


def shown(s):
    """s as the packs show it (docs/REPORTS.md): a character beyond U+FFFF as
    its code point in brackets."""
    return "".join("[U+%04X]" % ord(c) if ord(c) > 0xFFFF else c for c in s)


def holds(flat, want):
    """Does the squashed text hold want?  Right-to-left runs are left out of
    the comparison: pdftotext reads them back in an order of its own."""
    pieces = re.split(RTL + r"[-\s" + RTL[1:-1] + r"]*", shown(want))
    return all(squash(p) in flat for p in pieces if squash(p))


def sampled(expect, analysis, text):
    missing = []
    ids = [r["rollback_id"] for r in analysis["analysis"]["sample"]["rollbacks"]]
    if len(ids) != 25:
        missing.append("the sample holds %d rollbacks, not 25" % len(ids))
    flat = squash(text)
    for rid in ids:
        e = expect[rid]
        if squash(rid + " (sampled):") not in flat:
            missing.append("%s: no heading marked (sampled)" % rid)
        for key in ("rationale", "impact", "security", "sha256"):
            want = e[key] if len(e[key]) < 4000 else e[key][:3000]
            if not holds(flat, want):
                missing.append("%s: no %s" % (rid, key))
    return missing


def cut(expect, analysis, text):
    big = expect["RB-0009"]["rationale"]
    flat = squash(text)
    want = squash(big[:4000] + " … [cut here: %s more characters; the whole text is in "
                  "the JSON report, attestation.trails]" % format(len(big) - 4000, ","))
    return [] if want in flat else ["RB-0009: its rationale is not cut at 4,000 with the note"]


def records(expect, analysis, xml):
    rows = re.findall(r"<row .*?</row>", xml, re.S)
    cells = [[html.unescape(re.sub(r"<[^>]+>", "", c))
              for c in re.findall(r"<c .*?</c>", r, re.S)] for r in rows[1:]]
    by_id = {c[0]: c for c in cells if c}
    missing = []
    for rid, e in expect.items():
        row = by_id.get(rid)
        if row is None:
            missing.append("%s: no row" % rid)
            continue
        joined = "\n".join(row)
        if len(e["rationale"]) < 32767 and e["rationale"] not in row:
            missing.append("%s: no rationale cell" % rid)
        if len(e["rationale"]) >= 32767 and not any(
                c.endswith("… [truncated: %s characters, see the JSON]"
                           % format(len(e["rationale"]), ",")) for c in row):
            missing.append("%s: the long rationale has no marker" % rid)
        if "sha256:" + e["sha256"] not in joined:
            missing.append("%s: no whole sha256" % rid)
    return missing


def main():
    check, expect_path, analysis_path = sys.argv[1:4]
    expect = json.load(open(expect_path, encoding="utf-8"))
    analysis = json.load(open(analysis_path, encoding="utf-8"))
    text = body("".join(open(p, encoding="utf-8").read() for p in sys.argv[4:]))
    missing = {"sampled": sampled, "cut": cut, "records": records}[check](expect, analysis, text)
    for m in missing[:20]:
        print(m)
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
