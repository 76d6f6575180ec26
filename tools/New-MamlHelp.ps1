#Requires -Version 7.6
<#
.SYNOPSIS
    Generates the MAML help of the module's compiled cmdlets from the help sources in module/help.

.DESCRIPTION
    platyPS is not available here, so this script does its job: the text comes from
    module/help/<Verb-Noun>.help.psd1 (Synopsis, Description, Parameters, Examples, Inputs, Outputs,
    Notes, RelatedLinks; SharedParameters may name a .psd1 of descriptions shared by several
    cmdlets), the facts (parameter sets, types, mandatory, position, pipeline input, aliases) come
    from the compiled cmdlets as PowerShell sees them after Import-Module.

    Every cmdlet the module exports must have a help source, a synopsis, a description, at least two
    examples with code and remarks, and a description for every parameter; otherwise the script
    lists every problem and exits 1, which fails the build. Run it in its own pwsh process (build.ps1
    does): it imports the module.

.EXAMPLE
    pwsh -File tools/New-MamlHelp.ps1 -ModulePath output/DaneMtaSts/0.1.0/DaneMtaSts.psd1 -HelpSourcePath module/help -OutputFolder output/DaneMtaSts/0.1.0/en-US
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $HelpSourcePath,
    [Parameter(Mandatory)][string] $OutputFolder
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$nsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$nsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$nsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'

# Parameters every cmdlet with SupportsShouldProcess has; their text is the same everywhere.
$builtInDescriptions = @{
    WhatIf  = 'Shows what would happen if the cmdlet runs, after checking every rule, without changing anything.'
    Confirm = 'Prompts you for confirmation before running the cmdlet.'
}
$commonParameters = [System.Management.Automation.Cmdlet]::CommonParameters + @('UseTransaction')

function Get-Text($Value) {
    # A help source value may be a string or an array of lines/paragraphs.
    if ($null -eq $Value) { return '' }
    return (@($Value) -join [Environment]::NewLine).Trim()
}

function Get-Paragraphs([string] $Text) {
    # Blank lines separate paragraphs; single line breaks inside a paragraph are kept as spaces.
    return @(($Text -replace "`r", '') -split "`n\s*`n" | ForEach-Object { ($_ -split "`n" | ForEach-Object Trim) -join ' ' } | Where-Object { $_ })
}

function Write-Paragraphs([System.Xml.XmlWriter] $w, [string] $Text) {
    foreach ($p in Get-Paragraphs $Text) { $w.WriteElementString('maml', 'para', $nsMaml, $p) }
}

function Get-ParameterEntry($Source, [hashtable] $Shared, [string] $Name) {
    foreach ($table in @($Source['Parameters'], $Shared)) {
        if ($table -and $table.ContainsKey($Name)) {
            $entry = $table[$Name]
            if ($entry -is [hashtable]) { return @{ Description = Get-Text $entry['Description']; Default = $entry['Default'] } }
            return @{ Description = Get-Text $entry; Default = $null }
        }
    }
    if ($builtInDescriptions.ContainsKey($Name)) { return @{ Description = $builtInDescriptions[$Name]; Default = $null } }
    return $null
}

function Get-TypeName([type] $Type) {
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { $Type = $underlying }
    return $Type
}

