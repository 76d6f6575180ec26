@{
    Synopsis     = 'Parses an MTA-STS policy or the TXT records of an _mta-sts name offline, as a sender would read them.'
    Description  = @'
ConvertFrom-MtaStsPolicy runs the dry run's own MTA-STS parsers on text you give it, with no network: a policy body (the file served at https://mta-sts.<domain>/.well-known/mta-sts.txt, RFC 8461 §3.2) or, with -TxtRecord, the TXT records of _mta-sts.<domain> (RFC 8461 §3.1).

For a policy it writes Valid, Version, Mode, MaxAge (seconds, capped to the RFC's maximum of 31557600), Mx (the patterns, normalised), Extensions (other keys), Warnings and Errors. Where RFC 8461 gives a rule the parser follows it (version STSv1, mode enforce/testing/none in lower case, max_age of 1 to 10 digits, at least one mx unless mode none, '*' only as the whole left-most label of an mx pattern); where the RFC is silent it stays lenient and says so in Warnings (a repeated key: the first wins; an empty line; a key that is not a field name; a byte order mark). An invalid policy has Valid $false and one sentence in Errors: a sender treats it as no policy.

For TXT records it writes Valid, Id, StsRecordCount, Record, Extensions, Warnings and Errors. Records that do not begin with "v=STSv1;" are discarded before the records are counted, so a stray bare "v=STSv1" beside a valid record does not void it (a warning says so); more than one STSv1 record is no policy; a repeated field is accepted and the first one wins (a warning).

Piped strings are joined with line feeds into one policy, so Get-Content mta-sts.txt | ConvertFrom-MtaStsPolicy reads the file's lines as one policy; -Path reads each file as one policy.
'@
    Parameters   = @{
        Policy    = 'The policy text; piped strings (for example the lines from Get-Content) are joined with LF and parsed once.'
        Path      = 'Files that each hold one policy body. Larger than 64 KiB is refused (RFC 8461 §3.3 lets senders stop there).'
        TxtRecord = 'The TXT records of _mta-sts.<domain>, one string per record (a record''s character-strings already joined), for example ''v=STSv1; id=20260101''.'
    }
    Examples     = @(
        @{
            Code    = 'Get-Content ./mta-sts.txt | ConvertFrom-MtaStsPolicy'
            Remarks = 'Shows the mode, max_age, mx patterns, warnings and errors of the policy you are about to publish.'
        }
        @{
            Code    = 'ConvertFrom-MtaStsPolicy -TxtRecord ''v=STSv1; id=20260101'', ''v=STSv1'''
            Remarks = 'Checks the TXT records of an _mta-sts name: the bare "v=STSv1" is discarded with a warning, and the policy id is 20260101.'
        }
        @{
            Code    = '(Invoke-WebRequest https://mta-sts.contoso.com/.well-known/mta-sts.txt).Content | ConvertFrom-MtaStsPolicy | Format-List Valid, Mode, MaxAge, Mx, Warnings, Errors'
            Remarks = 'Fetches a published policy yourself and shows how the dry run reads it.'
        }
    )
    Inputs       = @(
        @{ Type = 'System.String'; Description = 'Policy text, bound to -Policy (joined into one policy); or objects with a FullName property, bound to -Path.' }
    )
    Outputs      = @(
        @{ Type = 'DaneMtaSts.Engine.MtaSts.MtaStsPolicyParseResult'; Description = 'For a policy: Valid, Version, Mode, MaxAge, Mx, Extensions, Warnings, Errors, Source and the parsed Policy.' }
        @{ Type = 'DaneMtaSts.Engine.MtaSts.MtaStsTxtParseResult'; Description = 'With -TxtRecord: Valid, Id, StsRecordCount, Record, Extensions, Warnings, Errors and a Diagnosis.' }
    )
    Notes        = 'An invalid policy or record is an object with Valid $false, not an error. Errors (FullyQualifiedErrorId prefix): PolicyTooLarge, PolicyFileUnreadable. The rules are docs/verdicts.md#mta-sts-1 and RFC 8461 §3.1 and §3.2.'
    RelatedLinks = @('Test-DaneCertificate', 'Get-MtaStsPolicyCache', 'Test-OutboundTlsPolicy')
}
