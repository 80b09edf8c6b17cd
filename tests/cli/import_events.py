#!/usr/bin/env python3
"""import_events.py EVENTS.jsonl - the events of an import, one line each, in
a form a test can state by hand: time, event, actor, then the members that
say what the event is about (rollback, change, result or resolution,
incident, rationale, ticket, the approval's conditions or the rejection's
reason).  Test code: it reads the file, it does not import anything."""
import json
import sys

KEYS = ("rollback_id", "change_id", "result", "resolution", "incident_id", "ticket",
        "rationale", "conditions", "reason", "status", "automated")

for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    d = e["data"]
    parts = [e["time"], e["event"], e["actor"]]
    parts += ["%s=%s" % (k, d[k]) for k in KEYS if k in d]
    print(" ".join(str(p) for p in parts))
