# Sourced by the scripts that build a guest from Debian's kernel package
# (tests/guest/build-guest, tests/lab/build-lab).

. "$(dirname "${BASH_SOURCE[0]}")/debian.sh"

# apt-get and apt-cache options: empty for this machine's own sources;
# kernel_suite_use sets them for another Debian suite's.
kernel_apt=()

# kernel_suite_use SUITE DIR: take the kernel from Debian's SUITE (trixie)
# through an apt configuration of its own under DIR (its sources.list,
# package lists and cache), which leaves this machine's sources as they
# are; the lists are refreshed here.
kernel_suite_use() {
        local suite=$1 dir=$2
        mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
        printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
                "$(debian_mirror)" "$suite" >"$dir/sources.list"
        : >"$dir/status"
        kernel_apt=(
                -o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=-
                -o "Dir::State::lists=$dir/lists" -o "Dir::State::status=$dir/status"
                -o "Dir::Cache=$dir/cache" -o Debug::NoLocking=1
        )
        apt-get "${kernel_apt[@]}" -o APT::Sandbox::User="$(id -un)" update -qq
}

# kernel_package_pick: sets kpkg and kver_pkg to the package that
# linux-image-amd64 depends on right now, else the newest
# linux-image-*-amd64 the package lists know.
kernel_package_pick() {
        kpkg=$(apt-cache "${kernel_apt[@]}" depends linux-image-amd64 2>/dev/null |
                sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
        if [ -z "$kpkg" ]; then
                kpkg=$(apt-cache "${kernel_apt[@]}" search --names-only '^linux-image-[0-9.]+-[0-9]+-amd64$' |
                        awk '{print $1}' | sort -V | tail -n 1)
        fi
        [ -n "$kpkg" ] || return 1
        kver_pkg=$(apt-cache "${kernel_apt[@]}" policy "$kpkg" | sed -n 's/^ *Candidate: //p')
        [ -n "$kver_pkg" ] && [ "$kver_pkg" != "(none)" ]
}

# kernel_package_unpack DIR: downloads $kpkg=$kver_pkg and unpacks it into
# DIR; sets kver (the kernel release) and kmoddir (DIR/lib/modules/$kver).
kernel_package_unpack() {
        local dir=$1 dl deb
        dl=$(mktemp -d)
        # apt's download sandbox user (_apt) cannot write to a private
        # directory; download as the caller instead of having apt warn
        if ! (cd "$dl" && apt-get "${kernel_apt[@]}" download -q -o APT::Sandbox::User="$(id -un)" "$kpkg=$kver_pkg"); then
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
        # trixie's packages put the modules under /usr (merged /usr)
        if [ ! -d "$dir/lib/modules" ] && [ -d "$dir/usr/lib/modules" ]; then
                mkdir -p "$dir/lib"
                mv "$dir/usr/lib/modules" "$dir/lib/modules"
        fi
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

# kernel_headers_unpack DIR: downloads the headers for $kpkg=$kver_pkg (its
# linux-headers package, the -common one and linux-kbuild) and unpacks them
# into DIR, where `make -C $kheaders M=...` builds external modules; sets
# kheaders. The unpacked Makefile's absolute path is pointed into DIR. When
# the kbuild tools need a newer C library than this machine's (trixie's
# need glibc 2.38), each runs through the suite's own libc6, unpacked
# beside them, and its loader.
kernel_headers_unpack() {
        local dir=$1 hpkg deps dl f
        hpkg=${kpkg/linux-image-/linux-headers-}
        deps=$(apt-cache "${kernel_apt[@]}" depends "$hpkg=$kver_pkg" |
                sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ <]*\)$/\1/p')
        dl=$(mktemp -d)
        if ! (cd "$dl" && apt-get "${kernel_apt[@]}" download -q -o APT::Sandbox::User="$(id -un)" \
                "$hpkg=$kver_pkg" $deps); then
                echo "apt-get download $hpkg=$kver_pkg $deps failed" >&2
                rm -rf "$dl"
                return 1
        fi
        for f in "$dl"/*.deb; do
                dpkg -x "$f" "$dir" || { echo "dpkg -x $f failed" >&2; rm -rf "$dl"; return 1; }
        done
        rm -rf "$dl"
        kheaders=$dir/usr/src/$hpkg
        sed -i "s|^include /usr/src/|include $dir/usr/src/|" "$kheaders/Makefile"
        _kernel_kbuild_libc "$dir" || return 1
}

_kernel_kbuild_libc() {
        local dir=$1 f d elfs=() libdir dl
        # programs only (with a loader): a shared object (a gcc plugin)
        # must stay what dlopen() reads
        while IFS= read -r f; do
                readelf -l "$f" 2>/dev/null | grep -q 'Requesting program interpreter' && elfs+=("$f")
        done < <(find "$dir/usr/lib" -path '*/linux-kbuild-*' -type f -perm -u+x)
        for f in "${elfs[@]}"; do
                ldd "$f" 2>&1 | grep -q 'version .* not found' && break
                f=
        done
        [ -n "${f:-}" ] || return 0
        echo "kernel: $(ldd "$f" 2>&1 | grep -o "version .GLIBC[^ ]* not found" | head -n 1) for ${f##*/}:" \
                "the kbuild tools run with the suite's libc6 through its loader" >&2
        dl=$(mktemp -d)
        if ! (cd "$dl" && apt-get "${kernel_apt[@]}" download -q -o APT::Sandbox::User="$(id -un)" libc6 libelf1t64 zlib1g) ||
                ! (for d in "$dl"/*.deb; do dpkg -x "$d" "$dir/libc" || exit 1; done); then
                echo "could not fetch the suite's libc6, libelf1t64, zlib1g" >&2
                rm -rf "$dl"
                return 1
        fi
        rm -rf "$dl"
        libdir=$dir/libc/usr/lib/x86_64-linux-gnu
        # --argv0: Debian's wrappers (modpost, objtool) pick their real
        # binary by the name they were called with
        for f in "${elfs[@]}"; do
                mv "$f" "$f.elf"
                printf '#!/bin/sh\nexec "%s/ld-linux-x86-64.so.2" --library-path "%s" --argv0 "$0" "$0.elf" "$@"\n' \
                        "$libdir" "$libdir" >"$f"
                chmod 0755 "$f"
        done
}
