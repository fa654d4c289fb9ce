#!/bin/bash
# vm: disks=cache:1G timeout=900 smp=2
# Many small objects created, invalidated and re-read at once (issue 16).
# 1,500 files of 1-16 KiB over NFSv3 (500 with CS_QUICK=1), filled into the
# cache, then for 60 s (30 s quick):
#   - two readers open random files and read them whole;
#   - the server rewrites files in place, appends to them, and replaces them
#     by rename (a new inode: a new object), so the client invalidates
#     objects, finds stale ones at lookup, and creates new ones;
#   - a writer on the client rewrites records of every 8th file through NFS
#     (opening for writing invalidates the object);
#   - every 2 s the client's page cache is dropped, every other time with
#     its inodes (cookies relinquished, looked up again), so that reads go
#     to the cache while all of the above happens.
# Every file is made of 64-byte records that name their file and their own
# offset ("FID GEN OFFSET ...").  A read during the churn may see any mix of
# generations (NFS is not atomic against a rewrite on the server), but every
# record must belong to the file and sit at its offset: bytes of another
# object, of another offset or of a hole are wrong.  Then the churn stops,
# the server touches every file (so no version a client saw can pass for the
# last one, whatever the timestamp granularity), and after drop_caches every
# file must read back exactly as the server has it: first refilled, then
# served by the cache.
. "$CS_REPO/tests/vm/lib.sh"

quick=${CS_QUICK:-0}
nfiles=$([ "$quick" = 1 ] && echo 500 || echo 1500)
secs=$([ "$quick" = 1 ] && echo 30 || echo 60)

cachestore_bind "$CS_DISK_CACHE" /mnt/cache
nfs_server /srv/export
S=/srv/export M=/mnt/nfs

cat > /tmp/churn.py <<'PY'
import errno, os, random, sys, time

REC = 64
NDIR = 5


def path(root, fid):
    return f"{root}/d{fid % NDIR}/f{fid:05d}"


def rec(fid, gen, off):
    s = f"{fid:06d} {gen:05d} {off:012d} "
    return (s + "." * (REC - 1 - len(s)) + "\n").encode()


def recs(fid, gen, first, n):
    return b"".join(rec(fid, gen, (first + i) * REC) for i in range(n))


def check(fid, data):
    """None if every record of data is one of fid's at its own offset."""
    if len(data) % REC:
        return f"size {len(data)} is not a multiple of {REC}"
    head = b"%06d " % fid
    for off in range(0, len(data), REC):
        r = data[off:off + REC]
        want = rec(fid, 0, off)
        if r[:7] != head or not r[7:12].isdigit() or r[12:] != want[12:]:
            return f"offset {off}: {r!r}"
    return None


def read_all(p):
    fd = os.open(p, os.O_RDONLY)
    try:
        out = []
        while True:
            b = os.read(fd, 65536)
            if not b:
                return b"".join(out)
            out.append(b)
    finally:
        os.close(fd)


def make(root, n):
    for d in range(NDIR):
        os.makedirs(f"{root}/d{d}", exist_ok=True)
    for fid in range(n):
        nrec = random.Random(fid).randint(16, 256)
        with open(path(root, fid), "wb") as f:
            f.write(recs(fid, 0, 0, nrec))


def reader(root, n, secs, seed):
    rnd, end = random.Random(seed), time.time() + secs
    files = gone = nbytes = 0
    while time.time() < end:
        fid = rnd.randrange(n)
        try:
            data = read_all(path(root, fid))
        except OSError as e:
            # replaced by rename on the server while open: not data
            if e.errno not in (errno.ESTALE, errno.ENOENT):
                raise
            gone += 1
            continue
        err = check(fid, data)
        if err:
            print(f"WRONG: reader {seed}: {path(root, fid)}: {err}")
            sys.exit(1)
        files += 1
        nbytes += len(data)
    print(f"reader {seed}: {files} files, {nbytes >> 10} KiB right, {gone} gone")


