# Sourced by the vmrun scenarios that run inside the lab (tests/lab/boot):
# systemd is PID 1, display-manager.service holds /dev/dri/card0, the
# emulated GPU (1234:1111, bochs-drm) and its audio function (ich9 HDA,
# snd_hda_intel) sit at 01:00.0/01:00.1 in one IOMMU group.
#
# A scenario states what vmrun promises with `check NAME CONDITION...`
# (or `ok NAME` / `fail NAME WHY`) and ends with `finish`, which prints the
# `lab: N passed, N failed` line the host side reads.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
VMRUN=${VMRUN:-$top/build/vmrun}
gpu=0000:01:00.0
aud=0000:01:00.1
work=$(mktemp -d /run/vmrun-lab.XXXXXX)
suite=lab
. "$top/tests/lib/checks.sh"

driver_of() { # PCI address → bound driver, or "none"
        local l
        l=$(readlink "/sys/bus/pci/devices/$1/driver") || { echo none; return; }
        echo "${l##*/}"
}

# Everything a handover changes, one fact a line, so that "the host is as
# it was" is a string comparison and a difference is a readable diff.
host_state() {
        local d v f m
        for d in $gpu $aud; do
                echo "driver $d $(driver_of $d)"
                echo "driver_override $d $(cat /sys/bus/pci/devices/$d/driver_override)"
        done
        echo "drm card of $gpu: $(ls /sys/bus/pci/devices/$gpu/drm 2>/dev/null | grep '^card' | tr '\n' ' ')"
        for v in /sys/class/vtconsole/vtcon*; do
                echo "$(basename "$v") $(cat "$v/name") bind=$(cat "$v/bind")"
        done
        for f in /sys/bus/platform/devices/efi-framebuffer.* /sys/bus/platform/devices/simple-framebuffer.* \
                /sys/bus/platform/devices/simpledrm.* /sys/bus/platform/devices/vesa-framebuffer.*; do
                [ -e "$f" ] || continue
                echo "framebuffer $(basename "$f") driver=$( (readlink "$f/driver" || echo none) | sed 's|.*/||')"
        done
        for m in bochs snd_hda_intel; do
                echo "module $m $(cat /sys/module/$m/initstate 2>/dev/null || echo absent)"
        done
        echo "display-manager.service $(systemctl is-active display-manager.service)"
        echo "vfio group nodes: $(ls /dev/vfio 2>/dev/null | grep -v '^vfio$' | tr '\n' ' ')"
}

# A scenario that knows more of the host than host_state sets state_fn.
same_state_as() { # NAME BEFORE: the host is exactly as BEFORE
        local now
        now=$("${state_fn:-host_state}")
        if [ "$now" = "$2" ]; then
                ok "$1"
        else
                fail "$1" "host state differs (- before, + now):"
                diff <(echo "$2") <(echo "$now") | sed -n 's/^[<>]/    &/p' | sed 's/    </    -/; s/    >/    +/'
        fi
}

iommu_group() { basename "$(readlink /sys/bus/pci/devices/$gpu/iommu_group)"; }

# The state while the guest has the GPU.
handed_over() {
        [ "$(driver_of $gpu)" = vfio-pci ] && [ "$(driver_of $aud)" = vfio-pci ] &&
                [ -e "/dev/vfio/$(iommu_group)" ] && [ ! -e /sys/module/bochs ] &&
                ! systemctl -q is-active display-manager.service
}

# The nested guest's profile: SeaBIOS (OVMF under nested TCG is slow and
# adds nothing to the host side), both functions, the stdvga vBIOS as the
# romfile, a short shutdown timeout: SeaBIOS with no disk ignores ACPI.
# FIRMWARE=, MEMORY=, SHUTDOWN= (seconds) and ROM= (a file) change those;
# ROM_ACPI= sets [gpu] rom-acpi.
write_profile() { # NAME [extra INI lines...]
        local name=$1 firmware=${FIRMWARE:-bios} memory=${MEMORY:-128M} shutdown=${SHUTDOWN:-5}
        local rom=${ROM:-/usr/share/seabios/vgabios-stdvga.bin}
        shift
        mkdir -p /etc/vmrun
        {
                cat <<PROFILE
[vm]
name = $name
memory = $memory
cpus = 1
accel = tcg
firmware = $firmware

[gpu]
address = $gpu
functions = $aud
rom = $rom
${ROM_ACPI:+rom-acpi = $ROM_ACPI}

[network]
mode = none

[qemu]
timeout-shutdown = $shutdown
PROFILE
                printf '%s\n' "$@"
        } >/etc/vmrun/$name.profile
        chmod 0644 /etc/vmrun/$name.profile
}

