#!/bin/sh
# t_layout.sh - the packs of an organisation with real sizes and scripts
# (issue #19): 150 services, 200-character names, CJK, emoji and Arabic
# names, a 200,000-character rationale and a sample of 25.  Every page
# renders; pdftotext -bbox finds no word outside the side margins and no two
# words overprinting; every sampled rollback is there, marked, with its
# rationale, impact and security considerations; every name is readable.
. "$ROOT/tests/cli/lib.sh"

"$PY" "$ROOT/tests/cli/layout_org.py" ev.jsonl expect.json
"$RBAUDIT" keygen --name led --out k --valid-from 2026-01-01T00:00:00Z >/dev/null 2>&1
"$RBAUDIT" keys add k/led.pub.json --keys keys.json >/dev/null
"$RBAUDIT" seal --key k/led.pem --ledger layout.example/l --events ev.jsonl --out x >/dev/null
"$RBAUDIT" ingest --db l.db --keys keys.json x >/dev/null
"$RBAUDIT" analyze --db l.db --period 2026-08 --sample 25 --sample-seed 7 >/dev/null
expect_exit 0 "the packs, workbook and JSON of the organisation render" -- \
	"$RBAUDIT" report --db l.db --period 2026-08 --template auditor-pack \
	--template governance-monthly --template engineering-metrics --template analysis-json \
	--out r

for pdf in r/auditor-pack-2026-08.pdf r/governance-2026-08.pdf; do
	name=$(basename "$pdf" .pdf)
	pages=$(pdfinfo "$pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
	mkdir -p "png-$name"
	pdftoppm -r 30 -png "$pdf" "png-$name/p" 2>/dev/null
	expect_eq "$name: every page renders to PNG" "$pages" "$(ls "png-$name" | wc -l | tr -d ' ')"
	pdftotext -bbox "$pdf" "$name.html" 2>/dev/null
	check "$name: no word crosses the margins or overprints another" \
		"$PY" "$ROOT/tests/cli/layout_check.py" "$pdf" "$name.html"
	pdftotext "$pdf" "$name.txt" 2>/dev/null
	pdftotext -layout "$pdf" "$name-layout.txt" 2>/dev/null
	check "$name: never U+FFFD" sh -c "! grep -q \"\$(printf '\\357\\277\\275')\" $name.txt"
done

aud=auditor-pack-2026-08.txt
check "every sampled rollback is in the auditor pack, marked, with its whole record" \
	"$PY" "$ROOT/tests/cli/layout_content.py" sampled expect.json r/analysis-2026-08.json \
	auditor-pack-2026-08-layout.txt
check "the 200,000-character rationale is cut at 4,000 with how much more and where" \
	"$PY" "$ROOT/tests/cli/layout_content.py" cut expect.json r/analysis-2026-08.json \
	auditor-pack-2026-08-layout.txt
expect_grep -F "a CJK name is readable" $aud "李伟@example.cn"
expect_grep -F "a CJK service with a space is readable" $aud "搜索 服务"
check "  in an embedded TrueType fallback font" sh -c \
	'pdffonts r/auditor-pack-2026-08.pdf 2>/dev/null | grep -q "WenQuanYiZenHei.*TrueType.*yes"'
expect_grep -F "an emoji no font has is its code point" $aud "zoë[U+1F600]@example"
# محمد shaped as Unicode's presentation forms (meem initial, hah medial, meem
# medial, dal final), set right to left; pdftotext reads it back in logical order.
expect_grep -F "Arabic is shaped and set right to left" $aud "$(printf '\357\273\243\357\272\244\357\273\244\357\272\252')"
expect_grep -F "a right-to-left override is shown as its code point, not obeyed" $aud \
	"invoice[U+202E]fdp.exe@example"
expect_grep -F "the service chart says how many services it leaves out" \
	governance-2026-08.txt "130 more services"
expect_grep -F "the highest-impact rollbacks carry their rationale" \
	governance-2026-08.txt "Rationale: Rationale of RB-"

mkdir xl && (cd xl && unzip -q ../r/engineering-metrics-2026-08.xlsx)
check "the workbook's Records sheet holds every rollback's rationale and whole SHA-256" \
	"$PY" "$ROOT/tests/cli/layout_content.py" records expect.json r/analysis-2026-08.json \
	xl/xl/worksheets/sheet8.xml
expect_json "the JSON report holds the 200,000-character rationale whole" \
	r/analysis-2026-08.json \
	"len([e for t in d['attestation']['trails'].values() for e in t if e['event'] == 'rollback.requested' and e['data']['rollback_id'] == 'RB-0009'][0]['data']['rationale'])" \
	200000
done_testing
