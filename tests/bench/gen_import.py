#!/usr/bin/env python3
"""Generators of the import benchmark's inputs (issue #20, point 6).

Deterministic (fixed seeds: the same arguments give the same bytes, and the
same commit shas), cached under the bench data directory:

* a bare git repository of N commits (default 100,000), R of them (default
  1,000, 1%) reverts written the way `git revert` writes them
  ('Revert "<subject>"', 'This reverts commit <full sha>.'), some in
  Gerrit's and Chromium's templates ("Reason for revert:", a quoted
  "Original change's description", Bug: and Reviewed-by:/Acked-by:
  trailers), spread over a linear history that touches a few files in a few
  folders.  Built in one `git fast-import` process from a stream written
  here; a revert needs the full sha of the commit it reverts, which
  fast-import tells through `get-mark` on its --cat-blob-fd while the
  stream is being written.  Then `git repack -a -d` (fast-import's packs
  are not the ones a real repository has) and a commit-graph, as `git gc`
  leaves a real repository.
* `helm history -o json` of N revisions (one line, as Helm prints it):
  about 1% "Rollback to K" to an earlier revision, a few of them failed
  and retried, a few failed upgrades; times increasing, with Go's trimmed
  nanosecond fractions and a "+01:00" offset.
* an Argo CD Application (`kubectl get application -o json`: four-space
  indent, keys sorted) with N status.history entries, about 1% of them a
  sync back to an earlier revision.

    python3 tests/bench/gen_import.py --data build/bench/data [--sizes 10000,100000]
"""

import argparse
import datetime
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time

# Bump when what a generator writes changes: the cache is rebuilt.
VERSION = 2
SIZES = (10000, 50000, 100000)
REVERT_SHARE = 0.01     # rollbacks (Helm), syncs back (Argo CD)
GIT_REVERTS = 1000      # reverts in every git repository: the sizes differ by history only
RELEASE = "billing"     # the Helm release
APP = "guestbook"       # the Argo CD application

FOLDERS = {
    "services/billing": ("invoice.c", "rounding.c", "tax.c"),
    "services/web": ("checkout.js", "cart.js", "style.css"),
    "services/search": ("index.py", "rank.py", "query.py"),
    "lib/common": ("log.c", "retry.c", "config.c"),
}
AREAS = {"services/billing": "billing", "services/web": "web", "services/search": "search",
         "lib/common": "common"}
VERBS = ("fix", "add", "update", "refactor", "remove", "tune", "simplify", "speed up",
         "document", "guard")
OBJECTS = ("rounding of invoice totals", "retry backoff", "cache expiry", "pagination",
           "currency format", "log levels", "timeout handling", "the query planner",
           "empty carts", "tax tables", "config reload", "error messages",
           "the ranking weights", "connection pooling", "feature flag checks")
BODY = ("The previous behaviour made the nightly job slower than it needs to be.",
        "Callers relied on the old default; keep it for them and document the new one.",
        "This matches what the service does in the other regions.",
        "Found while looking at the on-call dashboard last week.",
        "No functional change for existing customers.",
        "Covered by the existing integration tests; one new unit test.",
        "The old code path is kept behind the flag until the next release.")
REASONS = ("breaks checkout on staging", "p99 latency doubled after the deploy",
           "invoices rounded wrongly", "crash loop in two regions",
           "the migration locks the orders table", "alerts fired for search timeouts")
PEOPLE = [("Ana Lead", "ana"), ("Bo Chen", "bo"), ("Carla Diaz", "carla"),
          ("Dev Patel", "dev"), ("Eli Novak", "eli"), ("Fay Okafor", "fay"),
          ("Gus Lindqvist", "gus"), ("Hana Sato", "hana"), ("Ivo Petrov", "ivo"),
          ("Jo Martin", "jo"), ("Kai Weber", "kai"), ("Lu Wang", "lu")]
ZONES = ("+0100", "+0000", "-0800", "+0530", "+0200")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def person(rng):
    name, user = PEOPLE[rng.randrange(len(PEOPLE))]
    return "%s <%s@acme.example>" % (name, user)


def wrap(text, width=72):
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = (line + " " + word) if line else word
    if line:
        out.append(line)
    return "\n".join(out)


def change_id(rng):
    return "I" + "%040x" % rng.getrandbits(160)


# ---- git ----

