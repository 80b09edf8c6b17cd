# t_html.sh - focus: the HTML report (#22 point 9) as a browser shows it.
# Three months of rollbacks are sealed from events written below (one with a
# hostile requester and rationale, one with a hostile service name), so the
# figures the page must show are worked out by hand from the events.  The
# page is read with python3's HTML parser (no script, nothing it could
# fetch, every link an anchor of the page, the hostile texts as text), then
# rendered by headless Chromium to a phone-sized and a desktop PNG and to
# PDF, and its DOM dumped; the page's text must hold the period, the key
# figures and a rollback id, and Chromium must log no console message
# (--enable-logging=stderr --log-level=0 logs each console message, CSP
# violations included, as an INFO:CONSOLE line; a control page that breaks
# the CSP shows that they are).  The report folder's signed MANIFEST lists the page.
. "$ROOT/tests/cli/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser)
[ -n "$CHROMIUM" ] || fail "chromium is installed (Debian package chromium; make check installs it)" \
	"no chromium in PATH"

make_key ledger k --roles entry,checkpoint || fail "setup: keygen ledger" "$(_snip "$_LIB_DIR/keygen.err")"
make_key reports rk --roles report || fail "setup: keygen reports" "$(_snip "$_LIB_DIR/keygen.err")"
"$RBAUDIT" keys add k/ledger.pub.json rk/reports.pub.json --keys trust.json >/dev/null ||
	fail "setup: keys add" "keys add failed"

HOSTILE_ACTOR='mallory"><img src=x onerror=alert(1)>@acme.example'
HOSTILE_TEXT="<script>alert(\"rb\")</script> & 'quoted' \"><img src=x onerror=alert(2)>"
HOSTILE_SERVICE='<b>svc</b>&co'
export HOSTILE_ACTOR HOSTILE_TEXT HOSTILE_SERVICE

# Each rollback: its change deployed 08:00, requested 10:00 by alice, approved
# 10:10 by bob, executed 11:00 by eve, verified (tests pass) 12:00, closed
# 13:00; low tier, production, not emergency, unless it says so.  A last
# deployment on 20 December closes every window.
"$PY" - events.jsonl <<'EOP'
import json, os, sys
out = open(sys.argv[1], "w")
def w(t, ev, actor, data):
    out.write(json.dumps({"time": t, "event": ev, "actor": actor, "data": data}) + "\n")
def rb(rid, day, approvers=("bob@acme.example",), verified=True, failed=0, executed=True,
       reintroduces=(), rejected=False, requester="alice@acme.example", rationale="bad release",
       service="profile", impact="logins fail"):
    d = day + "T"
    chg = "CHG-" + rid[3:]
    w(d + "08:00:00Z", "change.deployed", "deploy-bot@acme.example", {"change_id": chg,
      "service": service, "environment": "production", "team": "identity", "ticket": "OPS-1"})
    w(d + "10:00:00Z", "rollback.requested", requester, {"rollback_id": rid, "change_id": chg,
      "service": service, "environment": "production", "risk_tier": "low", "emergency": False,
      "ticket": "OPS-" + rid[3:], "rationale": rationale, "impact": impact,
      "security_considerations": "none"})
    for a in approvers:
        w(d + "10:10:00Z", "rollback.approved", a, {"rollback_id": rid, "role": "owner"})
    if rejected:
        w(d + "10:15:00Z", "rollback.rejected", "carol@acme.example", {"rollback_id": rid,
          "reason": "no"})
    for i in range(failed):
        w(d + "10:%02d:00Z" % (20 + 20 * i), "rollback.executed", "eve@acme.example",
          {"rollback_id": rid, "result": "failure", "from_version": "v2", "to_version": "v1",
           "touches": []})
    if not executed:
        return
    w(d + "11:00:00Z", "rollback.executed", "eve@acme.example", {"rollback_id": rid,
      "result": "success", "from_version": "v2", "to_version": "v1", "touches": [],
      "reintroduces": list(reintroduces)})
    if verified:
        w(d + "12:00:00Z", "rollback.verified", "qa@acme.example", {"rollback_id": rid,
          "evidence": [{"kind": "tests", "result": "pass", "ref": "ci/1", "sha256": "00" * 32}]})
    w(d + "13:00:00Z", "rollback.closed", requester, {"rollback_id": rid, "resolution": "done"})
