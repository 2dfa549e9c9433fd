// The PowerShell host loop: PowerShell text sent as the pwsh session's first line (see
// dialect.ts). It keeps one runspace whose global scope carries over from run to run, runs each
// script dot-sourced in it through a [powershell] instance (so Stop() ends a pipeline as Ctrl+C
// does, and the runspace survives), and speaks the session layer's marker protocol:
//
//   stdout  formatted output lines (Out-String, as the console shows them)
//           TOKEN O <json>         one output object, serialised (ConvertTo-Json -Depth 2)
//           TOKEN T <tag> <text>   a line of the host/information stream (tag host|information)
//   stderr  TOKEN T <tag> <text>   error, warning, verbose and debug lines (tag error|warning|verbose|debug;
//                                  fatal: the terminating error that ended the run, and where)
//   both    TOKEN H <pid> <pgid> <dir>   hello;   TOKEN E <runId> <status>   a run ended;
//           TOKEN X <status>             the host ended
//
// Every marker is written as "\n" + marker + "\n": the line reader drops the empty line that a
// leading newline makes, so an empty output line just before a marker is never lost.
//
// Requests arrive on stdin, one line each, every string field base64 (UTF-8; "." for empty):
//   R <runId> <exitAfter 0|1> <name> <script> <argc> <arg>... <varc> (<NAME> <value>)... <inputc|-> <item>...
//   G <runId> ...  the same as R, resent after a reattach (durable): dropped if run <runId> is
//                  the one this host last started, so a run never runs twice
//   S <runId>     stop the running pipeline (Ctrl+C)
//   X             end the host
// No PowerShell parser ever sees an argument, variable value or input item: they travel as data.
//
// Written without backquotes (PowerShell's escape character would end this template).
export const PWSH_HOST_SCRIPT = String.raw`
$ErrorActionPreference = 'Stop'
$nl = [string][char]10
$utf8 = [Text.UTF8Encoding]::new($false)
$so = [IO.StreamWriter]::new([Console]::OpenStandardOutput(), $utf8, 65536); $so.NewLine = $nl
$se = [IO.StreamWriter]::new([Console]::OpenStandardError(), $utf8, 65536); $se.NewLine = $nl
$so = [IO.TextWriter]::Synchronized($so); $se = [IO.TextWriter]::Synchronized($se)
$win = [Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT
$own = -not $__ri_d
if ($own) {
  $base = if ($win) { [IO.Path]::GetTempPath() } elseif ($env:TMPDIR) { $env:TMPDIR } else { '/tmp' }
  $__ri_d = [IO.Path]::Combine($base, 'remote-invoke.' + [Guid]::NewGuid().ToString('N').Substring(0, 16))
  if ([IO.Directory]::Exists($__ri_d)) { throw ("refusing to use " + $__ri_d + ": it exists already") }
  if ($win) { $null = [IO.Directory]::CreateDirectory($__ri_d) } else { $null = [IO.Directory]::CreateDirectory($__ri_d, [IO.UnixFileMode]448) }
}
$pg = $PID
if (-not $win) { try { $st = [IO.File]::ReadAllText("/proc/$PID/stat"); $pg = [int]($st.Substring($st.LastIndexOf(')') + 2).Split(' ')[2]) } catch { $pg = $PID } }

function mark([IO.TextWriter]$w, [string]$text) { $w.Write($nl + $__ri_t + ' ' + $text + $nl) }
function both([string]$text) { mark $so $text; mark $se $text; $so.Flush(); $se.Flush() }
function dec([string]$s) { if ($s -eq '.') { '' } else { $utf8.GetString([Convert]::FromBase64String($s)) } }
function busy([string]$v) { if (-not $own) { try { [IO.File]::WriteAllText([IO.Path]::Combine($__ri_d, 'busy'), $v + $nl) } catch {} } }
# A durable session records the run it last started (the 0600 file made at create), so that a
# client whose link died as it sent a run can ask whether the text arrived (durable.ts, queryRunStarted).
function started([string]$id) { if (-not $own) { try { [IO.File]::WriteAllText([IO.Path]::Combine($__ri_d, 'run'), $id + $nl) } catch {} } }

$iss = [Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
$rs = [runspacefactory]::CreateRunspace($iss)
$rs.Open()
$rs.SessionStateProxy.SetVariable('__ri_w', @{ o = $so; e = $se; m = $nl + $__ri_t; nl = $nl })
$setup = [powershell]::Create(); $setup.Runspace = $rs
$null = $setup.AddScript({
  # Output objects: JSON first, then the formatted text. Other streams: tagged lines.
  function global:__ri_emit {
    param([Parameter(ValueFromPipeline = $true)] $o)
    begin {
      # The formatter (Out-String, which loads a module) starts with the first object that needs it:
      # a run that writes only strings and numbers never pays for it.
      $w = $__ri_w; $fed = $false; $ended = $false; $sp = $null
      function tag([IO.TextWriter]$to, [string]$t, [string]$text) {
        foreach ($l in $text.Replace([string][char]13, '').Split([char]10)) { $to.Write($w.m + ' T ' + $t + ' ' + $l + $w.nl) }
      }
    }
    process {
      if ($null -eq $o) { return }
      if ($o -is [Management.Automation.ErrorRecord]) {
        $where = if ($o.InvocationInfo -and $o.InvocationInfo.ScriptLineNumber -gt 0) { " (line $($o.InvocationInfo.ScriptLineNumber))" } else { '' }
        tag $w.e 'error' ($o.ToString() + $where); return
      }
      if ($o -is [Management.Automation.WarningRecord]) { tag $w.e 'warning' ('WARNING: ' + $o.Message); return }
      if ($o -is [Management.Automation.VerboseRecord]) { tag $w.e 'verbose' ('VERBOSE: ' + $o.Message); return }
      if ($o -is [Management.Automation.DebugRecord]) { tag $w.e 'debug' ('DEBUG: ' + $o.Message); return }
      if ($o -is [Management.Automation.InformationRecord]) {
        $t = if ($o.Tags -contains 'PSHOST') { 'host' } else { 'information' }
        tag $w.o $t ([string]$o.MessageData); return
      }
      $b = $o; if ($b -is [psobject]) { $b = $b.PSObject.BaseObject }
      if ($b -is [string]) {
        $w.o.Write($w.m + ' O ' + [Web.HttpUtility]::JavaScriptStringEncode($b, $true) + $w.nl)
        if (-not $fed) { foreach ($l in $b.Replace([string][char]13, '').Split([char]10)) { $w.o.WriteLine($l) }; return }
      } elseif ($b -is [int] -or $b -is [long] -or $b -is [bool]) {
        $j = if ($b -is [bool]) { if ($b) { 'true' } else { 'false' } } else { $b.ToString([Globalization.CultureInfo]::InvariantCulture) }
        $w.o.Write($w.m + ' O ' + $j + $w.nl)
        if (-not $fed) { $w.o.WriteLine($b.ToString()); return }
      } else {
        $j = try { ConvertTo-Json -InputObject $o -Compress -Depth 2 -EnumsAsStrings -WarningAction Ignore } catch { [Web.HttpUtility]::JavaScriptStringEncode([string]$o, $true) }
        $w.o.Write($w.m + ' O ' + $j.Replace([string][char]10, ' ').Replace([string][char]13, ' ') + $w.nl)
      }
      if ($null -eq $sp) { $sp = { Out-String -Stream -Width 160 }.GetSteppablePipeline(); $sp.Begin($true) }
      $fed = $true
      foreach ($l in $sp.Process($o)) { $w.o.WriteLine($l) }
    }
    end { $ended = $true; if ($sp) { foreach ($l in $sp.End()) { $w.o.WriteLine($l) } } }
    # A stopped or failed pipeline still puts out what the formatter was holding.
    clean { if (-not $ended -and $sp) { try { foreach ($l in $sp.End()) { $w.o.WriteLine($l) } } catch {} } }
  }
}, $false)
$null = $setup.Invoke(); $setup.Dispose()

$__ri_pending = $__ri_r.ReadLineAsync()
$eof = $false
$lastRun = ''
function nextLine {
  $l = $script:__ri_pending.GetAwaiter().GetResult()
  if ($null -eq $l) { $script:eof = $true } else { $script:__ri_pending = $__ri_r.ReadLineAsync() }
  $l
}

function report-failure([Exception]$ex, [string]$name) {
  $er = if ($ex -is [Management.Automation.IContainsErrorRecord]) { $ex.ErrorRecord } else { $null }
  $msg = $ex.Message
  if ($er -and $er.Exception -and $er.Exception.Message) { $msg = $er.Exception.Message }
  foreach ($l in $msg.Replace([string][char]13, '').Split([char]10)) { mark $se ('T fatal ' + $l) }
  $ii = if ($er) { $er.InvocationInfo } else { $null }
  if ($ii -and $ii.ScriptLineNumber -gt 0) {
    mark $se ('T fatal At ' + $name + ':' + $ii.ScriptLineNumber + ' char:' + $ii.OffsetInLine)
    if ($ii.Line) { mark $se ('T fatal + ' + $ii.Line.Trim()) }
  }
}

# Using expressions at the script's own level read the copied-in values; those inside script
# blocks given to -Parallel, jobs or remoting keep their own meaning there.
function rewrite-using([string]$text) {
  # Parsing costs ~100 ms on a cold host: a script that cannot hold a using expression or an exit skips it.
  if ($text.IndexOf('using:', [StringComparison]::OrdinalIgnoreCase) -lt 0 -and $text.IndexOf('exit', [StringComparison]::OrdinalIgnoreCase) -lt 0) {
    return @{ text = $text; exit = $false; changed = $false }
  }
  $errs = $null; $toks = $null
  $ast = [Management.Automation.Language.Parser]::ParseInput($text, [ref]$toks, [ref]$errs)
  $hasExit = $null -ne $ast.Find({ param($a) $a -is [Management.Automation.Language.ExitStatementAst] }, $true)
  if ($errs.Count -gt 0) { return @{ text = $text; exit = $hasExit; changed = $false } }
  $uses = @($ast.FindAll({ param($a) $a -is [Management.Automation.Language.UsingExpressionAst] }, $true) | Where-Object {
    $p = $_.Parent; $inner = $false
    while ($p) { if ($p -is [Management.Automation.Language.ScriptBlockExpressionAst] -and $p.Parent -is [Management.Automation.Language.CommandAst]) { $inner = $true; break }; $p = $p.Parent }
    -not $inner
  } | Sort-Object { $_.Extent.StartOffset } -Descending)
  foreach ($u in $uses) {
    $v = [Management.Automation.Language.UsingExpressionAst]::ExtractUsingVariable($u)
    $n = $v.VariablePath.UserPath; if ($n -match '^(?i)using:') { $n = $n.Substring(6) }
    # A subexpression, so that it reads the same inside an expandable string ("$Using:X") as outside.
    $text = $text.Substring(0, $u.Extent.StartOffset) + '$($__ri_u[''' + $n.Replace("'", "''") + '''])' + $text.Substring($u.Extent.EndOffset)
  }
  @{ text = $text; exit = $hasExit; changed = $uses.Count -gt 0 }
}

function run-one([string[]]$f) {
  # A resent copy of the run this host last started: the first copy got here after all.
  if ($f[0] -eq 'G' -and $f[1] -eq $script:lastRun) { return }
  $script:lastRun = $f[1]; started $f[1]
  $id = $f[1]; $exitAfter = $f[2] -eq '1'; $name = dec $f[3]; $bytes = [Convert]::FromBase64String($f[4])
  $i = 5
  $argc = [int]$f[$i++]; $argv = [object[]]::new($argc); for ($k = 0; $k -lt $argc; $k++) { $argv[$k] = dec $f[$i++] }
  $varc = [int]$f[$i++]; $vars = @{}; for ($k = 0; $k -lt $varc; $k++) { $vn = dec $f[$i++]; $vars[$vn] = dec $f[$i++] }
  $inputc = $f[$i++]; $items = $null
  if ($inputc -ne '-') { $n = [int]$inputc; $items = [object[]]::new($n); for ($k = 0; $k -lt $n; $k++) { $items[$k] = dec $f[$i++] } }
  $status = 0
  busy '1'
  try {
    $text = $utf8.GetString($bytes)
    if ($text.Length -gt 0 -and $text[0] -eq [char]0xFEFF) { $text = $text.Substring(1) }
    $plan = rewrite-using $text
    $leaf = ($name -replace '[^A-Za-z0-9._-]', '_') -replace '(?<!\.ps1)$', '.ps1'
    $file = [IO.Path]::Combine($__ri_d, $leaf)
    $name = $name -replace '^run-', ''
    if ($plan.changed) { [IO.File]::WriteAllText($file, $plan.text, $utf8) } else { [IO.File]::WriteAllBytes($file, $bytes) }
    $p = $rs.SessionStateProxy
    $p.SetVariable('__ri_f', $file); $p.SetVariable('__ri_a', $argv); $p.SetVariable('__ri_u', $vars); $p.SetVariable('__ri_in', $items)
    if ($plan.exit) { $p.SetVariable('LASTEXITCODE', 0) }
    $ps = [powershell]::Create(); $ps.Runspace = $rs
    $cmd = if ($null -ne $items) { '$__ri_in | . $__ri_f @__ri_a *>&1 | __ri_emit' } else { '. $__ri_f @__ri_a *>&1 | __ri_emit' }
    $null = $ps.AddScript($cmd, $false)
    $h = $ps.BeginInvoke()
    $stopping = $false
    while (-not $h.IsCompleted) {
      $handles = if ($script:eof) { [Threading.WaitHandle[]]@($h.AsyncWaitHandle) } else { [Threading.WaitHandle[]]@($h.AsyncWaitHandle, ([IAsyncResult]$script:__ri_pending).AsyncWaitHandle) }
      $which = [Threading.WaitHandle]::WaitAny($handles, 100)
      $so.Flush(); $se.Flush()
      if ($which -eq 1) {
        $l = nextLine
        if (($null -eq $l -or $l.StartsWith('S ') -or $l -eq 'X') -and -not $stopping) { $stopping = $true; $null = $ps.BeginStop($null, $null) }
        if ($l -eq 'X') { $script:eof = $true }
      }
    }
    try { $null = $ps.EndInvoke($h) } catch {}
    $state = $ps.InvocationStateInfo
    if ($state.State -eq 'Failed') { report-failure $state.Reason $name; $status = 1 }
    elseif ($state.State -eq 'Stopped') { $status = 130 }
    elseif ($plan.exit) { $c = $p.GetVariable('LASTEXITCODE'); if ($c -is [int]) { $status = $c } }
    $ps.Dispose()
  } catch {
    mark $se ('T error remote-invoke: the PowerShell host could not run the script: ' + $_.Exception.Message)
    $status = 1
  }
  busy '0'
  both ('E ' + $id + ' ' + $status)
  if ($exitAfter) { $script:eof = $true }
  $script:last = $status
}

$last = 0
both ('H ' + $PID + ' ' + $pg + ' ' + $__ri_d)
try {
  while (-not $eof) {
    $l = nextLine
    if ($null -eq $l -or $l -eq 'X') { break }
    if ($l.StartsWith('R ') -or $l.StartsWith('G ')) { run-one $l.Split(' ') }
  }
} finally {
  # A kept spool (a background job) records how the host ended before the markers go out: a
  # client that has gone already must find it. A durable session's files go with it otherwise.
  if ($own -or -not [IO.File]::Exists([IO.Path]::Combine($__ri_d, 'keep'))) { try { [IO.Directory]::Delete($__ri_d, $true) } catch {} }
  else { try { [IO.File]::WriteAllText([IO.Path]::Combine($__ri_d, 'status'), [string]$last + $nl) } catch {} }
  both ('X ' + $last)
}
[Environment]::Exit($last)
`;
