# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_assume_role_global_optspecs
    string join \n r/role= f/force-refresh role-session-name= duration= region= external-id= mfa-serial= mfa-session-duration= source-profile= mfa-token= config= serve format= h/help V/version
end

function __fish_assume_role_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_assume_role_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_assume_role_using_subcommand
    set -l cmd (__fish_assume_role_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c assume-role -n "__fish_assume_role_needs_command" -s r -l role -d 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config' -r
complete -c assume-role -n "__fish_assume_role_needs_command" -l role-session-name -d 'Session name shown in CloudTrail (default: your IAM user name)' -r
complete -c assume-role -n "__fish_assume_role_needs_command" -l duration -d 'Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h)' -r
complete -c assume-role -n "__fish_assume_role_needs_command" -l region -d 'Region exported as AWS_REGION and AWS_DEFAULT_REGION' -r
complete -c assume-role -n "__fish_assume_role_needs_command" -l external-id -d 'External id the role\'s trust policy asks for' -r
complete -c assume-role -n "__fish_assume_role_needs_command" -l mfa-serial -d 'ARN of the MFA device to use (default: configured, else detected)' -r
complete -c assume-role -n "__fish_assume_role_needs_command" -l mfa-session-duration -d 'How long the MFA session opened with one code lasts, e.g. `8h` (default 12h; AWS allows 15m to 36h)' -r
complete -c assume-role -n "__fish_assume_role_needs_command" -l source-profile -d 'Profile whose credentials call STS (default: the standard chain)' -r
complete -c assume-role -n "__fish_assume_role_needs_command" -l mfa-token -d 'Current MFA code, for scripts without a terminal' -r
complete -c assume-role -n "__fish_assume_role_needs_command" -l config -d 'Read only this configuration file instead of looking for assume-role.yaml' -r -F
complete -c assume-role -n "__fish_assume_role_needs_command" -l format -d 'Output format when no command is given' -r -f -a "env\t'`KEY=value` lines (the classic format)'
json\t''
bash\t''
zsh\t''
fish\t''
powershell\t''"
complete -c assume-role -n "__fish_assume_role_needs_command" -s f -l force-refresh -d 'Ignore the cache and call AssumeRole again'
complete -c assume-role -n "__fish_assume_role_needs_command" -l serve -d 'Give the command a loopback credential endpoint that refreshes the role\'s credentials, instead of static keys (also `serve: true`)'
complete -c assume-role -n "__fish_assume_role_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c assume-role -n "__fish_assume_role_needs_command" -s V -l version -d 'Print version'
complete -c assume-role -n "__fish_assume_role_needs_command" -a "init" -d 'Print the shell integration to evaluate in your shell\'s rc file'
complete -c assume-role -n "__fish_assume_role_needs_command" -a "allow" -d 'Trust the assume-role.yaml of DIR (default: the nearest one) for the directory hook'
complete -c assume-role -n "__fish_assume_role_needs_command" -a "deny" -d 'Stop trusting the assume-role.yaml of DIR'
complete -c assume-role -n "__fish_assume_role_needs_command" -a "status" -d 'Show the active role, its account, the time left and the files in effect'
complete -c assume-role -n "__fish_assume_role_needs_command" -a "roles" -d 'List the role names known locally (what completion offers)'
complete -c assume-role -n "__fish_assume_role_needs_command" -a "completions" -d 'Print a static completion script'
complete -c assume-role -n "__fish_assume_role_needs_command" -a "credential-process" -d 'Print credentials in the JSON that `credential_process` in ~/.aws/config reads'
complete -c assume-role -n "__fish_assume_role_needs_command" -a "logout" -d 'Forget the MFA session and the cached role credentials'
complete -c assume-role -n "__fish_assume_role_needs_command" -a "console" -d 'Open the AWS console signed in as the role (federation sign-in)'
complete -c assume-role -n "__fish_assume_role_needs_command" -a "__shell" -d 'Used by the shell integration; not for direct use. Its stdout is evaluated by the shell, so it never prints help there'
complete -c assume-role -n "__fish_assume_role_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c assume-role -n "__fish_assume_role_using_subcommand init" -l cmd -d 'Name of the function to define instead of `ar`' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand init" -l no-hook -d 'Do not install the directory-change hook'
complete -c assume-role -n "__fish_assume_role_using_subcommand init" -s h -l help -d 'Print help'
complete -c assume-role -n "__fish_assume_role_using_subcommand allow" -s h -l help -d 'Print help'
complete -c assume-role -n "__fish_assume_role_using_subcommand deny" -s h -l help -d 'Print help'
complete -c assume-role -n "__fish_assume_role_using_subcommand status" -l json -d 'Print JSON instead of text'
complete -c assume-role -n "__fish_assume_role_using_subcommand status" -s h -l help -d 'Print help'
complete -c assume-role -n "__fish_assume_role_using_subcommand roles" -l config -d 'Read only this configuration file instead of looking for assume-role.yaml' -r -F
complete -c assume-role -n "__fish_assume_role_using_subcommand roles" -s h -l help -d 'Print help'
complete -c assume-role -n "__fish_assume_role_using_subcommand completions" -s h -l help -d 'Print help'
complete -c assume-role -n "__fish_assume_role_using_subcommand credential-process" -s r -l role -d 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand credential-process" -l role-session-name -d 'Session name shown in CloudTrail (default: your IAM user name)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand credential-process" -l duration -d 'Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand credential-process" -l region -d 'Region exported as AWS_REGION and AWS_DEFAULT_REGION' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand credential-process" -l external-id -d 'External id the role\'s trust policy asks for' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand credential-process" -l mfa-serial -d 'ARN of the MFA device to use (default: configured, else detected)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand credential-process" -l mfa-session-duration -d 'How long the MFA session opened with one code lasts, e.g. `8h` (default 12h; AWS allows 15m to 36h)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand credential-process" -l source-profile -d 'Profile whose credentials call STS (default: the standard chain)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand credential-process" -l mfa-token -d 'Current MFA code, for scripts without a terminal' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand credential-process" -l config -d 'Read only this configuration file instead of looking for assume-role.yaml' -r -F
complete -c assume-role -n "__fish_assume_role_using_subcommand credential-process" -s f -l force-refresh -d 'Ignore the cache and call AssumeRole again'
complete -c assume-role -n "__fish_assume_role_using_subcommand credential-process" -s h -l help -d 'Print help'
complete -c assume-role -n "__fish_assume_role_using_subcommand logout" -s h -l help -d 'Print help'
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -s r -l role -d 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -l role-session-name -d 'Session name shown in CloudTrail (default: your IAM user name)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -l duration -d 'Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -l region -d 'Region exported as AWS_REGION and AWS_DEFAULT_REGION' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -l external-id -d 'External id the role\'s trust policy asks for' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -l mfa-serial -d 'ARN of the MFA device to use (default: configured, else detected)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -l mfa-session-duration -d 'How long the MFA session opened with one code lasts, e.g. `8h` (default 12h; AWS allows 15m to 36h)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -l source-profile -d 'Profile whose credentials call STS (default: the standard chain)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -l mfa-token -d 'Current MFA code, for scripts without a terminal' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -l config -d 'Read only this configuration file instead of looking for assume-role.yaml' -r -F
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -s s -l service -d 'Console page to open: a service (`s3`, `ec2`, ...) or a full console URL' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -s f -l force-refresh -d 'Ignore the cache and call AssumeRole again'
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -l print -d 'Write the sign-in URL on stdout instead of opening a browser. The URL signs anyone in as the role: keep it secret'
complete -c assume-role -n "__fish_assume_role_using_subcommand console" -s h -l help -d 'Print help'
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and not __fish_seen_subcommand_from switch restore hook" -a "switch" -d '`ar ROLE`: switch the shell to a role'
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and not __fish_seen_subcommand_from switch restore hook" -a "restore" -d '`ar -u`: restore the environment from before'
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and not __fish_seen_subcommand_from switch restore hook" -a "hook" -d 'The prompt hook: the directory changed or the credentials are due'
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and __fish_seen_subcommand_from switch" -s r -l role -d 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and __fish_seen_subcommand_from switch" -l role-session-name -d 'Session name shown in CloudTrail (default: your IAM user name)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and __fish_seen_subcommand_from switch" -l duration -d 'Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and __fish_seen_subcommand_from switch" -l region -d 'Region exported as AWS_REGION and AWS_DEFAULT_REGION' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and __fish_seen_subcommand_from switch" -l external-id -d 'External id the role\'s trust policy asks for' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and __fish_seen_subcommand_from switch" -l mfa-serial -d 'ARN of the MFA device to use (default: configured, else detected)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and __fish_seen_subcommand_from switch" -l mfa-session-duration -d 'How long the MFA session opened with one code lasts, e.g. `8h` (default 12h; AWS allows 15m to 36h)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and __fish_seen_subcommand_from switch" -l source-profile -d 'Profile whose credentials call STS (default: the standard chain)' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and __fish_seen_subcommand_from switch" -l mfa-token -d 'Current MFA code, for scripts without a terminal' -r
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and __fish_seen_subcommand_from switch" -l config -d 'Read only this configuration file instead of looking for assume-role.yaml' -r -F
complete -c assume-role -n "__fish_assume_role_using_subcommand __shell; and __fish_seen_subcommand_from switch" -s f -l force-refresh -d 'Ignore the cache and call AssumeRole again'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and not __fish_seen_subcommand_from init allow deny status roles completions credential-process logout console __shell help" -f -a "init" -d 'Print the shell integration to evaluate in your shell\'s rc file'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and not __fish_seen_subcommand_from init allow deny status roles completions credential-process logout console __shell help" -f -a "allow" -d 'Trust the assume-role.yaml of DIR (default: the nearest one) for the directory hook'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and not __fish_seen_subcommand_from init allow deny status roles completions credential-process logout console __shell help" -f -a "deny" -d 'Stop trusting the assume-role.yaml of DIR'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and not __fish_seen_subcommand_from init allow deny status roles completions credential-process logout console __shell help" -f -a "status" -d 'Show the active role, its account, the time left and the files in effect'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and not __fish_seen_subcommand_from init allow deny status roles completions credential-process logout console __shell help" -f -a "roles" -d 'List the role names known locally (what completion offers)'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and not __fish_seen_subcommand_from init allow deny status roles completions credential-process logout console __shell help" -f -a "completions" -d 'Print a static completion script'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and not __fish_seen_subcommand_from init allow deny status roles completions credential-process logout console __shell help" -f -a "credential-process" -d 'Print credentials in the JSON that `credential_process` in ~/.aws/config reads'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and not __fish_seen_subcommand_from init allow deny status roles completions credential-process logout console __shell help" -f -a "logout" -d 'Forget the MFA session and the cached role credentials'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and not __fish_seen_subcommand_from init allow deny status roles completions credential-process logout console __shell help" -f -a "console" -d 'Open the AWS console signed in as the role (federation sign-in)'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and not __fish_seen_subcommand_from init allow deny status roles completions credential-process logout console __shell help" -f -a "__shell" -d 'Used by the shell integration; not for direct use. Its stdout is evaluated by the shell, so it never prints help there'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and not __fish_seen_subcommand_from init allow deny status roles completions credential-process logout console __shell help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and __fish_seen_subcommand_from __shell" -f -a "switch" -d '`ar ROLE`: switch the shell to a role'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and __fish_seen_subcommand_from __shell" -f -a "restore" -d '`ar -u`: restore the environment from before'
complete -c assume-role -n "__fish_assume_role_using_subcommand help; and __fish_seen_subcommand_from __shell" -f -a "hook" -d 'The prompt hook: the directory changed or the credentials are due'

# Role names for --role / -r, from local files (assume-role roles).
complete -c assume-role -s r -l role -x -a '(command assume-role roles 2>/dev/null)'
