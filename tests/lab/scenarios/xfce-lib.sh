# Sourced by the scenarios of the Xfce shape (tests/lab/run with
# VMRUN_LAB_SHAPE=xfce), after vmrun-lib.sh: udev, logind, lightdm
# autologging "desk" into Xfce 4.18 on Xorg. Xorg runs as root in
# lightdm.service and opens /dev/dri/card0 itself (modesetting on
# bochs-drm): logind gives the session no device. desk's session scope
# has the X clients (xfce4-session, xfwm4, the panel, xfdesktop); its
# manager has PipeWire and WirePlumber. sshd on loopback, where root's
# key logs in as desk (tests/lab/lab-login).
#
# desktop-lib.sh's helpers (holders, as_user, user_session, find_cards,
# pw_sink_of, ...) hold here too: it is sourced first, and what is Xfce's
# own is defined here.
. "$(dirname "${BASH_SOURCE[0]}")/desktop-lib.sh"

dm_unit=lightdm.service

# lightdm's Xorg: root's, in lightdm.service's cgroup (the greeter's and
# the session's X server are the same one, started by the daemon)
xorg_pid() {
        local p
        for p in $(pgrep -u root -x Xorg); do
                grep -q "/system.slice/$dm_unit\$" /proc/"$p"/cgroup 2>/dev/null && { echo "$p"; return 0; }
        done
        return 1
}
holds_card0() { # PID
        find /proc/"$1"/fd -maxdepth 1 -lname /dev/dri/card0 2>/dev/null | grep -q .
}
xorg_on_card0() {
        local p
        p=$(xorg_pid) && holds_card0 "$p"
}
x11_session() { # ID: an x11 session of class user
        [ "$(loginctl show-session "$1" -p Type --value 2>/dev/null):$(loginctl show-session "$1" -p Class --value 2>/dev/null)" = x11:user ]
}
# The desktop as lightdm brings it: lightdm active, its Xorg on card0, a
# session of desk on seat0 of type x11, and desk's xfwm4 in it.
xfce_up() {
        local s
        systemctl -q is-active "$dm_unit" && xorg_on_card0 && s=$(user_session) && x11_session "$s" &&
                xfwm4_in_session "$s"
}
# desk's session on seat0 is a new one: not ID
new_xfce_up() { # ID
        local s
        s=$(user_session) && [ "$s" != "$1" ] && xfce_up
}
export dm_unit
export -f xorg_pid holds_card0 xorg_on_card0 xfwm4_in_session x11_session xfce_up new_xfce_up

# The host as Xfce's user sees it, for "exactly as before" (state_fn of
# vmrun-lib's same_state_as): vmrun-lib's host_state and the desktop's
# own parts. Waits for the desktop first: after a restore lightdm's
# Xorg, then the session, then xfwm4 come up one after the other.
xfce_state() {
        local up=no
        until_true 600 xfce_up && up=yes
        host_state
        echo "host HDA $host_hda $(driver_of $host_hda)"
        echo "desktop up: $up"
}

# A summary of desk's session on seat0, of lightdm's Xorg and of xfwm4,
# for a log.
show_desktop() {
        local s p
        p=$(xorg_pid) && echo "    Xorg PID $p (root), cgroup $(cut -d: -f3- /proc/"$p"/cgroup), card0: $(holds_card0 "$p" && echo held || echo not held)"
        [ -n "$p" ] || echo "    no Xorg of $dm_unit ($dm_unit: $(systemctl is-active $dm_unit))"
        s=$(user_session) || { echo "    no session of $user on seat0; loginctl:"; loginctl list-sessions --no-legend | sed 's/^/    /'; return; }
        echo "    session $s: $(loginctl show-session "$s" -p Seat -p VTNr -p Type -p Class -p State -p Service -p Scope -p Leader | tr '\n' ' ')"
        p=$(pgrep -u "$user" -x xfwm4 | head -n 1)
        [ -n "$p" ] && echo "    xfwm4 PID $p, cgroup $(cut -d: -f3- /proc/"$p"/cgroup)"
}

# what login-handover asks of a login shape's lib
dm=$dm_unit
desk_what="lightdm's root Xorg on card0, an x11 session of $user on seat0 with its xfwm4"
desk_up() { xfce_up; }
desk_back() { new_xfce_up "$1"; } # OLD_SESSION
desk_state() { xfce_state; }
export -f desk_up desk_back
