#!/bin/bash
# vm: disks=cache:2G timeout=900 host=cachestore_dkms.prep
# Installed as an admin installs it (issue 15), into the VM's root, which
# has never seen cachestore (a tmpfs overlay over the host's tree, the
# distro kernel's modules under their own overlay):
#  1. make dkms-build built the module with DKMS against the target kernel's
#     headers and signed it (on the host, before booting: see
#     cachestore_dkms.prep); make dkms-install installs it under
#     updates/dkms; modprobe loads it from there (modinfo names that file
#     and DKMS's key as its signer), fscache and netfs with it.
#  2. make install puts the tools, man pages and udev rule in /usr; with
#     udevd running, mkfs.cachestore -L makes /dev/disk/by-label/LABEL,
#     and formatting again through that link needs -f.
#  3. A LABEL= line in /etc/fstab binds the cache by `mount DIR`; an NFS
#     mount with fsc caches through it (a warm read served by the cache).
#  4. remount and sysfs retune it (/proc/mounts shows both); a volume is
#     evicted by hand; dumpcachestore (installed) shows the volume emptied.
#  5. it unloads; make dkms-remove takes it out of the module tree and
#     DKMS's records, and modprobe no longer finds it.
# The module tree is the kernel's, pruned to the modules this test loads
# (netfs, NFS client and server and their dependencies): DKMS runs depmod
# over the whole tree on install and on remove, and over 6.12's 4,000
# xz-compressed modules that takes 160 s under TCG (a second natively).
. "$CS_REPO/tests/vm/lib.sh"
LABEL=dkmscache C=/var/cache/cachestore S=/srv/export M=/mnt/nfs
# the kernel's headers, where the VM sees them (installing a built module
# does not need them; DKMS is told where they are if they are there)
KDIR=$("$CS_REPO/scripts/kver.sh" --kdir "$CS_KVER") || fail "no kbuild tree for $CS_KVER"
[ -f "$KDIR/Makefile" ] || KDIR=/usr/src/linux-headers-$CS_KVER
root=$CS_OUT/root	# the host preparation's DKMS tree (the host's path)
[ -d "$root/var/lib/dkms/cachestore" ] || fail "no DKMS tree from the host preparation in $root"
grep -q '^cachestore ' /proc/modules && fail "cachestore loaded before the test"

# --- a writable module tree, as a machine has -----------------------------------
# the kernel's, pruned to what this test loads, with its own modules.dep
mdir=/lib/modules/$CS_KVER
mkdir -p /tmp/mods
mount -t tmpfs tmpfs /tmp/mods || fail "tmpfs for the module tree"
: > /tmp/mods.deps
for m in netfs fscache nfs nfsv3 nfsv4 nfsd sunrpc lockd; do
	# (6.12 has fscache inside netfs)
	[ "$m" != fscache ] || modinfo fscache > /dev/null 2>&1 || continue
	modprobe --show-depends "$m" >> /tmp/mods.deps 2>/dev/null || fail "modprobe --show-depends $m"
