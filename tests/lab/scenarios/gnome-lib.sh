# Sourced by the scenarios of the GNOME shape (tests/lab/run with
# VMRUN_LAB_SHAPE=gnome), after vmrun-lib.sh: udev, logind, gdm3
# autologging "desk" into GNOME on Wayland, gnome-shell on card0 in desk's
# service manager (org.gnome.Shell@wayland.service), PipeWire and
# WirePlumber there too; sshd on loopback, where root's key logs in as
# desk (tests/lab/lab-gnome).
#
# desktop-lib.sh's helpers (holders, as_user, user_session, find_cards,
# pw_sink_of, ...) are the same on GNOME: it is sourced first, and what is
# GNOME's own is defined here.
. "$(dirname "${BASH_SOURCE[0]}")/desktop-lib.sh"

shell_unit=org.gnome.Shell@wayland.service

# desk's gnome-shell (gdm's greeter runs one of its own, as Debian-gdm)
shell_pid() { pgrep -u "$user" -x gnome-shell | head -n 1; }
# desk's gnome-shell holds card0, from its unit in desk's manager
shell_on_card0() {
        local p
        p=$(shell_pid) && [ -n "$p" ] &&
                find /proc/"$p"/fd -maxdepth 1 -lname /dev/dri/card0 2>/dev/null | grep -q . &&
                grep -q "/user@$uid.service/session.slice/$shell_unit\$" /proc/"$p"/cgroup
}
# gnome-shell told its manager it is up (Type=notify): it holds card0
# a while before that, still starting
shell_unit_active() { as_user systemctl --user -q is-active "$shell_unit"; }
# The desktop as gdm brings it: a session of desk on seat0 that has card0
# from logind, and desk's gnome-shell on card0, started.
gnome_up() {
        local s
        s=$(user_session) && session_has_card0 "$s" && shell_on_card0 && shell_unit_active
}
# desk's session on seat0 is a new one: not ID
new_gnome_up() { # ID
        local s
        s=$(user_session) && [ "$s" != "$1" ] && gnome_up
}
export -f shell_pid shell_on_card0 shell_unit_active gnome_up new_gnome_up
export shell_unit



# The host as GNOME's user sees it, for "exactly as before" (state_fn of
# vmrun-lib's same_state_as): vmrun-lib's host_state and the desktop's
# own parts. Waits for the desktop first: after a restore gdm takes
# minutes (under TCG) to log desk in again. The desktop counts as up when
# the wait saw it whole: one more look, under the load of GNOME's start,
# once said no between two that said yes.
gnome_state() {
        local up=no
        until_true 600 gnome_up && up=yes
        host_state
        echo "host HDA $host_hda $(driver_of $host_hda)"
        echo "desktop up: $up"
}

# A summary of desk's session on seat0 and of gnome-shell, for a log.
show_desktop() {
        local s p
        s=$(user_session) || { echo "    no session of $user on seat0; loginctl:"; loginctl list-sessions --no-legend | sed 's/^/    /'; return; }
        echo "    session $s: $(loginctl show-session "$s" -p Seat -p VTNr -p Type -p Class -p State -p Service -p Scope -p Leader | tr '\n' ' ')"
        echo "    its devices (logind): $(session_devices "$s")"
        p=$(shell_pid)
        [ -n "$p" ] && echo "    gnome-shell PID $p, cgroup $(cut -d: -f3- /proc/"$p"/cgroup)"
}

# what login-handover asks of a login shape's lib
dm=gdm.service
desk_what="a session of $user on seat0 with card0 from logind, its gnome-shell on card0"
desk_up() { gnome_up; }
desk_back() { new_gnome_up "$1"; } # OLD_SESSION
desk_state() { gnome_state; }
export -f desk_up desk_back
