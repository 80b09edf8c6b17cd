#!/bin/sh
# notify-mail.sh - a notify_command for rbaudit run: mail the run's summary.
#
#   "notify_command": ["/usr/local/share/rbaudit/contrib/notify-mail.sh",
#                      "audit-team@example.org", "rbaudit@example.org"]
#
# Reads the summary (JSON, docs/REPORTS.md "The run's summary") on standard
# input and hands a plain-text mail to `sendmail -t` (any MTA that provides
# /usr/sbin/sendmail: Debian's msmtp-mta, exim4-daemon-light or postfix).
# The mail is built by python3 (Debian package python3, no other module):
# a subject with the period and status, then every alerting rollback with
# its level and findings, every rejected export with its folder and error,
# stale and late data, and the summary itself at the end.  Header values
# are taken only from the arguments and from the summary's fixed members,
# with line breaks removed, so the summary's data cannot add a header.
# SENDMAIL names another program (for a test); its exit status is ours.
set -eu
to=${1:?usage: notify-mail.sh TO [FROM]}
from=${2:-rbaudit}
exec python3 -c '
import email.message, email.policy, json, subprocess, sys

def clean(v):
    return " ".join(str(v).split())

s = json.load(sys.stdin)
to, sender, sendmail = sys.argv[1], sys.argv[2], sys.argv[3]
m = email.message.EmailMessage(policy=email.policy.default.clone(max_line_length=998))
m["To"] = clean(to)
m["From"] = clean(sender)
m["Subject"] = clean("rbaudit %s: %s, %d alerting rollbacks, %d rejected exports" % (
    s.get("period"), s.get("status"), s.get("alerts", 0), len(s.get("rejected_exports", []))))
lines = ["rbaudit run of %s: %s (exit %s)" % (s.get("period"), s.get("status"), s.get("exit_code"))]
if s.get("error"):
    lines.append("error: %s" % s["error"])
lines.append("")
for r in s.get("alerting", []):
    lines.append("rollback %s%s: level %s, findings %s (alerts for %s)" % (
        r.get("rollback_id"), " in " + r["ledger"] if r.get("ledger") else "", r.get("level"),
        ", ".join(r.get("findings", [])) or "none", ", ".join(r.get("alerts_for", []))))
if s.get("alerting_omitted"):
    lines.append("... and %d more alerting rollbacks" % s["alerting_omitted"])
for x in s.get("rejected_exports", []):
    lines.append("rejected export %s: %s %s%s" % (x.get("path"), x.get("code"), x.get("reason"),
        "; now in " + x["quarantined_path"] if x.get("quarantined_path") else ""))
for l in s.get("ledgers", []):
    if l.get("stale"):
        lines.append("stale data in %s: the newest entry is %s" % (l.get("ledger"), l.get("newest")))
    for p in l.get("late", []):
        lines.append("late data in %s of %s" % (p.get("period"), l.get("ledger")))
if s.get("trust", {}).get("alert"):
    lines.append("trust: %d stored entries do not verify under the trust store" %
                 s["trust"].get("failures", 0))
lines += ["", "The summary:", json.dumps(s, indent=1, ensure_ascii=False)]
m.set_content("\n".join(lines) + "\n")
sys.exit(subprocess.run([sendmail, "-t", "-oi"], input=m.as_bytes()).returncode)
' "$to" "$from" "${SENDMAIL:-/usr/sbin/sendmail}"