function Get-PipelineText($Parameter) {
    $kinds = @()
    if ($Parameter.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($Parameter.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($kinds) { return "True ($($kinds -join ', '))" }
    return 'False'
}

function Write-Parameter([System.Xml.XmlWriter] $w, $Info, $Entry, [bool] $Required, [string] $Position, [string] $Pipeline) {
    $type = Get-TypeName $Info.ParameterType
    $isSwitch = $type -eq [System.Management.Automation.SwitchParameter]
    $w.WriteStartElement('command', 'parameter', $nsCommand)
    $w.WriteAttributeString('required', $Required.ToString().ToLowerInvariant())
    $w.WriteAttributeString('variableLength', $type.IsArray.ToString().ToLowerInvariant())
    $w.WriteAttributeString('globbing', 'false')
    $w.WriteAttributeString('pipelineInput', $Pipeline)
    $w.WriteAttributeString('position', $Position)
    $aliases = @($Info.Aliases)
    $w.WriteAttributeString('aliases', $(if ($aliases.Count) { $aliases -join ', ' } else { 'none' }))
    $w.WriteElementString('maml', 'name', $nsMaml, $Info.Name)
    $w.WriteStartElement('maml', 'description', $nsMaml)
    Write-Paragraphs $w $Entry.Description
    $w.WriteEndElement()
    # The values a user may type: a ValidateSet narrows an enum (TlsValidationMode has a read-only value).
    $validateSet = @($Info.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1)
    $values = @(if ($validateSet) { $validateSet[0].ValidValues } elseif ($type.IsEnum) { [enum]::GetNames($type) })
    if ($values.Count -gt 0) {
        $w.WriteStartElement('command', 'parameterValueGroup', $nsCommand)
        foreach ($v in $values) {
            $w.WriteStartElement('command', 'parameterValue', $nsCommand)
            $w.WriteAttributeString('required', 'false'); $w.WriteAttributeString('variableLength', 'false')
            $w.WriteString($v)
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    if (-not $isSwitch) {
        $w.WriteStartElement('command', 'parameterValue', $nsCommand)
        $w.WriteAttributeString('required', 'true'); $w.WriteAttributeString('variableLength', $type.IsArray.ToString().ToLowerInvariant())
        $w.WriteString($type.Name)
        $w.WriteEndElement()
    }
    $w.WriteStartElement('dev', 'type', $nsDev)
    $w.WriteElementString('maml', 'name', $nsMaml, $type.FullName)
    $w.WriteElementString('maml', 'uri', $nsMaml, '')
    $w.WriteEndElement()
    $default = if ($Entry.Default) { [string] $Entry.Default } elseif ($isSwitch) { 'False' } else { 'None' }
    $w.WriteElementString('dev', 'defaultValue', $nsDev, $default)
    $w.WriteEndElement()
}

function Write-TypeList([System.Xml.XmlWriter] $w, [string] $ListName, [string] $ItemName, $Items) {
    $w.WriteStartElement('command', $ListName, $nsCommand)
    foreach ($item in @($Items)) {
        $w.WriteStartElement('command', $ItemName, $nsCommand)
        $w.WriteStartElement('dev', 'type', $nsDev)
        $w.WriteElementString('maml', 'name', $nsMaml, [string] $item.Type)
        $w.WriteEndElement()
        $w.WriteStartElement('maml', 'description', $nsMaml)
        Write-Paragraphs $w (Get-Text $item.Description)
        $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
}

# ------------------------------------------------------------------ collect and check
$module = Import-Module $ModulePath -PassThru -Force -DisableNameChecking
# The manifest's list of cmdlets (Validate-OutboundConnector is an alias of Test-OutboundConnector).
$cmdlets = @((Import-PowerShellDataFile $ModulePath).CmdletsToExport | ForEach-Object { Get-Command $_ -CommandType Cmdlet -ErrorAction Stop } | Sort-Object Name)
if ($cmdlets.Count -eq 0) { throw "The module '$ModulePath' exports no cmdlets." }

$problems = [System.Collections.Generic.List[string]]::new()
$work = foreach ($cmd in $cmdlets) {
    $sourceFile = Join-Path $HelpSourcePath "$($cmd.Name).help.psd1"
    if (-not (Test-Path $sourceFile)) { $problems.Add("$($cmd.Name): no help source ($sourceFile)."); continue }
    $source = Import-PowerShellDataFile $sourceFile
    $shared = @{}
    if ($source['SharedParameters']) { $shared = Import-PowerShellDataFile (Join-Path $HelpSourcePath $source['SharedParameters']) }

    foreach ($key in 'Synopsis', 'Description') {
        if (-not (Get-Text $source[$key])) { $problems.Add("$($cmd.Name): $key is missing.") }
    }
    $examples = @($source['Examples'])
    if ($examples.Count -lt 2) { $problems.Add("$($cmd.Name): $($examples.Count) example(s); at least 2 are needed.") }
    foreach ($ex in $examples) {
        if (-not ($ex -is [hashtable]) -or -not (Get-Text $ex['Code']) -or -not (Get-Text $ex['Remarks'])) { $problems.Add("$($cmd.Name): an example lacks Code or Remarks.") }
    }
    foreach ($key in 'Inputs', 'Outputs') {
        if (-not $source[$key]) { $problems.Add("$($cmd.Name): $key is missing.") }
    }
    $parameters = @($cmd.Parameters.Values | Where-Object { $_.Name -notin $commonParameters })
    foreach ($p in $parameters) {
        $entry = Get-ParameterEntry $source $shared $p.Name
        if (-not $entry -or -not $entry.Description) { $problems.Add("$($cmd.Name): parameter -$($p.Name) has no description.") }
    }
    foreach ($name in @($source['Parameters'].Keys)) {
        if ($name -and -not $cmd.Parameters.ContainsKey($name)) { $problems.Add("$($cmd.Name): the help source describes -$name, which the cmdlet does not have.") }
    }
    [pscustomobject]@{ Command = $cmd; Source = $source; Shared = $shared; Parameters = $parameters }
}

if ($problems.Count -gt 0) {
    $problems | ForEach-Object { Write-Host "help: $_" -ForegroundColor Red }
    Write-Error "Help is incomplete ($($problems.Count) problem(s)); fix the sources in $HelpSourcePath." -ErrorAction Continue
    exit 1
}

# ------------------------------------------------------------------ write one MAML file per assembly
New-Item -ItemType Directory -Path $OutputFolder -Force | Out-Null
foreach ($group in $work | Group-Object { [System.IO.Path]::GetFileName($_.Command.ImplementingType.Assembly.Location) }) {
    $file = Join-Path $OutputFolder "$($group.Name)-Help.xml"
    $settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
    $w = [System.Xml.XmlWriter]::Create($file, $settings)
    try {
        $w.WriteStartDocument()
        $w.WriteStartElement('helpItems', 'http://msh')
        $w.WriteAttributeString('schema', 'maml')
        foreach ($item in $group.Group) {
            $cmd = $item.Command; $source = $item.Source
            $w.WriteStartElement('command', 'command', $nsCommand)
            $w.WriteAttributeString('xmlns', 'maml', $null, $nsMaml)
            $w.WriteAttributeString('xmlns', 'command', $null, $nsCommand)
            $w.WriteAttributeString('xmlns', 'dev', $null, $nsDev)

            $w.WriteStartElement('command', 'details', $nsCommand)
            $w.WriteElementString('command', 'name', $nsCommand, $cmd.Name)
            $w.WriteElementString('command', 'verb', $nsCommand, $cmd.Verb)
            $w.WriteElementString('command', 'noun', $nsCommand, $cmd.Noun)
            $w.WriteStartElement('maml', 'description', $nsMaml); Write-Paragraphs $w (Get-Text $source.Synopsis); $w.WriteEndElement()
            $w.WriteEndElement()

            $w.WriteStartElement('maml', 'description', $nsMaml); Write-Paragraphs $w (Get-Text $source.Description); $w.WriteEndElement()

            # Syntax: one item per parameter set, with that set's mandatory/position facts.
            $w.WriteStartElement('command', 'syntax', $nsCommand)
            foreach ($set in $cmd.ParameterSets) {
                $w.WriteStartElement('command', 'syntaxItem', $nsCommand)
                $w.WriteElementString('maml', 'name', $nsMaml, $cmd.Name)
                foreach ($p in $set.Parameters | Where-Object { $_.Name -notin $commonParameters }) {
                    $entry = Get-ParameterEntry $source $item.Shared $p.Name
                    $position = if ($p.Position -ge 0) { [string] $p.Position } else { 'named' }
                    Write-Parameter $w $cmd.Parameters[$p.Name] $entry $p.IsMandatory $position (Get-PipelineText $p)
                }
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            # Parameters: each once; mandatory/position/pipeline from its first parameter set.
            $w.WriteStartElement('command', 'parameters', $nsCommand)
            foreach ($p in $item.Parameters | Sort-Object { $s = @($_.ParameterSets.Values)[0]; if ($s.Position -ge 0) { $s.Position } else { 1000 } }, Name) {
                $setInfo = @($p.ParameterSets.Values)[0]
                $position = if ($setInfo.Position -ge 0) { [string] $setInfo.Position } else { 'named' }
                Write-Parameter $w $p (Get-ParameterEntry $source $item.Shared $p.Name) $setInfo.IsMandatory $position (Get-PipelineText $setInfo)
            }
            $w.WriteEndElement()

            Write-TypeList $w 'inputTypes' 'inputType' $source.Inputs
            Write-TypeList $w 'returnValues' 'returnValue' $source.Outputs

            if (Get-Text $source['Notes']) {
                $w.WriteStartElement('maml', 'alertSet', $nsMaml)
                $w.WriteStartElement('maml', 'alert', $nsMaml); Write-Paragraphs $w (Get-Text $source.Notes); $w.WriteEndElement()
                $w.WriteEndElement()
            }

            $w.WriteStartElement('command', 'examples', $nsCommand)
            $n = 0
            foreach ($ex in $source.Examples) {
                $n++
                $w.WriteStartElement('command', 'example', $nsCommand)
                $w.WriteElementString('maml', 'title', $nsMaml, "-------------------------- Example $n --------------------------")
                $w.WriteElementString('dev', 'code', $nsDev, (Get-Text $ex.Code))
                $w.WriteStartElement('dev', 'remarks', $nsDev); Write-Paragraphs $w (Get-Text $ex.Remarks); $w.WriteEndElement()
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteStartElement('command', 'relatedLinks', $nsCommand)
            foreach ($link in @($source['RelatedLinks'])) {
                if (-not $link) { continue }
                $w.WriteStartElement('maml', 'navigationLink', $nsMaml)
                $w.WriteElementString('maml', 'linkText', $nsMaml, [string] $link)
                $w.WriteElementString('maml', 'uri', $nsMaml, '')
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteEndElement()
        }
        $w.WriteEndElement()
        $w.WriteEndDocument()
    }
    finally {
        $w.Dispose()
    }
    Write-Host "Help: $file ($($group.Count) cmdlets)"
}
exit 0
