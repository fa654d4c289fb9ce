#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""powercut.py - power cuts of the real cachestore module, after xfstests'
generic/455: the cache sits on dm-log-writes, a workload runs through
test_fscache, and the log is replayed to every flush (and beyond one, with
the unflushed writes dropped or reordered).  Each replayed state must pass
fsck.cachestore -n, hold only pages that are exactly one version its object
was given under the aux data it records, bind, and serve only those bytes.

  powercut.py workload MODEL [--objects N] [--rounds N] [--seed N] [--mark-dev DM]
      drive test_fscache (the cache must be bound and the module loaded);
      write the version model (JSON) to MODEL
  powercut.py points LOG
      print the log's entry count and flush/FUA points
  powercut.py replay LOG DEV FROM TO [--extra N --seed S]
      apply entries FROM..TO-1 of LOG to DEV; with --extra, then apply a
      random subset (in random order) of the at most N entries after TO-1
      that come before the next FLUSH entry (writes no flush ordered yet)
  powercut.py check MODEL DUMP DEV
      check a `mkimage dump` of DEV against the model (reads DEV's blocks)
  powercut.py run LOG REPLAYDEV SCRATCHDEV MODEL --tools DIR [--points N]
                 [--extra-every K]
      replay LOG onto REPLAYDEV point by point (at most N flush points,
      evenly spread, and the end); at each, copy it to SCRATCHDEV (every
      K-th point plus unflushed writes), run fsck -n, check, bind at /mnt/pc,
      read back, unbind, fsck -n again
  powercut.py readback MODEL DUMP
      through test_fscache, acquire every clean object the dump lists with
      its recorded aux data and read each page: a miss, or exactly the
      bytes of its version

The log format is drivers/md/dm-log-writes.c's: a super block in sector 0,
then per entry one header sector (sector, nr_sectors, flags, data_len, all
__le64) and nr_sectors of data (none for a discard), in units of the log
device's sector size.  Entries are logged in completion order, and every
write completed before a flush is logged before that flush's entry, so the
state after any FLUSH or FUA entry is one a power cut can leave.
"""
import json
import os
import random
import struct
import subprocess
import sys

MAGIC = 0x6A736677736872
FLUSH, FUA, DISCARD, MARK = 1, 2, 4, 8
PAGE = 4096
M64 = (1 << 64) - 1
CTL = "/sys/kernel/debug/test_fscache/ctl"


# --- the test_fscache pattern (test_fscache.rst, "The pattern") -------------
_pages = {}


def page_bytes(seed, page):
    k = (seed, page)
    if k in _pages:
        return _pages[k]
    out = bytearray(PAGE)
    base = page * PAGE >> 3
    for i in range(PAGE >> 3):
        z = (seed + (base + i + 1) * 0x9E3779B97F4A7C15) & M64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        struct.pack_into("<Q", out, i * 8, z)
    _pages[k] = bytes(out)
    return _pages[k]


# --- test_fscache control file ---------------------------------------------
class Tfs:
    def __init__(self):
        self.f = open(CTL, "r+b", buffering=0)
        self.r = os.fdopen(os.dup(self.f.fileno()), "rb")

    def q(self, line):
        os.write(self.f.fileno(), (line + "\n").encode())
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = os.read(self.f.fileno(), 4096)
            if not chunk:
                raise SystemExit("no reply to: " + line)
            reply += chunk
        return reply.decode().strip()

    def ok(self, line):
        reply = self.q(line)
        if not reply.startswith("ok"):
            raise SystemExit("FAIL: expected ok: %s => %s" % (line, reply))
        return reply


def aux_of(obj, ver):
    return "%08x%08x" % (obj, ver)


# --- the workload ------------------------------------------------------------
def workload(model_path, nobj, rounds, seed, mark_dev):
    rng = random.Random(seed)
    t = Tfs()
    vols = ["pa", "pb"]
    for v in vols:
        t.ok("vol_acquire %s key=test,powercut,%s" % (v, v))
    objs = []
    for i in range(nobj):
        if i == 0:
            pages = 2048            # 8 MiB: a map tree
        elif i % 8 == 1:
            pages = 256             # 1 MiB: several granules
        else:
            pages = 16
        o = {"key": "%04x" % (i + 1), "vol": vols[i % 2], "pages": pages,
             "ver": 0, "versions": [], "name": "c%d" % i}
        o["versions"].append({"aux": aux_of(i, 0), "pages": {}})
        objs.append(o)
        t.ok("cookie_acquire %s vol=%s key=hex:%s aux=hex:%s size=%d"
             % (o["name"], o["vol"], o["key"], aux_of(i, 0), pages * PAGE))
    next_seed = [1000]

    def new_seed():
        next_seed[0] += 1
        return next_seed[0] * 7919

    def server(o):
        # the server's content of the current version: seeds per page,
        # created lazily (the page's bytes exist on the server)
        return o["versions"][-1]["server"]

    for o in objs:
        o["versions"][-1]["server"] = {}

    def seed_at(o, p):
        srv = server(o)
        if p not in srv:
            srv[p] = new_seed()
        return srv[p]

    def write_run(o, p0, n, seeds_from_server=True, seed=None):
        # test_fscache writes one seed per command: write page runs of
        # equal seed
        p = p0
        while p < p0 + n:
            s = seed if seed is not None else seed_at(o, p)
            q = p + 1
            while q < p0 + n and (seed is not None or seed_at(o, q) == s):
                q += 1
            t.ok("write %s off=%d len=%d seed=%d" %
                 (o["name"], p * PAGE, (q - p) * PAGE, s))
            p = q

    ops = 0
    for r in range(rounds):
        for i in rng.sample(range(nobj), nobj):
            o = objs[i]
            act = rng.choice(["fill", "fill", "modify", "server", "cycle",
                              "retire"])
            n = min(o["pages"], rng.choice([1, 4, 16, 64, 256]))
            p0 = rng.randrange(0, o["pages"] - n + 1)
            if act == "fill":
                # a cold read: the server's bytes of the current version
                t.ok("use %s" % o["name"])
                write_run(o, p0, n)
                t.ok("unuse %s" % o["name"])
            elif act == "modify":
                # a local write: cache and server take new bytes, the file
                # gets a new version (aux) at the end
                t.ok("use %s w" % o["name"])
                s = new_seed()
                write_run(o, p0, n, seed=s)
                cur = o["versions"][-1]
                srv = dict(cur["server"])
                for p in range(p0, p0 + n):
                    srv[p] = s
                o["ver"] += 1
                aux = aux_of(i, o["ver"])
                o["versions"].append({"aux": aux, "server": srv})
                t.ok("unuse %s aux=hex:%s" % (o["name"], aux))
            elif act == "server":
                # changed on the server: invalidate, then a cold read
                o["ver"] += 1
                aux = aux_of(i, o["ver"])
                o["versions"].append({"aux": aux, "server": {}})
                t.ok("invalidate %s aux=hex:%s size=%d"
                     % (o["name"], aux, o["pages"] * PAGE))
                t.ok("use %s" % o["name"])
                write_run(o, p0, n)
                t.ok("unuse %s" % o["name"])
            elif act in ("cycle", "retire"):
                # relinquish (aux recorded at withdrawal) or retire
                # (object deleted), then acquire again
                t.ok("relinquish %s%s" % (o["name"],
                                          " retire" if act == "retire" else ""))
                t.ok("cookie_acquire %s vol=%s key=hex:%s aux=hex:%s size=%d"
                     % (o["name"], o["vol"], o["key"],
                        o["versions"][-1]["aux"], o["pages"] * PAGE))
            ops += 1
            if rng.random() < 0.05:
                os.system("sync -f /mnt/cache")
        if mark_dev:
            os.system("dmsetup message %s 0 mark round%d" % (mark_dev, r))
    for o in objs:
        t.ok("relinquish %s" % o["name"])
    model = {}
    for o in objs:
        vers = {}
        for v in o["versions"]:
            vers[v["aux"]] = {str(p): s for p, s in v["server"].items()}
        model[o["key"]] = {"vol": o["vol"], "pages": o["pages"],
                           "versions": vers}
    with open(model_path, "w") as f:
        json.dump(model, f)
    print("workload: %d objects, %d operations, %d versions" %
          (nobj, ops, sum(len(o["versions"]) for o in objs)))


# --- the log -------------------------------------------------------------------
def read_log(path):
    with open(path, "rb") as f:
        sb = f.read(512)
        magic, version, nr, ss = struct.unpack_from("<QQQI", sb)
        if magic != MAGIC:
            raise SystemExit("%s: not a dm-log-writes log" % path)
        entries = []
        pos = 1
        for _ in range(nr):
            f.seek(pos * ss)
            sector, nsec, flags, dlen = struct.unpack("<QQQQ", f.read(32))
            data_at = (pos + 1) * ss
            pos += 1
            if not flags & DISCARD and not flags & MARK:
                pos += nsec
            entries.append((sector, nsec, flags, data_at))
    return ss, entries


def points(path):
    _, ents = read_log(path)
    pts = [i + 1 for i, e in enumerate(ents) if e[2] & (FLUSH | FUA)]
    print("entries %d" % len(ents))
    print("points %s" % " ".join(map(str, pts)))


def apply(logf, dev, ss, e):
    sector, nsec, flags, data_at = e
    if flags & MARK or not nsec:
        return
    os.lseek(dev, sector * ss, 0)
    if flags & DISCARD:
        # a discarded range may read back as anything: zeros here
        left = nsec * ss
        while left:
            n = min(left, 1 << 20)
            os.write(dev, bytes(n))
            left -= n
        return
    logf.seek(data_at)
    os.write(dev, logf.read(nsec * ss))


def replay(path, devpath, lo, hi, extra, seed):
    ss, ents = read_log(path)
    dev = os.open(devpath, os.O_WRONLY)
    with open(path, "rb") as logf:
        for e in ents[lo:hi]:
            apply(logf, dev, ss, e)
        if extra:
            # only writes the next flush did not order: up to (without)
            # the next FLUSH entry
            tail = []
            for e in ents[hi:hi + extra]:
                if e[2] & FLUSH:
                    break
                tail.append(e)
            rng = random.Random(seed)
            pick = [e for e in tail if rng.random() < 0.5]
            rng.shuffle(pick)
            for e in pick:
                apply(logf, dev, ss, e)
            print("replay: %d of the next %d unflushed entries, reordered"
                  % (len(pick), len(tail)))
    os.fsync(dev)
    os.close(dev)


# --- checks --------------------------------------------------------------------
def parse_dump(path):
    vols, objs, cur = {}, [], None
    for line in open(path):
        w = line.split()
        if w[0] == "vol":
            vols[w[1]] = w[3]
        elif w[0] == "live":
            kv = dict(zip(w[2::2], w[3::2]))
            cur = {"id": w[1], "vol": vols.get(kv["vol"], "?"),
                   "size": int(kv["size"]), "dirty": kv["dirty"] == "1",
                   "key": kv["key"], "aux": kv["aux"], "pages": []}
            objs.append(cur)
        elif w[0] == "page":
            cur["pages"].append((int(w[1]), int(w[3])))
    return objs


def check(model_path, dump_path, devpath):
    model = json.load(open(model_path))
    objs = parse_dump(dump_path)
    bad = 0
    npages = nclean = 0
    with open(devpath, "rb") as dev:
        for o in objs:
            m = model.get(o["key"])
            if m is None or not o["vol"].endswith("," + m["vol"]):
                print("FAIL object %s: key %s in volume %s was never written"
                      % (o["id"], o["key"], o["vol"]))
                bad += 1
                continue
            if o["dirty"]:
                continue        # a lookup discards it
            v = m["versions"].get(o["aux"])
            if v is None:
                print("FAIL object %s key %s: aux %s is no version of it"
                      % (o["id"], o["key"], o["aux"]))
                bad += 1
                continue
            nclean += 1
            for page, blk in o["pages"]:
                npages += 1
                seed = v.get(str(page))
                dev.seek(blk * PAGE)
                got = dev.read(PAGE)
                if seed is None:
                    print("FAIL object %s key %s aux %s: page %d present but"
                          " never written in that version"
                          % (o["id"], o["key"], o["aux"], page))
                    bad += 1
                elif got != page_bytes(seed, page):
                    other = [a for a, vv in m["versions"].items()
                             if vv.get(str(page)) is not None and
                             got == page_bytes(vv[str(page)], page)]
                    print("FAIL object %s key %s aux %s: page %d (block %d)"
                          " is not its version's bytes%s"
                          % (o["id"], o["key"], o["aux"], page, blk,
                             " (it is version %s's)" % other[0] if other
                             else " (torn or foreign)"))
                    bad += 1
    print("check: %d objects (%d clean), %d present pages verified, %d bad"
          % (len(objs), nclean, npages, bad))
    return 1 if bad else 0


def readback(model_path, dump_path):
    model = json.load(open(model_path))
    objs = parse_dump(dump_path)
    t = Tfs()
    vols = {}
    hits = misses = bad = 0
    for o in objs:
        m = model.get(o["key"])
        if m is None or o["dirty"] or o["aux"] not in m["versions"]:
            continue
        v = m["versions"][o["aux"]]
        if m["vol"] not in vols:
            vols[m["vol"]] = "v" + m["vol"]
            t.ok("vol_acquire %s key=test,powercut,%s" % (vols[m["vol"]],
                                                         m["vol"]))
        name = "r" + o["key"]
        t.ok("cookie_acquire %s vol=%s key=hex:%s aux=hex:%s size=%d"
             % (name, vols[m["vol"]], o["key"], o["aux"], m["pages"] * PAGE))
        t.ok("use %s" % name)
        for page in sorted(set(p for p, _ in o["pages"])):
            seed = v.get(str(page))
            if seed is None:
                continue        # check() reports it
            r = t.q("read %s off=%d len=%d seed=%d hole=fail"
                    % (name, page * PAGE, PAGE, seed))
            if r.startswith("ok"):
                hits += 1
            elif "ENODATA" in r or "ENOBUFS" in r:
                misses += 1
            else:
                print("FAIL read key %s aux %s page %d: %s"
                      % (o["key"], o["aux"], page, r))
                bad += 1
        t.ok("unuse %s" % name)
        t.ok("relinquish %s" % name)
    for v in vols.values():
        t.ok("vol_relinquish %s" % v)
    print("readback: %d pages served right, %d misses, %d bad"
          % (hits, misses, bad))
    return 1 if bad else 0


def sh(cmd):
    return subprocess.call(cmd, shell=True)


def run(log, replay_dev, scratch, model_path, maxpts, extra_every, tools):
    """Replay to each chosen flush point and check the state there."""
    ss, ents = read_log(log)
    # from the first mark on (the test marks the end of mkcachestore: a
    # cut inside the format leaves no cache, which a bind must refuse)
    first = next((i for i, e in enumerate(ents) if e[2] & MARK), 0)
    pts = [i + 1 for i, e in enumerate(ents)
           if e[2] & (FLUSH | FUA) and i > first]
    if not pts or pts[-1] != len(ents):
        pts.append(len(ents))
    if len(pts) > maxpts:
        step = len(pts) / float(maxpts - 1)
        pts = sorted(set([pts[int(k * step)] for k in range(maxpts - 1)] +
                         [pts[-1]]))
    print("run: %d log entries, %d points checked" % (len(ents), len(pts)))
    fails = 0
    prev = 0
    for k, pt in enumerate(pts):
        replay(log, replay_dev, prev, pt, 0, 0)
        prev = pt
        if sh("dd if=%s of=%s bs=1M conv=fsync status=none"
              % (replay_dev, scratch)):
            raise SystemExit("dd failed")
        what = "point %d/%d (entry %d)" % (k + 1, len(pts), pt)
        if extra_every and k % extra_every == extra_every - 1:
            replay(log, scratch, pt, pt, 24, k)
            what += " + unflushed"
        rc = sh("%s/bin/fsck.cachestore -n %s > /tmp/pc.fsck 2>&1" %
                (tools, scratch))
        if rc:
            sh("sed 's/^/FSCK /' /tmp/pc.fsck")
            print("FAIL %s: fsck.cachestore -n exited %d" % (what, rc))
            fails += 1
            continue
        if sh("%s/tests/tools/mkimage dump %s > /tmp/pc.dump" % (tools, scratch)):
            print("FAIL %s: mkimage dump" % what)
            fails += 1
            continue
        print("== %s" % what)
        sys.stdout.flush()
        bad = check(model_path, "/tmp/pc.dump", scratch)
        if sh("mount -t cachestore %s /mnt/pc" % scratch):
            print("FAIL %s: bind refused" % what)
            fails += 1
            continue
        bad += readback(model_path, "/tmp/pc.dump")
        if sh("umount /mnt/pc"):
            print("FAIL %s: unbind" % what)
            bad += 1
        if sh("%s/bin/fsck.cachestore -n %s > /tmp/pc.fsck 2>&1"
              % (tools, scratch)):
            sh("sed 's/^/FSCK /' /tmp/pc.fsck")
            print("FAIL %s: fsck after the bind" % what)
            bad += 1
        fails += 1 if bad else 0
        sys.stdout.flush()
    print("run: %d points, %d failed" % (len(pts), fails))
    return 1 if fails else 0


def main(a):
    if a[0] == "workload":
        opts = dict(zip(a[2::2], a[3::2]))
        workload(a[1], int(opts.get("--objects", 24)),
                 int(opts.get("--rounds", 6)), int(opts.get("--seed", 1)),
                 opts.get("--mark-dev"))
        return 0
    if a[0] == "points":
        points(a[1])
        return 0
    if a[0] == "replay":
        opts = dict(zip(a[5::2], a[6::2]))
        replay(a[1], a[2], int(a[3]), int(a[4]), int(opts.get("--extra", 0)),
               int(opts.get("--seed", 1)))
        return 0
    if a[0] == "check":
        return check(a[1], a[2], a[3])
    if a[0] == "run":
        opts = dict(zip(a[5::2], a[6::2]))
        return run(a[1], a[2], a[3], a[4], int(opts.get("--points", 30)),
                   int(opts.get("--extra-every", 4)), opts["--tools"])
    if a[0] == "readback":
        return readback(a[1], a[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
