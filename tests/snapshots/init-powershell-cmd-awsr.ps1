# assume-role shell integration for PowerShell (7.2+):
#   Invoke-Expression (& { (assume-role init powershell | Out-String) })
# The function `awsr` switches this session between roles; the location
# and prompt hooks follow the nearest trusted assume-role.yaml and refresh
# credentials. What the binary prints is quoted for PowerShell by the binary.

$global:__ar_bin = '__BIN__'

# Runs the binary with the saved state; evaluates what it prints on success.
function global:__ar_call {
    $orig = Get-Variable -Name __ar_orig -Scope Global -ValueOnly -ErrorAction SilentlyContinue
    $state = Get-Variable -Name __ar_state -Scope Global -ValueOnly -ErrorAction SilentlyContinue
    $env:__AR_ORIG = $orig
    $env:__AR_STATE = $state
    try {
        $out = & $global:__ar_bin @args | Out-String
        $ok = $LASTEXITCODE -eq 0
    } finally {
        Remove-Item -LiteralPath 'Env:/__AR_ORIG', 'Env:/__AR_STATE' -ErrorAction SilentlyContinue
    }
    if ($ok -and $out) { Invoke-Expression -Command $out }
    $ok
}

function global:awsr {
    if ($args.Count -eq 0) {
        # Status names the base identity: the one from before the first switch.
        $env:__AR_ORIG = Get-Variable -Name __ar_orig -Scope Global -ValueOnly -ErrorAction SilentlyContinue
        try {
            & $global:__ar_bin status
        } finally {
            Remove-Item -LiteralPath 'Env:/__AR_ORIG' -ErrorAction SilentlyContinue
        }
    } elseif ($args[0] -in '-u', '--unset') {
        $null = __ar_call __shell powershell restore
    } elseif ($args[0] -eq '--console') {
        # The console of the active role; nothing is evaluated.
        $env:__AR_ORIG = Get-Variable -Name __ar_orig -Scope Global -ValueOnly -ErrorAction SilentlyContinue
        $env:__AR_STATE = Get-Variable -Name __ar_state -Scope Global -ValueOnly -ErrorAction SilentlyContinue
        try {
            & $global:__ar_bin console @($args | Select-Object -Skip 1)
        } finally {
            Remove-Item -LiteralPath 'Env:/__AR_ORIG', 'Env:/__AR_STATE' -ErrorAction SilentlyContinue
        }
    } elseif ($args[0] -in '-h', '--help') {
        'usage: awsr ROLE [OPTIONS] | awsr -u | awsr --console [OPTIONS] | awsr'
    } else {
        if (-not (__ar_call __shell powershell switch @args)) { $global:LASTEXITCODE = 1 }
    }
}

# Completes role names (local files only: `assume-role roles`).
Register-ArgumentCompleter -CommandName awsr -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    & $global:__ar_bin roles 2>$null | Where-Object { $_ -like "$wordToComplete*" } |
        ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
}

# BEGIN HOOK
# Steady state: same location, fresh credentials and trust unchanged (the
# mark that `allow` and `deny` remove is still there) cost two comparisons,
# one file test and no process.
function global:__ar_hook {
    $saved = Get-Variable -Name LASTEXITCODE -Scope Global -ValueOnly -ErrorAction SilentlyContinue
    $here = $ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath
    $pwdSeen = Get-Variable -Name __ar_pwd -Scope Global -ValueOnly -ErrorAction SilentlyContinue
    $due = Get-Variable -Name __ar_refresh_at -Scope Global -ValueOnly -ErrorAction SilentlyContinue
    $mark = Get-Variable -Name __ar_trust_mark -Scope Global -ValueOnly -ErrorAction SilentlyContinue
    $now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    # The mark that `allow` and `deny` remove: gone, trust changed.
    $trustChanged = $mark -and -not (Test-Path -LiteralPath $mark)
    if ($pwdSeen -ne $here -or ($due -and $now -ge [long]$due) -or $trustChanged) {
        $global:__ar_pwd = $here
        $null = __ar_call __shell powershell hook
    }
    $global:LASTEXITCODE = $saved
}

if (-not (Get-Variable -Name __ar_hooked -Scope Global -ErrorAction SilentlyContinue)) {
    $global:__ar_hooked = $true
    $action = [EventHandler[System.Management.Automation.LocationChangedEventArgs]] { __ar_hook }
    $ExecutionContext.InvokeCommand.LocationChangedAction = [Delegate]::Combine(
        $ExecutionContext.InvokeCommand.LocationChangedAction, $action)
    $global:__ar_prompt = $function:prompt
    function global:prompt {
        __ar_hook
        & $global:__ar_prompt
    }
}
__ar_hook
# END HOOK

