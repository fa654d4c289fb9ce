#!/bin/bash
# vm: disks=cache:64M timeout=900
# Object table full (issue 11): a cache formatted for the fewest objects
# mkcachestore allows (-N 64: 99 slots) and bound with culling as late as
# the options allow (cull=1,run=2: only once every slot is used), read
# through NFS with more files than slots.
#
#  A. 110 files held open at once: every object in use, so culling can
#     free nothing.  Exactly 99 lookups create an object; the other 11
#     fail (fscache NoSpace ncr), and those files are read from the server.
#     A warm pass is served by the cache for exactly the 99 files' pages.
#  B. Closed and evicted, then 30 new files: their lookups find the table
#     full, culling deletes unused objects (culls, fscache's cull counter)
#     and the slots are reused (creates > 99).
#  C. The newest files again, newest first: served by the cache.
# Every file read at every step is checked against the server's bytes;
# after unbinding, fsck -n is clean.
. "$CS_REPO/tests/vm/lib.sh"

S=/srv/export M=/mnt/nfs
HELD=110 NEW=30 PG=2	# files of 8 KiB: 2 pages

CS_MKFS_OPTS="-N 64" cachestore_bind "$CS_DISK_CACHE" /mnt/cache cull=1,run=2
slots=$(cs_stat /mnt/cache objects_max)
assert [ "$slots" -eq 99 ]
nfs_server $S
for i in $(seq 1 $((HELD + NEW))); do
	head -c $((PG * 4096)) /dev/urandom > "$S/f$i"
done
(cd $S && sha256sum f*) > /tmp/sums
nfs_mount 3 $S $M

# sums FIRST LAST: the checksum lines of f$FIRST..f$LAST
sums() {
	awk -v a="$1" -v b="$2" '{ n = substr($2, 2) + 0 } n >= a && n <= b' /tmp/sums |
		sort -k2.2bn
}
# check LIST: every file of the list, read through NFS, is the server's
check() { (cd $M && sha256sum -c --quiet "$1") || fail "a file of $1 read wrong"; }

# --- A: every object in use ---------------------------------------------------
sums 1 $HELD > /tmp/held
ncr0=$(fscache_stat NoSpace ncr)
mkfifo /tmp/hold.ctl
# Open every file first (each open uses its cookie: the lookups start), then
# read and verify each through its descriptor, then hold them all open.
python3 - /tmp/held /tmp/hold.ctl > /tmp/hold.log 2>&1 <<'PY' &
import hashlib, sys
lst, ctl = sys.argv[1], sys.argv[2]
want = [l.split() for l in open(lst)]
files = [open("/mnt/nfs/" + n, "rb") for _, n in want]
bad = [n for (s, n), f in zip(want, files) if hashlib.sha256(f.read()).hexdigest() != s]
print("bad" if bad else "ready", len(files), *bad, flush=True)
open(ctl).read()	# hold until told
PY
holder=$!
for _ in $(seq 1 600); do
	[ -s /tmp/hold.log ] && break
	sleep 0.5
done
cat /tmp/hold.log
grep -q "^ready $HELD" /tmp/hold.log || fail "cold read of the held files: $(cat /tmp/hold.log)"
sync -f /mnt/cache	# a commit: it tries to cull
sync -f /mnt/cache
grep -E '^(objects_|lookups|lookup_hits|creates|culls|write_)' /mnt/cache/stats
live=$(cs_stat /mnt/cache objects_live)
creates=$(cs_stat /mnt/cache creates)
lookups=$(cs_stat /mnt/cache lookups)
ncr=$(($(fscache_stat NoSpace ncr) - ncr0))
log "A: $lookups lookups, $creates objects created, $live live, fscache NoSpace ncr +$ncr"
[ "$live" -eq "$slots" ] || fail "$live objects live with every slot asked for, not $slots"
[ "$creates" -eq "$slots" ] || fail "$creates objects created, not $slots"
[ "$lookups" -ge $HELD ] || fail "only $lookups lookups for $HELD open files"
[ $((lookups - creates)) -ge $((HELD - slots)) ] ||
	fail "only $((lookups - creates)) lookups failed for $HELD files in $slots slots"