def revert_positions(n, r, rng):
    """R distinct commit indexes (from 0), one in each of R equal slices of the
    history, none among the first 50 (there is something to revert)."""
    pos = []
    for k in range(r):
        lo, hi = max(k * n // r, 50), (k + 1) * n // r
        if hi > lo:
            pos.append(rng.randrange(lo, hi))
    return set(pos)


def git_stream(repo, n, reverts, seed):
    """Build the repository's history in one `git fast-import`: returns
    (commits, reverts) written."""
    rng = random.Random(seed)
    rpos = revert_positions(n, reverts, rng)
    rfd, wfd = os.pipe()
    p = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet", "--done",
                          "--cat-blob-fd=%d" % wfd], stdin=subprocess.PIPE, pass_fds=(wfd,))
    os.close(wfd)
    answers = os.fdopen(rfd, "rb")
    out = p.stdin
    paths = [folder + "/" + f for folder in FOLDERS for f in FOLDERS[folder]]
    content = {path: "%s: first version\n" % path for path in paths}
    subject = []            # per commit: its subject
    touched = []            # per commit: (path, the file's content before it)
    is_revert = []
    reverted = set()
    t = int(datetime.datetime(2020, 1, 6, 9, 0, tzinfo=datetime.timezone.utc).timestamp())
    pr = 1000
    nrev = 0

    def emit(s):
        out.write(s.encode() if isinstance(s, str) else s)

    def data(b):
        b = b.encode()
        emit(b"data %d\n" % len(b))
        emit(b)
        emit(b"\n")

    emit("feature done\n")
    for i in range(n):
        t += rng.randint(60, 5400)
        who = person(rng)
        zone = ZONES[rng.randrange(len(ZONES))]
        target = None
        if i in rpos:
            # A change a few commits to a few hundred back, not a revert and
            # not reverted yet (the nearest older such one; else newer).
            k = i - rng.randint(1, min(300, i - 1))
            j = k
            while j > 0 and (is_revert[j] or j in reverted):
                j -= 1
            if j == 0:
                j = k
                while j < i and (is_revert[j] or j in reverted):
                    j += 1
            if 0 < j < i:
                target = j
        if target is not None:
            reverted.add(target)
            nrev += 1
            emit("get-mark :%d\n" % (target + 1))
            out.flush()
            sha = answers.readline().decode().strip()
            if len(sha) != 40:
                raise SystemExit("gen_import: fast-import answered %r to get-mark" % sha)
            path, before = touched[target]
            kind = rng.random()
            msg = 'Revert "%s"\n\nThis reverts commit %s.\n' % (subject[target], sha)
            if kind >= 0.5:
                msg += "\nReason for revert: %s\n" % REASONS[rng.randrange(len(REASONS))]
                if kind >= 0.8:     # Chromium's template: the original change quoted
                    msg += ("\nOriginal change's description:\n> %s\n>\n> %s\n>\n"
                            "> Reviewed-by: %s\n" % (subject[target],
                                                    BODY[target % len(BODY)], person(rng)))
                    msg += "\nBug: OPS-%d\n" % rng.randint(100, 9999)
                else:
                    msg += "\nChange-Id: %s\n" % change_id(rng)
                msg += "Reviewed-by: %s\n" % person(rng)
                if kind >= 0.9:
                    msg += "Acked-by: %s\n" % person(rng)
            subj = 'Revert "%s"' % subject[target]
            new = before
            is_revert.append(True)
        else:
            folder = list(FOLDERS)[rng.randrange(len(FOLDERS))]
            path = folder + "/" + FOLDERS[folder][rng.randrange(3)]
            subj = "%s: %s %s" % (AREAS[folder], VERBS[rng.randrange(len(VERBS))],
                                  OBJECTS[rng.randrange(len(OBJECTS))])
            if rng.random() < 0.4:
                pr += rng.randint(1, 3)
                subj += " (#%d)" % pr
            body = wrap(" ".join(BODY[rng.randrange(len(BODY))]
                                 for _ in range(rng.randint(1, 3))))
            msg = subj + "\n\n" + body + "\n"
            if rng.random() < 0.3:
                msg += ("\nChange-Id: %s\nReviewed-on: https://review.acme.example/c/%d\n"
                        "Reviewed-by: %s\n" % (change_id(rng), 10000 + i, person(rng)))
            new = "%s: version %d\n%s\n" % (path, i, subj)
            is_revert.append(False)
        subject.append(subj)
        touched.append((path, content[path]))
        content[path] = new
        emit("commit refs/heads/main\nmark :%d\n" % (i + 1))
        emit("author %s %d %s\n" % (who, t - rng.randint(0, 600), zone))
        emit("committer %s %d %s\n" % (who, t, zone))
        data(msg)
        if i > 0:
            emit("from :%d\n" % i)
        emit("M 100644 inline %s\n" % path)
        data(new)
        emit("\n")
    emit("done\n")
    out.close()
    answers.close()
    if p.wait() != 0:
        raise SystemExit("gen_import: git fast-import exited %d" % p.returncode)
    return n, nrev


