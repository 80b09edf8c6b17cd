#!/bin/sh
# notify-webhook.sh - a notify_command for rbaudit run: POST the run's
# summary (JSON, docs/REPORTS.md "The run's summary") to a webhook.
#
#   "notify_command": ["/usr/local/share/rbaudit/contrib/notify-webhook.sh",
#                      "https://hooks.example.org/rbaudit"]
#
# Needs curl (Debian package curl).  The summary goes as it came, on curl's
# standard input; a chat or ticket system that wants another shape needs a
# small adapter in between (python3 or jq).  --fail makes an HTTP error a
# non-zero exit, which rbaudit logs (the run's exit status stays its own).
# No shell is involved on rbaudit's side: the URL is one argv element.
set -eu
url=${1:?usage: notify-webhook.sh URL}
exec curl --silent --show-error --fail --max-time 30 \
	-H 'Content-Type: application/json' --data-binary @- "$url"
