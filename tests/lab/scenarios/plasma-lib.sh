# Sourced by the scenarios of the Plasma shape (tests/lab/run with
# VMRUN_LAB_SHAPE=plasma), after vmrun-lib.sh: udev, logind, sddm (its
# root Xorg in sddm.service) autologging "desk" into KDE Plasma 5.27 on
# Wayland: kwin_wayland and Xwayland in plasma-kwin_wayland.service of
# desk's service manager, with the session's card0 from logind;
# plasmashell in plasma-plasmashell.service, the rest of the session in
# plasma-*.service; PipeWire and WirePlumber there too; sshd on loopback,
# where root's key logs in as desk (tests/lab/lab-login).
#
# desktop-lib.sh's helpers (holders, as_user, user_session, find_cards,
# pw_sink_of, ...) are the same on Plasma: it is sourced first, and what is
# Plasma's own is defined here.
. "$(dirname "${BASH_SOURCE[0]}")/desktop-lib.sh"

kwin_unit=plasma-kwin_wayland.service
shell_unit=plasma-plasmashell.service

# desk's kwin_wayland (its parent, kwin_wayland_wrapper, only restarts it
# and holds no card) and plasmashell
kwin_pid() { pgrep -u "$user" -x kwin_wayland | head -n 1; }
plasmashell_pid() { pgrep -u "$user" -x plasmashell | head -n 1; }
in_user_unit() { # PID UNIT: PID runs in UNIT of desk's manager
        grep -qE "/user@$uid\.service/(.*/)?$2\$" "/proc/$1/cgroup" 2>/dev/null
}
# desk's kwin_wayland holds card0, from its unit in desk's manager
kwin_on_card0() {
        local p
        p=$(kwin_pid) && [ -n "$p" ] &&
                find /proc/"$p"/fd -maxdepth 1 -lname /dev/dri/card0 2>/dev/null | grep -q . &&
                in_user_unit "$p" "$kwin_unit"
}
# plasmashell runs in its unit, and told its manager it is up (Type=dbus:
# it has its name on the session bus): the desktop, its wallpaper and
# panel, not kwin alone, which is the black screen with a cursor
plasmashell_up() {
        local p
        p=$(plasmashell_pid) && [ -n "$p" ] && in_user_unit "$p" "$shell_unit" &&
                as_user systemctl --user -q is-active "$shell_unit"
}
# The desktop as sddm brings it: a session of desk on seat0 that has card0
# from logind, desk's kwin_wayland on card0, and plasmashell up.
plasma_up() {
        local s
        s=$(user_session) && session_has_card0 "$s" && kwin_on_card0 && plasmashell_up
}
# desk's session on seat0 is a new one: not ID
new_plasma_up() { # ID
        local s
        s=$(user_session) && [ "$s" != "$1" ] && plasma_up
}
export -f kwin_pid plasmashell_pid in_user_unit kwin_on_card0 plasmashell_up plasma_up new_plasma_up
export kwin_unit shell_unit



# The host as Plasma's user sees it, for "exactly as before" (state_fn of
# vmrun-lib's same_state_as): vmrun-lib's host_state and the desktop's
# own parts. Waits for the desktop first: after a restore sddm's login
# takes minutes (under TCG) to bring Plasma up again. The desktop counts
# as up when the wait saw it whole.
plasma_state() {
        local up=no
        until_true 600 plasma_up && up=yes
        host_state
        echo "host HDA $host_hda $(driver_of $host_hda)"
        echo "desktop up: $up"
}

