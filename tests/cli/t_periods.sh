# t_periods.sh - focus: periods as organisations count them (#22): --tz
# counts a period from local midnight to local midnight, so a rollback
# executed at 2026-03-31T22:30Z (00:30 on 1 April in Berlin, CEST = UTC+2)
# is March's in UTC and April's in Europe/Berlin, and the analysis says
# which zone it used; ISO weeks, fiscal years with --fiscal-start, the
# trend stepping back in the same calendar; the edges (9999-12, 9999-W52,
# 1970-W01) and hostile input (an unknown or escaping zone, week 54, H3,
# FY1969, month 13) refused with exit 64, changing nothing.  The ledger is
# sealed here from the events below: every expected count and boundary is
# worked out from them by hand.
. "$ROOT/tests/cli/lib.sh"

make_key ledger k --roles entry,checkpoint || fail "setup: keygen ledger" "$(_snip "$_LIB_DIR/keygen.err")"
"$RBAUDIT" keys add k/ledger.pub.json --keys trust.json >/dev/null ||
	fail "setup: keys add" "keys add failed"

# events (lib.sh): service profile, environment prod, team identity

# RB-2 in mid-March everywhere; CHG-2 and RB-1 late on 31 March in UTC, which
# is already 1 April in Berlin (after 29 March, CEST: UTC+2).
events ev.jsonl deploy=2026-03-10T09:00:00Z,CHG-1 \
	rb=2026-03-15T10:00:00Z,2026-03-15T11:00:00Z,RB-2,CHG-1 \
	deploy=2026-03-31T22:10:00Z,CHG-2 \
	rb=2026-03-31T22:20:00Z,2026-03-31T22:30:00Z,RB-1,CHG-2
seal_quiet ev.jsonl e1 || fail "setup: seal" "$(_snip "$_LIB_DIR/seal.err")"
expect_exit 0 "the sealed export is ingested" -- "$RBAUDIT" ingest --db a.db --keys trust.json e1

# --- UTC, as before ----------------------------------------------------------------
expect_exit 0 "March in UTC is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-03 --json
cp "$OUT" utc.json
expect_json "  in UTC March holds both rollbacks" utc.json 'd["rollbacks_executed"]' 2
expect_json "  and both deployments" utc.json 'd["deployments"]' 2
expect_json "  from UTC midnight to UTC midnight" utc.json '[d["start"], d["end"]]' \
	'["2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"]'
expect_json "  an analysis in UTC has no time_zone member" utc.json '"time_zone" in d' false
run "$RBAUDIT" analyze --db a.db --period 2026-03 --json --no-store
cp "$OUT" utc1.json
expect_exit 0 "--tz UTC is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-03 --json \
	--tz UTC --no-store
cp "$OUT" utc2.json
expect_same "  --tz UTC prints the same document as no --tz" utc1.json utc2.json

# --- Europe/Berlin --------------------------------------------------------------
expect_exit 0 "March in Berlin is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-03 \
	--tz Europe/Berlin --trend 2 --json
cp "$OUT" ber.json
expect_json "  in Berlin March holds only RB-2" ber.json \
	'[d["rollbacks_executed"], [r["rollback_id"] for r in d["rollbacks"]]]' '[1, ["RB-2"]]'
expect_json "  and one deployment" ber.json 'd["deployments"]' 1
expect_json "  from Berlin's midnight (CET, UTC+1) to Berlin's midnight (CEST, UTC+2)" ber.json \
	'[d["start"], d["end"]]' '["2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z"]'
expect_json "  the analysis names the zone" ber.json 'd["time_zone"]' Europe/Berlin
expect_json "  the period keeps its name" ber.json 'd["period"]' 2026-03
expect_json "  the trend steps back by Berlin's months" ber.json \
	'[t["period"] for t in d["trend"]]' '["2026-02", "2026-01"]'
expect_exit 0 "April in Berlin is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-04 \
	--tz Europe/Berlin --json --no-store