[ "$ncr" -ge $((HELD - slots)) ] ||
	fail "fscache counted $ncr lookups without space, not >= $((HELD - slots))"
[ "$(cs_stat /mnt/cache culls)" -eq 0 ] || fail "culled an object in use"
dmesg | grep -q "cachestore cachestore: culling (" ||
	fail "culling never started with every slot used"
[ "$(cs_stat /mnt/cache state)" = active ] || fail "the full object table took the cache offline"

# Warm, still held: the 99 files with an object come from the cache, whole;
# the others from the server, right all the same.
hit0=$(cs_stat /mnt/cache read_hit_pages)
warm_read $M $((slots * PG)) check /tmp/held
served=$(($(cs_stat /mnt/cache read_hit_pages) - hit0))
log "A: $served pages served by the cache"
[ "$served" -eq $((slots * PG)) ] ||
	fail "the cache served $served pages, not the $((slots * PG)) of its $slots objects"

# Five files change on the server.  Invalidating an object moves its old
# storage to a new (dying) record: with no slot free that fails, and the
# object is dropped instead.  Readers get the new bytes, never the old.
inv0=$(cs_stat /mnt/cache invalidates)
for i in 1 2 3 4 5; do
	head -c $((PG * 4096)) /dev/urandom > "$S/f$i"
done
(cd $S && sha256sum f1 f2 f3 f4 f5) > /tmp/changed
awk 'NR == FNR { c[$2] = 1; next } !($2 in c)' /tmp/changed /tmp/sums > /tmp/sums.new
cat /tmp/changed >> /tmp/sums.new
mv /tmp/sums.new /tmp/sums
drop_caches
check /tmp/changed
drop_caches
check /tmp/changed
log "A: $(($(cs_stat /mnt/cache invalidates) - inv0)) invalidations"
dmesg | grep -E 'invalidate error' | head -n 5
dmesg | grep -q "cachestore cachestore: object [0-9]*: invalidate error -28" ||
	fail "no invalidation met the full object table"
[ "$(cs_stat /mnt/cache state)" = active ] || fail "a failed invalidation took the cache offline"

# --- B: new files against a full table ---------------------------------------
echo > /tmp/hold.ctl
wait $holder || fail "the holder failed"
drop_caches		# evicts the inodes: their cookies are relinquished
sleep 2
ncr0=$(fscache_stat NoSpace ncr)
cull0=$(fscache_stat NoSpace cull)
sums $((HELD + 1)) $((HELD + NEW)) > /tmp/new
cold_read $M 1 check /tmp/new
sync -f /mnt/cache
grep -E '^(objects_|lookups|lookup_hits|creates|culls|write_)' /mnt/cache/stats
creates=$(cs_stat /mnt/cache creates)
culls=$(cs_stat /mnt/cache culls)
log "B: $creates objects created, $culls culled, fscache NoSpace ncr +$(($(fscache_stat NoSpace ncr) - ncr0)) cull +$(($(fscache_stat NoSpace cull) - cull0))"
[ "$culls" -gt 0 ] || fail "no object was culled with the object table full"
[ $(($(fscache_stat NoSpace cull) - cull0)) -gt 0 ] || fail "fscache's cull counter did not move"
[ "$creates" -gt "$slots" ] || fail "no slot was reused after culling ($creates creates)"
[ "$(cs_stat /mnt/cache state)" = active ] || fail "cache offline after culling"

# --- C: the newest files, newest first (LRU: they are still there) ------------
# Each of the $NEW files that got an object in B is served whole.
sleep 1.5
sync -f /mnt/cache
sums $((HELD + 1)) $((HELD + NEW)) | tac > /tmp/newrev
drop_caches
ok0=$(nfs_fsc_stat $M 0)
check /tmp/newrev
got=$(($(nfs_fsc_stat $M 0) - ok0))
log "C: $got pages from the cache, for $((creates - slots)) files cached in B"
[ "$got" -ge $(((creates - slots) * PG)) ] ||
	fail "only $got pages served of the $((creates - slots)) files cached in B"
umount $M
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean "object table full"
log ok
