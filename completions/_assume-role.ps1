
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'assume-role' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'assume-role'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'assume-role' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [CompletionResult]::new('--role-session-name', '--role-session-name', [CompletionResultType]::ParameterName, 'Session name shown in CloudTrail (default: your IAM user name)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region exported as AWS_REGION and AWS_DEFAULT_REGION')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy asks for')
            [CompletionResult]::new('--mfa-serial', '--mfa-serial', [CompletionResultType]::ParameterName, 'ARN of the MFA device to use (default: configured, else detected)')
            [CompletionResult]::new('--mfa-session-duration', '--mfa-session-duration', [CompletionResultType]::ParameterName, 'How long the MFA session opened with one code lasts, e.g. `8h` (default 12h; AWS allows 15m to 36h)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials call STS (default: the standard chain)')
            [CompletionResult]::new('--mfa-token', '--mfa-token', [CompletionResultType]::ParameterName, 'Current MFA code, for scripts without a terminal')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read only this configuration file instead of looking for assume-role.yaml')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format when no command is given')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [CompletionResult]::new('--force-refresh', '--force-refresh', [CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [CompletionResult]::new('--serve', '--serve', [CompletionResultType]::ParameterName, 'Give the command a loopback credential endpoint that refreshes the role''s credentials, instead of static keys (also `serve: true`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Print the shell integration to evaluate in your shell''s rc file')
            [CompletionResult]::new('allow', 'allow', [CompletionResultType]::ParameterValue, 'Trust the assume-role.yaml of DIR (default: the nearest one) for the directory hook')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Stop trusting the assume-role.yaml of DIR')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the active role, its account, the time left and the files in effect')
            [CompletionResult]::new('roles', 'roles', [CompletionResultType]::ParameterValue, 'List the role names known locally (what completion offers)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a static completion script')
            [CompletionResult]::new('credential-process', 'credential-process', [CompletionResultType]::ParameterValue, 'Print credentials in the JSON that `credential_process` in ~/.aws/config reads')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Forget the MFA session and the cached role credentials')
            [CompletionResult]::new('console', 'console', [CompletionResultType]::ParameterValue, 'Open the AWS console signed in as the role (federation sign-in)')
            [CompletionResult]::new('__shell', '__shell', [CompletionResultType]::ParameterValue, 'Used by the shell integration; not for direct use. Its stdout is evaluated by the shell, so it never prints help there')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'assume-role;init' {
            [CompletionResult]::new('--cmd', '--cmd', [CompletionResultType]::ParameterName, 'Name of the function to define instead of `ar`')
            [CompletionResult]::new('--no-hook', '--no-hook', [CompletionResultType]::ParameterName, 'Do not install the directory-change hook')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;allow' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;deny' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;status' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;roles' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read only this configuration file instead of looking for assume-role.yaml')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;credential-process' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [CompletionResult]::new('--role-session-name', '--role-session-name', [CompletionResultType]::ParameterName, 'Session name shown in CloudTrail (default: your IAM user name)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region exported as AWS_REGION and AWS_DEFAULT_REGION')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy asks for')
            [CompletionResult]::new('--mfa-serial', '--mfa-serial', [CompletionResultType]::ParameterName, 'ARN of the MFA device to use (default: configured, else detected)')
            [CompletionResult]::new('--mfa-session-duration', '--mfa-session-duration', [CompletionResultType]::ParameterName, 'How long the MFA session opened with one code lasts, e.g. `8h` (default 12h; AWS allows 15m to 36h)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials call STS (default: the standard chain)')
            [CompletionResult]::new('--mfa-token', '--mfa-token', [CompletionResultType]::ParameterName, 'Current MFA code, for scripts without a terminal')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read only this configuration file instead of looking for assume-role.yaml')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [CompletionResult]::new('--force-refresh', '--force-refresh', [CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;logout' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;console' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [CompletionResult]::new('--role-session-name', '--role-session-name', [CompletionResultType]::ParameterName, 'Session name shown in CloudTrail (default: your IAM user name)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region exported as AWS_REGION and AWS_DEFAULT_REGION')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy asks for')
            [CompletionResult]::new('--mfa-serial', '--mfa-serial', [CompletionResultType]::ParameterName, 'ARN of the MFA device to use (default: configured, else detected)')
            [CompletionResult]::new('--mfa-session-duration', '--mfa-session-duration', [CompletionResultType]::ParameterName, 'How long the MFA session opened with one code lasts, e.g. `8h` (default 12h; AWS allows 15m to 36h)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials call STS (default: the standard chain)')
            [CompletionResult]::new('--mfa-token', '--mfa-token', [CompletionResultType]::ParameterName, 'Current MFA code, for scripts without a terminal')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read only this configuration file instead of looking for assume-role.yaml')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Console page to open: a service (`s3`, `ec2`, ...) or a full console URL')
            [CompletionResult]::new('--service', '--service', [CompletionResultType]::ParameterName, 'Console page to open: a service (`s3`, `ec2`, ...) or a full console URL')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [CompletionResult]::new('--force-refresh', '--force-refresh', [CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [CompletionResult]::new('--print', '--print', [CompletionResultType]::ParameterName, 'Write the sign-in URL on stdout instead of opening a browser. The URL signs anyone in as the role: keep it secret')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'assume-role;__shell' {
            [CompletionResult]::new('switch', 'switch', [CompletionResultType]::ParameterValue, '`ar ROLE`: switch the shell to a role')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, '`ar -u`: restore the environment from before')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'The prompt hook: the directory changed or the credentials are due')
            break
        }
        'assume-role;__shell;switch' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Role to assume: a full ARN, a name appended to `role_prefix`, or a `[profile NAME]` with `role_arn` in ~/.aws/config')
            [CompletionResult]::new('--role-session-name', '--role-session-name', [CompletionResultType]::ParameterName, 'Session name shown in CloudTrail (default: your IAM user name)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region exported as AWS_REGION and AWS_DEFAULT_REGION')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'External id the role''s trust policy asks for')
            [CompletionResult]::new('--mfa-serial', '--mfa-serial', [CompletionResultType]::ParameterName, 'ARN of the MFA device to use (default: configured, else detected)')
            [CompletionResult]::new('--mfa-session-duration', '--mfa-session-duration', [CompletionResultType]::ParameterName, 'How long the MFA session opened with one code lasts, e.g. `8h` (default 12h; AWS allows 15m to 36h)')
            [CompletionResult]::new('--source-profile', '--source-profile', [CompletionResultType]::ParameterName, 'Profile whose credentials call STS (default: the standard chain)')
            [CompletionResult]::new('--mfa-token', '--mfa-token', [CompletionResultType]::ParameterName, 'Current MFA code, for scripts without a terminal')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read only this configuration file instead of looking for assume-role.yaml')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            [CompletionResult]::new('--force-refresh', '--force-refresh', [CompletionResultType]::ParameterName, 'Ignore the cache and call AssumeRole again')
            break
        }
        'assume-role;__shell;restore' {
            break
        }
        'assume-role;__shell;hook' {
            break
        }
        'assume-role;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Print the shell integration to evaluate in your shell''s rc file')
            [CompletionResult]::new('allow', 'allow', [CompletionResultType]::ParameterValue, 'Trust the assume-role.yaml of DIR (default: the nearest one) for the directory hook')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Stop trusting the assume-role.yaml of DIR')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the active role, its account, the time left and the files in effect')
            [CompletionResult]::new('roles', 'roles', [CompletionResultType]::ParameterValue, 'List the role names known locally (what completion offers)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a static completion script')
            [CompletionResult]::new('credential-process', 'credential-process', [CompletionResultType]::ParameterValue, 'Print credentials in the JSON that `credential_process` in ~/.aws/config reads')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Forget the MFA session and the cached role credentials')
            [CompletionResult]::new('console', 'console', [CompletionResultType]::ParameterValue, 'Open the AWS console signed in as the role (federation sign-in)')
            [CompletionResult]::new('__shell', '__shell', [CompletionResultType]::ParameterValue, 'Used by the shell integration; not for direct use. Its stdout is evaluated by the shell, so it never prints help there')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
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
            [CompletionResult]::new('switch', 'switch', [CompletionResultType]::ParameterValue, '`ar ROLE`: switch the shell to a role')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, '`ar -u`: restore the environment from before')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'The prompt hook: the directory changed or the credentials are due')
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

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