# The test guest (tests/guest, in VMRUN_GUEST_DIR, which tests/lab/run
# passes) as the nested guest: a Linux that powers off on the ACPI power
# button and says what it does on its console (/run/vmrun/NAME/console.log).
# APPEND: more of its command line. Says why when it cannot. Under
# FIRMWARE=uefi it boots the compressed kernel: OVMF needs its EFI stub
# (SeaBIOS starts the uncompressed one, faster, through its PVH entry).
write_guest_profile() { # NAME [APPEND]
        local dir=${VMRUN_GUEST_DIR:-} boot=/var/lib/vmrun-lab-guest f kernel=vmlinux
        [ "${FIRMWARE:-bios}" = bios ] || kernel=vmlinuz
        [ -n "$dir" ] || { echo "VMRUN_GUEST_DIR is not set (tests/lab/run sets it)"; return 1; }
        for f in $kernel initramfs.cpio.gz; do
                [ -f "$dir/$f" ] || { echo "$dir/$f is missing (tests/guest/build-guest $dir)"; return 1; }
        done
        # where QEMU's user can read them (the host's /root is not)
        install -d -m 0755 "$boot"
        install -m 0644 "$dir/$kernel" "$dir/initramfs.cpio.gz" "$boot/"
        # this guest powers off on the button, as the supervisor's timeline
        # shows; under TCG in TCG that took 4-6s from the press: 5s was a race
        SHUTDOWN=${SHUTDOWN:-120} write_profile "$1" "[boot]" "kernel = $boot/$kernel" "initrd = $boot/initramfs.cpio.gz" \
                "append = console=ttyS0 ${2:-}"
}

# Wait until FILE has a line with TEXT (tail -F: an inotify wait), at most
# SECONDS.
wait_for() {
        local file=$1 text=$2 t=${3:-120} rc
        coproc TAILP { exec tail -F -n +1 "$file" 2>/dev/null; }
        local tail_pid=$TAILP_PID
        timeout "$t" grep -q -m1 -F -- "$text" <&"${TAILP[0]}"
        rc=$?
        kill "$tail_pid" 2>/dev/null
        wait "$tail_pid" 2>/dev/null
        return $rc
}

# until_true SECONDS COMMAND...: COMMAND until it succeeds, every 0.2s, at
# most SECONDS, for what no event announces (COMMAND may be a function of
# the script: export -f it)
until_true() {
        local t=$1
        shift
        timeout "$t" bash -c 'until "$@"; do sleep 0.2; done' _ "$@"
}

# SECONDS COMMAND...: until_true, its answer kept in $seen ("yes", or
# what was not seen) for the check that reports it (`check NAME test
# "$seen" = yes`). A second look would ask again, and a desktop starting
# under TCG has said no to it between two that said yes: gnome-shell held
# card0 at 48 s and not a moment later (its probe's open, before the one
# from logind), a user unit's state asked while its manager was busy.
wait_seen() {
        if until_true "$@"; then seen=yes; else seen="not within $1 s: ${*:2}"; fi
}

# Wait for background PID to exit, at most SECONDS; its status in $exit_status.
wait_exit() {
        local pid=$1 t=${2:-120}
        timeout "$t" tail --pid="$pid" -f /dev/null || return 1
        wait "$pid"
        exit_status=$?
}

# start NAME: the supervisor in the background until the guest runs.
start_vm() {
        local name=$1
        log=$work/$name.log
        # emptied here, not by the background job's redirection: the wait
        # below would otherwise find an earlier run's "guest running"
        : >"$log"
        # not on the scenario's stdout: a supervisor left running would
        # hold in-lab's pipe open, and the lab would wait for it
        "$VMRUN" run "$name" >/dev/null 2>"$log" &
        sup_pid=$!
        if ! wait_for "$log" "guest running" 180; then
                echo "    the supervisor's timeline:"
                sed 's/^/    /' "$log"
                return 1
        fi
}

show_log() { [ -f "${log:-}" ] && sed 's/^/    | /' "$log"; }
