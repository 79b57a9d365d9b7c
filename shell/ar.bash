# shellcheck shell=bash
# assume-role shell integration for bash: `eval "$(assume-role init bash)"`.
# The function `__AR_CMD__` switches this shell between roles; the prompt hook
# follows the nearest trusted assume-role.yaml and refreshes credentials.
# What the binary prints is quoted for bash by the binary itself.

__ar_bin=__AR_BIN__

# Runs the binary with the saved state, evaluates what it prints on success.
__ar_call() {
  \builtin local __ar_out
  __ar_out="$(__AR_ORIG="${__ar_orig-}" __AR_STATE="${__ar_state-}" \command "${__ar_bin}" "$@")" || \builtin return
  \builtin eval -- "${__ar_out}"
}

# An alias of that name would hide the function, or break its definition.
\builtin unalias __AR_CMD__ 2>/dev/null || \builtin true
__AR_CMD__() {
  case "${1-}" in
    # Status names the base identity: the one from before the first switch.
    "") __AR_ORIG="${__ar_orig-}" \command "${__ar_bin}" status ;;
    -u | --unset) __ar_call __shell bash restore ;;
    # The console of the active role; nothing is evaluated.
    --console) \builtin shift; __AR_ORIG="${__ar_orig-}" __AR_STATE="${__ar_state-}" \command "${__ar_bin}" console "$@" ;;
    -h | --help) \builtin printf '%s\n' "usage: __AR_CMD__ ROLE [OPTIONS] | __AR_CMD__ -u | __AR_CMD__ --console [OPTIONS] | __AR_CMD__" ;;
    *) __ar_call __shell bash switch "$@" ;;
  esac
}

# Completes role names (local files only: `assume-role roles`).
__ar_complete() {
  COMPREPLY=()
  ((COMP_CWORD == 1)) || \builtin return 0
  \builtin local __ar_cur=${COMP_WORDS[COMP_CWORD]} __ar_role
  # Not `compgen -W`: it would expand `$(…)` in a name from a cloned repo.
  while IFS= \builtin read -r __ar_role; do
    [[ "${__ar_role}" == "${__ar_cur}"* ]] && COMPREPLY+=("${__ar_role}")
  done < <(\command "${__ar_bin}" roles 2>/dev/null || true)
}
\builtin complete -F __ar_complete __AR_CMD__

# `assume-role <TAB>` too: its completion script (`assume-role completions
# bash`), loaded at the first use rather than at every start of a shell.
__ar_complete_cli() {
  \builtin local __ar_script
  __ar_script="$(\command "${__ar_bin}" completions bash 2>/dev/null)" || \builtin return 0
  \builtin eval -- "${__ar_script}"
  _assume_role_with_roles "$@"
}
\builtin complete -F __ar_complete_cli -o bashdefault -o default assume-role

# BEGIN HOOK
# Steady state: same directory, fresh credentials and trust unchanged (the
# mark that `allow` and `deny` remove is still there) cost two comparisons,
# one file test and no process.
__ar_hook() {
  \builtin local __ar_status=$? __ar_now
  \builtin printf -v __ar_now '%(%s)T' -1
  if [[ "${__ar_pwd-}" != "${PWD}" ]] || ((${__ar_refresh_at:-0} > 0 && __ar_now >= __ar_refresh_at)) ||
    [[ -n "${__ar_trust_mark-}" && ! -e "${__ar_trust_mark}" ]]; then
    __ar_pwd=${PWD}
    # A failure is the binary's to report; it must not trip errexit here.
    __ar_call __shell bash hook || \builtin true
  fi
  \builtin return "${__ar_status}"
}

# Add the hook to PROMPT_COMMAND once, whether it is a string or an array.
# shellcheck disable=SC2128,SC2178 # the elif branch handles the string form
if [[ "$(\builtin declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
  __ar_found=""
  for __ar_entry in "${PROMPT_COMMAND[@]}"; do
    [[ "${__ar_entry}" == "__ar_hook" ]] && __ar_found=1
  done
  [[ -n "${__ar_found}" ]] || PROMPT_COMMAND=(__ar_hook "${PROMPT_COMMAND[@]}")
  \builtin unset -v __ar_found __ar_entry
elif [[ ";${PROMPT_COMMAND-};" != *";__ar_hook;"* ]]; then
  PROMPT_COMMAND="__ar_hook${PROMPT_COMMAND:+;${PROMPT_COMMAND}}"
fi
# END HOOK
