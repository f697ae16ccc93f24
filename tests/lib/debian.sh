# Sourced by the scripts that fetch from another Debian suite than this
# machine's (tests/lib/kernel.sh, tests/trixie/build-root).

# debian_mirror: prints the Debian mirror this machine's apt uses (its
# debian.sources), deb.debian.org if it names none.
debian_mirror() {
        local mirror
        mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
        echo "${mirror:-http://deb.debian.org/debian}"
}
