#!/usr/bin/env python3
"""fnlen: every C function over a length, in the files given.

  tools/fnlen.py [--max N] FILE...

A function is a definition in the project's style: its name and parameters
start at column 0 and end with ")" on a line of their own, its body opens
with "{" alone at column 0 and closes with "}" alone at column 0.  Its
length is the lines from the first of its signature to the closing brace.
Prints "FILE:LINE: NAME is N lines (at most MAX)" for each one over --max
(default 120) and exits 1 if there is any; `make lint` runs it over the
sources.
"""
import argparse
import re
import sys

NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def functions(path):
    """(name, first line, length) of each function definition in path."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    i = 0
    while i < len(lines):
        if lines[i] == "{" and i > 0:
            # The signature: back to the line that starts it at column 0.
            j = i - 1
            while j > 0 and (lines[j][:1] in (" ", "\t") or lines[j] == ""):
                j -= 1
            sig = " ".join(lines[j:i])
            m = None
            for m in NAME.finditer(sig.split("(")[0] + "("):
                pass
            k = i + 1
            while k < len(lines) and lines[k] != "}" and not lines[k].startswith("};"):
                k += 1
            if m is not None and "=" not in sig.split("(")[0]:
                out.append((m.group(1), j + 1, k - j + 1))
            i = k
        i += 1
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max", type=int, default=120)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args(argv[1:])
    over = 0
    for path in a.files:
        for name, line, n in functions(path):
            if n > a.max:
                print("%s:%d: %s is %d lines (at most %d)" % (path, line, name, n, a.max))
                over += 1
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
