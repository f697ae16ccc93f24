# Sourced by the scenarios of the desktop shape (tests/lab/run with
# VMRUN_LAB_SHAPE=desktop), after vmrun-lib.sh: udev, logind, greetd
# logging "desk" into weston on card0, the user's PipeWire and WirePlumber
# on the GPU's HDA and on the host's own sound card (00:1b.0).

user=desk
host_hda=0000:00:1b.0

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

as_user() { # COMMAND...: as the desktop user, in its session's runtime dir
        runuser -u "$user" -- env XDG_RUNTIME_DIR="/run/user/$uid" "$@"
}

# holders PATTERN...: every process with a node matching one of the
# find -lname patterns open, a line each: PID comm node ×fds cgroup
holders() {
        local expr=() p
        for p in "$@"; do
                [ ${#expr[@]} -gt 0 ] && expr+=(-o)
                expr+=(-lname "$p")
        done
        find /proc/[0-9]*/fd -maxdepth 1 -type l \( "${expr[@]}" \) -printf '%h %l\n' 2>/dev/null |
                sed 's|^/proc/\([0-9]*\)/fd |\1 |' | sort -n | uniq -c |
                while read -r n pid node; do
                        echo "PID $pid $(cat /proc/"$pid"/comm 2>/dev/null) $node x$n $(cut -d: -f3- /proc/"$pid"/cgroup 2>/dev/null)"
                done
}
gpu_nodes() { # find patterns of the GPU's nodes: its DRM nodes, the HDA card's
        echo /dev/dri/card0 /dev/dri/renderD128
        [ -n "${gpu_card:-}" ] && echo "/dev/snd/controlC$gpu_card /dev/snd/pcmC${gpu_card}D* /dev/snd/hwC${gpu_card}D*"
}
show_holders() { # TITLE
        echo "lab: $1:"
        # shellcheck disable=SC2046
        holders $(gpu_nodes) | sed 's/^/    /'
        echo "    (the host's own card, card$host_card:)"
        holders "/dev/snd/*C${host_card}" "/dev/snd/*C${host_card}D*" | sed 's/^/        /'
}

weston_pid() { pgrep -u "$user" -x weston | head -n 1; }
weston_on_card0() {
        local p
        p=$(weston_pid) && [ -n "$p" ] &&
                find /proc/"$p"/fd -maxdepth 1 -lname /dev/dri/card0 2>/dev/null | grep -q . &&
                grep -q '/session-[0-9]*\.scope$' /proc/"$p"/cgroup
}
user_session() { # the desktop user's session on seat0 (greetd's), else fails
        local s
        for s in $(loginctl show-user "$user" -p Sessions --value 2>/dev/null); do
                [ "$(loginctl show-session "$s" -p Seat --value)" = seat0 ] &&
                        [ "$(loginctl show-session "$s" -p State --value)" != closing ] && { echo "$s"; return 0; }
        done
        return 1
}
has_session() { user_session >/dev/null; }
session_gone() { ! loginctl show-session "$1" >/dev/null 2>&1; }
card0_free() { [ -z "$(holders /dev/dri/card0)" ]; }
user_proc_in_manager() { # NAME: NAME runs as the user in user@UID.service
        local p
        p=$(pgrep -u "$user" -x "$1" | head -n 1) && [ -n "$p" ] &&
                grep -q "/user@$uid.service/" /proc/"$p"/cgroup
}
pw_sink_of() { # PCI address → the node.name of its ALSA sink in PipeWire
        as_user pw-dump 2>/dev/null | jq -r --arg a "alsa_output.pci-${1//:/_}" \
                '.[] | select(.type == "PipeWire:Interface:Node") | .info.props["node.name"] // empty | select(startswith($a))' | head -n 1
}
both_sinks() { [ -n "$(pw_sink_of $aud)" ] && [ -n "$(pw_sink_of $host_hda)" ]; }
gpu_pcm_open() { [ -n "$(holders "/dev/snd/pcmC${gpu_card}D*")" ]; }
greeter_up() { loginctl list-sessions --no-legend | grep -q ' _greetd '; }
export -f holders weston_pid weston_on_card0 user_session has_session session_gone card0_free \
        user_proc_in_manager pw_sink_of both_sinks gpu_pcm_open greeter_up as_user
export user uid aud host_hda gpu_card

# ssh as desk to localhost, the way a user drives vmrun: each argument is
# one word on the remote side (the remote shell splits the command line
# ssh sends; %q keeps every word whole). No stdin: a background ssh would
# otherwise take the scenario's.
desk_ssh() {
        ssh -n "$user@localhost" "$(printf '%q ' "$@")"
}

# the devices logind gave session ID (TakeDevice), as its session file
# keeps them: major:minor, space-separated
session_devices() { sed -n 's/^DEVICES=//p' "/run/systemd/sessions/$1" 2>/dev/null; }
session_has_card0() { # ID
        local card0
        card0=$(printf '%d:%d' "0x$(stat -c %t /dev/dri/card0)" "0x$(stat -c %T /dev/dri/card0)")
        [[ " $(session_devices "$1") " == *" $card0 "* ]]
}
export -f session_devices session_has_card0

# facts of user units: the properties that say whether, and how, it can
# be stopped, and what it is part of
user_unit_facts() { # UNIT...
        local u
        for u in "$@"; do
                echo "    $u: $(as_user systemctl --user show "$u" -p ActiveState -p RefuseManualStart \
                        -p RefuseManualStop -p PartOf -p BindsTo -p Slice -p CollectMode 2>&1 | tr '\n' ' ')"
        done
}

# holders of the GPU's DRM nodes and the units they run in: which manager
# (system or desk's) and which unit
show_drm_holders() { # TITLE
        local line cg u
        echo "lab: $1:"
        holders /dev/dri/card0 /dev/dri/renderD128 | while read -r line; do
                echo "    $line"
        done
        echo "    their user units:"
        # shellcheck disable=SC2046
        user_unit_facts $(holders /dev/dri/card0 /dev/dri/renderD128 | awk '{print $NF}' |
                sed -n "s#.*/user@$uid\.service/\(.*/\)\?\([^/]*\.\(service\|scope\)\)\$#\2#p" | sort -u)
}

# desk's xfwm4 (Xfce's window manager) runs in the scope of session ID:
# an X session's clients are the session's, not the user manager's
xfwm4_in_session() { # ID
        local p
        for p in $(pgrep -u "$user" -x xfwm4); do
                grep -q "/session-$1\.scope\$" /proc/"$p"/cgroup 2>/dev/null && return 0
        done
        return 1
}
export -f xfwm4_in_session

# a WAV of SECONDS of silence, 8 kHz mono s16
make_wav() { # FILE SECONDS
        local n=$(($2 * 16000))
        le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
        le16() { printf '\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)); }
        {
                printf "RIFF$(le32 $((36 + n)))WAVEfmt $(le32 16)$(le16 1)$(le16 1)$(le32 8000)$(le32 16000)$(le16 2)$(le16 16)data$(le32 $n)"
                head -c "$n" /dev/zero
        } >"$1"
}


# The ALSA card numbers of the GPU's HDA and the host's own, once udev
# has them.
find_cards() {
        gpu_card=$(ls /sys/bus/pci/devices/$aud/sound 2>/dev/null | sed -n 's/^card//p' | head -n 1)
        host_card=$(ls /sys/bus/pci/devices/$host_hda/sound 2>/dev/null | sed -n 's/^card//p' | head -n 1)
        export gpu_card host_card
}

# The desktop as the display manager brings it: a session of desk on
# seat0 whose weston has card0, and PipeWire with both cards.
desktop_up() { weston_on_card0 && both_sinks; }
export -f desktop_up