done
awk '$1 == "insmod" { print $2 }' /tmp/mods.deps | sort -u > /tmp/mods.list
[ "$(wc -l < /tmp/mods.list)" -ge 5 ] || fail "the module list is short: $(cat /tmp/mods.list)"
while read -r f; do
	mkdir -p "/tmp/mods/$(dirname "${f#"$mdir"/}")"
	cp "$f" "/tmp/mods/${f#"$mdir"/}" || fail "copy $f"
done < /tmp/mods.list
cp "$mdir"/modules.order "$mdir"/modules.builtin "$mdir"/modules.builtin.modinfo /tmp/mods/ ||
	fail "copy the module tree's index files"
mount --bind /tmp/mods "$mdir" || fail "bind the pruned tree on $mdir"
depmod -a "$CS_KVER" || fail "depmod over the pruned tree"
! find "$mdir" -name 'cachestore.ko*' | grep -q . || fail "a cachestore module is already under $mdir"
log "module tree: $(find "$mdir" -name '*.ko*' | wc -l) modules (pruned from the kernel's)"

# --- 1. DKMS -------------------------------------------------------------------
flags="--dkmstree $root/var/lib/dkms --sourcetree $root/usr/src"
[ ! -f "$KDIR/Makefile" ] || flags+=" --kernelsourcedir $KDIR"
dkms $flags status -m cachestore | tee /tmp/dkms.status
grep -q "cachestore/1.0, $CS_KVER, x86_64: built" /tmp/dkms.status ||
	fail "the host preparation left no built cachestore for $CS_KVER"
t0=$SECONDS
make -C "$CS_REPO" dkms-install DESTDIR="$root" DKMS_KERNELS="$CS_KVER" DKMS_FLAGS="$flags" > /tmp/dkms.log 2>&1 ||
	{ tail -n 30 /tmp/dkms.log; fail "make dkms-install"; }
log "make dkms-install: $((SECONDS - t0)) s"
dkms $flags status -m cachestore | tee /tmp/dkms.status
grep -q "cachestore/1.0, $CS_KVER, x86_64: installed" /tmp/dkms.status ||
	fail "dkms status does not show cachestore installed for $CS_KVER"
modprobe cachestore || fail "modprobe cachestore"
file=$(modinfo -F filename cachestore)
case $file in
"/lib/modules/$CS_KVER/updates/dkms/cachestore.ko"*) ;;
*) fail "modprobe found cachestore at $file, not under updates/dkms" ;;
esac
grep -q '^cachestore ' /proc/modules || fail "cachestore not loaded"
signer=$(modinfo -F signer cachestore)
[ "$signer" = "DKMS module signing key" ] || fail "the module's signer is '$signer', not DKMS's key"
log "modprobe cachestore: $file (depends: $(modinfo -F depends cachestore), signed by $signer)"

# --- 2. tools and udev --------------------------------------------------------------
# the tools the host built (make check builds them first): nothing compiles
# under TCG here
make -C "$CS_REPO" install > /tmp/install.log 2>&1 || { tail -n 20 /tmp/install.log; fail "make install"; }
for t in mkcachestore mkfs.cachestore fsck.cachestore cachestore-probe dumpcachestore; do
	[ -x /usr/sbin/$t ] || fail "/usr/sbin/$t not installed"
done
[ -f /usr/lib/udev/rules.d/60-cachestore.rules ] || fail "udev rule not installed"
/lib/systemd/systemd-udevd --daemon || fail "systemd-udevd"
udevadm control --reload
/usr/sbin/mkfs.cachestore -q -f -L $LABEL "$CS_DISK_CACHE" || fail "mkfs.cachestore"
udevadm trigger --action=change "$CS_DISK_CACHE"
udevadm settle -t 30
[ -L /dev/disk/by-label/$LABEL ] || fail "no /dev/disk/by-label/$LABEL (udev: $(udevadm info -q property "$CS_DISK_CACHE" | grep ID_FS))"
[ "$(readlink -f /dev/disk/by-label/$LABEL)" = "$CS_DISK_CACHE" ] || fail "by-label/$LABEL points elsewhere"
log "udev: /dev/disk/by-label/$LABEL -> $CS_DISK_CACHE ($(udevadm info -q property "$CS_DISK_CACHE" | grep '^ID_FS_TYPE='))"
# formatting through the link: refused without -f (a cache is there), done with it
if /usr/sbin/mkcachestore -q -L $LABEL /dev/disk/by-label/$LABEL 2>/tmp/err; then
	fail "mkcachestore overwrote a cache without -f"
fi
grep -q "cachestore" /tmp/err || fail "mkcachestore's refusal does not name the cache: $(cat /tmp/err)"
/usr/sbin/mkcachestore -q -f -L $LABEL /dev/disk/by-label/$LABEL || fail "mkcachestore -f by label"
udevadm trigger --action=change "$CS_DISK_CACHE"
udevadm settle -t 30
[ -L /dev/disk/by-label/$LABEL ] || fail "by-label link gone after formatting again"
log "formatted by /dev/disk/by-label/$LABEL (refused without -f: $(head -n 1 /tmp/err))"