def git_repo(path, n, reverts, seed):
    tmp = path + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.time()
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", tmp], check=True)
    commits, nrev = git_stream(tmp, n, reverts, seed)
    t1 = time.time()
    # What `git gc` leaves: one pack, with deltas, and a commit-graph.
    subprocess.run(["git", "-C", tmp, "repack", "-a", "-d", "-q"], check=True)
    subprocess.run(["git", "-C", tmp, "commit-graph", "write", "--reachable"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["git", "-C", tmp, "prune-packed"], check=True)
    t2 = time.time()
    shutil.rmtree(path, ignore_errors=True)
    os.rename(tmp, path)
    return {"commits": commits, "reverts": nrev, "build_s": round(t2 - t0, 1),
            "fast_import_s": round(t1 - t0, 1), "bytes": dir_bytes(path)}


def dir_bytes(path):
    n = 0
    for d, _, files in os.walk(path):
        for f in files:
            n += os.path.getsize(os.path.join(d, f))
    return n


# ---- Helm ----

def go_time(t, frac, offset="+01:00"):
    """A time as Go's RFC 3339 with nanoseconds prints it: the fraction's
    trailing zeros trimmed (none when it is zero), the stored offset."""
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        s += ("." + "%09d" % frac).rstrip("0")
    return s + offset


def helm_history(path, n, seed):
    """`helm history RELEASE -o json`: revisions 1..n, oldest first."""
    rng = random.Random(seed)
    tz = datetime.timezone(datetime.timedelta(hours=1))
    t = datetime.datetime(2020, 1, 6, 9, 0, tzinfo=tz)
    revs = []
    good = []               # revisions that succeeded: what a rollback goes back to
    major, minor, patch = 1, 0, 0
    rollbacks = failed = 0
    pending_retry = None    # a rollback that failed: retried next
    i = 1
    while i <= n:
        t += datetime.timedelta(seconds=rng.randint(600, 18000))
        frac = rng.choice((0, rng.randrange(10 ** 9), rng.randrange(100) * 10 ** 7))
        if pending_retry is not None:
            k = pending_retry
            pending_retry = None
            r = dict(revs[k - 1], revision=i, status="superseded",
                     description="Rollback to %d" % k)
            rollbacks += 1
            good.append(i)
        elif i > 20 and rng.random() < REVERT_SHARE:
            back = good[-min(len(good), rng.choice((1, 1, 1, 2, 3)))]
            src = revs[back - 1]
            if rng.random() < 0.05:      # the rollback fails, and is retried next
                r = dict(src, revision=i, status="failed",
                         description='Rollback "%s" failed: cannot patch "%s" with kind '
                         'Deployment: Deployment.apps "%s" is invalid: spec.selector: '
                         'Invalid value: field is immutable' % (RELEASE, RELEASE, RELEASE))
                pending_retry = back
                failed += 1
            else:
                r = dict(src, revision=i, status="superseded",
                         description="Rollback to %d" % back)
                good.append(i)
            rollbacks += 1
        else:
            if rng.random() < 0.05:
                minor, patch = minor + 1, 0
            else:
                patch += 1
            ver = "%d.%d.%d" % (major, minor, patch)
            r = {"revision": i, "status": "superseded", "chart": "%s-%s" % (RELEASE, ver),
                 "app_version": ver,
                 "description": "Install complete" if i == 1 else "Upgrade complete"}
            if i > 1 and rng.random() < 0.003:
                r["status"] = "failed"
                r["description"] = 'Upgrade "%s" failed: context deadline exceeded' % RELEASE
                failed += 1
            else:
                good.append(i)
        r["updated"] = go_time(t, frac)
        # Helm's member order (pkg/cmd/history.go's releaseInfo).
        revs.append({k: r[k] for k in ("revision", "updated", "status", "chart", "app_version",
                                       "description")})
        i += 1
    if revs[-1]["status"] != "failed":
        revs[-1]["status"] = "deployed"
    write_atomic(path, json.dumps(revs, separators=(",", ":")) + "\n")
    return {"entries": n, "rollbacks": rollbacks, "failed": failed,
            "bytes": os.path.getsize(path)}


# ---- Argo CD ----

def argocd_app(path, n, seed):
    """An Application whose status.history holds n entries, ids 0..n-1."""
    rng = random.Random(seed)
    t = datetime.datetime(2020, 1, 6, 9, 0, tzinfo=datetime.timezone.utc)
    source = {"path": APP, "repoURL": "https://github.com/argoproj/argocd-example-apps.git",
              "targetRevision": "HEAD"}
    hist, revs = [], []
    back = 0
    for i in range(n):
        t += datetime.timedelta(seconds=rng.randint(600, 18000))
        if i > 20 and rng.random() < REVERT_SHARE:
            # A sync back to a revision the application had before.
            rev = revs[-rng.choice((2, 2, 2, 3, 4, 5))]
            back += 1
        else:
            rev = "%040x" % rng.getrandbits(160)
        revs.append(rev)
        h = {"deployedAt": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "id": i, "revision": rev,
             "source": source}
        if rng.random() < 0.6:
            h["initiatedBy"] = {"automated": True}
        else:
            h["initiatedBy"] = {"username": "%s@acme.example" % PEOPLE[rng.randrange(
                len(PEOPLE))][1]}
            h["deployStartedAt"] = (t - datetime.timedelta(seconds=rng.randint(5, 90))
                                    ).strftime("%Y-%m-%dT%H:%M:%SZ")
        hist.append(h)
    last = hist[-1]
    app = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"creationTimestamp": "2020-01-06T08:55:12Z", "generation": n + 1,
                     "name": APP, "namespace": "argocd", "resourceVersion": str(1844671 + n),
                     "uid": "3f6f2c0e-8d7a-4b5e-9c61-0a2b4c6d8e10"},
        "spec": {"destination": {"namespace": APP, "server": "https://kubernetes.default.svc"},
                 "project": "default", "source": source,
                 "syncPolicy": {"automated": {"prune": True, "selfHeal": True}}},
        "status": {
            "controllerNamespace": "argocd",
            "health": {"lastTransitionTime": last["deployedAt"], "status": "Healthy"},
            "history": hist,
            "operationState": {"finishedAt": last["deployedAt"],
                               "message": "successfully synced (all tasks run)",
                               "operation": {"initiatedBy": last["initiatedBy"],
                                             "sync": {"prune": True,
                                                      "revision": last["revision"]}},
                               "phase": "Succeeded", "startedAt": last["deployedAt"]},
            "reconciledAt": last["deployedAt"],
            "sourceType": "Directory",
            "sync": {"comparedTo": {"destination": {"namespace": APP,
                                                    "server": "https://kubernetes.default.svc"},
                                    "source": source},
                     "revision": last["revision"], "status": "Synced"},
        },
    }
    write_atomic(path, json.dumps(app, indent=4, sort_keys=True) + "\n")
    return {"entries": n, "syncs_back": back, "bytes": os.path.getsize(path)}


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


