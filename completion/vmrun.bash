# bash completion for vmrun(1): verbs, their options, profiles and the
# names of running VMs. Installed as
# /usr/share/bash-completion/completions/vmrun; needs nothing from the
# bash-completion package.

# where vmrun looks; tests/completion points them elsewhere
_vmrun_profile_dir=/etc/vmrun
_vmrun_run_dir=/run/vmrun
_vmrun_pci_dir=/sys/bus/pci/devices

# Profiles by name (/etc/vmrun/NAME.profile) and *.profile files.
_vmrun_profiles() {
        local cur=$1 f names=()
        for f in "$_vmrun_profile_dir"/*.profile; do
                [ -e "$f" ] || continue
                f=${f##*/}
                names+=("${f%.profile}")
        done
        compgen -W "${names[*]}" -- "$cur"
        compgen -f -X '!*.profile' -- "$cur"
        compgen -d -- "$cur"
}

# VMs vmrun runs now: a directory each under /run/vmrun.
_vmrun_running() {
        local cur=$1 d names=()
        for d in "$_vmrun_run_dir"/*/; do
                [ -d "$d" ] || continue
                d=${d%/}
                names+=("${d##*/}")
        done
        compgen -W "${names[*]}" -- "$cur"
}

_vmrun_pci_addresses() {
        local cur=$1 d names=()
        for d in "$_vmrun_pci_dir"/*; do
                [ -e "$d" ] && names+=("${d##*/}")
        done
        compgen -W "${names[*]}" -- "$cur"
}

_vmrun() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        local verbs="run plan check rom shutdown stop status list devices qmp display restore"
        local global="--help --verbose --quiet --version"
        local words=() i w verb= nargs=0

        # the words before the cursor, options and their arguments left out
        for ((i = 1; i < COMP_CWORD; i++)); do
                w=${COMP_WORDS[i]}
                case "$w" in
                --timeout | --device) i=$((i + 1)) ;;
                -*) ;;
                *) words+=("$w") ;;
                esac
        done
        verb=${words[0]:-}
        [ "$verb" = rom ] && [ ${#words[@]} -ge 2 ] && verb="rom ${words[1]}"
        nargs=$((${#words[@]} - 1))
        [ "${verb%% *}" = rom ] && [ "$verb" != rom ] && nargs=$((nargs - 1))

        COMPREPLY=()
        case "$prev" in
        --timeout) return 0 ;; # seconds
        --device)
                mapfile -t COMPREPLY < <(_vmrun_pci_addresses "$cur")
                return 0
                ;;
        esac

        local opts=$global
        case "$verb" in
        plan | status | list | display) opts+=" --json" ;;
        devices) opts+=" --json --timeout" ;;
        shutdown | qmp | restore) opts+=" --timeout" ;;
        "rom check") opts+=" --device" ;;
        esac
        if [[ "$cur" == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
                return 0
        fi

        case "$verb" in
        "") mapfile -t COMPREPLY < <(compgen -W "$verbs" -- "$cur"; _vmrun_profiles "$cur") ;;
        rom) [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "dump check" -- "$cur") ;;
        run | plan | check) [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(_vmrun_profiles "$cur") ;;
        shutdown | stop | status | devices | display | restore)
                [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(_vmrun_running "$cur")
                ;;
        qmp)
                case "$nargs" in
                0) mapfile -t COMPREPLY < <(_vmrun_running "$cur") ;;
                1) mapfile -t COMPREPLY < <(compgen -W "query-status query-pci system_powerdown system_reset query-name" -- "$cur") ;;
                esac
                ;;
        "rom dump")
                case "$nargs" in
                0) mapfile -t COMPREPLY < <(_vmrun_pci_addresses "$cur") ;;
                1) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
                esac
                ;;
        "rom check") [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
        esac
        return 0
}
# -o filenames: a directory gets its slash and no space after it
complete -o filenames -F _vmrun vmrun