def writer(root, n, secs, seed, mine):
    """Rewrite files whose fid % 8 is in mine, never one file twice in
    50 ms (so every version gets its own timestamp)."""
    rnd, end = random.Random(seed), time.time() + secs
    last, gen = {}, {}
    ops = {"rewrite": 0, "append": 0, "replace": 0, "records": 0}
    on_client = mine == [0]
    while time.time() < end:
        fid = rnd.randrange(n)
        now = time.time()
        if fid % 8 not in mine or now - last.get(fid, 0) < 0.05:
            continue
        last[fid] = now
        g = gen[fid] = gen.get(fid, 0) + 1
        p = path(root, fid)
        size = os.stat(p).st_size
        nrec = size // REC
        op = "records" if on_client else rnd.choice(
            ["rewrite", "rewrite", "rewrite", "append", "replace"])
        if op == "append" and size >= 32768:
            op = "rewrite"
        if op == "rewrite":
            fd = os.open(p, os.O_WRONLY)
            os.pwrite(fd, recs(fid, g, 0, nrec), 0)
            os.close(fd)
        elif op == "records":
            first = rnd.randrange(nrec)
            cnt = rnd.randint(1, nrec - first)
            fd = os.open(p, os.O_WRONLY)
            os.pwrite(fd, recs(fid, g, first, cnt), first * REC)
            os.close(fd)
        elif op == "append":
            fd = os.open(p, os.O_WRONLY)
            os.pwrite(fd, recs(fid, g, nrec, rnd.randint(1, 40)), nrec * REC)
            os.close(fd)
        else:
            tmp = f"{p}.new"
            with open(tmp, "wb") as f:
                f.write(recs(fid, g, 0, nrec + rnd.randint(0, 8)))
            os.rename(tmp, p)
        ops[op] += 1
        time.sleep(0.005)
    print("writer " + ("client" if on_client else "server") + ": " +
          ", ".join(f"{k} {v}" for k, v in ops.items() if v))


def touch(root, n):
    t = time.time_ns()
    for fid in range(n):
        os.utime(path(root, fid), ns=(t, t))


def verify(root, n):
    bad = 0
    for fid in range(n):
        err = check(fid, read_all(path(root, fid)))
        if err:
            print(f"WRONG: {path(root, fid)}: {err}")
            bad += 1
    sys.exit(1 if bad else 0)


def selftest():
    """check() catches what it is for: bytes of another file, of another
    offset, of a hole, a torn size; and passes mixed generations."""
    good = recs(7, 1, 0, 64)
    mixed = good[:1024] + recs(7, 9, 16, 48)
    assert check(7, good) is None and check(7, mixed) is None
    assert check(7, recs(8, 1, 0, 64)) is not None
    assert check(7, good[:2048] + good[:2048]) is not None
    assert check(7, good[:4096] + bytes(2048)) is not None
    assert check(7, good[:4000]) is not None
    print("checker: catches foreign, misplaced, zeroed and torn records")


cmd, root, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
if cmd == "selftest":
    selftest()
elif cmd == "make":
    make(root, n)
elif cmd == "read":
    reader(root, n, float(sys.argv[4]), int(sys.argv[5]))
elif cmd == "server":
    writer(root, n, float(sys.argv[4]), int(sys.argv[5]), [1, 2, 3, 4, 5, 6, 7])
elif cmd == "client":
    writer(root, n, float(sys.argv[4]), int(sys.argv[5]), [0])
elif cmd == "touch":
    touch(root, n)
elif cmd == "verify":
    verify(root, n)
PY

python3 /tmp/churn.py selftest - 0 || fail "the record checker misses a planted defect"
python3 /tmp/churn.py make $S "$nfiles"
python3 /tmp/churn.py verify $S "$nfiles" || fail "the test's own files do not check"
nfs_mount 3 $S $M

