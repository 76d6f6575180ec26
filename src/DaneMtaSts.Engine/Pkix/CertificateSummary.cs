namespace DaneMtaSts.Engine.Pkix;

/// <summary>What a person needs to see of one certificate of a served chain.</summary>
public sealed record CertificateSummary
{
    /// <summary>Position in the chain as served (0 = leaf).</summary>
    public required int Depth { get; init; }

    public required string Subject { get; init; }

    public required string Issuer { get; init; }

    public required DateTime NotBeforeUtc { get; init; }

    public required DateTime NotAfterUtc { get; init; }

    /// <summary>SHA-256 of the SubjectPublicKeyInfo, hex (what a "3 1 1" / "2 1 1" record holds).</summary>
    public required string SpkiSha256 { get; init; }

    /// <summary>SHA-256 of the whole certificate, hex (what a "3 0 1" / "2 0 1" record holds).</summary>
    public required string CertificateSha256 { get; init; }

    public IReadOnlyList<string> DnsNames { get; init; } = [];

    public string KeyAlgorithm { get; init; } = "";

    public override string ToString() => $"[{Depth}] {Subject} (issuer {Issuer}; {NotBeforeUtc:yyyy-MM-dd}..{NotAfterUtc:yyyy-MM-dd}; spki sha256 {SpkiSha256})";
}