# ---- the cache ----

def the_map():
    """The map the git import runs with: a service per folder (so that each
    revert's changed paths are read, as a real import with a map does)."""
    return {"environment": "production",
            "services": [{"path": folder + "/", "service": AREAS[folder],
                          "team": "team-" + AREAS[folder]} for folder in FOLDERS]}


def ensure(data, sizes=SIZES):
    """Generate what is not cached yet; returns {source: {n: info}} with each
    input's "path" and what was built into it."""
    d = os.path.join(data, "import")
    os.makedirs(d, exist_ok=True)
    mp = os.path.join(d, "map.json")
    if not os.path.exists(mp) or json.load(open(mp)) != the_map():
        write_atomic(mp, json.dumps(the_map(), indent=1) + "\n")
    out = {"map": mp, "git": {}, "helm": {}, "argocd": {}}
    for n in sizes:
        reverts = min(GIT_REVERTS, n // 4)
        jobs = (
            ("git", os.path.join(d, "git-%d.git" % n), "git %d %d" % (n, reverts),
             lambda p, n=n, r=reverts: git_repo(p, n, r, seed=20 + n)),
            ("helm", os.path.join(d, "helm-%d.json" % n), "helm %d" % n,
             lambda p, n=n: helm_history(p, n, seed=30 + n)),
            ("argocd", os.path.join(d, "argocd-%d.json" % n), "argocd %d" % n,
             lambda p, n=n: argocd_app(p, n, seed=40 + n)),
        )
        for src, path, what, make in jobs:
            stamp = path + ".stamp"
            want = "gen_import v%d %s" % (VERSION, what)
            info = None
            if os.path.exists(stamp) and os.path.exists(path):
                with open(stamp) as f:
                    s = json.load(f)
                if s.get("want") == want:
                    info = s["info"]
            if info is None:
                log("bench: generating %s (%s) - once, then cached" % (os.path.basename(path),
                                                                       want))
                t0 = time.time()
                info = make(path)
                info["generated_s"] = round(time.time() - t0, 1)
                write_atomic(stamp, json.dumps({"want": want, "info": info}) + "\n")
            out[src][n] = dict(info, path=path)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="the bench data directory (cache)")
    ap.add_argument("--sizes", default=",".join(str(n) for n in SIZES),
                    help="history sizes, comma-separated (default %(default)s)")
    a = ap.parse_args()
    got = ensure(os.path.abspath(a.data), [int(x) for x in a.sizes.split(",")])
    json.dump(got, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
