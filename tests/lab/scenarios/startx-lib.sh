# Sourced by the scenarios of the startx shape (tests/lab/run with
# VMRUN_LAB_SHAPE=startx), after vmrun-lib.sh: no display manager; a
# getty logs "desk" in on tty1 and its ~/.bash_profile runs startx, once
# per boot. Xorg runs as desk, rootless, in desk's tty session on seat0,
# with card0 from logind (TakeDevice); the X clients (xfce4-session,
# xfwm4) in the same session scope; PipeWire and WirePlumber in desk's
# manager. sshd on loopback, where root's key logs in as desk
# (tests/lab/lab-login).
#
# What vmrun does about it: it ends the tty session through logind, and
# on the way back says the console is back, not the desktop: nothing
# brings a desktop started by hand back by itself. The getty's next
# automatic login is a plain shell (the marker in ~/.bash_profile).
. "$(dirname "${BASH_SOURCE[0]}")/desktop-lib.sh"

# desk's Xorg in the scope of session ID
xorg_in_session() { # ID
        local p
        for p in $(pgrep -u "$user" -x Xorg); do
                grep -q "/session-$1\.scope\$" /proc/"$p"/cgroup 2>/dev/null && { echo "$p"; return 0; }
        done
        return 1
}
holds_card0() { # PID
        find /proc/"$1"/fd -maxdepth 1 -lname /dev/dri/card0 2>/dev/null | grep -q .
}
tty_session() { # ID: a tty session on VT 1 of class user
        [ "$(loginctl show-session "$1" -p Type --value 2>/dev/null):$(loginctl show-session "$1" -p Class --value 2>/dev/null):$(loginctl show-session "$1" -p VTNr --value 2>/dev/null)" = tty:user:1 ]
}
# The desktop as startx brings it: desk's tty session on seat0 (VT 1) has
# card0 from logind, desk's Xorg in that session holds it, and desk's
# xfwm4 runs there.
startx_up() {
        local s p
        s=$(user_session) && tty_session "$s" && session_has_card0 "$s" && p=$(xorg_in_session "$s") &&
                holds_card0 "$p" && xfwm4_in_session "$s"
}
# a frame buffer console is bound (vtconsole's bind), as on a console
fbcon_bound() {
        local v
        for v in /sys/class/vtconsole/vtcon*; do
                grep -q "frame buffer" "$v/name" && [ "$(cat "$v/bind")" = 1 ] && return 0
        done
        return 1
}
# What comes back without a display manager: the getty's new login of
# desk on tty1 (another session than ID, a plain shell) and the frame
# buffer console on the GPU again. Or the desktop never went: a failure
# before the step that ends session ID (the display manager's step finds
# no unit here) leaves that session and its X as they were.
console_back() { # ID
        local s
        s=$(user_session) || return 1
        if [ "$s" = "$1" ]; then
                startx_up
                return
        fi
        tty_session "$s" && [ "$(loginctl show-session "$s" -p Service --value)" = login ] && fbcon_bound
}
export -f xorg_in_session holds_card0 tty_session xfwm4_in_session startx_up \
        fbcon_bound console_back

# The host as desk sees it, for "exactly as before" (state_fn of
# vmrun-lib's same_state_as): vmrun-lib's host_state, the host's own
# sound card, and that desk is logged in on tty1. Not whether X runs:
# a desktop started by hand does not come back by itself, and vmrun
# rightly leaves it to the user (desk_again starts it again).
startx_state() {
        local on=no
        until_true 120 bash -c 's=$(user_session) && tty_session "$s"' && on=yes
        host_state
        echo "host HDA $host_hda $(driver_of $host_hda)"
        echo "$user logged in on tty1: $on"
}

# A summary of desk's session on seat0 and of its Xorg, for a log.
show_desktop() {
        local s p
        s=$(user_session) || { echo "    no session of $user on seat0; loginctl:"; loginctl list-sessions --no-legend | sed 's/^/    /'; return; }
        echo "    session $s: $(loginctl show-session "$s" -p Seat -p VTNr -p TTY -p Type -p Class -p State -p Service -p Scope -p Leader | tr '\n' ' ')"
        echo "    its devices (logind): $(session_devices "$s")"
        p=$(xorg_in_session "$s") && echo "    Xorg PID $p ($user), card0: $(holds_card0 "$p" && echo held || echo not held)"
        echo "    frame buffer console bound: $(fbcon_bound && echo yes || echo no)"
}

# What desk does at the plain shell the getty gave it: types startx on
# tty1 (TIOCSTI puts the keys in the tty's input, as the keyboard would;
# root may do that to a tty that is not its own).
desk_again() {
        python3 -c '
import fcntl, termios
with open("/dev/tty1", "rb", buffering=0) as t:
    for c in b"startx\n":
        fcntl.ioctl(t, termios.TIOCSTI, bytes([c]))'
}

# what login-handover asks of a login shape's lib
dm=
desk_what="desk's Xorg on card0 (from logind) in its tty session on seat0, its xfwm4"
back_what="the getty's new login of $user on tty1 (a plain shell) and the frame buffer console, or, after a failure before the session's end, that session with its X"
desk_up() { startx_up; }
desk_back() { console_back "$1"; } # OLD_SESSION
desk_state() { startx_state; }
export -f desk_up desk_back
