# t_faults.sh - focus: faults of the machine rather than of the input.  The
# disk fills during ingest (an injected write failure: RLIMIT_FSIZE makes
# every write past a size fail with EFBIG, as a full disk fails with
# ENOSPC; and a real 1 MiB tmpfs when this machine lets us mount one), the
# database is read-only or locked, the report folder is not writable, the
# disk fills while a report is written.  Each gets a clear error and its
# documented exit code; the database stays as it was; nothing is left
# half-written under a report's final name.
#
# Permissions do not stop root, so when the suite runs as root the
# permission cases run as the unprivileged user nobody (setpriv), on
# copies of what they need in a directory nobody may enter.
. "$ROOT/tests/cli/lib.sh"

V="$VECTORS"
dump() { sqlite3 "$1" .dump | sha256sum | cut -c1-64; }
# What an ingest stores, without the run's times and host.
content() {
	sqlite3 "$1" "SELECT ledger_id, seq, hex(leaf), counted, hex(payload) FROM entry ORDER BY 1, 2;
		SELECT origin, size, hex(root), hex(last_leaf) FROM ledger;
		SELECT ledger_id, seq, kind, member, detail FROM anomaly ORDER BY 1, 2, 3, 4;
		SELECT first_seq, last_seq, entries_sha256 FROM ingest_export ORDER BY 1" |
		sha256sum | cut -c1-64
}

# Run a command with a file size limit (bytes); SIGXFSZ ignored, so writes
# past the limit fail with EFBIG instead of killing the process.
fsize() { # LIMIT CMD...
	_lim=$1
	shift
	"$PY" -c 'import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
os.execvp(sys.argv[2], sys.argv[2:])' "$_lim" "$@"
}

check "a database with the first export" "$RBAUDIT" ingest --db base.db --keys "$V/keys.json" "$V/export-2026-07"
before=$(dump base.db)
cp base.db full.db
check "the full ingest works without a limit" "$RBAUDIT" ingest --db full.db --keys "$V/keys.json" "$V/export-2026-08"
after=$(content full.db)
size=$(stat -c %s base.db)

# --- the disk fills during ingest ------------------------------------------

# The write-ahead log of this export holds at least the pages it adds to the
# database: writes failing at any point below that stop the ingest before it
# commits.  Three points: early, a third and two thirds of the way.
growth=$(($(stat -c %s full.db) - size))
for limit in 16384 $((growth / 3)) $((growth * 2 / 3)); do
	rm -f f.db f.db-wal f.db-shm
	cp base.db f.db
	expect_exit 74 "ingest with writes failing past $limit bytes: exit 74 (I/O error)" -- \
		fsize $limit "$RBAUDIT" ingest --db f.db --keys "$V/keys.json" "$V/export-2026-08"
	expect_grep "  and the message names the database and the reason" "$ERR" 'f\.db.*(File too large|No space left|disk I/O error|full)'
	expect_eq "  the database is as it was" "$before" "$(dump f.db)"
	expect_eq "  integrity_check ok" ok "$(sqlite3 f.db 'PRAGMA integrity_check')"
	check "  and the same ingest without the limit then succeeds" \
		"$RBAUDIT" ingest --db f.db --keys "$V/keys.json" "$V/export-2026-08"
	expect_eq "  to the same content as an undisturbed ingest" "$after" "$(content f.db)"
done
# Room for the log but not for copying it into the database afterwards (the
# checkpoint): the export is committed (in the log), and the next opening
# finishes the copy.
rm -f f.db f.db-wal f.db-shm
cp base.db f.db
expect_exit 0 "writes failing only after the commit (the checkpoint): exit 0, the export is stored" -- \
	fsize $(($(stat -c %s base.db) + 4096)) "$RBAUDIT" ingest --db f.db --keys "$V/keys.json" "$V/export-2026-08"
expect_eq "  integrity_check ok" ok "$(sqlite3 f.db 'PRAGMA integrity_check')"
expect_eq "  the content is that of an undisturbed ingest" "$after" "$(content f.db)"