expect_json "  it holds RB-1, executed at 00:30 local on 1 April" "$OUT" \
	'[d["rollbacks_executed"], [r["rollback_id"] for r in d["rollbacks"]], d["deployments"]]' \
	'[1, ["RB-1"], 1]'
expect_exit 0 "the text summary of Berlin's March" -- "$RBAUDIT" analyze --db a.db \
	--period 2026-03 --tz Europe/Berlin --no-store
expect_grep -F "  says the boundaries are Berlin's midnights" "$OUT" \
	"period 2026-03 (2026-02-28T23:00:00Z .. 2026-03-31T22:00:00Z, local midnights in Europe/Berlin)"

# --- a report of Berlin's April: computed again in the zone it was analysed in ----------
expect_exit 0 "April in Berlin is stored" -- "$RBAUDIT" analyze --db a.db --period 2026-04 \
	--tz Europe/Berlin
expect_exit 0 "the report of Berlin's April renders" -- "$RBAUDIT" report --db a.db \
	--period 2026-04 --tz Europe/Berlin --template analysis-json --out rb
expect_json "  its analysis names the zone and holds RB-1" rb/analysis-2026-04.json \
	'[d["analysis"]["time_zone"], d["analysis"]["start"], [r["rollback_id"] for r in d["analysis"]["rollbacks"]]]' \
	'["Europe/Berlin", "2026-03-31T22:00:00Z", ["RB-1"]]'
expect_json "  its coverage runs between Berlin's midnights" rb/analysis-2026-04.json \
	'[d["attestation"]["coverage"]["period_start"], d["attestation"]["coverage"]["period_end"]]' \
	'["2026-03-31T22:00:00Z", "2026-04-30T22:00:00Z"]'
# Only Berlin's April is stored: a report of April in UTC is another span.
expect_exit 66 "a report of April in UTC does not take Berlin's April" -- "$RBAUDIT" report \
	--db a.db --period 2026-04 --template analysis-json --out rb-utc
expect_grep -F "  it says the stored one was counted in another time zone" "$ERR" \
	"was counted in another time zone or fiscal year"
expect_no_file "  and writes no folder" rb-utc

# --- weeks and fiscal years ---------------------------------------------------------
# 2026-W14 is Monday 30 March to Monday 6 April (1 January 2026 is a Thursday).
expect_exit 0 "ISO week 2026-W14 is analysed" -- "$RBAUDIT" analyze --db a.db --period 2026-W14 \
	--trend 1 --json --no-store
expect_json "  it holds RB-1 only" "$OUT" '[r["rollback_id"] for r in d["rollbacks"]]' '["RB-1"]'
expect_json "  from Monday to Monday" "$OUT" '[d["start"], d["end"], d["trend"][0]["period"]]' \
	'["2026-03-30T00:00:00Z", "2026-04-06T00:00:00Z", "2026-W13"]'
# With April first, FY2026 is 2025-04-01 .. 2026-04-01 and FY2027 the year after.
expect_exit 0 "FY2026 from April is analysed" -- "$RBAUDIT" analyze --db a.db --period FY2026 \
	--fiscal-start 4 --trend 1 --json --no-store
expect_json "  it holds both rollbacks, from April to April" "$OUT" \
	'[d["rollbacks_executed"], d["start"], d["end"], d["fiscal_year_start_month"], d["trend"][0]["period"]]' \
	'[2, "2025-04-01T00:00:00Z", "2026-04-01T00:00:00Z", 4, "FY2025"]'
expect_exit 0 "FY2027 from April in Berlin is analysed" -- "$RBAUDIT" analyze --db a.db \
	--period FY2027-Q1 --fiscal-start 4 --tz Europe/Berlin --json --no-store
expect_json "  its first quarter starts at Berlin's 1 April and holds RB-1" "$OUT" \
	'[d["start"], d["end"], [r["rollback_id"] for r in d["rollbacks"]]]' \
	'["2026-03-31T22:00:00Z", "2026-06-30T22:00:00Z", ["RB-1"]]'