# `assume-role <TAB>` too (as `assume-role completions powershell`).


Register-ArgumentCompleter -Native -CommandName 'assume-role' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'assume-role'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [System.Management.Automation.Language.StringConstantExpressionAst] -or
                $element.StringConstantType -ne [System.Management.Automation.Language.StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'assume-role' {
            [System.Management.Automation.CompletionResult]::new('-r', '-r', [System.Management.Automation.CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [System.Management.Automation.CompletionResult]::new('--role', '--role', [System.Management.Automation.CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [System.Management.Automation.CompletionResult]::new('--role-session-name', '--role-session-name', [System.Management.Automation.CompletionResultType]::ParameterName, 'Session name shown in CloudTrail (default: your IAM user name)')
            [System.Management.Automation.CompletionResult]::new('--duration', '--duration', [System.Management.Automation.CompletionResultType]::ParameterName, 'Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h)')
            [System.Management.Automation.CompletionResult]::new('--region', '--region', [System.Management.Automation.CompletionResultType]::ParameterName, 'Region exported as AWS_REGION and AWS_DEFAULT_REGION')
            [System.Management.Automation.CompletionResult]::new('--external-id', '--external-id', [System.Management.Automation.CompletionResultType]::ParameterName, 'External id the role''s trust policy asks for')
            [System.Management.Automation.CompletionResult]::new('--mfa-serial', '--mfa-serial', [System.Management.Automation.CompletionResultType]::ParameterName, 'ARN of the MFA device to use (default: configured, else detected)')
            [System.Management.Automation.CompletionResult]::new('--mfa-session-duration', '--mfa-session-duration', [System.Management.Automation.CompletionResultType]::ParameterName, 'How long the MFA session opened with one code lasts, e.g. `8h` (default 12h; AWS allows 15m to 36h)')
            [System.Management.Automation.CompletionResult]::new('--source-profile', '--source-profile', [System.Management.Automation.CompletionResultType]::ParameterName, 'Profile whose credentials call STS (default: the standard chain)')
            [System.Management.Automation.CompletionResult]::new('--mfa-token', '--mfa-token', [System.Management.Automation.CompletionResultType]::ParameterName, 'Current MFA code, for scripts without a terminal')
            [System.Management.Automation.CompletionResult]::new('--config', '--config', [System.Management.Automation.CompletionResultType]::ParameterName, 'Read only this configuration file instead of looking for assume-role.yaml')
            [System.Management.Automation.CompletionResult]::new('--format', '--format', [System.Management.Automation.CompletionResultType]::ParameterName, 'Output format when no command is given')
            [System.Management.Automation.CompletionResult]::new('-f', '-f', [System.Management.Automation.CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [System.Management.Automation.CompletionResult]::new('--force-refresh', '--force-refresh', [System.Management.Automation.CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [System.Management.Automation.CompletionResult]::new('--serve', '--serve', [System.Management.Automation.CompletionResultType]::ParameterName, 'Give the command a loopback credential endpoint that refreshes the role''s credentials, instead of static keys (also `serve: true`)')
            [System.Management.Automation.CompletionResult]::new('-h', '-h', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [System.Management.Automation.CompletionResult]::new('--help', '--help', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [System.Management.Automation.CompletionResult]::new('-V', '-V ', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print version')
            [System.Management.Automation.CompletionResult]::new('--version', '--version', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print version')
            [System.Management.Automation.CompletionResult]::new('init', 'init', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Print the shell integration to evaluate in your shell''s rc file')
            [System.Management.Automation.CompletionResult]::new('allow', 'allow', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Trust the assume-role.yaml of DIR (default: the nearest one) for the directory hook')
            [System.Management.Automation.CompletionResult]::new('deny', 'deny', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Stop trusting the assume-role.yaml of DIR')
            [System.Management.Automation.CompletionResult]::new('status', 'status', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Show the active role, its account, the time left and the files in effect')
            [System.Management.Automation.CompletionResult]::new('roles', 'roles', [System.Management.Automation.CompletionResultType]::ParameterValue, 'List the role names known locally (what completion offers)')
            [System.Management.Automation.CompletionResult]::new('completions', 'completions', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Print a static completion script')
            [System.Management.Automation.CompletionResult]::new('credential-process', 'credential-process', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Print credentials in the JSON that `credential_process` in ~/.aws/config reads')
            [System.Management.Automation.CompletionResult]::new('logout', 'logout', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Forget the MFA session and the cached role credentials')
            [System.Management.Automation.CompletionResult]::new('console', 'console', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Open the AWS console signed in as the role (federation sign-in)')
            [System.Management.Automation.CompletionResult]::new('__shell', '__shell', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Used by the shell integration; not for direct use. Its stdout is evaluated by the shell, so it never prints help there')
            [System.Management.Automation.CompletionResult]::new('help', 'help', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'assume-role;init' {
            [System.Management.Automation.CompletionResult]::new('--cmd', '--cmd', [System.Management.Automation.CompletionResultType]::ParameterName, 'Name of the function to define instead of `ar`')
            [System.Management.Automation.CompletionResult]::new('--no-hook', '--no-hook', [System.Management.Automation.CompletionResultType]::ParameterName, 'Do not install the directory-change hook')
            [System.Management.Automation.CompletionResult]::new('-h', '-h', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            [System.Management.Automation.CompletionResult]::new('--help', '--help', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;allow' {
            [System.Management.Automation.CompletionResult]::new('-h', '-h', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            [System.Management.Automation.CompletionResult]::new('--help', '--help', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;deny' {
            [System.Management.Automation.CompletionResult]::new('-h', '-h', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            [System.Management.Automation.CompletionResult]::new('--help', '--help', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;status' {
            [System.Management.Automation.CompletionResult]::new('--json', '--json', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print JSON instead of text')
            [System.Management.Automation.CompletionResult]::new('-h', '-h', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            [System.Management.Automation.CompletionResult]::new('--help', '--help', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;roles' {
            [System.Management.Automation.CompletionResult]::new('--config', '--config', [System.Management.Automation.CompletionResultType]::ParameterName, 'Read only this configuration file instead of looking for assume-role.yaml')
            [System.Management.Automation.CompletionResult]::new('-h', '-h', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            [System.Management.Automation.CompletionResult]::new('--help', '--help', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;completions' {
            [System.Management.Automation.CompletionResult]::new('-h', '-h', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            [System.Management.Automation.CompletionResult]::new('--help', '--help', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;credential-process' {
            [System.Management.Automation.CompletionResult]::new('-r', '-r', [System.Management.Automation.CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [System.Management.Automation.CompletionResult]::new('--role', '--role', [System.Management.Automation.CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [System.Management.Automation.CompletionResult]::new('--role-session-name', '--role-session-name', [System.Management.Automation.CompletionResultType]::ParameterName, 'Session name shown in CloudTrail (default: your IAM user name)')
            [System.Management.Automation.CompletionResult]::new('--duration', '--duration', [System.Management.Automation.CompletionResultType]::ParameterName, 'Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h)')
            [System.Management.Automation.CompletionResult]::new('--region', '--region', [System.Management.Automation.CompletionResultType]::ParameterName, 'Region exported as AWS_REGION and AWS_DEFAULT_REGION')
            [System.Management.Automation.CompletionResult]::new('--external-id', '--external-id', [System.Management.Automation.CompletionResultType]::ParameterName, 'External id the role''s trust policy asks for')
            [System.Management.Automation.CompletionResult]::new('--mfa-serial', '--mfa-serial', [System.Management.Automation.CompletionResultType]::ParameterName, 'ARN of the MFA device to use (default: configured, else detected)')
            [System.Management.Automation.CompletionResult]::new('--mfa-session-duration', '--mfa-session-duration', [System.Management.Automation.CompletionResultType]::ParameterName, 'How long the MFA session opened with one code lasts, e.g. `8h` (default 12h; AWS allows 15m to 36h)')
            [System.Management.Automation.CompletionResult]::new('--source-profile', '--source-profile', [System.Management.Automation.CompletionResultType]::ParameterName, 'Profile whose credentials call STS (default: the standard chain)')
            [System.Management.Automation.CompletionResult]::new('--mfa-token', '--mfa-token', [System.Management.Automation.CompletionResultType]::ParameterName, 'Current MFA code, for scripts without a terminal')
            [System.Management.Automation.CompletionResult]::new('--config', '--config', [System.Management.Automation.CompletionResultType]::ParameterName, 'Read only this configuration file instead of looking for assume-role.yaml')
            [System.Management.Automation.CompletionResult]::new('-f', '-f', [System.Management.Automation.CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [System.Management.Automation.CompletionResult]::new('--force-refresh', '--force-refresh', [System.Management.Automation.CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [System.Management.Automation.CompletionResult]::new('-h', '-h', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            [System.Management.Automation.CompletionResult]::new('--help', '--help', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;logout' {
            [System.Management.Automation.CompletionResult]::new('-h', '-h', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            [System.Management.Automation.CompletionResult]::new('--help', '--help', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;console' {
            [System.Management.Automation.CompletionResult]::new('-r', '-r', [System.Management.Automation.CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [System.Management.Automation.CompletionResult]::new('--role', '--role', [System.Management.Automation.CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [System.Management.Automation.CompletionResult]::new('--role-session-name', '--role-session-name', [System.Management.Automation.CompletionResultType]::ParameterName, 'Session name shown in CloudTrail (default: your IAM user name)')
            [System.Management.Automation.CompletionResult]::new('--duration', '--duration', [System.Management.Automation.CompletionResultType]::ParameterName, 'Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h)')
            [System.Management.Automation.CompletionResult]::new('--region', '--region', [System.Management.Automation.CompletionResultType]::ParameterName, 'Region exported as AWS_REGION and AWS_DEFAULT_REGION')
            [System.Management.Automation.CompletionResult]::new('--external-id', '--external-id', [System.Management.Automation.CompletionResultType]::ParameterName, 'External id the role''s trust policy asks for')
            [System.Management.Automation.CompletionResult]::new('--mfa-serial', '--mfa-serial', [System.Management.Automation.CompletionResultType]::ParameterName, 'ARN of the MFA device to use (default: configured, else detected)')
            [System.Management.Automation.CompletionResult]::new('--mfa-session-duration', '--mfa-session-duration', [System.Management.Automation.CompletionResultType]::ParameterName, 'How long the MFA session opened with one code lasts, e.g. `8h` (default 12h; AWS allows 15m to 36h)')
            [System.Management.Automation.CompletionResult]::new('--source-profile', '--source-profile', [System.Management.Automation.CompletionResultType]::ParameterName, 'Profile whose credentials call STS (default: the standard chain)')
            [System.Management.Automation.CompletionResult]::new('--mfa-token', '--mfa-token', [System.Management.Automation.CompletionResultType]::ParameterName, 'Current MFA code, for scripts without a terminal')
            [System.Management.Automation.CompletionResult]::new('--config', '--config', [System.Management.Automation.CompletionResultType]::ParameterName, 'Read only this configuration file instead of looking for assume-role.yaml')
            [System.Management.Automation.CompletionResult]::new('-s', '-s', [System.Management.Automation.CompletionResultType]::ParameterName, 'Console page to open: a service (`s3`, `ec2`, ...) or a full console URL')
            [System.Management.Automation.CompletionResult]::new('--service', '--service', [System.Management.Automation.CompletionResultType]::ParameterName, 'Console page to open: a service (`s3`, `ec2`, ...) or a full console URL')
            [System.Management.Automation.CompletionResult]::new('-f', '-f', [System.Management.Automation.CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [System.Management.Automation.CompletionResult]::new('--force-refresh', '--force-refresh', [System.Management.Automation.CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [System.Management.Automation.CompletionResult]::new('--print', '--print', [System.Management.Automation.CompletionResultType]::ParameterName, 'Write the sign-in URL on stdout instead of opening a browser. The URL signs anyone in as the role: keep it secret')
            [System.Management.Automation.CompletionResult]::new('-h', '-h', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            [System.Management.Automation.CompletionResult]::new('--help', '--help', [System.Management.Automation.CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;__shell' {
            [System.Management.Automation.CompletionResult]::new('switch', 'switch', [System.Management.Automation.CompletionResultType]::ParameterValue, '`ar ROLE`: switch the shell to a role')
            [System.Management.Automation.CompletionResult]::new('restore', 'restore', [System.Management.Automation.CompletionResultType]::ParameterValue, '`ar -u`: restore the environment from before')
            [System.Management.Automation.CompletionResult]::new('hook', 'hook', [System.Management.Automation.CompletionResultType]::ParameterValue, 'The prompt hook: the directory changed or the credentials are due')
            break
        }
        'assume-role;__shell;switch' {
            [System.Management.Automation.CompletionResult]::new('-r', '-r', [System.Management.Automation.CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [System.Management.Automation.CompletionResult]::new('--role', '--role', [System.Management.Automation.CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [System.Management.Automation.CompletionResult]::new('--role-session-name', '--role-session-name', [System.Management.Automation.CompletionResultType]::ParameterName, 'Session name shown in CloudTrail (default: your IAM user name)')
            [System.Management.Automation.CompletionResult]::new('--duration', '--duration', [System.Management.Automation.CompletionResultType]::ParameterName, 'Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h)')
            [System.Management.Automation.CompletionResult]::new('--region', '--region', [System.Management.Automation.CompletionResultType]::ParameterName, 'Region exported as AWS_REGION and AWS_DEFAULT_REGION')
            [System.Management.Automation.CompletionResult]::new('--external-id', '--external-id', [System.Management.Automation.CompletionResultType]::ParameterName, 'External id the role''s trust policy asks for')
            [System.Management.Automation.CompletionResult]::new('--mfa-serial', '--mfa-serial', [System.Management.Automation.CompletionResultType]::ParameterName, 'ARN of the MFA device to use (default: configured, else detected)')
            [System.Management.Automation.CompletionResult]::new('--mfa-session-duration', '--mfa-session-duration', [System.Management.Automation.CompletionResultType]::ParameterName, 'How long the MFA session opened with one code lasts, e.g. `8h` (default 12h; AWS allows 15m to 36h)')
            [System.Management.Automation.CompletionResult]::new('--source-profile', '--source-profile', [System.Management.Automation.CompletionResultType]::ParameterName, 'Profile whose credentials call STS (default: the standard chain)')
            [System.Management.Automation.CompletionResult]::new('--mfa-token', '--mfa-token', [System.Management.Automation.CompletionResultType]::ParameterName, 'Current MFA code, for scripts without a terminal')
            [System.Management.Automation.CompletionResult]::new('--config', '--config', [System.Management.Automation.CompletionResultType]::ParameterName, 'Read only this configuration file instead of looking for assume-role.yaml')
            [System.Management.Automation.CompletionResult]::new('-f', '-f', [System.Management.Automation.CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [System.Management.Automation.CompletionResult]::new('--force-refresh', '--force-refresh', [System.Management.Automation.CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            break
        }
        'assume-role;__shell;restore' {
            break
        }
        'assume-role;__shell;hook' {
            break
        }
        'assume-role;help' {
            [System.Management.Automation.CompletionResult]::new('init', 'init', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Print the shell integration to evaluate in your shell''s rc file')
            [System.Management.Automation.CompletionResult]::new('allow', 'allow', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Trust the assume-role.yaml of DIR (default: the nearest one) for the directory hook')
            [System.Management.Automation.CompletionResult]::new('deny', 'deny', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Stop trusting the assume-role.yaml of DIR')
            [System.Management.Automation.CompletionResult]::new('status', 'status', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Show the active role, its account, the time left and the files in effect')
            [System.Management.Automation.CompletionResult]::new('roles', 'roles', [System.Management.Automation.CompletionResultType]::ParameterValue, 'List the role names known locally (what completion offers)')
            [System.Management.Automation.CompletionResult]::new('completions', 'completions', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Print a static completion script')
            [System.Management.Automation.CompletionResult]::new('credential-process', 'credential-process', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Print credentials in the JSON that `credential_process` in ~/.aws/config reads')
            [System.Management.Automation.CompletionResult]::new('logout', 'logout', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Forget the MFA session and the cached role credentials')
            [System.Management.Automation.CompletionResult]::new('console', 'console', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Open the AWS console signed in as the role (federation sign-in)')
            [System.Management.Automation.CompletionResult]::new('__shell', '__shell', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Used by the shell integration; not for direct use. Its stdout is evaluated by the shell, so it never prints help there')
            [System.Management.Automation.CompletionResult]::new('help', 'help', [System.Management.Automation.CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'assume-role;help;init' {
            break
        }
        'assume-role;help;allow' {
            break
        }
        'assume-role;help;deny' {
            break
        }
        'assume-role;help;status' {
            break
        }
        'assume-role;help;roles' {
            break
        }
        'assume-role;help;completions' {
            break
        }
        'assume-role;help;credential-process' {
            break
        }
        'assume-role;help;logout' {
            break
        }
        'assume-role;help;console' {
            break
        }
        'assume-role;help;__shell' {
            [System.Management.Automation.CompletionResult]::new('switch', 'switch', [System.Management.Automation.CompletionResultType]::ParameterValue, '`ar ROLE`: switch the shell to a role')
            [System.Management.Automation.CompletionResult]::new('restore', 'restore', [System.Management.Automation.CompletionResultType]::ParameterValue, '`ar -u`: restore the environment from before')
            [System.Management.Automation.CompletionResult]::new('hook', 'hook', [System.Management.Automation.CompletionResultType]::ParameterValue, 'The prompt hook: the directory changed or the credentials are due')
            break
        }
        'assume-role;help;__shell;switch' {
            break
        }
        'assume-role;help;__shell;restore' {
            break
        }
        'assume-role;help;__shell;hook' {
            break
        }
        'assume-role;help;help' {
            break
        }
    })

    $completions.Where({ $_.CompletionText -like "$wordToComplete*" }) |
        Sort-Object -Property ListItemText
}
