#!/usr/bin/env python3
"""rbaudit benchmark: `make bench` runs this with an optimised build.

It generates (once, cached under the data directory) a 100,000-entry
ledger and a two-month ledger of about 2,100,000 entries with
`rbaudit sample`, whose first month is a ledger of about 1,050,000 entries,
then measures in one run: the machine's Ed25519 bound (libsodium's
verification rate on all cores at once, tests/bench/sodium_speed.c; OpenSSL's
`openssl speed` is measured beside it for comparison), verify, a peer
verifier (tests/bench/peer_verify.py: Python over python3-cryptography),
ingest into a new database, re-ingest (no-op), 2M against 1M, check,
analyze of a month and the PDF and XLSX reports, and `rbaudit import` of
git, Helm and Argo CD histories of 10,000 to 100,000 records (generated
once by tests/bench/gen_import.py; `--only import` runs that section
alone).  Wall time and peak RSS come from `/usr/bin/time -v`.  It prints a
table and rewrites docs/PERFORMANCE.md (the figures, the machine and the
command).

Noise: this machine is a shared VM whose speed drifts by 10-20% from one
minute to the next, so the bound is measured right before and right after
each verify, ingest and check run and that run's ratio uses their mean.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Datasets: (name, months, deploys per weekday).  l2m's first month is the
# 1M ledger (the generator is sequential: month 1 does not depend on month 2).
DATASETS = {
    "l100k": (1, 3000),
    "l2m": (2, 29000),
}
START = "2026-08"
# Back-to-back pairs of analyze with and without the per-use check.
PAIRS = 5
MONTH1 = "2026-08"
MONTH2 = "2026-09"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd, cwd=None, ok=(0,), err=False):
    """Run cmd under /usr/bin/time -v; returns (wall s, peak RSS KiB, stdout,
    CPU s: user and system time of the process and its threads), and with
    err its standard error too (time's own lines included, after the
    command's)."""
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode not in ok:
        sys.stderr.write(p.stderr)
        raise SystemExit("bench: %s exited %d" % (" ".join(cmd), p.returncode))
    wall = rss = None
    cpu = 0.0
    for line in p.stderr.splitlines():
        line = line.strip()
        if line.startswith("User time (seconds)") or line.startswith("System time (seconds)"):
            cpu += float(line.rsplit(": ", 1)[1])
        elif line.startswith("Elapsed (wall clock) time"):
            v = line.rsplit(": ", 1)[1]
            parts = [float(x) for x in v.split(":")]
            wall = 0.0
            for x in parts:
                wall = wall * 60 + x
        elif line.startswith("Maximum resident set size"):
            rss = int(line.rsplit(": ", 1)[1])
    if err:
        return wall, rss, p.stdout, cpu, p.stderr
    return wall, rss, p.stdout, cpu


def speed_ed25519(multi=None):
    """Ed25519 verifications per second from `openssl speed` (3 s)."""
    cmd = ["openssl", "speed", "-seconds", "3"]
    if multi:
        cmd += ["-multi", str(multi)]
    cmd += ["ed25519"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, check=True).stdout
    rate = None
    for line in out.splitlines():      # the table's last line, "... sign/s verify/s"
        if "EdDSA (Ed25519)" in line:
            rate = float(line.split()[-1])
    if rate is None:
        raise SystemExit("bench: cannot read `openssl speed ed25519`")
    return rate


def speed_sodium(binary, threads):
    """libsodium Ed25519 verifications per second on `threads` threads (3 s)."""
    out = subprocess.run([binary, "-seconds", "3", "-threads", str(threads)],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    m = re.match(r"verify/s: ([0-9.]+)$", out.strip())
    if not m:
        raise SystemExit("bench: cannot read `%s`: %r" % (binary, out))
    return float(m.group(1))


def peer_python():
    """The interpreter the peer runs under: Debian's, whose cryptography is
    the python3-cryptography package the peer is named after (a `python3`
    earlier on PATH may carry another version from pip)."""
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def peer_versions(py):
    out = subprocess.run([py, "-c", "import sys, cryptography; "
                          "print(sys.version.split()[0], cryptography.__version__)"],
                         stdout=subprocess.PIPE, text=True, check=True).stdout.split()
    return {"python": py, "python_version": out[0], "cryptography": out[1]}


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        for _ in f:
            n += 1
    return n


def count_sigs(path):
    """Signatures in an export (each has a "keyid"), to verify per entry."""
    n = 0
    with open(path, "rb") as f:
        for line in f:
            n += line.count(b'"keyid"')
    return n


def generate(rb, data, names=None):
    os.makedirs(data, exist_ok=True)
    for name, (months, rate) in DATASETS.items():
        if names is not None and name not in names:
            continue
        d = os.path.join(data, name)
        stamp = os.path.join(d, "STAMP")
        want = "sample --months %d --start %s --deploys-per-day %d\n" % (months, START, rate)
        if os.path.exists(stamp) and open(stamp).read() == want:
            continue
        shutil.rmtree(d, ignore_errors=True)
        log("bench: generating %s (%s) - once, then cached" % (name, want.strip()))
        wall, rss, _, _ = timed([rb, "sample", "--out", d, "--months", str(months), "--start",
                              START, "--deploys-per-day", str(rate)])
        with open(stamp, "w") as f:
            f.write(want)
        with open(os.path.join(d, "GENERATED"), "w") as f:
            f.write("%.1f %d\n" % (wall, rss))


def rollbacks_of(rb, db):
    """The number of rollbacks executed in the benchmark's month."""
    out = subprocess.run([rb, "analyze", "--db", db, "--period", MONTH1, "--no-store",
                          "--trend", "0"], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    m = re.search(r"rollbacks executed\s+(\d+)", out)
    return int(m.group(1)) if m else 0


def store_floor(binary, db, work, tries=3):
    """SQLite's own cost of storing the rows the 100k ingest stored
    (tests/bench/store_floor.c): the inserts' CPU and wall time, the COMMIT's.
    The run with the least CPU of `tries`."""
    dst = os.path.join(work, "floor.db")
    runs = []
    for k in range(tries):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(dst + suffix):
                os.unlink(dst + suffix)
        log("bench: SQLite alone storing the 100k ingest's rows (run %d of %d)" % (k + 1, tries))
        out = subprocess.run([binary, db, dst], check=True, stdout=subprocess.PIPE,
                             text=True).stdout.split()
        runs.append({out[i]: float(out[i + 1]) for i in range(0, len(out), 2)})
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(dst + suffix):
            os.unlink(dst + suffix)
    best = dict(min(runs, key=lambda x: x["insert_cpu"] + x["commit_cpu"]))
    best["runs"] = [dict(x) for x in runs]
    return best


def ingest_floor_wall(v, fl, cores):
    """The least time an ingest could take: verify's CPU and SQLite's inserts
    spread over every core (never less than verify's own time), then the
    COMMIT, which runs after the last entry."""
    return max(v["wall"], (v["cpu"] + fl["insert_cpu"]) / cores) + fl["commit_wall"]


def export_dir(data, name, month):
    return os.path.join(data, name, "exports", "rollback-ledger", month)


class Bench:
    def __init__(self, rb, data, work, cores, sodium=None):
        self.rb = rb
        self.data = data
        self.work = work
        self.cores = cores
        self.sodium = sodium    # the sodium-speed helper
        self.rows = []          # (measure, command, entries, wall, rss, bound, note)
        self.bounds = []        # OpenSSL, one core
        self.mbounds = []       # OpenSSL, all cores at once
        self.sbounds = []       # libsodium, one core
        self.smbounds = []      # libsodium, all cores at once: the bound

    def bound(self):
        b = speed_ed25519()
        self.bounds.append(b)
        return b

    def mbound(self):
        """What OpenSSL verifies on all the cores at once, right now."""
        m = speed_ed25519(self.cores)
        self.mbounds.append(m)
        return m

    def sbound(self):
        s = speed_sodium(self.sodium, 1)
        self.sbounds.append(s)
        return s

    def smbound(self):
        """What libsodium verifies on all the cores at once, right now: the bound."""
        m = speed_sodium(self.sodium, self.cores)
        self.smbounds.append(m)
        return m

    def around(self, after=False):
        """The four rates, the bound nearest the run: OpenSSL (all cores, one
        core) then libsodium (one core, all cores) before it, the reverse after."""
        steps = [("mpair", self.mbound), ("pair", self.bound), ("spair", self.sbound),
                 ("smpair", self.smbound)]
        return {k: f() for k, f in (reversed(steps) if after else steps)}

    def measure(self, what, cmd, entries=None, with_bound=False, ok=(0,), shown=None,
                tries=1, setup=None, repeat=1, sigs=None):
        """One timed run (of `entries` entries carrying `sigs` signatures);
        with_bound, the bounds are measured right before and after it.  With
        tries > 1 the run is repeated (up to tries times) while the two
        libsodium all-core bounds differ by more than 10%, keeping the steadiest.
        With repeat > 1 (short runs), it runs repeat times: the figure is the
        fastest (the usual estimator on a noisy machine), all are shown."""
        if repeat > 1:
            walls, rsss = [], []
            for k in range(repeat):
                if setup:
                    setup()
                log("bench: %s (run %d of %d)" % (what, k + 1, repeat))
                wall, rss, _, _ = timed(cmd, ok=ok)
                walls.append(wall)
                rsss.append(rss)
            row = {"what": what, "cmd": shown or self.show(cmd), "entries": entries,
                   "sigs": sigs, "wall": min(walls), "walls": walls, "rss": max(rsss),
                   "bound": None, "pair": None}
            self.rows.append(row)
            return row
        best = None
        for attempt in range(tries):
            if setup:
                setup()
            before = self.around() if with_bound else None
            log("bench: %s%s" % (what, " (again: the machine's speed moved)" if attempt else ""))
            wall, rss, out, cpu = timed(cmd, ok=ok)
            row = {"what": what, "cmd": shown or self.show(cmd), "entries": entries,
                   "sigs": sigs, "wall": wall, "rss": rss, "cpu": cpu, "bound": None,
                   "pair": None, "spread": 0}
            if with_bound:
                after = self.around(after=True)
                for k in before:
                    row[k] = (before[k], after[k])
                # The ratios are to libsodium on all cores, so its pair is
                # what says whether the machine held still.
                sm = row["smpair"]
                row["bound"] = (sm[0] + sm[1]) / 2
                row["spread"] = abs(sm[0] - sm[1]) / max(sm)
                # The former bound (OpenSSL, one core x cores), for comparison.
                row["obound"] = (row["pair"][0] + row["pair"][1]) / 2 * self.cores
            if best is None or row["spread"] < best["spread"]:
                best = row
            if row["spread"] <= 0.10:
                break
        self.rows.append(best)
        return best

    def show(self, cmd):
        s = " ".join(cmd)
        s = s.replace(self.rb, "rbaudit").replace(self.data + "/", "").replace(
            self.work + "/", "").replace(ROOT + "/", "")
        return s


def fmt_int(n):
    return "{:,}".format(int(round(n)))


def fmt_mib(kib):
    return "%.1f MiB" % (kib / 1024.0)


def sodium_version():
    """The libsodium the helper is built against (its -dev package's version)."""
    return subprocess.run(["pkg-config", "--modversion", "libsodium"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True).stdout.strip() or "?"


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    osname = platform.platform()
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                osname = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    ssl = subprocess.run(["openssl", "version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    sq = subprocess.run(["sqlite3", "--version"], stdout=subprocess.PIPE,
                        text=True).stdout.split()[0] if shutil.which("sqlite3") else "?"
    na = sodium_version()
    return "%s, %d cores, %.0f GiB, %s, kernel %s, %s, libsodium %s, SQLite %s" % (
        cpu, os.cpu_count() or 1, mem, osname, platform.release(), ssl, na, sq)


# ---- import (issue #20, point 6) ----

IMPORT_SOURCES = ("git", "helm", "argocd")
IMPORT_TRIES = 3
IMPORT_UNIT = {"git": "commits", "helm": "revisions", "argocd": "history entries"}
IMPORT_RATE = 50000     # target: git commits scanned per second
IMPORT_FLAT = 1.5       # target: git heap at the largest size / at half of it (the same reverts)


def gen_import():
    """tests/bench/gen_import.py, the import benchmark's generators."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import gen_import as gi
    return gi


def sample_rss(cmd, every=0.002):
    """The peaks of cmd's resident memory as the kernel splits it, from
    /proc/PID/status every 2 ms: anonymous (the heap: what the process
    allocated) and file-backed (pages of the files it maps, such as a git
    pack, which the kernel can drop and read again), each at its own peak,
    in KiB.  A sample can miss a short peak, so /usr/bin/time's figure
    stays the measure; this only says what it is made of."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = {"RssAnon": 0, "RssFile": 0, "VmRSS": 0}
    while p.poll() is None:
        try:
            with open("/proc/%d/status" % p.pid) as f:
                for line in f:
                    k = line.split(":", 1)[0]
                    if k in peak:
                        peak[k] = max(peak[k], int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(every)
    if p.returncode != 0:
        raise SystemExit("bench: %s exited %d" % (" ".join(cmd), p.returncode))
    return {"anon": peak["RssAnon"], "file": peak["RssFile"], "rss": peak["VmRSS"]}


def import_summary(err, cmd):
    """The --json summary an import writes on standard error."""
    i = err.find("{")
    try:
        doc, _ = json.JSONDecoder().raw_decode(err[i:]) if i >= 0 else (None, 0)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or "scanned" not in doc:
        sys.stderr.write(err)
        raise SystemExit("bench: no --json summary from %s" % " ".join(cmd))
    return doc


def import_bench(b, data, work):
    """Each source at each size: the fastest of IMPORT_TRIES runs, the most
    peak RSS of them, and one more run sampled for what the memory is."""
    gi = gen_import()
    inputs = gi.ensure(data)
    res = {"sizes": list(gi.SIZES), "runs": {}, "release": gi.RELEASE}
    for src in IMPORT_SOURCES:
        for n in gi.SIZES:
            info = inputs[src][n]
            out = os.path.join(work, "import-%s-%d.jsonl" % (src, n))
            cmd = [b.rb, "import", src, info["path"]]
            if src == "git":
                cmd += ["--map", inputs["map"]]
            elif src == "helm":
                cmd += ["--release", gi.RELEASE]
            cmd += ["--out", out, "--json"]
            what = "import %s, %s %s" % (src, fmt_int(n), IMPORT_UNIT[src])
            walls, rsss, cpus = [], [], []
            for k in range(IMPORT_TRIES):
                log("bench: %s (run %d of %d)" % (what, k + 1, IMPORT_TRIES))
                wall, rss, _, cpu, err = timed(cmd, err=True)
                sm = import_summary(err, cmd)
                walls.append(wall)
                rsss.append(rss)
                cpus.append(cpu)
            if sm["scanned"] != n:
                raise SystemExit("bench: %s scanned %d records, not %d" % (what, sm["scanned"], n))
            if src == "git" and sm["rollbacks"] != info["reverts"]:
                raise SystemExit("bench: %s found %d rollbacks, the generator made %d reverts"
                                 % (what, sm["rollbacks"], info["reverts"]))
            log("bench: %s (memory, sampled)" % what)
            mem = sample_rss(cmd)
            best = walls.index(min(walls))
            row = {"what": what, "cmd": b.show(cmd), "source": src, "n": n,
                   "entries": sm["scanned"], "rollbacks": sm["rollbacks"],
                   "events": sm["events"], "unmapped": sm["unmapped"],
                   "built": {k: v for k, v in info.items() if k != "path"},
                   "wall": walls[best], "walls": walls, "cpu": cpus[best], "rss": max(rsss),
                   "rsss": rsss, "anon": mem["anon"], "file": mem["file"],
                   "input_bytes": info["bytes"], "output_bytes": os.path.getsize(out)}
            os.unlink(out)
            b.rows.append(row)
            res["runs"]["%s-%d" % (src, n)] = row
    return res


def import_figures(imp):
    """What the import's table and verdicts say, from its runs."""
    runs, sizes = imp["runs"], imp["sizes"]
    lo, hi = sizes[0], sizes[-1]
    f = {}
    for src in IMPORT_SOURCES:
        a, z = runs["%s-%d" % (src, lo)], runs["%s-%d" % (src, hi)]
        f[src] = {"rate": z["entries"] / z["wall"],
                  "rates": [runs["%s-%d" % (src, n)]["entries"] / runs["%s-%d" % (src, n)]["wall"]
                            for n in sizes],
                  "ratio": z["rss"] / a["rss"],
                  "anon_ratio": z["anon"] / a["anon"] if a["anon"] else 0,
                  "file_ratio": z["file"] / a["file"] if a["file"] else 0,
                  # What each record more costs, between the smallest and the largest.
                  "per": (z["rss"] - a["rss"]) * 1024.0 / (z["entries"] - a["entries"]),
                  "anon_per": (z["anon"] - a["anon"]) * 1024.0 / (z["entries"] - a["entries"]),
                  "in_per": z["input_bytes"] / z["entries"],
                  "lo": lo, "hi": hi}
        # The slope at the top: heap from half the largest history to all of it.
        if len(sizes) > 2:
            m = runs["%s-%d" % (src, sizes[-2])]
            f[src]["mid"] = sizes[-2]
            f[src]["top_anon_ratio"] = z["anon"] / m["anon"] if m["anon"] else 0
            f[src]["top_anon_per"] = ((z["anon"] - m["anon"]) * 1024.0 /
                                      (z["entries"] - m["entries"]))
    return f


def import_doc(w, imp):
    """The "Import" section: a table of every run and what memory does."""
    runs, sizes = imp["runs"], imp["sizes"]
    f = import_figures(imp)
    g = runs["git-%d" % sizes[-1]]["built"]
    w("## Import (issue #20)")
    w("")
    w("`rbaudit import` of histories that tests/bench/gen_import.py generates (deterministic,"
      " cached in `build/bench/data/import/`): a bare git repository of %s commits of which %s"
      " are reverts written as `git revert` writes them (half with Gerrit's or Chromium's"
      " \"Reason for revert:\", quoted original description, `Bug:`, `Reviewed-by:` and"
      " `Acked-by:`), spread over a linear history touching 12 files in 4 folders, built with one"
      " `git fast-import`, repacked and given a commit-graph as `git gc` would (%.0f s in all),"
      " and imported with a map of a service per folder (so each revert's changed paths are read);"
      " `helm history -o json` of as many revisions (about 1%% `Rollback to N`, a few of them"
      " failed and retried, a few failed upgrades); an Argo CD Application (`kubectl get"
      " application -o json`) with as many `status.history` entries (about 1%% a sync back to"
      " an earlier revision); each also at %s.  Wall time: the fastest of %d runs (all are"
      " shown); peak RSS (`/usr/bin/time -v`): the most of them.  Peak RSS counts the pages of"
      " files a process maps as well as its heap, so one more run is sampled every 2 ms"
      " (`/proc/PID/status`) for each part's peak: heap (anonymous memory) and file-backed (for"
      " git, the pack and its index, which libgit2 maps)."
      % (fmt_int(g["commits"]), fmt_int(g["reverts"]), g["build_s"],
         " and ".join(fmt_int(n) for n in sizes[:-1]), IMPORT_TRIES))
    w("")
    w("| source | history | input | records scanned | rollbacks found | events written"
      " | wall (fastest) | the runs | records/s | peak RSS | heap; file-backed (sampled)"
      " | peak RSS per record |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for src in IMPORT_SOURCES:
        for n in sizes:
            x = runs["%s-%d" % (src, n)]
            hist = "%s %s" % (fmt_int(n), IMPORT_UNIT[src])
            if src == "git":
                hist += " (%s reverts)" % fmt_int(x["built"]["reverts"])
                inp = "repository, %s" % fmt_mib(x["input_bytes"] / 1024.0)
            else:
                inp = "%s (%.0f B per record)" % (fmt_mib(x["input_bytes"] / 1024.0),
                                                  x["input_bytes"] / x["entries"])
            w("| %s | %s | %s | %s | %s | %s | %.2f s | %s s | %s | %s | %s; %s | %s B |" % (
                src, hist, inp, fmt_int(x["entries"]), fmt_int(x["rollbacks"]),
                fmt_int(x["events"]), x["wall"], ", ".join("%.2f" % v for v in x["walls"]),
                fmt_int(x["entries"] / x["wall"]), fmt_mib(x["rss"]), fmt_mib(x["anon"]),
                fmt_mib(x["file"]), fmt_int(x["rss"] * 1024.0 / x["entries"])))
    w("")
    fg = f["git"]
    w("From %s to %s records, git's peak RSS grew %.2fx (heap %.2fx, file-backed %.2fx):"
      " %s bytes more per commit, %s of them heap.  Helm and Argo CD read their input document"
      " whole (cJSON) and keep every deployment until the events are sorted and written, so"
      " their memory grows with the history by design: %s and %s bytes more per record"
      " (peak RSS), for an input of %.0f and %.0f bytes per record."
      % (fmt_int(fg["lo"]), fmt_int(fg["hi"]), fg["ratio"], fg["anon_ratio"], fg["file_ratio"],
         fmt_int(fg["per"]), fmt_int(fg["anon_per"]), fmt_int(f["helm"]["per"]),
         fmt_int(f["argocd"]["per"]), f["helm"]["in_per"], f["argocd"]["in_per"]))
    w("")


def import_targets(w, imp):
    """The import's rows of the "Against the targets" table."""
    f = import_figures(imp)
    fg, sizes = f["git"], imp["sizes"]
    w("| import git: at least %s commits/s scanned, %s-commit repository with %s reverts"
      " | %s commits/s (%s: %s) | %s |"
      % (fmt_int(IMPORT_RATE), fmt_int(fg["hi"]),
         fmt_int(imp["runs"]["git-%d" % fg["hi"]]["built"]["reverts"]), fmt_int(fg["rate"]),
         ", ".join(fmt_int(n) for n in sizes[:-1]),
         ", ".join(fmt_int(x) for x in fg["rates"][:-1]), verdict(fg["rate"] >= IMPORT_RATE)))
    w("| import git: memory flat in the size of the history, the same %s reverts at every size"
      " (heap at %s commits at most %.1fx that at %s) | %.2fx (%s bytes of heap per commit more;"
      " from %s: %.2fx; peak RSS, with the mapped pack files, %.2fx) | %s |"
      % (fmt_int(imp["runs"]["git-%d" % fg["hi"]]["built"]["reverts"]), fmt_int(fg["hi"]),
         IMPORT_FLAT, fmt_int(fg.get("mid", fg["lo"])),
         fg.get("top_anon_ratio", fg["anon_ratio"]),
         fmt_int(fg.get("top_anon_per", fg["anon_per"])), fmt_int(fg["lo"]), fg["anon_ratio"],
         fg["ratio"], verdict(fg.get("top_anon_ratio", fg["anon_ratio"]) <= IMPORT_FLAT)))
    w("| (not a target) Helm and Argo CD at %s records/s as well | Helm %s, Argo CD %s"
      " records/s at %s | %s |"
      % (fmt_int(IMPORT_RATE), fmt_int(f["helm"]["rate"]), fmt_int(f["argocd"]["rate"]),
         fmt_int(fg["hi"]), "yes" if min(f["helm"]["rate"], f["argocd"]["rate"]) >= IMPORT_RATE
         else "no"))
    w("| (not a target: the input document is read whole) Helm and Argo CD memory flat"
      " | Helm %.2fx, Argo CD %.2fx from %s to %s records (%s and %s bytes per record more;"
      " input %.0f and %.0f bytes per record) | %s |"
      % (f["helm"]["ratio"], f["argocd"]["ratio"], fmt_int(fg["lo"]), fmt_int(fg["hi"]),
         fmt_int(f["helm"]["per"]), fmt_int(f["argocd"]["per"]), f["helm"]["in_per"],
         f["argocd"]["in_per"],
         "yes" if max(f["helm"]["ratio"], f["argocd"]["ratio"]) <= IMPORT_FLAT else "no"))


def import_only(a, rb, data, work):
    """--only import: the import section alone, printed; its results in
    results-import.json beside the data directory.  docs/PERFORMANCE.md is
    not written (a partial run), nor results.json."""
    started = datetime.datetime.now(datetime.timezone.utc)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    b = Bench(rb, data, work, os.cpu_count() or 1)
    imp = import_bench(b, data, work)
    finished = datetime.datetime.now(datetime.timezone.utc)
    path = os.path.join(os.path.dirname(data), "results-import.json")
    with open(path, "w") as rf:
        json.dump({"rows": b.rows, "r": {"import": imp},
                   "f": {"started": started.isoformat(), "finished": finished.isoformat(),
                         "machine": machine()}}, rf, indent=1)
    lines = []
    w = lines.append
    import_doc(w, imp)
    w("| target | measured | |")
    w("| --- | --- | --- |")
    import_targets(w, imp)
    w("")
    w("```")
    for x in b.rows:
        w(x["cmd"])
    w("```")
    print("\n".join(lines))
    log("bench: --only import: %s written; docs/PERFORMANCE.md left as it is" % path)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def search_bench(b, rb, db):
    """rbaudit search over a stored ledger (issue #22): by actor and service, by
    text, by finding and level (the stored analysis), and the open work; each
    must answer in under a second.  The actor, service and ticket searched for
    are those of a rollback in the middle of the ledger."""
    import sqlite3
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    n = con.execute("SELECT count(*) FROM entry WHERE event = 'rollback.requested'").fetchone()[0]
    actor, service, payload = con.execute(
        "SELECT actor, service, CAST(payload AS TEXT) FROM entry WHERE event = "
        "'rollback.requested' ORDER BY seq LIMIT 1 OFFSET ?", (n // 2,)).fetchone()
    con.close()
    ticket = json.loads(payload)["data"].get("ticket") or "OPS"
    s = {"rollbacks": n}
    for key, what, args in (
            ("actor", "search by actor and service", ["--actor", actor, "--service", service]),
            ("text", "search by text (a ticket)", ["--text", ticket]),
            ("finding", "search by finding and level", ["--finding", "unverified", "--level",
                                                        "high"]),
            ("open", "search --open (the open work)", ["--open", "--now",
                                                       "2030-01-01T00:00:00Z"])):
        s[key] = b.measure("%s, %s rollbacks" % (what, fmt_int(n)),
                           [rb, "search", "--db", db] + args, repeat=3)
    return s


def search_targets(w, s):
    walls = {k: s[k]["wall"] for k in ("actor", "text", "finding", "open")}
    w("| a search over the 1M ledger answers in under a second | by actor and service %.2f s,"
      " by text %.2f s, by finding and level %.2f s, open work %.2f s (%s rollbacks) | %s |"
      % (walls["actor"], walls["text"], walls["finding"], walls["open"],
         fmt_int(s["rollbacks"]), verdict(max(walls.values()) < 1)))


def search_only(a, rb, data, work):
    """--only search: the search measurements on the 100k ledger, printed."""
    generate(rb, data, names=("l100k",))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    b = Bench(rb, data, work, os.cpu_count() or 1)
    db = os.path.join(work, "l100k.db")
    run([rb, "ingest", "--db", db, "--keys", os.path.join(data, "l100k", "keys.json"),
         export_dir(data, "l100k", MONTH1)], stdout=subprocess.DEVNULL)
    run([rb, "analyze", "--db", db, "--period", MONTH1], stdout=subprocess.DEVNULL)
    s = search_bench(b, rb, db)
    lines = []
    search_targets(lines.append, s)
    for x in b.rows:
        print("%-60s %6.2f s  %s" % (x["what"], x["wall"], x["cmd"]))
    print("\n".join(lines))
    with open(os.path.join(os.path.dirname(data), "results-search.json"), "w") as rf:
        json.dump(s, rf, indent=1)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rbaudit", required=True)
    ap.add_argument("--rbaudit-nocheck", help="the same build without the per-use check "
                    "of stored history (-DRB_BENCH_NO_STORED_CHECK), to measure its cost")
    ap.add_argument("--sodium-speed", help="the sodium-speed helper (tests/bench/sodium_speed.c),"
                    " which measures the bound; required unless --doc-only")
    ap.add_argument("--store-floor", help="the store-floor helper (tests/bench/store_floor.c),"
                    " which measures what SQLite alone costs to store an ingest's rows")
    ap.add_argument("--peer-python", default=peer_python(),
                    help="the interpreter of the peer verifier (default: %(default)s)")
    ap.add_argument("--data", required=True, help="cache of generated ledgers")
    ap.add_argument("--work", required=True, help="scratch space (databases, reports)")
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "PERFORMANCE.md"))
    ap.add_argument("--skip-2m", action="store_true", help="leave out the 2M ingest")
    ap.add_argument("--doc-only", action="store_true",
                    help="write the page again from the last run's results.json")
    ap.add_argument("--only", choices=("import", "search"),
                    help="run one section alone and print it (import: rbaudit import of git,"
                    " Helm and Argo CD histories; search: rbaudit search over the 100k"
                    " ledger); its results go to results-import.json or results-search.json,"
                    " docs/PERFORMANCE.md and results.json are left as they are")
    a = ap.parse_args()
    if a.only == "import":
        return import_only(a, os.path.abspath(a.rbaudit), os.path.abspath(a.data),
                           os.path.abspath(a.work))
    if a.only == "search":
        return search_only(a, os.path.abspath(a.rbaudit), os.path.abspath(a.data),
                           os.path.abspath(a.work))
    if a.doc_only:
        res = json.load(open(os.path.join(os.path.dirname(os.path.abspath(a.data)),
                                          "results.json")))
        if "smbounds" not in res:
            raise SystemExit("bench: results.json predates the libsodium bound; "
                             "run `make bench` again")
        b = Bench(a.rbaudit, a.data, a.work, res["f"]["cores"])
        b.rows, b.bounds, b.mbounds = res["rows"], res["bounds"], res["mbounds"]
        b.sbounds, b.smbounds = res["sbounds"], res["smbounds"]
        write_doc(a.doc, b, res["r"], res["f"])
        return 0
    if not a.sodium_speed:
        ap.error("--sodium-speed is required (except with --doc-only)")
    rb = os.path.abspath(a.rbaudit)
    data = os.path.abspath(a.data)
    work = os.path.abspath(a.work)
    cores = os.cpu_count() or 1
    started = datetime.datetime.now(datetime.timezone.utc)

    generate(rb, data)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    b = Bench(rb, data, work, cores, os.path.abspath(a.sodium_speed))
    peer = [a.peer_python, os.path.join(ROOT, "tests", "bench", "peer_verify.py")]
    e100 = export_dir(data, "l100k", MONTH1)
    e1m = export_dir(data, "l2m", MONTH1)
    e2m = export_dir(data, "l2m", MONTH2)
    k100 = os.path.join(data, "l100k", "keys.json")
    k2m = os.path.join(data, "l2m", "keys.json")
    n100 = count_lines(os.path.join(e100, "entries.jsonl"))
    n1m = count_lines(os.path.join(e1m, "entries.jsonl"))
    n2m = n1m + count_lines(os.path.join(e2m, "entries.jsonl"))
    sigs1m = count_sigs(os.path.join(e1m, "entries.jsonl"))
    sigs100 = count_sigs(os.path.join(e100, "entries.jsonl"))
    sigs2m = sigs1m + count_sigs(os.path.join(e2m, "entries.jsonl"))

    one = b.bound()
    multi = speed_ed25519(cores)
    sone = b.sbound()
    smulti = speed_sodium(b.sodium, cores)
    db100 = os.path.join(work, "l100k.db")
    db1m = os.path.join(work, "l1m.db")
    db2m = os.path.join(work, "l2m.db")
    r = {}
    r["verify100"] = b.measure("verify, 100k entries", [rb, "verify", "--keys", k100, e100],
                               n100, True, tries=3, sigs=sigs100)
    # The peer right after rbaudit on the same export, so that the two see
    # the machine at about the same speed.
    r["peer100"] = b.measure("the peer: verify, 100k entries",
                             peer + ["--workers", str(cores), "--keys", k100, e100],
                             n100, True, tries=3, sigs=sigs100)

    def fresh100():
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db100 + suffix):
                os.unlink(db100 + suffix)
    r["ingest100"] = b.measure("ingest, 100k entries, new database",
                               [rb, "ingest", "--db", db100, "--keys", k100, e100], n100, True,
                               tries=3, setup=fresh100, sigs=sigs100)
    if a.store_floor:
        r["floor100"] = store_floor(os.path.abspath(a.store_floor), db100, work)
    r["verify1m"] = b.measure("verify, 1M entries", [rb, "verify", "--keys", k2m, e1m],
                              n1m, True, sigs=sigs1m)
    r["peer1m"] = b.measure("the peer: verify, 1M entries",
                            peer + ["--workers", str(cores), "--keys", k2m, e1m],
                            n1m, True, sigs=sigs1m)
    r["ingest1m"] = b.measure("ingest, 1M entries, new database",
                              [rb, "ingest", "--db", db1m, "--keys", k2m, e1m], n1m, True,
                              sigs=sigs1m)
    r["reingest1m"] = b.measure("re-ingest of the same export (no-op)",
                                [rb, "ingest", "--db", db1m, "--keys", k2m, e1m], n1m,
                                repeat=3, sigs=sigs1m)
    if not a.skip_2m:
        r["verify2m"] = b.measure("verify, 2M entries (two exports)",
                                  [rb, "verify", "--keys", k2m, e1m, e2m], n2m, True,
                                  sigs=sigs2m)
        r["ingest2m"] = b.measure("ingest, 2M entries (two exports), new database",
                                  [rb, "ingest", "--db", db2m, "--keys", k2m, e1m, e2m],
                                  n2m, True, sigs=sigs2m)
    # The check of everything stored, against verify of the same entries.
    r["check1m"] = b.measure("check, 1M entries (everything stored, signatures included)",
                             [rb, "check", "--db", db1m, "--keys", k2m], n1m, True,
                             sigs=sigs1m)
    # The per-use check's cost: analyze with and without it, in back-to-back
    # pairs (the machine's speed drifts, from one minute to the next, by more
    # than the cost measured).  A warm-up run first: the run before it (check)
    # leaves the page cache holding other pages.  The verdict is the median of
    # the pairs' ratios, each taken within the same minute; the fastest of
    # each is shown beside it.
    nock = os.path.abspath(a.rbaudit_nocheck) if a.rbaudit_nocheck else None
    walls = {"analyze": [], "analyze_nocheck": []}
    rsss = {"analyze": [], "analyze_nocheck": []}
    if nock is not None:
        log("bench: analyze (warm-up, not counted)")
        timed([nock, "analyze", "--db", db1m, "--period", MONTH1])
    for k in range(PAIRS):
        for key, binary in (("analyze_nocheck", nock), ("analyze", rb)):
            if binary is None:
                continue
            log("bench: %s (run %d of %d)" % (key, k + 1, PAIRS))
            wall, rss, _, _ = timed([binary, "analyze", "--db", db1m, "--period", MONTH1])
            walls[key].append(wall)
            rsss[key].append(rss)
    for key, what in (("analyze", "analyze a month of the 1M ledger (stored, trend 6)"),
                      ("analyze_nocheck", "the same, built without the per-use check of "
                       "stored history (bench only)")):
        if walls[key]:
            r[key] = {"what": what, "cmd": "rbaudit analyze --db l1m.db --period " + MONTH1,
                      "entries": None, "wall": min(walls[key]), "walls": walls[key],
                      "rss": max(rsss[key]), "bound": None, "pair": None}
            b.rows.append(r[key])
    nrb = rollbacks_of(rb, db1m)
    rep = os.path.join(work, "reports")
    r["pdf"] = b.measure("PDF: governance and auditor packs",
                         [rb, "report", "--db", db1m, "--period", MONTH1, "--template",
                          "governance-monthly", "--template", "auditor-pack", "--out",
                          rep + "-pdf"], repeat=3)
    r["xlsx"] = b.measure("XLSX: engineering workbook",
                          [rb, "report", "--db", db1m, "--period", MONTH1, "--template",
                           "engineering-metrics", "--out", rep + "-xlsx"], repeat=3)
    subprocess.run([rb, "analyze", "--db", db100, "--period", MONTH1], check=True,
                   stdout=subprocess.DEVNULL)
    r["xlsx100"] = b.measure("XLSX, 100k ledger (memory check)",
                             [rb, "report", "--db", db100, "--period", MONTH1, "--template",
                              "engineering-metrics", "--out", rep + "-xlsx100"], repeat=3)
    r["pdf100"] = b.measure("PDF, 100k ledger (memory check)",
                            [rb, "report", "--db", db100, "--period", MONTH1, "--template",
                             "governance-monthly", "--template", "auditor-pack", "--out",
                             rep + "-pdf100"], repeat=3)
    nrb100 = rollbacks_of(rb, db100)
    # rbaudit search over the 1M ledger, its month analysed and stored (issue #22).
    r["search"] = search_bench(b, rb, db1m)
    # The import of git, Helm and Argo CD histories (issue #20).
    r["import"] = import_bench(b, data, work)
    gen = open(os.path.join(data, "l2m", "GENERATED")).read().split()
    finished = datetime.datetime.now(datetime.timezone.utc)
    f = dict(cores=cores, one=one, multi=multi, sone=sone, smulti=smulti, n100=n100, n1m=n1m,
             n2m=n2m, sigs1m=sigs1m, sigs100=sigs100, sigs2m=sigs2m,
             peer=dict(peer_versions(a.peer_python), workers=cores), sodium=sodium_version(),
             nrb=nrb, nrb100=nrb100, gen_wall=float(gen[0]), gen_rss=int(gen[1]),
             started=started.isoformat(), finished=finished.isoformat(), machine=machine())
    # Everything measured, so that --doc-only can write the page again.
    with open(os.path.join(os.path.dirname(data), "results.json"), "w") as rf:
        json.dump({"rows": b.rows, "bounds": b.bounds, "mbounds": b.mbounds,
                   "sbounds": b.sbounds, "smbounds": b.smbounds, "r": r, "f": f}, rf, indent=1)
    write_doc(a.doc, b, r, f)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def verdict(ok):
    return "met" if ok else "**not met**"


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def write_doc(path, b, r, f):
    cores = f["cores"]
    lines = []
    w = lines.append
    per_sig = f["sigs1m"] / f["n1m"]
    per_sig100 = f["sigs100"] / f["n100"]

    def rate(row):
        return row["entries"] / row["wall"]

    def srate(row):
        return row["sigs"] / row["wall"]

    # Every ratio is to the bound: libsodium on all cores, the mean of the
    # measurements before and after the run.
    def ratio(row):
        return rate(row) / row["bound"]

    def sratio(row):
        return srate(row) / row["bound"]

    def mean(pair):
        return (pair[0] + pair[1]) / 2

    w("# Performance")
    w("")
    fin = datetime.datetime.fromisoformat(f["finished"])
    w("Written by `make bench` (tests/bench/bench.py) on %s; do not edit by hand."
      % fin.strftime("%Y-%m-%d %H:%M UTC"))
    w("")
    w("* **Machine:** %s." % f["machine"])
    w("* **Command:** `make bench` (an optimised build, `-O2`; ledgers from `rbaudit sample`,"
      " cached in `build/bench/data/`).  It took %.0f minutes."
      % ((fin - datetime.datetime.fromisoformat(f["started"])).total_seconds() / 60))
    w("* **Timing:** wall time and peak RSS from `/usr/bin/time -v`.")
    w("* **Bound:** what libsodium %s verifies on all %d cores at once:"
      " `crypto_sign_verify_detached` of one valid Ed25519 signature over a 600-byte message,"
      " in a loop on one thread per core for 3 s, the threads' rates summed"
      " (`sodium-speed -threads %d`, tests/bench/sodium_speed.c), in verifications (signatures)"
      " per second.  Every ratio below is to it, in entries and in signatures.  This VM's"
      " speed drifts, by up to a factor of two from one minute to the next, so the bound is"
      " measured right before and right after each verify, ingest and check run, and that"
      " run's ratio uses their mean.  The one-core libsodium rate and OpenSSL's figures"
      " (`openssl speed ed25519`, one core and `-multi %d`: the former bound) are measured"
      " around the same runs, for comparison." % (f["sodium"], cores, cores, cores))
    w("")
    w("## The bound")
    w("")
    sm, s1 = b.smbounds or [f["smulti"]], b.sbounds or [f["sone"]]
    om, o1 = b.mbounds or [f["multi"]], b.bounds or [f["one"]]
    w("| what | result |")
    w("| --- | --- |")
    w("| **the bound:** libsodium Ed25519 verify on all %d cores at once (`sodium-speed"
      " -threads %d`), each measurement | %s |" % (cores, cores, ", ".join(fmt_int(x) for x in sm)))
    w("| libsodium Ed25519 verify, one core (`sodium-speed -threads 1`), each measurement | %s |"
      % ", ".join(fmt_int(x) for x in s1))
    w("| libsodium on all cores at once, median, against one core x %d (median: %s) |"
      " %s verify/s, %.0f%% |" % (cores, fmt_int(median(s1) * cores), fmt_int(median(sm)),
                                 100 * median(sm) / (median(s1) * cores)))
    w("| OpenSSL Ed25519 verify, one core (`openssl speed ed25519`), each measurement | %s |"
      % ", ".join(fmt_int(x) for x in o1))
    w("| OpenSSL, all cores at once (`openssl speed -multi %d ed25519`), each measurement | %s |"
      % (cores, ", ".join(fmt_int(x) for x in om)))
    w("| libsodium against OpenSSL, medians: one core, all cores | %.2fx, %.2fx |"
      % (median(s1) / median(o1), median(sm) / median(om)))
    w("| signatures per entry (approvals carry an approver's countersignature, which is"
      " verified too): 100k ledger, 1M ledger | %.3f, %.3f |" % (per_sig100, per_sig))
    w("")
    w("## Verify and ingest")
    w("")
    w("Each run's ratio is to the mean of the bound measured before and after it, in entries"
      " and in signatures; in brackets, the ratio in signatures if the bound had been the"
      " higher or the lower of the two all along.  Where they differ much, the machine's speed"
      " moved during the run and the ratio is only as good as that range.  The last columns"
      " give libsodium on one core and OpenSSL (one core; all %d cores) measured around the"
      " same run, and rbaudit's signatures/s against OpenSSL on all cores." % cores)
    w("")
    w("| measure | entries | signatures | wall | entries/s | signatures/s | bound: libsodium"
      " on all cores (verify/s), before, after: mean | ratio to the bound: entries, signatures"
      " | libsodium, one core: before, after | OpenSSL, one core; all cores: before, after"
      " | against OpenSSL on all cores, signatures | peak RSS |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for k in ("verify100", "peer100", "ingest100", "verify1m", "peer1m", "ingest1m",
              "check1m", "verify2m", "ingest2m"):
        if k not in r:
            continue
        x = r[k]
        lo = srate(x) / max(x["smpair"])
        hi = srate(x) / min(x["smpair"])
        w("| %s | %s | %s | %.1f s | %s | %s | %s, %s: %s | %.0f%%, %.0f%% (%.0f-%.0f%%)"
          " | %s, %s | %s, %s; %s, %s | %.0f%% | %s |" % (
              x["what"], fmt_int(x["entries"]), fmt_int(x["sigs"]), x["wall"],
              fmt_int(rate(x)), fmt_int(srate(x)),
              fmt_int(x["smpair"][0]), fmt_int(x["smpair"][1]), fmt_int(x["bound"]),
              100 * ratio(x), 100 * sratio(x), 100 * lo, 100 * hi,
              fmt_int(x["spair"][0]), fmt_int(x["spair"][1]),
              fmt_int(x["pair"][0]), fmt_int(x["pair"][1]),
              fmt_int(x["mpair"][0]), fmt_int(x["mpair"][1]),
              100 * srate(x) / mean(x["mpair"]), fmt_mib(x["rss"])))
    x = r["reingest1m"]
    w("| %s (fastest of %s s) | %s | %s | %.1f s | %s | - | - | - | - | - | - | %s |" % (
        x["what"], ", ".join("%.1f" % v for v in x["walls"]), fmt_int(x["entries"]),
        fmt_int(x["sigs"]), x["wall"], fmt_int(rate(x)), fmt_mib(x["rss"])))
    w("")
    fl = r.get("floor100")
    if fl and r["verify100"].get("cpu") and r["ingest100"].get("cpu"):
        v, g = r["verify100"], r["ingest100"]
        tmin = ingest_floor_wall(v, fl, cores)
        w("**What storing must cost, and the ceiling it sets for ingest.**  SQLite alone,"
          " storing the rows the 100k ingest stored (`store-floor`, tests/bench/store_floor.c:"
          " the rows read into memory first, then one transaction inserting them one by one"
          " through ingest's prepared `INSERT` into a new database with the same schema and"
          " indexes, WAL, `synchronous=FULL`, foreign keys on; no rbaudit code), took"
          " %.2f s of CPU for the inserts and %.2f s for the `COMMIT`, which ran %.2f s on the"
          " clock (it writes the write-ahead log out, syncs it and copies it into the"
          " database; nothing can overlap it, as an export is stored whole or not at"
          " all; the least of %d runs).  verify of the same export used %.1f s of CPU in"
          " %.1f s, ingest %.1f s of CPU in %.1f s.  An ingest that overlapped the inserts"
          " perfectly with verifying, on all %d cores, and spent nothing of its own on storing"
          " (no binding, no duplicate lookup, no anomaly checks) would take at least %.1f s:"
          " at verify's %.0f%% of the bound, that is **at most %.0f%%** of the bound in"
          " signatures, against the target of 75%%.  rbaudit's ingest of the same export"
          " reached %.0f%%: %.0f%% of that ceiling."
          % (fl["insert_cpu"], fl["commit_cpu"], fl["commit_wall"], len(fl["runs"]),
             v["cpu"], v["wall"], g["cpu"], g["wall"], cores, tmin, 100 * sratio(v),
             100 * sratio(v) * v["wall"] / tmin, 100 * sratio(g),
             100 * sratio(g) / (sratio(v) * v["wall"] / tmin)))
        w("")
    pv = f["peer"]
    w("The peer (tests/bench/peer_verify.py) is an independent verifier of one export, written"
      " from docs/FORMATS.md as a competent user would: Python %s over cryptography %s"
      " (`%s`%s), no rbaudit code.  It checks the manifest (range, count, digest), each DSSE"
      " envelope and payload's members, seq order, the prev chain, every signature a line"
      " carries and the Merkle root against the signed checkpoint, but not every strict rule"
      " of the format (duplicate member names, U+0000, nesting depth); the signatures in"
      " batches of 1,000 on a pool of %d worker processes while the main process reads on and"
      " does the in-order checks."
      % (pv["python_version"], pv["cryptography"], pv["python"],
         ": Debian's python3-cryptography" if pv["python"] == "/usr/bin/python3" else "",
         pv["workers"]))
    w("")
    for name, k in (("100k", "100"), ("1M", "1m")):
        if "peer" + k not in r:
            continue
        p, v = r["peer" + k], r["verify" + k]
        w("* rbaudit against the peer, %s entries: **%.1fx faster** (the peer %.1f s, rbaudit"
          " %.1f s; %.1fx with each time scaled by the bound measured around it)."
          % (name, p["wall"] / v["wall"], p["wall"], v["wall"], ratio(v) / ratio(p)))
    w("")
    w("## Analysis and reports (the month of the 1M ledger: %s rollbacks executed)"
      % fmt_int(f["nrb"]))
    w("")
    w("Three runs each (analyze: %d, in back-to-back pairs with and without the per-use"
      " check); the figure is the fastest (the machine's drift only ever slows a run"
      " down), all runs are shown." % len(r.get("analyze", {}).get("walls", [0, 0, 0])))
    w("")
    w("| measure | wall (fastest) | the runs | peak RSS |")
    w("| --- | --- | --- | --- |")
    for k in ("analyze", "analyze_nocheck", "pdf", "xlsx"):
        if k not in r:
            continue
        x = r[k]
        w("| %s | %.1f s | %s s | %s |" % (x["what"], x["wall"],
                                          ", ".join("%.1f" % v for v in x["walls"]),
                                          fmt_mib(x["rss"])))
    for k, what in (("xlsx100", "XLSX"), ("pdf100", "PDF")):
        if k not in r:
            continue
        x = r[k]
        w("| %s of the 100k ledger's month (%s rollbacks), for comparison | %.1f s | %s s | %s |"
          % (what, fmt_int(f["nrb100"]), x["wall"], ", ".join("%.1f" % v for v in x["walls"]),
             fmt_mib(x["rss"])))
    w("")
    if "import" in r:
        import_doc(w, r["import"])
    w("## Against the targets")
    w("")
    w("| target | measured | |")
    w("| --- | --- | --- |")
    def against(k):
        x = r[k]
        return ("%.0f%% in signatures (%.0f%% in entries; OpenSSL on all cores measured around"
                " it: %.0f%% of the bound, rbaudit %.0f%% of OpenSSL in signatures)"
                % (100 * sratio(x), 100 * ratio(x), 100 * mean(x["mpair"]) / x["bound"],
                   100 * srate(x) / mean(x["mpair"])))
    def ceiling(k):
        fl, v = r.get("floor100"), r["verify100"]
        if k != "ingest1m" or not fl or not v.get("cpu"):
            return ""
        return ("; the ceiling that SQLite's own storing cost sets, measured on the 100k"
                " export (see above): %.0f%%"
                % (100 * sratio(v) * v["wall"] / ingest_floor_wall(v, fl, cores)))
    for k, what, goal in (("verify100", "verify, 100k entries", 0.85),
                          ("verify1m", "verify, 1M entries", 0.85),
                          ("ingest1m", "ingest, 1M entries into a new database", 0.75)):
        w("| %s: at least %.0f%% of the libsodium all-core bound, in signatures | %s%s | %s |"
          % (what, 100 * goal, against(k), ceiling(k), verdict(sratio(r[k]) >= goal)))
    sp = r["ingest1m"]["wall"] / r["reingest1m"]["wall"]
    w("| re-ingest: at least 10x faster than the first ingest | %.0fx | %s |"
      % (sp, verdict(sp >= 10)))
    worst = max(r[k]["rss"] for k in ("verify100", "ingest100", "verify1m", "ingest1m",
                                        "reingest1m") if k in r)
    w("| peak RSS of verify and ingest: under 64 MiB at 100k and at 1M | at most %s | %s |"
      % (fmt_mib(worst), verdict(worst < 64 * 1024)))
    if "ingest2m" in r:
        s2 = r["ingest2m"]["wall"] / r["ingest1m"]["wall"]
        v2 = r["verify2m"]["wall"] / r["verify1m"]["wall"]
        # Per-entry: the 2M ledger is not exactly twice the 1M one.
        s2n = s2 * f["n1m"] * 2 / f["n2m"]
        v2n = v2 * f["n1m"] * 2 / f["n2m"]
        # The same, with each run's time scaled by its bound (the machine's speed).
        s2b = s2n * r["ingest2m"]["bound"] / r["ingest1m"]["bound"]
        v2b = v2n * r["verify2m"]["bound"] / r["verify1m"]["bound"]
        w("| 2M entries vs 1M: at most 2.1x the time | ingest %.2fx, verify %.2fx (%.2fx and"
          " %.2fx for exactly twice the entries; %.2fx and %.2fx with each time scaled by the"
          " bound measured around it) | %s |"
          % (s2, v2, s2n, v2n, s2b, v2b, verdict(max(s2n, v2n) <= 2.1)))
    peers = [(name, r["peer" + k], r["verify" + k]) for name, k in (("100k", "100"),
                                                                     ("1M", "1m"))
             if "peer" + k in r]
    if peers:
        w("| rbaudit verify is faster than the peer (Python over python3-cryptography) | %s | %s |"
          % ("; ".join("%s entries: %.1fx (the peer %.1f s, rbaudit %.1f s; %.1fx with each"
                       " scaled by the bound measured around it)"
                       % (name, p["wall"] / v["wall"], p["wall"], v["wall"],
                          ratio(v) / ratio(p)) for name, p, v in peers),
             verdict(all(p["wall"] > v["wall"] for _, p, v in peers))))
    an = r["analyze"]["wall"]
    w("| analyze of a month of a 1M-entry ledger: under 5 s | %.1f s | %s |"
      % (an, verdict(an < 5)))
    if "check1m" in r:
        # Each against its own bound: the machine's speed drifts between the two runs.
        cv = ratio(r["verify1m"]) / ratio(r["check1m"])
        w("| check of the 1M ledger: within 10%% of verify of the same entries | check %.1f s,"
          " verify %.1f s: check takes %.2fx verify's time (%.2fx with each scaled by the"
          " bound measured around it) | %s |"
          % (r["check1m"]["wall"], r["verify1m"]["wall"],
             r["check1m"]["wall"] / r["verify1m"]["wall"], cv, verdict(cv <= 1.10)))
    if "analyze_nocheck" in r:
        ov = r["analyze"]["wall"] / r["analyze_nocheck"]["wall"] - 1
        pairs = sorted(c / n for c, n in zip(r["analyze"]["walls"],
                                             r["analyze_nocheck"]["walls"]))
        med = pairs[len(pairs) // 2] - 1
        w("| the per-use check of stored history adds at most 15%% to analyze of the 1M"
          " month | median of %d back-to-back pairs: %+.0f%% (each pair: %s); fastest with"
          " it %.1f s, without %.1f s: %+.0f%% | %s |"
          % (len(pairs), 100 * med, ", ".join("%+.0f%%" % (100 * (x - 1)) for x in pairs),
             r["analyze"]["wall"], r["analyze_nocheck"]["wall"], 100 * ov,
             verdict(med <= 0.15)))
    pdf, xl = r["pdf"]["wall"], r["xlsx"]["wall"]
    w("| PDF and XLSX for that month: under 10 s each | PDF %.1f s, XLSX %.1f s | %s |"
      % (pdf, xl, verdict(pdf < 10 and xl < 10)))
    w("| XLSX memory flat | %s for %s rollbacks, %s for %s | %s |" % (
        fmt_mib(r["xlsx"]["rss"]), fmt_int(f["nrb"]), fmt_mib(r["xlsx100"]["rss"]),
        fmt_int(f["nrb100"]), verdict(r["xlsx"]["rss"] < 2 * r["xlsx100"]["rss"])))
    if "pdf100" in r:
        w("| (not a target) PDF memory flat as well | %s for %s rollbacks, %s for %s | %s |" % (
            fmt_mib(r["pdf"]["rss"]), fmt_int(f["nrb"]), fmt_mib(r["pdf100"]["rss"]),
            fmt_int(f["nrb100"]), "yes" if r["pdf"]["rss"] < 2 * r["pdf100"]["rss"] else "no"))
    if "search" in r:
        search_targets(w, r["search"])
    if "import" in r:
        import_targets(w, r["import"])
    w("")
    w("## Commands")
    w("")
    w("```")
    w("rbaudit sample --out l100k --months 1 --start %s --deploys-per-day %d"
      % (START, DATASETS["l100k"][1]))
    w("rbaudit sample --out l2m --months 2 --start %s --deploys-per-day %d"
      "   # %.0f s, %s peak" % (START, DATASETS["l2m"][1], f["gen_wall"],
                                fmt_mib(f["gen_rss"])))
    w("# around each verify, ingest and check run, before it (and in reverse order after):")
    w("openssl speed -seconds 3 -multi %d ed25519; openssl speed -seconds 3 ed25519" % cores)
    w("sodium-speed -seconds 3 -threads 1; sodium-speed -seconds 3 -threads %d   # the bound"
      % cores)
    if "import" in r:
        g = r["import"]["runs"]["git-%d" % r["import"]["sizes"][-1]]["built"]
        w("python3 tests/bench/gen_import.py --data build/bench/data   # the import's inputs,"
          " once: the %s-commit repository in %.0f s" % (fmt_int(g["commits"]), g["build_s"]))
    for x in b.rows:
        w(x["cmd"])
    w("```")
    w("")
    with open(os.path.join(ROOT, "tests", "bench", "notes.md")) as nf:
        lines.append(nf.read().rstrip("\n"))
    text = "\n".join(lines) + "\n"
    with open(path + ".tmp", "w") as out:
        out.write(text)
    os.replace(path + ".tmp", path)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