expect_exit 0 "a calendar half with a fiscal year stays a calendar half" -- "$RBAUDIT" analyze \
	--db a.db --period 2026-H1 --fiscal-start 4 --json --no-store
expect_json "  January to July, no fiscal member" "$OUT" \
	'[d["start"], d["end"], "fiscal_year_start_month" in d, d["rollbacks_executed"]]' \
	'["2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z", false, 2]'

# --- the edges ----------------------------------------------------------------------
expect_exit 0 "9999-12 is analysed" -- "$RBAUDIT" analyze --db a.db --period 9999-12 --json \
	--no-store --trend 1
expect_json "  it ends at the first instant of year 10000" "$OUT" \
	'[d["period"], d["start"], d["end"], d["rollbacks_executed"], d["trend"][0]["period"]]' \
	'["9999-12", "9999-12-01T00:00:00Z", "10000-01-01T00:00:00Z", 0, "9999-11"]'
expect_exit 0 "9999-W52 is analysed" -- "$RBAUDIT" analyze --db a.db --period 9999-W52 --json \
	--no-store
expect_json "  Monday 27 December 9999 to Monday 3 January 10000" "$OUT" '[d["start"], d["end"]]' \
	'["9999-12-27T00:00:00Z", "10000-01-03T00:00:00Z"]'

# --- hostile input: exit 64, nothing changed ----------------------------------------
sqlite3 a.db .dump > before.sql
expect_exit 64 "an unknown zone is a usage error" -- "$RBAUDIT" analyze --db a.db \
	--period 2026-03 --tz Mars/Olympus
expect_grep -F "  naming it" "$ERR" "unknown time zone 'Mars/Olympus'"
expect_exit 64 "a zone escaping the tzdata is refused" -- "$RBAUDIT" analyze --db a.db \
	--period 2026-03 --tz ../../../etc/passwd
expect_grep -F "  saying why" "$ERR" "'../../../etc/passwd' is not a zone name"
expect_exit 64 "an absolute path is not a zone" -- "$RBAUDIT" analyze --db a.db \
	--period 2026-03 --tz /usr/share/zoneinfo/Europe/Berlin
expect_exit 64 "a tzdata file that is not a zone is refused" -- "$RBAUDIT" analyze --db a.db \
	--period 2026-03 --tz zone.tab
expect_exit 64 "week 54 is refused" -- "$RBAUDIT" analyze --db a.db --period 2026-W54
expect_grep -F "  ISO year 2026 has 53 weeks" "$ERR" "ISO year 2026 has 53 weeks"
expect_exit 64 "H3 is refused" -- "$RBAUDIT" analyze --db a.db --period 2026-H3
expect_exit 64 "FY1969 is refused" -- "$RBAUDIT" analyze --db a.db --period FY1969
expect_grep -F "  years run from 1970" "$ERR" "years run from 1970 to 9999"
expect_exit 64 "1970-W01, which starts in 1969, is refused" -- "$RBAUDIT" analyze --db a.db \
	--period 1970-W01
expect_grep -F "  saying where it starts" "$ERR" "starts at 1969-12-29T00:00:00Z"
expect_exit 64 "--fiscal-start 13 is refused" -- "$RBAUDIT" analyze --db a.db \
	--period FY2027 --fiscal-start 13
expect_exit 64 "report refuses an unknown zone too" -- "$RBAUDIT" report --db a.db \
	--period 2026-03 --tz Mars/Olympus --template analysis-json --out r
expect_no_file "  and writes no folder" r
sqlite3 a.db .dump > after.sql
expect_same "the refused commands changed nothing in the database" before.sql after.sql

# --- help ---------------------------------------------------------------------------
for c in analyze report; do
	expect_exit 0 "$c --help" -- "$RBAUDIT" $c --help
	expect_grep "  lists --tz" "$OUT" '^  --tz ZONE '
	expect_grep "  lists --fiscal-start" "$OUT" '^  --fiscal-start MONTH '
done

done_testing
