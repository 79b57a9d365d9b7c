# assume-role shell integration for PowerShell (7.2+):
#   Invoke-Expression (& { (assume-role init powershell | Out-String) })
# The function `ar` switches this session between roles; the location
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

function global:ar {
    if ($args.Count -eq 0) {
        & $global:__ar_bin status
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
        'usage: ar ROLE [OPTIONS] | ar -u | ar --console [OPTIONS] | ar'
    } else {
        if (-not (__ar_call __shell powershell switch @args)) { $global:LASTEXITCODE = 1 }
    }
}

# Completes role names (local files only: `assume-role roles`).
Register-ArgumentCompleter -CommandName ar -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    & $global:__ar_bin roles 2>$null | Where-Object { $_ -like "$wordToComplete*" } |
        ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
}

