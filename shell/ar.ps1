# assume-role shell integration for PowerShell (7.2+):
#   Invoke-Expression (& { (assume-role init powershell | Out-String) })
# The function `__AR_CMD__` switches this session between roles; the location
# and prompt hooks follow the nearest trusted assume-role.yaml and refresh
# credentials. What the binary prints is quoted for PowerShell by the binary.

$global:__ar_bin = __AR_BIN__

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

function global:__AR_CMD__ {
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
        'usage: __AR_CMD__ ROLE [OPTIONS] | __AR_CMD__ -u | __AR_CMD__ --console [OPTIONS] | __AR_CMD__'
    } else {
        if (-not (__ar_call __shell powershell switch @args)) { $global:LASTEXITCODE = 1 }
    }
}

# Completes role names (local files only: `assume-role roles`).
Register-ArgumentCompleter -CommandName __AR_CMD__ -ScriptBlock {
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
