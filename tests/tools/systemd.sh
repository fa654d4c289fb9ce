#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The fstab lines the admin guide and cachestore(5) give for binding the
# cache at boot: systemd-fstab-generator turns them into units that
# systemd-analyze verify accepts, the cache's unit is only wanted (nofail),
# and the NFS mount is ordered after it without requiring it.  A variant
# without x-systemd.after= must fail the ordering check.  No VM, no root.
. "$(dirname "$0")/common.bash"
GEN=/lib/systemd/system-generators/systemd-fstab-generator
DOC=Documentation/filesystems/caching/cachestore.rst
MAN=tools/man/cachestore.5
for f in "$GEN" "$(command -v systemd-analyze)"; do
	[ -x "$f" ] || { echo "FAIL setup: ${f:-systemd-analyze} missing (make deps installs systemd)"; echo "0 passed, 1 failed"; exit 1; }
done

# The two lines after the guide's ".. fstab example" marker (the literal
# block that follows it).
awk '/^\.\. fstab example/ { on = 1; next }
	on && /^    [^ ]/ { sub(/^    /, ""); print; n++ }
	on && n == 2 { exit }' "$DOC" > "$T/fstab"
check doc-has-two-fstab-lines [ "$(wc -l < "$T/fstab")" -eq 2 ]
check doc-cache-line grep -Eq '^[^ ]+ /var/cache/cachestore cachestore nofail ' "$T/fstab"
# cachestore(5) gives the same lines (roff escapes the hyphens)
check man-same-lines eval 'diff <(sed -n "/^\.SH EXAMPLES/,/^\.SH FILES/p" "$MAN" | sed "s/\\\\-/-/g" |
	grep -E "^(LABEL|server)") "$T/fstab"'

# gen FSTAB DIR: run the generator on FSTAB into DIR
gen() {
	rm -rf "$2"; mkdir -p "$2"
	SYSTEMD_FSTAB=$1 SYSTEMD_PROC_CMDLINE="" "$GEN" "$2" "$2" "$2"
}
# unit_has DIR UNIT LINE: the generated unit holds LINE
unit_has() { grep -qxF "$3" "$1/$2"; }

gen "$T/fstab" "$T/gen"
check generator-exit0 [ $? -eq 0 ]
cache=var-cache-cachestore.mount nfs=mnt-export.mount
check cache-unit [ -f "$T/gen/$cache" ]
check cache-unit-type unit_has "$T/gen" $cache Type=cachestore
check cache-unit-by-label unit_has "$T/gen" $cache What=/dev/disk/by-label/nfscache
# nofail: wanted by local-fs.target, not required
check cache-wanted [ -L "$T/gen/local-fs.target.wants/$cache" ]
check cache-not-required [ ! -e "$T/gen/local-fs.target.requires/$cache" ]
check nfs-unit [ -f "$T/gen/$nfs" ]
check nfs-after-cache unit_has "$T/gen" $nfs After=$cache
check nfs-not-requiring-cache eval '! grep -Eq "^(Requires|BindsTo|Requisite)=.*$cache" "$T/gen/$nfs"'
run systemd-analyze verify "$T/gen/$cache" "$T/gen/$nfs"
check analyze-verify eval '[ "$rc" -eq 0 ] && [ -z "$out" ] || { echo "$out"; false; }'

# The check can fail: without x-systemd.after= the NFS unit is not ordered.
sed 's/,x-systemd.after=[^ ]*//' "$T/fstab" > "$T/fstab.bad"
gen "$T/fstab.bad" "$T/bad"
check planted-no-after-is-caught eval '! unit_has "$T/bad" $nfs After=$cache'
# ...and requires-mounts-for, the stricter form the guide names, requires it
sed 's/x-systemd.after=/x-systemd.requires-mounts-for=/' "$T/fstab" > "$T/fstab.req"
gen "$T/fstab.req" "$T/req"
check requires-mounts-for-requires grep -qxF "RequiresMountsFor=/var/cache/cachestore" "$T/req/$nfs"
finish
