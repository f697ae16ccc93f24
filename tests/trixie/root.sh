# Sourced by tests/trixie/build-root and tests/trixie/run: a Debian root
# this machine enters with chroot, and the file systems it lends it.
#
# This machine's /proc, /sys, /dev and /dev/pts (and /dev/shm) are bound
# into the root only while something runs there, and unbound by a trap of
# the script that bound them. A root is removed only when nothing is
# mounted under it: an rm -rf through a bound /dev or /sys would empty
# this machine's.

# root_mounts ROOT: prints what is mounted at or under ROOT, one a line
root_mounts() {
        local root
        root=$(realpath -m "$1")
        findmnt -rn -o TARGET | awk -v r="$root" '$0 == r || index($0, r "/") == 1'
}

# root_bind ROOT: binds this machine's kernel file systems into ROOT; the
# caller traps root_unbind ROOT. ROOT is bound onto itself first: a mount
# point, as a system's / is, which `unshare --mount` needs (it makes /
# private). Its /run is a tmpfs of its own, empty at each entry as a
# booted system's is (vmrun's /run/vmrun, its locks, are made anew).
root_bind() {
        local root=$1 d
        if ! mount --bind "$root" "$root"; then
                echo "root: mount --bind $root $root failed" >&2
                return 1
        fi
        for d in proc sys dev dev/pts dev/shm; do
                [ "$d" = dev/shm ] && ! mountpoint -q /dev/shm && continue
                mkdir -p "$root/$d"
                if ! mount --bind "/$d" "$root/$d"; then
                        echo "root: mount --bind /$d $root/$d failed" >&2
                        return 1
                fi
        done
        mkdir -p "$root/run"
        if ! mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run" || ! mkdir -m 1777 "$root/run/lock"; then
                echo "root: a tmpfs on $root/run failed" >&2
                return 1
        fi
}

# root_unbind ROOT: unmounts everything under ROOT, deepest first; says
# what stays mounted and fails then
root_unbind() {
        local root=$1 m left
        while IFS= read -r m; do
                umount "$m" || umount --lazy "$m" ||
                        echo "root: umount $m failed" >&2
        done < <(root_mounts "$root" | sort -r)
        left=$(root_mounts "$root")
        if [ -n "$left" ]; then
                echo "root: still mounted under $root: $left" >&2
                return 1
        fi
}

# root_remove ROOT: rm -rf ROOT, refused while anything is mounted under it
root_remove() {
        local root=$1 left
        [ -e "$root" ] || return 0
        left=$(root_mounts "$root")
        if [ -n "$left" ]; then
                echo "root: not removing $root: mounted under it: $left (umount them first)" >&2
                return 1
        fi
        rm -rf --one-file-system "$root"
}

# root_run ROOT COMMAND...: COMMAND in ROOT, as root, with a clean
# environment but for the variables named in root_env
root_env=()
root_run() {
        local root=$1
        shift
        chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
                PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                DEBIAN_FRONTEND=noninteractive "${root_env[@]}" "$@"
}