pages_all() { # the pages NFS reads for every file
	find $S -type f -printf '%s\n' | awk '{ n += int(($1 + 4095) / 4096) } END { print n }'
}
sums() { (cd $S && find . -type f | sort | xargs sha256sum) > /tmp/sums; }
check_all() { # every file exactly as the server has it, read through NFS
	(cd $M && sha256sum -c --quiet /tmp/sums) || fail "files read through NFS differ from the server's"
}

sums
cold_read $M "$(pages_all)" check_all
log "filled: $(cs_stat /mnt/cache objects_live) objects"

# lookups that found an object whose coherency data no longer matched (a new
# generation replaces it): neither a hit nor a create
stale_lookups() {
	echo $(($(cs_stat /mnt/cache lookups) - $(cs_stat /mnt/cache lookup_hits) -
		$(cs_stat /mnt/cache creates)))
}
inv0=$(cs_stat /mnt/cache invalidates) stale0=$(stale_lookups)
cr0=$(cs_stat /mnt/cache creates) rd0=$(fscache_stat IO rd)
log "churn: $secs s"
pids=()
python3 /tmp/churn.py read $M "$nfiles" "$secs" 1 > /tmp/churn.r1 2>&1 &
pids+=($!)
python3 /tmp/churn.py read $M "$nfiles" "$secs" 2 > /tmp/churn.r2 2>&1 &
pids+=($!)
python3 /tmp/churn.py server $S "$nfiles" "$secs" 3 > /tmp/churn.ws 2>&1 &
pids+=($!)
python3 /tmp/churn.py client $M "$nfiles" "$secs" 4 > /tmp/churn.wc 2>&1 &
pids+=($!)
(
	end=$((SECONDS + secs)) i=0
	while [ $SECONDS -lt $end ]; do
		sleep 2
		echo $((i % 2 ? 3 : 1)) > /proc/sys/vm/drop_caches
		i=$((i + 1))
	done
) &
pids+=($!)
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=1; done
cat /tmp/churn.r1 /tmp/churn.r2 /tmp/churn.ws /tmp/churn.wc
[ $bad = 0 ] || fail "wrong bytes (or an error) during the churn"
inv=$(($(cs_stat /mnt/cache invalidates) - inv0))
stale=$(($(stale_lookups) - stale0))
cr=$(($(cs_stat /mnt/cache creates) - cr0))
log "churn: invalidates +$inv, stale at lookup +$stale, creates +$cr, fscache rd +$(($(fscache_stat IO rd) - rd0))"
# the churn did what it is for: objects invalidated, found stale, created,
# and read from the cache while it happened
assert [ "$inv" -gt 0 ]
assert [ "$((inv + stale))" -ge 20 ]
assert [ "$cr" -ge 20 ]
assert [ "$(($(fscache_stat IO rd) - rd0))" -gt 0 ]
kernel_clean "the churn"

netfs_settle
sleep 1
python3 /tmp/churn.py touch $S "$nfiles"
sums
drop_caches
inv0=$(cs_stat /mnt/cache invalidates) stale0=$(stale_lookups)
python3 /tmp/churn.py verify $M "$nfiles" || fail "a record out of place after the churn"
check_all
inv=$(($(cs_stat /mnt/cache invalidates) - inv0))
stale=$(($(stale_lookups) - stale0))
log "after the touch: invalidates +$inv, stale at lookup +$stale"
# every file was touched: each object is invalidated or found stale (a
# cached inode revalidates; an evicted one is looked up again), except
# the few whose cookie was never created or is disabled
assert [ "$((inv + stale))" -ge "$((nfiles * 3 / 4))" ]
netfs_settle
# Served by the cache now: most pages (a file the client wrote may keep its
# cookie disabled until its inode goes; none are open now, so few).
warm_read $M "$(($(pages_all) * 3 / 4))" check_all
cat /mnt/cache/stats
grep -E '^(IO|Cookies|Acquire|Invals|Relinqs|NoSpace)' /proc/fs/fscache/stats
umount $M
cachestore_unbind /mnt/cache
cs_fsck "$CS_DISK_CACHE"
kernel_clean
log ok