rb("RB-0901", "2026-09-03")
rb("RB-0902", "2026-09-10", approvers=())
rb("RB-1001", "2026-10-02")
rb("RB-1002", "2026-10-08", verified=False)
# November: 5 deployments, 4 rollbacks executed (RB-1104 only failed), 3 failed
# attempts, findings on RB-1101 (security-regression), RB-1102 (rejected-executed)
# and RB-1103 (approvals-missing, unverified); RB-1103 alone lacks evidence.
rb("RB-1101", "2026-11-04", reintroduces=("CVE-2026-0001",),
   requester=os.environ["HOSTILE_ACTOR"], rationale=os.environ["HOSTILE_TEXT"],
   impact="logins fail \u202e reversed")
rb("RB-1102", "2026-11-09", rejected=True, service=os.environ["HOSTILE_SERVICE"])
rb("RB-1103", "2026-11-12", approvers=(), verified=False)
rb("RB-1104", "2026-11-18", failed=1, executed=False)
rb("RB-1105", "2026-11-24", failed=2)
w("2026-12-20T08:00:00Z", "change.deployed", "deploy-bot@acme.example", {"change_id": "CHG-END",
  "service": "profile", "environment": "production", "team": "identity", "ticket": "OPS-1"})
EOP
seal_quiet events.jsonl ex || fail "setup: seal" "$(_snip "$_LIB_DIR/seal.err")"
"$RBAUDIT" ingest --db a.db --keys trust.json ex >/dev/null 2>&1 || fail "setup: ingest" "ingest failed"
"$RBAUDIT" analyze --db a.db --period 2026-11 --trend 2 >/dev/null 2>&1 || fail "setup: analyze" "analyze failed"

# Every section an HTML template may hold, for the parts governance-html leaves out.
cat > all-html.json <<'EOF'
{"template": "all-html", "format": "html", "title": "Every section", "file": "all-{period}.html",
 "sections": [{"type": "cover"}, {"type": "key-figures"}, {"type": "findings"},
  {"type": "rollback-details", "limit": 1}, {"type": "controls"}, {"type": "attestation"},
  {"type": "anomalies"}, {"type": "data-completeness"}, {"type": "trend-table"}]}
EOF
expect_exit 0 "governance-html and a template of every section render, signed" -- \
	"$RBAUDIT" report --db a.db --period 2026-11 --template governance-html \
	--template all-html.json --out r --sign rk/reports.pem
G=r/governance-2026-11.html
A=r/all-2026-11.html
expect_mode "the page is written 0640" "$G" 640
expect_grep -F "the MANIFEST lists the page" r/MANIFEST "governance-2026-11.html"
expect_exit 0 "verify-report checks it with the rest of the folder" -- \
	"$RBAUDIT" verify-report r --keys trust.json
cp "$G" g.bak
printf ' ' >> "$G"
expect_exit 1 "a page changed after signing is caught" -- "$RBAUDIT" verify-report r --keys trust.json
cp g.bak "$G"

# --- the page read by an HTML parser ---------------------------------------------
cat > page.py <<'EOP'
import html.parser, os, re, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text, self.ids, self.hrefs, self.stack = [], [], [], set(), [], []
        self.tables_unwrapped = 0
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, attrs))
        for k, v in attrs:
            if k == "id":
                self.ids.add(v)
            if k == "href":
                self.hrefs.append(v)
        if tag == "table" and not any(t == "div.scroll" for t in self.stack):
            self.tables_unwrapped += 1
        cls = dict(attrs).get("class", "")
        if tag not in ("meta", "br"):
            self.stack.append(tag + ("." + cls if cls else ""))
    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop().split(".")[0] == tag:
                break
    def handle_data(self, d):
        self.text.append(d)
raw = open(sys.argv[1], encoding="utf-8").read()
p = P()
p.feed(raw)
text = " ".join(p.text)
why = []
bad_tags = {"script", "img", "iframe", "object", "embed", "link", "base", "form", "input",
            "video", "audio", "source", "frame", "image", "use", "foreignobject"}
if bad_tags & set(p.tags):
    why.append("tags %s" % sorted(bad_tags & set(p.tags)))
for tag, attrs in p.attrs:
    for k, v in attrs:
        if k.startswith("on") or k in ("src", "srcset", "xlink:href", "background", "action"):
            why.append("attribute %s on %s" % (k, tag))
        if k == "style" and re.search(r"url\(|@import|expression", v or "", re.I):
            why.append("style fetches: %s" % v)
