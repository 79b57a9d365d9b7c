# shellcheck shell=bash
# assume-role shell integration for zsh: `eval "$(assume-role init zsh)"`.
# The function `__AR_CMD__` switches this shell between roles; the chpwd and
# precmd hooks follow the nearest trusted assume-role.yaml and refresh
# credentials. What the binary prints is quoted for zsh by the binary itself.

typeset -g __ar_bin=__AR_BIN__

# Runs the binary with the saved state, evaluates what it prints on success.
__ar_call() {
  \builtin local __ar_out
  __ar_out="$(__AR_ORIG="${__ar_orig-}" __AR_STATE="${__ar_state-}" \command "${__ar_bin}" "$@")" || \builtin return
  \builtin eval -- "${__ar_out}"
}

# An alias of that name would hide the function; the `function` form keeps
# it from breaking the definition (eval parses the whole script first).
\builtin unalias __AR_CMD__ 2>/dev/null || \builtin true
function __AR_CMD__ {
  case "${1-}" in
    # Status names the base identity: the one from before the first switch.
    "") __AR_ORIG="${__ar_orig-}" \command "${__ar_bin}" status ;;
    -u | --unset) __ar_call __shell zsh restore ;;
    # The console of the active role; nothing is evaluated.
    --console) \builtin shift; __AR_ORIG="${__ar_orig-}" __AR_STATE="${__ar_state-}" \command "${__ar_bin}" console "$@" ;;
    -h | --help) \builtin print -r -- "usage: __AR_CMD__ ROLE [OPTIONS] | __AR_CMD__ -u | __AR_CMD__ --console [OPTIONS] | __AR_CMD__" ;;
    *) __ar_call __shell zsh switch "$@" ;;
  esac
}

# Completes role names (local files only: `assume-role roles`); needs
# compinit, so evaluate init after it.
__ar_complete() {
  \builtin local IFS=$'\n'
  \builtin local -a __ar_roles
  # shellcheck disable=SC2207 # zsh splits on IFS (newlines) only
  __ar_roles=($(\command "${__ar_bin}" roles 2>/dev/null))
  compadd -a __ar_roles
}
# `assume-role <TAB>` too: its completion script (`assume-role completions
# zsh`), loaded at the first use rather than at every start of a shell.
__ar_complete_cli() {
  \builtin local __ar_script
  __ar_script="$(\command "${__ar_bin}" completions zsh 2>/dev/null)" || \builtin return 1
  \builtin eval -- "${__ar_script}"
  _assume-role "$@"
}
if (( ${+functions[compdef]} )); then
  compdef __ar_complete __AR_CMD__
  compdef __ar_complete_cli assume-role
fi

# BEGIN HOOK
\builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null

# Steady state: same directory, fresh credentials and trust unchanged (the
# mark that `allow` and `deny` remove is still there) cost two comparisons,
# one file test and no process.
__ar_hook() {
  \builtin local __ar_status=$?
  if [[ "${__ar_pwd-}" != "${PWD}" ]] || ((${__ar_refresh_at:-0} > 0 && ${EPOCHSECONDS:-0} >= ${__ar_refresh_at:-0})) ||
    [[ -n "${__ar_trust_mark-}" && ! -e "${__ar_trust_mark}" ]]; then
    typeset -g __ar_pwd=${PWD}
    # A failure is the binary's to report; it must not trip errexit here.
    __ar_call __shell zsh hook || \builtin true
  fi
  \builtin return "${__ar_status}"
}

\builtin autoload -Uz add-zsh-hook
add-zsh-hook chpwd __ar_hook
add-zsh-hook precmd __ar_hook
__ar_hook
# END HOOK
