#!/usr/bin/env python3
"""layout_check.py - what `pdftotext -bbox` says of a PDF's layout
(tests/cli/t_layout.sh): every word inside the page's side margins (50 pt,
the packs' own; the footer and the cover band too), and no two words of a
page overprinting each other.  Prints one line per fault, at most 20, and
exits 1 when there is any.

Usage: layout_check.py FILE.pdf BBOX.html
"""
import html
import re
import sys

MARGIN = 50.0
SLACK = 0.6         # pdftotext rounds; a glyph's side bearing
OVERLAP = 0.8       # points two boxes may share before they overprint


def pages(path):
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', text, re.S):
        words = []
        for w in re.finditer(r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" '
                             r'yMax="([\d.-]+)">(.*?)</word>', m.group(3), re.S):
            x0, y0, x1, y1 = (float(w.group(i)) for i in range(1, 5))
            words.append((x0, y0, x1, y1, html.unescape(w.group(5))))
        yield float(m.group(1)), float(m.group(2)), words


def main():
    faults = []
    for no, (width, height, words) in enumerate(pages(sys.argv[2]), 1):
        for x0, y0, x1, y1, t in words:
            if x0 < MARGIN - SLACK or x1 > width - MARGIN + SLACK or y0 < 0 or y1 > height:
                faults.append("page %d: %r at x %.1f..%.1f crosses the margins" % (no, t, x0, x1))
        ws = sorted(words)
        for i, a in enumerate(ws):
            for b in ws[i + 1:]:
                if b[0] >= a[2] - OVERLAP:
                    break
                dx = min(a[2], b[2]) - max(a[0], b[0])
                dy = min(a[3], b[3]) - max(a[1], b[1])
                if dx > OVERLAP and dy > OVERLAP:
                    faults.append("page %d: %r and %r overprint" % (no, a[4], b[4]))
    for f in faults[:20]:
        print("%s: %s" % (sys.argv[1], f))
    sys.exit(1 if faults else 0)


if __name__ == "__main__":
    main()
