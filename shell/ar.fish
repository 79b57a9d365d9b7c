# assume-role shell integration for fish: `assume-role init fish | source`.
# The function `__AR_CMD__` switches this shell between roles; the PWD and
# prompt handlers follow the nearest trusted assume-role.yaml and refresh
# credentials. What the binary prints is quoted for fish by the binary itself.

set -g __ar_bin __AR_BIN__

# Runs the binary with the saved state and sources what it prints (nothing
# when it fails); returns the binary's status.
function __ar_call
    __AR_ORIG="$__ar_orig" __AR_STATE="$__ar_state" $__ar_bin $argv | source
    return $pipestatus[1]
end

function __AR_CMD__ --description 'Switch this shell to an AWS role'
    switch "$argv[1]"
        case ''
            # Status names the base identity: the one from before the first switch.
            __AR_ORIG="$__ar_orig" $__ar_bin status
        case -u --unset
            __ar_call __shell fish restore
        case --console
            # The console of the active role; nothing is sourced.
            __AR_ORIG="$__ar_orig" __AR_STATE="$__ar_state" $__ar_bin console $argv[2..-1]
        case -h --help
            echo "usage: __AR_CMD__ ROLE [OPTIONS] | __AR_CMD__ -u | __AR_CMD__ --console [OPTIONS] | __AR_CMD__"
        case '*'
            __ar_call __shell fish switch $argv
    end
end

# Completes role names (local files only: `assume-role roles`).
function __ar_roles
    $__ar_bin roles 2>/dev/null
end
complete -c __AR_CMD__ -f
complete -c __AR_CMD__ -f -n 'test (count (commandline -opc)) -eq 1' -a '(__ar_roles)'

# `assume-role <TAB>` too: its completions (`assume-role completions fish`),
# loaded at the first use rather than at every start of a shell; that first
# time, they answer through `complete -C`.
function __ar_complete_cli
    complete -c assume-role -e
    functions -e __ar_complete_cli
    $__ar_bin completions fish 2>/dev/null | source
    complete -C (commandline -cp)
end
complete -c assume-role -f -a '(__ar_complete_cli)'

# BEGIN HOOK
# Seconds since boot without a process (Linux); elsewhere `date`.
function __ar_now
    if read -l up _rest </proc/uptime 2>/dev/null
        string split -f1 . -- $up
    else
        command date +%s
    end
end

# Steady state: same directory, fresh credentials and trust unchanged (the
# mark that `allow` and `deny` remove is still there) cost two comparisons,
# one file test and no process.
function __ar_hook --on-variable PWD --on-event fish_prompt
    set -l ar_status $status
    if test "$__ar_pwd" != "$PWD"; or begin
            set -q __ar_refresh_clock; and test (__ar_now) -ge $__ar_refresh_clock
        end; or begin
            set -q __ar_trust_mark; and not test -e "$__ar_trust_mark"
        end
        set -g __ar_pwd $PWD
        __ar_call __shell fish hook
    end
    return $ar_status
end
__ar_hook
# END HOOK