# A real small filesystem, when mounting is allowed here (root, no seccomp).
mkdir mnt
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m,mode=0755 rbaudit-test mnt 2>/dev/null; then
	cp base.db mnt/t.db
	# Fill the rest of it.
	dd if=/dev/zero of=mnt/filler bs=4096 count=1000 2>/dev/null
	sync
	expect_exit 74 "ingest on a full tmpfs: exit 74" -- \
		"$RBAUDIT" ingest --db mnt/t.db --keys "$V/keys.json" "$V/export-2026-08"
	expect_grep "  the message names the database and says the disk is full" "$ERR" \
		't\.db.*(full|No space left)'
	rm -f mnt/filler
	expect_eq "  the database is as it was" "$before" "$(dump mnt/t.db)"
	umount mnt
else
	pass "ingest on a full tmpfs: skipped, this machine does not let us mount (the RLIMIT_FSIZE cases above cover it)"
fi

# --- a locked database -------------------------------------------------------

cp base.db lk.db
"$PY" -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO ingest_run (started, host) VALUES (\"x\", \"lock-holder\")")
open(sys.argv[2], "w").close()
time.sleep(8)
c.execute("ROLLBACK")' lk.db locked.flag &
lockpid=$!
i=0
while [ ! -f locked.flag ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
expect_exit 75 "ingest while another process writes: exit 75 (try again later)" -- \
	"$RBAUDIT" ingest --db lk.db --keys "$V/keys.json" --busy-timeout 1 "$V/export-2026-08"
expect_grep "  the message says the database is busy" "$ERR" '(busy|locked)'
expect_exit 75 "analyze (storing) while another process writes: exit 75" -- \
	"$RBAUDIT" analyze --db lk.db --period 2026-07 --busy-timeout 1
expect_exit 0 "analyze --no-store reads alongside the writer (WAL)" -- \
	"$RBAUDIT" analyze --db lk.db --period 2026-07 --no-store
wait $lockpid
expect_eq "  the database is as it was" "$before" "$(dump lk.db)"

# --- the disk fills while a report is written ---------------------------------

check "an analysis to report" "$RBAUDIT" analyze --db full.db --period 2026-08
check "a first report" "$RBAUDIT" report --db full.db --period 2026-08 --template governance-monthly \
	--template engineering-metrics --out rep
cp rep/governance-2026-08.pdf old.pdf
cp rep/MANIFEST old.manifest
for tpl in governance-monthly engineering-metrics; do
	expect_exit 74 "report $tpl with writes failing past 20 kB: exit 74" -- \
		fsize 20000 "$RBAUDIT" report --db full.db --period 2026-08 --template $tpl --out rep
	ls -a rep > ls.txt
	expect_no_grep "  no temporary file is left" ls.txt '\.tmp'
	expect_same "  the earlier report under the final name is untouched" old.pdf rep/governance-2026-08.pdf
	expect_same "  and so is the MANIFEST" old.manifest rep/MANIFEST
done
expect_exit 74 "report into a new folder, writes failing: exit 74" -- \
	fsize 20000 "$RBAUDIT" report --db full.db --period 2026-08 --template governance-monthly --out rep2
expect_no_file "  no file under the final name" rep2/governance-2026-08.pdf
expect_eq "  nothing at all is left in the folder" "" "$(ls -A rep2 2>/dev/null)"

# --- permissions (as nobody when root) -------------------------------------------

NB=$(mktemp -d "${TMPDIR:-/tmp}/rbaudit-faults.XXXXXX")
chmod 0755 "$NB"
cp "$RBAUDIT" "$NB/rbaudit"
cp -R "$ROOT/templates" "$NB/templates"
cp "$V/keys.json" "$NB/keys.json"
cp -R "$V/export-2026-08" "$NB/export"
cp base.db "$NB/ro.db"
chmod -R a+rX "$NB"
chmod 0444 "$NB/ro.db"
mkdir "$NB/rodir"
cp base.db "$NB/rodir/d.db"
chmod 0644 "$NB/rodir/d.db"
chmod 0555 "$NB/rodir"
mkdir "$NB/noout"
chmod 0555 "$NB/noout"
# The database of the report cases in a folder nobody may write (SQLite's
# shared-memory file for WAL lives next to it).
mkdir "$NB/dbdir"
cp full.db "$NB/dbdir/rep.db"
# An auditor's access: the database readable, its folder not writable.
# The report folder is replaced whole, so its parent must be writable too.
mkdir "$NB/audit" "$NB/outp" "$NB/outp/out" "$NB/fixed" "$NB/fixed/out"
cp full.db "$NB/audit/a.db"
chmod 0644 "$NB/audit/a.db"
chmod 0555 "$NB/audit"
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null 2>&1; then
		chown -R 65534:65534 "$NB/dbdir" "$NB/outp" "$NB/fixed/out"
		as() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	else
		as() { false; }
	fi
else
	as() { "$@"; }
fi
export RBAUDIT_TEMPLATES="$NB/templates"
nbdump=$(dump "$NB/ro.db")
expect_exit 73 "ingest into a read-only database file: exit 73" -- \
	as "$NB/rbaudit" ingest --db "$NB/ro.db" --keys "$NB/keys.json" "$NB/export"
expect_grep "  the message names the database and says read-only" "$ERR" 'ro\.db.*(read-only|readonly)'
expect_eq "  the database is as it was" "$nbdump" "$(dump "$NB/ro.db")"
expect_exit 73 "ingest into a database whose folder is read-only: exit 73" -- \
	as "$NB/rbaudit" ingest --db "$NB/rodir/d.db" --keys "$NB/keys.json" "$NB/export"
expect_grep "  the message names the database" "$ERR" 'd\.db'
expect_exit 73 "report into a folder that is not writable: exit 73" -- \
	as "$NB/rbaudit" report --db "$NB/dbdir/rep.db" --period 2026-08 --template governance-monthly \
	--out "$NB/noout"
expect_grep "  the message names the folder" "$ERR" 'noout'
expect_eq "  nothing is written there" "" "$(ls -A "$NB/noout")"
expect_exit 73 "report into a folder that cannot be created: exit 73" -- \
	as "$NB/rbaudit" report --db "$NB/dbdir/rep.db" --period 2026-08 --template governance-monthly \
	--out "$NB/noout/sub"
auditdump=$(dump "$NB/audit/a.db")
expect_exit 0 "report from a database whose folder is read-only (an auditor's access): exit 0" -- \
	as "$NB/rbaudit" report --db "$NB/audit/a.db" --period 2026-08 --template governance-monthly \
	--template analysis-json --out "$NB/outp/out"
check "  the reports are written" test -s "$NB/outp/out/governance-2026-08.pdf" -a \
	-s "$NB/outp/out/analysis-2026-08.json"
expect_exit 73 "report into a writable folder whose parent is not writable: exit 73" -- \
	as "$NB/rbaudit" report --db "$NB/audit/a.db" --period 2026-08 --template governance-monthly \
	--out "$NB/fixed/out"
expect_grep "  the message names the parent, where the new folder is made" "$ERR" 'fixed/\.out\.rbaudit-new'
expect_eq "  nothing is written into the folder" "" "$(ls -A "$NB/fixed/out")"
expect_exit 0 "analyze --no-store from that folder: exit 0" -- \
	as "$NB/rbaudit" analyze --db "$NB/audit/a.db" --period 2026-08 --no-store
expect_grep "  and it prints the analysis" "$OUT" 'rollbacks executed'
expect_eq "  nothing is created beside the database" "a.db" "$(ls -A "$NB/audit")"
expect_eq "  the database is as it was" "$auditdump" "$(dump "$NB/audit/a.db")"
expect_exit 73 "analyze (storing) there: exit 73, it cannot write" -- \
	as "$NB/rbaudit" analyze --db "$NB/audit/a.db" --period 2026-08
chmod 0755 "$NB/audit"
rm -rf "$NB"

done_testing
