# Sourced by the scenarios of GNOME's login screen (tests/lab/run with
# VMRUN_LAB_SHAPE=gnome-greeter), after vmrun-lib.sh: gdm3 with nobody
# logged in, its greeter's gnome-shell on card0 in a session of class
# greeter of gdm's own user; desk is logged in over ssh only.
. "$(dirname "${BASH_SOURCE[0]}")/gnome-lib.sh"

gdm_user=Debian-gdm

# gdm's greeter session on seat0: class greeter, of gdm's user
greeter_session() {
        local s
        for s in $(loginctl show-user "$gdm_user" -p Sessions --value 2>/dev/null); do
                [ "$(loginctl show-session "$s" -p Seat --value):$(loginctl show-session "$s" -p Class --value)" = seat0:greeter ] &&
                        [ "$(loginctl show-session "$s" -p State --value)" != closing ] && { echo "$s"; return 0; }
        done
        return 1
}
greeter_shell_pid() { pgrep -u "$gdm_user" -x gnome-shell | head -n 1; }
# the login screen as gdm brings it: its greeter session has card0 from
# logind, and the greeter's gnome-shell holds it
greeter_up() {
        local s p
        s=$(greeter_session) && session_has_card0 "$s" && p=$(greeter_shell_pid) && [ -n "$p" ] &&
                find /proc/"$p"/fd -maxdepth 1 -lname /dev/dri/card0 2>/dev/null | grep -q .
}
export -f greeter_session greeter_shell_pid greeter_up
export gdm_user

dm=gdm.service
desk_what="gdm's greeter session on seat0 with card0 from logind, its gnome-shell on card0"
desk_up() { greeter_up; }
desk_back() { # OLD_SESSION
        local s
        s=$(greeter_session) && [ "$s" != "$1" ] && greeter_up
}
desk_state() {
        local up=no
        until_true 600 greeter_up && up=yes
        host_state
        echo "host HDA $host_hda $(driver_of $host_hda)"
        echo "login screen up: $up"
        echo "sessions of $user on seat0: $(user_session || echo none)"
}
seat_session() { greeter_session || echo none; }
export -f desk_up desk_back
show_desktop() {
        local s p
        s=$(greeter_session) || { echo "    no greeter session on seat0; loginctl:"; loginctl list-sessions --no-legend | sed 's/^/    /'; return; }
        echo "    greeter session $s: $(loginctl show-session "$s" -p Seat -p VTNr -p Type -p Class -p State -p Service -p Scope -p Leader | tr '\n' ' ')"
        echo "    its devices (logind): $(session_devices "$s")"
        p=$(greeter_shell_pid)
        [ -n "$p" ] && echo "    the greeter's gnome-shell PID $p, cgroup $(cut -d: -f3- /proc/"$p"/cgroup)"
}
