# Sourced by the scripts that build a guest from Debian's kernel package
# (tests/guest/build-guest, tests/lab/build-lab).

# kernel_package_pick: sets kpkg and kver_pkg to the package that
# linux-image-amd64 depends on right now, else the newest
# linux-image-*-amd64 the package lists know.
kernel_package_pick() {
        kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
                sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
        if [ -z "$kpkg" ]; then
                kpkg=$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-amd64$' |
                        awk '{print $1}' | sort -V | tail -n 1)
        fi
        [ -n "$kpkg" ] || return 1
        kver_pkg=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
        [ -n "$kver_pkg" ] && [ "$kver_pkg" != "(none)" ]
}

# kernel_package_unpack DIR: downloads $kpkg=$kver_pkg and unpacks it into
# DIR; sets kver (the kernel release) and kmoddir (DIR/lib/modules/$kver).
kernel_package_unpack() {
        local dir=$1 dl deb
        dl=$(mktemp -d)
        # apt's download sandbox user (_apt) cannot write to a private
        # directory; download as the caller instead of having apt warn
        if ! (cd "$dl" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$kpkg=$kver_pkg"); then
                echo "apt-get download $kpkg=$kver_pkg failed" >&2
                rm -rf "$dl"
                return 1
        fi
        deb=$(ls "$dl"/*.deb)
        if ! dpkg -x "$deb" "$dir"; then
                echo "dpkg -x $deb failed" >&2
                rm -rf "$dl"
                return 1
        fi
        rm -rf "$dl"
        kver=$(ls "$dir/boot" | sed -n 's/^vmlinuz-//p' | head -n 1)
        kmoddir=$dir/lib/modules/$kver
        if [ -z "$kver" ] || [ ! -d "$kmoddir" ]; then
                echo "$kpkg has no boot/vmlinuz-* with its lib/modules" >&2
                return 1
        fi
}

# kernel_modules_copy MODDIR DEST NAME...: copies each named module and,
# before it, those it depends on, uncompressed, into DEST as NAME.ko, and
# writes DEST/load-order for insmod. Modules built into the kernel are
# skipped.
kernel_modules_copy() {
        local moddir=$1 dest=$2 m
        shift 2
        _km_order=()
        declare -gA _km_seen=()
        for m in "$@"; do
                _kernel_module_add "$moddir" "$dest" "$m" || return 1
        done
        printf '%s\n' "${_km_order[@]}" >"$dest/load-order"
        kernel_modules_loaded=("${_km_order[@]}")
}

_kernel_module_add() {
        local moddir=$1 dest=$2 name=${3//-/_} path dep deps
        [ -z "${_km_seen[$name]:-}" ] || return 0
        _km_seen[$name]=1
        if grep -qE "/(${name}|${name//_/-})\.ko\$" "$moddir/modules.builtin"; then
                return 0
        fi
        path=$(find "$moddir/kernel" -regextype posix-extended \
                -regex ".*/(${name}|${name//_/-})\.ko(\.xz|\.zst|\.gz)?" | head -n 1)
        if [ -z "$path" ]; then
                echo "module $name is neither built in nor in $moddir" >&2
                return 1
        fi
        deps=$(modinfo -F depends "$path")
        for dep in ${deps//,/ }; do
                _kernel_module_add "$moddir" "$dest" "$dep" || return 1
        done
        case "$path" in
        *.xz) xz -dc "$path" >"$dest/$name.ko" ;;
        *.zst) zstd -qdc "$path" >"$dest/$name.ko" ;;
        *.gz) gzip -dc "$path" >"$dest/$name.ko" ;;
        *) cp "$path" "$dest/$name.ko" ;;
        esac
        _km_order+=("$name")
}