for h in p.hrefs:
    if not h.startswith("#") or h[1:] not in p.ids:
        why.append("href %r is not an anchor of the page" % h)
if re.search(r"https?:|//[a-z]", raw, re.I):
    why.append("the file names a URL: %s" % re.search(r".{0,30}(https?:|//[a-z]).{0,30}", raw, re.I).group(0))
if re.search(r"url\(|@import", raw, re.I):
    why.append("the CSS fetches something")
metas = [dict(a) for t, a in p.attrs if t == "meta"]
csp = [m.get("content") for m in metas if (m.get("http-equiv") or "").lower() == "content-security-policy"]
if csp != ["default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"]:
    why.append("CSP meta %r" % csp)
if not any(m.get("name") == "viewport" and "width=device-width" in m.get("content", "") for m in metas):
    why.append("no viewport meta")
if p.tables_unwrapped:
    why.append("%d tables not in a horizontally scrolling block" % p.tables_unwrapped)
if not raw.startswith("<!DOCTYPE html>"):
    why.append("no doctype")
for k in sys.argv[2:]:
    if os.environ[k] not in text:
        why.append("the text %s is not shown as written" % k)
if why:
    print("WHY: " + "; ".join(why))
    sys.exit(1)
EOP
check "the governance page has no script, loads nothing, links only to its own anchors, has a CSP and a viewport" \
	"$PY" page.py "$G" HOSTILE_TEXT HOSTILE_SERVICE
check "so has the page of every section, which shows the hostile actor, rationale and service as text" \
	"$PY" page.py "$A" HOSTILE_ACTOR HOSTILE_TEXT HOSTILE_SERVICE
expect_no_grep "no ledger text became markup (< > \" ' escaped)" "$A" '<img|<script|<b>svc|mallory"'
expect_grep -F "  the rationale is escaped as entities" "$A" '&lt;script&gt;alert(&quot;rb&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;'
expect_grep -F "  the service name too, in the chart's label" "$G" '&lt;b&gt;svc&lt;/b&gt;&amp;co</text>'
expect_grep "the page of every section gives each detailed rollback an anchor" "$A" 'id="rb-RB-1101"'
# Flagged in November: RB-1101, RB-1102, RB-1103; the section's limit is 1.
expect_no_grep "  the details show the first flagged rollback only (limit 1)" "$A" 'id="rb-RB-110[23]"'
expect_grep -F "  and say how many more are left out" "$A" \
	'2 more flagged rollbacks are left out of this section (its limit is 1)'
expect_grep -F "a bidirectional override in the impact is shown as its code point" "$A" \
	'logins fail [U+202E] reversed'
check "  and never written as the character itself" sh -c "! grep -q \"\$(printf '\342\200\256')\" '$A'"
expect_exit 0 "the same data give the same page" -- "$RBAUDIT" report --db a.db --period 2026-11 \
	--template governance-html --out r2
expect_same "  byte for byte" "$G" r2/governance-2026-11.html
printf '{"template":"h","format":"html","file":"h-{period}.pdf","sections":[{"type":"cover"}]}' > badext.json
expect_exit 78 "an HTML template whose file does not end .html exits 78" -- "$RBAUDIT" report \
	--db a.db --period 2026-11 --template badext.json --out bad
expect_grep "  naming the member" "$ERR" 'member "file" must be a file name ending in the format.s extension'
expect_no_file "  and writes nothing" bad

# --- headless Chromium -------------------------------------------------------------
# chrome OUT LOG ARGS...: one run, stdout to OUT, its log (stderr) to LOG.
chrome() {
	_c_out=$1 _c_log=$2
	shift 2
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--no-default-browser-check --disable-extensions --disable-background-networking \
		--disable-component-update --disable-sync --disable-dev-shm-usage \
		--user-data-dir="$PWD/chrome-profile" --enable-logging=stderr --log-level=0 --v=0 "$@" \
		>"$_c_out" 2>"$_c_log" </dev/null
}
# The console messages and CSP refusals Chromium logged.
console_lines() { grep -E ':CONSOLE[(:]|Refused to|Content Security Policy' "$1"; }
no_console() {
	if console_lines "$1" >/dev/null; then
		why "$(console_lines "$1" | head -n 2 | _oneline)"
		return 1
	fi
}