# A picture of the lab's screen (tests/lab/frames, saved on the lab's host
# as LAB_DIR/last/frames/NAME.png, here as $work/NAME.ppm) and whether it
# is black where Plasma's wallpaper is: kwin without plasmashell is a
# black screen with a cursor
frames=$top/tests/lab/frames
wallpaper_points() { # PPM: six points inside the wallpaper, off the panel at the bottom
        local w h x y
        read -r w h < <(head -n 2 "$1" | tail -n 1)
        for x in $((w / 4)) $((w / 2)) $((w * 3 / 4)); do
                for y in $((h / 4)) $((h / 2)); do
                        echo "$x,$y"
                done
        done
}
screen_lit() { # NAME: the picture NAME is not black at the wallpaper's points
        # shellcheck disable=SC2046
        [ -s "$work/$1.ppm" ] && python3 "$frames" check lit "$work/$1.ppm" $(wallpaper_points "$work/$1.ppm")
}
screen_note() { # NAME: takes the picture, says what it shows
        local size out
        size=$(python3 "$frames" take "$1" "$work/$1.ppm" 2>&1) || { echo "no picture $1: $size"; return; }
        if out=$(screen_lit "$1"); then
                echo "picture $1.png (${size##* }): not black at $(wallpaper_points "$work/$1.ppm" | tr '\n' ' ')"
        else
                echo "picture $1.png: $out"
        fi
}
# the windows kwin has, through a KWin script that prints them to its
# journal (desk's manager's kwin, over desk's session bus): which of
# plasmashell's windows are mapped, and what else covers the screen
kwin_windows() {
        local tag=labwin$$x$RANDOM js id
        js=/tmp/$tag.js
        cat >"$js" <<JS
var cs = workspace.clientList();
for (var i = 0; i < cs.length; i++) {
        var c = cs[i];
        print("$tag " + c.resourceClass + " '" + c.caption + "' " + c.width + "x" + c.height + "+" + c.x + "+" + c.y +
                " pid=" + c.pid + " internal=" + c.internalId + " desktopWindow=" + c.desktopWindow + " dock=" + c.dock +
                " special=" + c.specialWindow + " outline=" + c.outline + " keepAbove=" + c.keepAbove +
                " fullScreen=" + c.fullScreen + " opacity=" + c.opacity + " hidden=" + c.hidden + " role=" + c.windowRole);
}
print("$tag end " + cs.length);
JS
        chmod 0644 "$js"
        id=$(as_user busctl --user call org.kde.KWin /Scripting org.kde.kwin.Scripting loadScript ss "$js" "$tag" 2>/dev/null | awk '{print $2}')
        [ -n "$id" ] && [ "$id" -ge 0 ] 2>/dev/null || { echo "      (no KWin script: loadScript said '${id:-nothing}')"; return; }
        as_user busctl --user call org.kde.KWin "/$id" org.kde.kwin.Script run >/dev/null 2>&1
        until_true 30 bash -c "journalctl -b -o cat _UID=$uid 2>/dev/null | grep -q '$tag end'"
        journalctl -b -o cat _UID="$uid" 2>/dev/null | grep "$tag " | sed "s/^js: $tag /      window: /; s/^$tag /      window: /"
        as_user busctl --user call org.kde.KWin /Scripting org.kde.kwin.Scripting unloadScript s "$tag" >/dev/null 2>&1
        rm -f "$js"
}
shots=0 shot=

# A summary of desk's session on seat0, kwin_wayland and plasmashell, and
# the screen, for a log.
show_desktop() {
        local s p
        s=$(user_session) || { echo "    no session of $user on seat0; loginctl:"; loginctl list-sessions --no-legend | sed 's/^/    /'; }
        if [ -n "$s" ]; then
                echo "    session $s: $(loginctl show-session "$s" -p Seat -p VTNr -p Type -p Class -p State -p Service -p Scope -p Leader | tr '\n' ' ')"
                echo "    its devices (logind): $(session_devices "$s")"
        fi
        p=$(kwin_pid)
        [ -n "$p" ] && echo "    kwin_wayland PID $p, cgroup $(cut -d: -f3- /proc/"$p"/cgroup), card0: $(find /proc/"$p"/fd -maxdepth 1 -lname /dev/dri/card0 2>/dev/null | wc -l) fds"
        p=$(plasmashell_pid)
        [ -n "$p" ] && echo "    plasmashell PID $p, cgroup $(cut -d: -f3- /proc/"$p"/cgroup), $shell_unit $(as_user systemctl --user is-active "$shell_unit" 2>&1)"
        shots=$((shots + 1))
        shot="${0##*/}-desktop-$shots"
        echo "    $(screen_note "$shot")"
        [ -n "$(kwin_pid)" ] && { echo "    kwin's windows:"; kwin_windows; }
}

# what login-handover asks of a login shape's lib
dm=sddm.service
desk_what="a session of $user on seat0 with card0 from logind, its kwin_wayland on card0 ($kwin_unit), plasmashell up ($shell_unit)"
desk_up() { plasma_up; }
desk_back() { new_plasma_up "$1"; } # OLD_SESSION
desk_state() { plasma_state; }
export -f desk_up desk_back
