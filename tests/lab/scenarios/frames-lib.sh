# Sourced by the scenarios that look at the lab's screen: what the lab's
# GPU (01:00.0) scans out, the laptop panel's analogue, taken from outside
# the lab by tests/lab/frames (a QMP screendump on the lab's QEMU) and
# saved there as LAB_DIR/last/frames/NAME.png; and by those that press the
# lab's own power button. Needs vmrun-lib.sh.

frames=$top/tests/lab/frames

take() { # NAME: the lab's screen now, into $work/NAME.ppm
        python3 "$frames" take "$1" "$work/$1.ppm" | sed 's/^/    picture /'
        [ "${PIPESTATUS[0]}" -eq 0 ]
}

pic() { python3 "$frames" check "$@"; } # CHECK PICTURE... (tests/lab/frames)

# Retakes NAME until PREDICATE (a command given the picture's path) holds,
# at most SECONDS: a guest or a compositor draws at its own pace, and each
# take waits for the lab's QEMU to render the screen. On failure, says why
# (the last picture's, or the take's).
take_until() { # NAME SECONDS PREDICATE...
        local name=$1 end=$((SECONDS + $2))
        shift 2
        while :; do
                take "$name" || { echo "    no picture $name could be taken"; return 1; }
                "$@" "$work/$name.ppm" >/dev/null && return 0
                if [ "$SECONDS" -ge "$end" ]; then
                        "$@" "$work/$name.ppm" | sed 's/^/    /'
                        return 1
                fi
        done
}

# OVMF's boot screen: TianoCore's logo alone at the centre, its orange in it
ovmf_logo() { pic logo "$1" ff5500; }

# The lab's ACPI power button, pressed from outside as a laptop's is: this
# machine sends system_powerdown to the lab's QEMU (tests/lab/frames), and
# the lab's kernel sees its "Power Button" input device send KEY_POWER
press_power_button() { python3 "$frames" powerdown | sed 's/^/    /'; [ "${PIPESTATUS[0]}" -eq 0 ]; }