# A control page under the same CSP that runs an inline script and loads an
# image: Chromium must refuse both and say so, or the checks below prove nothing.
{
	printf '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
	printf "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
	printf '</head><body><p>control</p><script>document.title="ran"</script>'
	printf '<img src="http://127.0.0.1:9/x.png"></body></html>\n'
} > control.html
chrome control.dom control.log --dump-dom "file://$PWD/control.html"
check "Chromium logs the control page's CSP refusals (the console check works)" \
	sh -c 'grep -q ":CONSOLE.*Executing inline script violates the following Content Security Policy" control.log &&
		grep -q ":CONSOLE.*Loading the image .http://127.0.0.1:9/x.png. violates" control.log &&
		grep -q "<p>control</p>" control.dom && ! grep -q "<title>ran" control.dom'

chrome g.dom g.log --dump-dom "file://$PWD/$G"
check "Chromium renders the governance page with no console message" no_console g.log
"$PY" -c '
import html, re, sys
t = html.unescape(re.sub(r"<[^>]+>", " ", open(sys.argv[1], encoding="utf-8").read()))
print(re.sub(r"\s+", " ", t))' g.dom > g.txt
expect_grep "  its DOM names the period" g.txt 'Period 2026-11 From 2026-11-01T00:00:00Z'
# 4 executed of 5 deployed: 80.0%; detected = requested, 2 h after the deploy,
# executed 1 h later; 3 of 4 complete; 3 with findings; 3 failed attempts.
expect_grep "  the key figures: 4 rollbacks, 5 deployments, rate 80.0%" g.txt \
	'4 rollbacks executed 5 deployments 80\.0% rollback rate'
expect_grep "  MTTD 2.0 h, MTTR 1.0 h" g.txt '2\.0 h mean time to detect \(MTTD\) 1\.0 h mean time to restore \(MTTR\)'
expect_grep "  75.0% complete, 3 with findings, 0 high, 3 failed attempts" g.txt \
	'75\.0% complete evidence packages 3 rollbacks with findings 0 high or critical security impact 3 failed execution attempts'
expect_grep "  the highest impact is RB-1101, score 40 (advisory 40), with its rationale as text" g.txt \
	"RB-1101 profile / production 40 medium advisory 40; x 1\.00 \(environment\) Rationale: <script>alert\(\"rb\"\)"
expect_grep "  the trend table has September, October and November" g.txt \
	'2026-11 4 5 80\.0% .* 2026-10 2 2 100\.0% .* 2026-09 2 2 100\.0%'
expect_no_grep "  and the DOM Chromium built holds no image" g.dom '<img'

chrome all.dom all.log --dump-dom "file://$PWD/$A"
check "the page of every section renders with no console message" no_console all.log
expect_no_grep "  its DOM has no image or script element from the hostile texts" all.dom '<img|<script'

chrome /dev/null phone.log --screenshot="$PWD/phone.png" --window-size=390,1200 \
	--hide-scrollbars "file://$PWD/$G"
chrome /dev/null desk.log --screenshot="$PWD/desk.png" --window-size=1280,2000 \
	--hide-scrollbars "file://$PWD/$G"
png_size() { "$PY" -c '
import struct, sys
b = open(sys.argv[1], "rb").read(24)
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
print("%dx%d" % struct.unpack(">II", b[16:24]))' "$1"; }
expect_eq "a phone-sized screenshot (390 x 1200)" "390x1200" "$(png_size phone.png 2>&1)"
expect_eq "a desktop screenshot (1280 x 2000)" "1280x2000" "$(png_size desk.png 2>&1)"
check "  neither run logged a console message" sh -c '! grep -qE ":CONSOLE[(:]|Refused to|Content Security Policy" phone.log desk.log'

chrome /dev/null pdf.log --print-to-pdf="$PWD/g.pdf" --no-pdf-header-footer "file://$PWD/$G"
pdftotext g.pdf - 2>/dev/null | tr '\n' ' ' | sed 's/  */ /g' > gpdf.txt
expect_grep "the printed PDF holds the period" gpdf.txt '2026-11-01T00:00:00Z'
expect_grep "  the rollback count and rate" gpdf.txt '80\.0%'
expect_grep "  and the rollback RB-1101" gpdf.txt 'RB-1101'
check "  printing logged no console message" no_console pdf.log
done_testing
