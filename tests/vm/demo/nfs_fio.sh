#!/bin/bash
# The main job inside the VM: NFSv3 on loopback (with emulated network
# latency), a file read with fio cold and warm, once per cache configuration,
# all in one run.  Writes a table to /results/demo.txt.
#   args: FILE_MIB DELAY_MS RATE CONFIGS...
#   configs: nocache cachefiles cachestore
. "$CS_REPO/tests/vm/lib.sh"
mib=${1:-256} delay=${2:-5} rate=${3:-100mbit}
shift 3 || true
configs=${*:-nocache cachefiles cachestore}

nfs_server /srv/export "$CS_DISK_EXPORT"
mkdata /srv/export/warmup 32 7
mkdata /srv/export/data "$mib" 8
want=$(sum /srv/export/data)
netem "$delay" "$rate"

# fio_read FILE: sequential buffered read of the whole file, MiB/s on stdout
fio_read() {
	fio --name=read --filename="$1" --rw=read --bs=1M --ioengine=psync \
		--invalidate=1 --readonly --output-format=json 2>/dev/null |
		python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.1f" % (j["jobs"][0]["read"]["bw"] / 1024))'
}

# Raw device read speed of the cache disk, for scale.
raw=$(fio --name=raw --filename="$CS_DISK_CSTORE" --rw=read --bs=1M --size=256M \
	--direct=1 --readonly --ioengine=psync --output-format=json 2>/dev/null |
	python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.1f" % (j["jobs"][0]["read"]["bw"] / 1024))')

printf '%-12s %12s %12s %14s\n' config "cold MiB/s" "warm MiB/s" "cache pages" > /results/demo.txt
for c in $configs; do
	mnt=/mnt/$c opts=nosharecache
	case $c in
	nocache) mkdir -p $mnt; mount -t nfs -o vers=3,$opts 127.0.0.1:/srv/export $mnt ;;
	cachefiles) cachefiles_bind "$CS_DISK_FSCACHE"; nfs_mount 3 /srv/export $mnt $opts ;;
	cachestore) cachestore_bind "$CS_DISK_CSTORE" /mnt/cstore; nfs_mount 3 /srv/export $mnt $opts ;;
	*) fail "unknown config $c" ;;
	esac
	# TCG translates code on first use: warm the code paths up first.
	fio_read $mnt/warmup > /dev/null; drop_caches; fio_read $mnt/warmup > /dev/null
	drop_caches
	cold=$(fio_read $mnt/data)
	drop_caches
	# pages from the cache (NFS read_ok; on 6.12 the cache disk's, see lib.sh)
	ok0=0 ok1=0
	[ $c = nocache ] || ok0=$(nfs_fsc_stat $mnt 0 || echo 0)
	warm=$(fio_read $mnt/data)
	[ $c = nocache ] || ok1=$(nfs_fsc_stat $mnt 0 || echo 0)
	verify $mnt/data "$want"
	printf '%-12s %12s %12s %14s\n' "$c" "$cold" "$warm" "$(( ${ok1:-0} - ${ok0:-0} ))" >> /results/demo.txt
	umount $mnt
	[ $c = cachefiles ] && cachefiles_unbind
	[ $c = cachestore ] && { cat /mnt/cstore/stats; cachestore_unbind /mnt/cstore; }
	true
done
printf '%-12s %12s %12s %14s\n' "raw disk" "$raw" "-" "-" >> /results/demo.txt
netem_off
cat /results/demo.txt
