# t_hostile_types.sh - focus: every member of every configuration and
# export file rbaudit reads, replaced by a value of each wrong type (null,
# true, a number, 1e400, -0, 2^63, a string, an array, an object, an array of
# 100,000 items).  Each file must be refused with its documented exit code
# and a message naming the member; a value of the right type that is out of
# range is refused too; nothing crashes and nothing is stored.
#
# The mutations are generated from a valid base file of each kind, so the
# list grows with the formats.  Values a member may legitimately hold (null
# for "valid_until", a number for a number) are not mutations.
. "$ROOT/tests/cli/lib.sh"

V="$VECTORS"

# A database with an analysis, for the template cases.
check "setup: vectors ingested" "$RBAUDIT" ingest --db v.db --keys "$V/keys.json" \
	"$V/export-2026-07" "$V/export-2026-08" "$V/export-2026-09"
check "setup: analysis stored" "$RBAUDIT" analyze --db v.db --period 2026-08

cat > policy.json <<'EOF'
{"approvals_required": {"low": 0, "medium": 1, "high": 1, "critical": 2},
 "review_window_hours": 48, "verify_window_hours": 24, "max_revert_days": 14,
 "security_scan_required": ["high", "critical"],
 "security_sensitive_touches": ["authz-config", "secrets"],
 "weights": {"secrets": 30, "advisory": 20, "gate-bypass": 25, "emergency": 10},
 "environment_factor": {"production": 1.0, "staging": 0.5},
 "levels": {"medium": 25, "high": 50, "critical": 75}}
EOF
check "setup: the base policy is valid" "$RBAUDIT" analyze --db v.db --period 2026-08 \
	--policy policy.json --no-store
cp "$ROOT/templates/governance-monthly.json" template.json
check "setup: the base template is valid" "$RBAUDIT" report --db v.db --period 2026-08 \
	--template ./template.json --out rep0
cat > job.json <<EOF
{"database": "j.db", "trust_store": "$V/keys.json", "inbox": "inbox",
 "archive": "archive", "quarantine": "quarantine", "output": "out/{period}",
 "templates": ["analysis-json"], "retention": 24, "alert_level": "high",
 "alert_findings": ["approvals-missing"], "trend": 6, "sample": 5, "sample_seed": 0,
 "busy_timeout": 10, "log_format": "json"}
EOF
mkdir inbox
check "setup: the base job file is valid" "$RBAUDIT" run --config job.json --dry-run --period 2026-08

# Generate the mutations: one file per (member, wrong value), listed in
# cases.txt as "KIND FILE MEMBER".
"$PY" - "$V/keys.json" "$V/export-2026-08/manifest.json" <<'EOP'
import copy, json, sys

keys = json.load(open(sys.argv[1]))
manifest = json.load(open(sys.argv[2]))
bases = {
    "policy": json.load(open("policy.json")),
    "template": json.load(open("template.json")),
    "job": json.load(open("job.json")),
    "keys": keys,
    "manifest": manifest,
}
RAW = {"1e400": "1e400", "-0": "-0", "2^63": "9223372036854775808"}
VALUES = [("null", None), ("true", True), ("num", 7), ("1e400", RAW["1e400"]),
          ("-0", RAW["-0"]), ("2^63", RAW["2^63"]), ("str", "x"), ("arr", []),
          ("obj", {}), ("bigarr", list(range(100000)))]
NULLABLE = {"valid_until", "revoked_at", "previous_checkpoint", "about", "title",
            "subtitle", "report_key", "policy", "archive", "quarantine", "inbox"}

def kind_of(v):
    if v is None: return "null"
    if isinstance(v, bool): return "bool"
    if isinstance(v, (int, float)): return "num"
    if isinstance(v, str): return "str"
    if isinstance(v, list): return "arr"
    return "obj"

def vkind(name, v):
    if name in ("1e400", "-0", "2^63"): return "num"
    if name == "bigarr": return "arr"
    return kind_of(v)

def paths(doc, prefix=()):
    """Members to mutate: top-level ones and one level inside objects and
    the first element of arrays of objects."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield prefix + (k,), k, v
            if len(prefix) < 2:
                if isinstance(v, dict):
                    yield from paths(v, prefix + (k,))
                elif isinstance(v, list) and v and isinstance(v[0], dict):
                    yield from paths(v[0], prefix + (k, 0))

def put(doc, path, value):
    d = doc
    for p in path[:-1]:
        d = d[p]
    d[path[-1]] = value

n = 0
with open("cases.txt", "w") as out:
    for kind, base in bases.items():
        for path, name, orig in list(paths(base)):
            for vname, v in VALUES:
                vk = vkind(vname, v)
                if vk == kind_of(orig) and vname not in ("1e400", "2^63", "bigarr"):
                    continue        # the right type: not a mutation
                if vname == "null" and name in NULLABLE:
                    continue
                if vk == kind_of(orig) and vname != "bigarr" and kind_of(orig) != "num":
                    continue
                doc = copy.deepcopy(base)
                marker = "@@%d@@" % n
                put(doc, path, marker if vname in RAW else v)
                text = json.dumps(doc, ensure_ascii=False)
                if vname in RAW:
                    text = text.replace('"%s"' % marker, RAW[vname])
                fn = "m%05d.json" % n
                open(fn, "w").write(text)
                out.write("%s %s %s %s\n" % (kind, fn, name, vname))
                n += 1
print(n, file=sys.stderr)
EOP

count=0
crashes=0
bad_code=""
unnamed=""
while read -r kind file member value; do
	count=$((count + 1))
	case $kind in
	policy) want=78; run "$RBAUDIT" analyze --db v.db --period 2026-08 --policy "$file" --no-store ;;
	template) want=78; run "$RBAUDIT" report --db v.db --period 2026-08 --template "./$file" --out "rep-$file" ;;
	job) want=78; run "$RBAUDIT" run --config "$file" --dry-run --period 2026-08 ;;
	keys) want=65; run "$RBAUDIT" verify --keys "$file" "$V/export-2026-08" ;;
	manifest)
		want=1
		rm -rf x && mkdir x && cp "$V/export-2026-08/"* x/ && cp "$file" x/manifest.json
		run "$RBAUDIT" verify --keys "$V/keys.json" x
		;;
	esac
	if [ "$RC" -ge 128 ]; then
		crashes=$((crashes + 1))
		fail "$kind member $member = $value" "crashed (exit $RC): $(_snip "$ERR")"
		continue
	fi
	if [ "$RC" != "$want" ]; then
		bad_code="$bad_code $kind:$member=$value:$RC"
		continue
	fi
	if ! grep -qF "$member" "$ERR" "$OUT"; then
		unnamed="$unnamed $kind:$member=$value"
	fi
done < cases.txt

expect_eq "no mutation crashed ($count files)" 0 "$crashes"
expect_eq "every mutation exits with its kind's code (policy, template, job 78; trust store 65; manifest 1)" "" "$bad_code"
expect_eq "every refusal names the member" "" "$unnamed"
expect_eq "no rollback stored by any of it" "$(sqlite3 v.db 'SELECT count(*) FROM analysis')" 1
[ "$count" -gt 300 ] && pass "more than 300 mutations ($count)" || fail "more than 300 mutations" "only $count"

done_testing
