# Sourced by the scenarios of the sway shape (tests/lab/run with
# VMRUN_LAB_SHAPE=sway), after vmrun-lib.sh: greetd logging desk into
# sway (wlroots, pixman renderer) on card0 through logind; PipeWire and
# WirePlumber in desk's manager.
. "$(dirname "${BASH_SOURCE[0]}")/desktop-lib.sh"

sway_pid() { pgrep -u "$user" -x sway | head -n 1; }
# desk's sway holds card0, in its session's scope
sway_on_card0() {
        local p
        p=$(sway_pid) && [ -n "$p" ] &&
                find /proc/"$p"/fd -maxdepth 1 -lname /dev/dri/card0 2>/dev/null | grep -q . &&
                grep -q '/session-[0-9]*\.scope$' /proc/"$p"/cgroup
}
export -f sway_pid sway_on_card0

dm=greetd.service
desk_what="a session of $user on seat0, its sway on card0"
desk_up() { has_session && sway_on_card0; }
desk_back() { # OLD_SESSION
        local s
        s=$(user_session) && [ "$s" != "$1" ] && sway_on_card0
}
desk_state() {
        local up=no
        until_true 600 desk_up && up=yes
        host_state
        echo "host HDA $host_hda $(driver_of $host_hda)"
        echo "desktop up: $up"
}
export -f desk_up desk_back
show_desktop() {
        local s p
        s=$(user_session) || { echo "    no session of $user on seat0; loginctl:"; loginctl list-sessions --no-legend | sed 's/^/    /'; return; }
        echo "    session $s: $(loginctl show-session "$s" -p Seat -p VTNr -p Type -p Class -p State -p Service -p Scope -p Leader | tr '\n' ' ')"
        p=$(sway_pid)
        [ -n "$p" ] && echo "    sway PID $p, cgroup $(cut -d: -f3- /proc/"$p"/cgroup)"
}
