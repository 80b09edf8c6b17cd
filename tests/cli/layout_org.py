#!/usr/bin/env python3
"""layout_org.py - the events of an organisation whose names test the packs'
layout (tests/cli/t_layout.sh): 150 services, names of 200 characters (with
and without places to break), CJK, emoji and Arabic names, a name with a right-to-left override, and one rationale
of 200,000 characters.  Writes the events (for `rbaudit seal`) to argv[1]
and, to argv[2], what the test expects: per rollback its texts.

Usage: layout_org.py EVENTS.jsonl EXPECT.json
"""
import hashlib
import json
import sys

N = 150
LONG_SERVICE = "billing-" + "-".join(["settlement"] * 18)          # breaks at '-'
LONG_SERVICE = LONG_SERVICE[:200]
UNBROKEN = "q" * 192 + "@example"                                   # 200, one word
SERVICES = ["搜索 服务", "خدمة-الدفع", "payments-\U0001F600", LONG_SERVICE]
ACTORS = ["李伟@example.cn", "محمد@example.com", "zoë\U0001F600@example", UNBROKEN,
          "ops@example", "łukasz@example", "invoice\u202Efdp.exe@example"]
BIG = 200000


def service(i):
    return SERVICES[i] if i < len(SERVICES) else "service-%03d" % i


def t(day, h, m=0):
    return "2026-08-%02dT%02d:%02d:00Z" % (day, h, m)


def main():
    events, expect = [], {}
    for i in range(N):
        rid, chg = "RB-%04d" % i, "CHG-%04d" % i
        day, svc = 1 + i % 28, service(i)
        req, exe = ACTORS[i % len(ACTORS)], ACTORS[(i + 1) % len(ACTORS)]
        rationale = "Rationale of %s: error rate of %s rose after %s." % (rid, svc, chg)
        if i == 9:
            rationale = "Rationale of %s, very long: " % rid
            rationale += "x" * (BIG - len(rationale))
        impact = "Impact of %s: users of %s see failures." % (rid, svc)
        security = "Security considerations of %s: none expected." % rid
        sha = hashlib.sha256(rid.encode()).hexdigest()
        events += [
            {"time": t(day, 1), "event": "change.deployed", "actor": "deploy-bot",
             "data": {"change_id": chg, "service": svc, "environment": "production",
                      "team": "team-%d" % (i % 7), "ticket": "T-%d" % i, "commit": "c%d" % i,
                      "artifact": "a%d" % i}},
            {"time": t(day, 2), "event": "rollback.requested", "actor": req,
             "data": {"rollback_id": rid, "change_id": chg, "service": svc,
                      "environment": "production", "risk_tier": ["low", "high"][i % 2],
                      "emergency": i % 5 == 0, "ticket": "OPS-%d" % i,
                      "rationale": rationale, "impact": impact,
                      "security_considerations": security, "components": [svc],
                      "operation": {"kind": "helm-rollback", "target": chg}}},
        ]
        if i % 3:
            events.append({"time": t(day, 2, 30), "event": "rollback.approved",
                           "actor": ACTORS[(i + 2) % len(ACTORS)],
                           "data": {"rollback_id": rid, "role": "team-lead",
                                    "conditions": "Conditions of %s" % rid}})
        events += [
            {"time": t(day, 3), "event": "rollback.executed", "actor": exe,
             "data": {"rollback_id": rid, "result": "success", "from_version": "2",
                      "to_version": "1", "touches": ["secrets"] if i % 4 == 0 else []}},
            {"time": t(day, 4), "event": "rollback.verified", "actor": "ci-bot",
             "data": {"rollback_id": rid, "evidence": [
                 {"kind": "tests", "result": "pass", "ref": "ci://%d" % i, "sha256": sha}]}},
            {"time": t(day, 5), "event": "rollback.closed", "actor": req,
             "data": {"rollback_id": rid, "resolution": "Resolution of %s" % rid}},
        ]
        expect[rid] = {"rationale": rationale, "impact": impact, "security": security,
                       "sha256": sha, "service": svc}
    events.sort(key=lambda e: e["time"])
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(expect, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