# --- 3. bound from fstab ---------------------------------------------------------------
mkdir -p $C
echo "LABEL=$LABEL $C cachestore nofail,commit=2000 0 0" >> /etc/fstab
mount $C || fail "mount $C (from fstab)"
grep -q "^$CS_DISK_CACHE $C cachestore rw,.*tag=$LABEL,commit=2000," /proc/mounts ||
	fail "not bound as fstab says: $(grep cachestore /proc/mounts)"
log "bound from fstab: $(grep " $C " /proc/mounts)"
CS_CACHE_DEV=$CS_DISK_CACHE	# for lib.sh's counters (cachestore_bind sets it)
nfs_server $S
mkdata $S/f1 2 1
mkdata $S/f2 2 2
n=$(($(pages $S/f1) + $(pages $S/f2)))
nfs_mount 3 $S $M
check() { verify $M/f1 "$(sum $S/f1)"; verify $M/f2 "$(sum $S/f2)"; }
cold_read $M "$n" check
warm_read $M "$n" check

# --- 4. retuned, evicted, dumped -----------------------------------------------------------
SYS=/sys/fs/cachestore/${CS_DISK_CACHE#/dev/}
mount -o remount,brun=20,bcull=15 $C || fail "remount"
echo 5000 > $SYS/commit || fail "sysfs commit"
grep -q " $C cachestore rw,.*,commit=5000,.*brun=20,bcull=15," /proc/mounts ||
	fail "remount and sysfs not both in effect: $(grep " $C " /proc/mounts)"
log "retuned: $(grep " $C " /proc/mounts)"
sync
vid=$(awk '$3 ~ /^nfs,3\.0,/ { print $1 }' $C/volumes)
[ -n "$vid" ] || fail "no NFSv3 volume in $C/volumes"
live=$(cat $SYS/objects_live)
umount $M
echo "$vid" > $SYS/evict || fail "evict $vid"
[ "$(cat $SYS/objects_live)" -eq 0 ] || fail "objects live after evicting volume $vid ($live before)"
log "evicted volume $vid: $live objects"
umount $C
out=$(/usr/sbin/dumpcachestore /dev/disk/by-label/$LABEL) || fail "dumpcachestore"
line=$(awk -v v="$vid" '/^Volumes/ { f = 1; next } f && $1 == v' <<< "$out")
echo "$line"
[ -n "$line" ] && [ "$(awk '{ print $3 }' <<< "$line")" = 0 ] ||
	fail "dumpcachestore does not show volume $vid emptied"
grep -Eq '^  Live: +0$' <<< "$out" || fail "dumpcachestore shows live objects"
/usr/sbin/fsck.cachestore -n /dev/disk/by-label/$LABEL || fail "fsck.cachestore after the session"

# --- 5. unloaded, removed -----------------------------------------------------------------------
rmmod cachestore || fail "rmmod"
make -C "$CS_REPO" dkms-remove DESTDIR="$root" DKMS_FLAGS="$flags" > /tmp/dkms.log 2>&1 ||
	{ tail -n 30 /tmp/dkms.log; fail "make dkms-remove"; }
! dkms $flags status -m cachestore | grep -q . || fail "dkms status still lists cachestore: $(dkms $flags status -m cachestore)"
! find "$mdir" -name 'cachestore.ko*' | grep -q . || fail "cachestore.ko left under $mdir: $(find "$mdir" -name 'cachestore.ko*')"
! modinfo cachestore > /dev/null 2>&1 || fail "modinfo still finds cachestore after dkms-remove"
[ ! -e "$root/usr/src/cachestore-1.0" ] || fail "make dkms-remove left $root/usr/src/cachestore-1.0"
log "make dkms-remove: gone from DKMS and from $mdir"
kernel_clean
log ok
