# bash completion for vmrun(1): verbs, their options, profiles and the
# names of running VMs. Installed as
# /usr/share/bash-completion/completions/vmrun; needs nothing from the
# bash-completion package.

# where vmrun looks; tests/completion points them elsewhere
_vmrun_profile_dir=/etc/vmrun
_vmrun_pci_dir=/sys/bus/pci/devices

# *.profile files (and directories to find them in): names of their own
# get a slash, and no space after a directory
_vmrun_profile_files() {
        compopt -o filenames 2>/dev/null
        compgen -f -X '!*.profile' -- "$1"
        compgen -d -- "$1"
}

# Profiles by name (/etc/vmrun/NAME.profile) and *.profile files.
_vmrun_profiles() {
        local cur=$1 f names=()
        for f in "$_vmrun_profile_dir"/*.profile; do
                [ -e "$f" ] || continue
                f=${f##*/}
                names+=("${f%.profile}")
        done
        compgen -W "${names[*]}" -- "$cur"
        _vmrun_profile_files "$cur"
}

# The VMs vmrun knows (running, or with a host to give back), as the
# vmrun being completed lists them.
_vmrun_running() { # VMRUN CUR
        compgen -W "$("$1" list 2>/dev/null | awk 'NR > 1 {print $1}')" -- "$2"
}

_vmrun_pci_addresses() {
        local cur=$1 d names=()
        for d in "$_vmrun_pci_dir"/*; do
                [ -e "$d" ] && names+=("${d##*/}")
        done
        compgen -W "${names[*]}" -- "$cur"
}

_vmrun() {
        local verbs="run plan check rom shutdown stop status list devices qmp display restore"
        local global="--help --verbose --quiet --version"
        local line=${COMP_LINE:0:COMP_POINT} all=() words=() i w cur prev verb= nargs=0

        # The words as vmrun will see them: split at blanks only. bash's
        # COMP_WORDS also splits at ':' and '=' (COMP_WORDBREAKS), which
        # cuts PCI addresses and --timeout=30 apart.
        read -r -a all <<<"$line"
        [[ "$line" == *[[:blank:]] || ${#all[@]} -eq 0 ]] && all+=("")
        cur=${all[-1]}
        prev=${all[-2]:-}
        # the words before the cursor, options and their arguments left out
        for ((i = 1; i < ${#all[@]} - 1; i++)); do
                w=${all[i]}
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
                _vmrun_colon_trim "$cur"
                return 0
                ;;
        esac
        case "$cur" in
        --timeout=*) return 0 ;;
        --device=*)
                mapfile -t COMPREPLY < <(_vmrun_pci_addresses "${cur#--device=}")
                COMPREPLY=("${COMPREPLY[@]/#/--device=}")
                _vmrun_colon_trim "$cur"
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
        # `vmrun FILE` runs a profile file; a NAME needs `vmrun run NAME`
        "") mapfile -t COMPREPLY < <(compgen -W "$verbs" -- "$cur"; _vmrun_profile_files "$cur") ;;
        rom) [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -W "dump check ssdt" -- "$cur") ;;
        run | plan | check) [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(_vmrun_profiles "$cur") ;;
        shutdown | stop | status | devices | display | restore)
                [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(_vmrun_running "${all[0]}" "$cur")
                ;;
        qmp)
                case "$nargs" in
                0) mapfile -t COMPREPLY < <(_vmrun_running "${all[0]}" "$cur") ;;
                1) mapfile -t COMPREPLY < <(compgen -W "query-status query-pci system_powerdown system_reset query-name" -- "$cur") ;;
                esac
                ;;
        "rom dump")
                case "$nargs" in
                0) mapfile -t COMPREPLY < <(_vmrun_pci_addresses "$cur") ;;
                1) compopt -o filenames 2>/dev/null
                   mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
                esac
                ;;
        "rom check")
                compopt -o filenames 2>/dev/null
                [ "$nargs" -eq 0 ] && mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                ;;
        "rom ssdt")
                compopt -o filenames 2>/dev/null
                case "$nargs" in
                0) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
                1) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
                esac
                ;;
        esac
        _vmrun_colon_trim "$cur"
        return 0
}

# bash replaces only what follows the last ':' or '=' of the word (both are
# in COMP_WORDBREAKS by default): the replies lose what comes before it
_vmrun_colon_trim() {
        local cur=$1 pre
        [[ "$cur" == *[:=]* ]] || return 0
        pre=${cur%"${cur##*[:=]}"}
        COMPREPLY=("${COMPREPLY[@]#"$pre"}")
}
complete -F _vmrun vmrun
