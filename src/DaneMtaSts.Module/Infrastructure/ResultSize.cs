using System.Globalization;

namespace DaneMtaSts.Module.Infrastructure;

/// <summary>
/// Exchange Online's -ResultSize value: a positive count or 'Unlimited'. PowerShell converts an
/// integer or a string to it through the constructors.
/// </summary>
public sealed class ResultSize
{
    /// <summary>The default of Get- cmdlets, as in Exchange Online.</summary>
    public const int DefaultLimit = 1000;

    public ResultSize(int limit)
    {
        if (limit < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "ResultSize must be a positive number or 'Unlimited'.");
        }

        Limit = limit;
    }

    public ResultSize(string value)
    {
        if (string.Equals(value?.Trim(), "Unlimited", StringComparison.OrdinalIgnoreCase))
        {
            Limit = null;
        }
        else if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1)
        {
            Limit = n;
        }
        else
        {
            throw new ArgumentException($"'{value}' is not a valid ResultSize: give a positive number or 'Unlimited'.", nameof(value));
        }
    }

    /// <summary>The maximum number of results; null means unlimited.</summary>
    public int? Limit { get; }

    public bool IsUnlimited => Limit is null;

    public static ResultSize Unlimited { get; } = new("Unlimited");

    public override string ToString() => Limit?.ToString(CultureInfo.InvariantCulture) ?? "Unlimited";
}
