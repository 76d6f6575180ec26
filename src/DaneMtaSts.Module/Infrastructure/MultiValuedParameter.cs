using System.Collections;
using System.Management.Automation;

namespace DaneMtaSts.Module.Infrastructure;

/// <summary>
/// The value of a multi-valued connector parameter (RecipientDomains, SmartHosts,
/// ValidationRecipients) as Exchange Online takes it: a list that replaces the property, or
/// <c>@{Add=…; Remove=…}</c> (either key alone, each one value or many) that edits it.
/// </summary>
public sealed class MultiValuedParameter
{
    private MultiValuedParameter(IReadOnlyList<string>? replace, IReadOnlyList<string> add, IReadOnlyList<string> remove, bool isEdit, bool isEmptyText = false)
    {
        IsEmptyText = isEmptyText;
        Replace = replace;
        Add = add;
        Remove = remove;
        IsEdit = isEdit;
    }

    /// <summary>
    /// True when the value was the empty string: on the command line one (invalid) value, piped
    /// (an empty Import-Csv cell) an empty list; <see cref="ForPipeline"/> makes the difference.
    /// </summary>
    public bool IsEmptyText { get; }

    /// <summary>The value as a piped row means it: an empty cell is an empty list.</summary>
    public MultiValuedParameter ForPipeline() => IsEmptyText ? ForList([]) : this;

    /// <summary>True for <c>@{Add=…; Remove=…}</c>; false for a list that replaces the property.</summary>
    public bool IsEdit { get; }

    /// <summary>The new list (null or empty: clear the property); null when <see cref="IsEdit"/>.</summary>
    public IReadOnlyList<string>? Replace { get; }

    /// <summary>Values to add (when <see cref="IsEdit"/>).</summary>
    public IReadOnlyList<string> Add { get; }

    /// <summary>Values to remove (when <see cref="IsEdit"/>).</summary>
    public IReadOnlyList<string> Remove { get; }

    public static MultiValuedParameter ForList(IReadOnlyList<string>? values) => new(values, [], [], isEdit: false);

    public static MultiValuedParameter ForEdit(IReadOnlyList<string> add, IReadOnlyList<string> remove) => new(null, add, remove, isEdit: true);

    public override string ToString() => IsEdit
        ? $"@{{Add={string.Join(",", Add)}; Remove={string.Join(",", Remove)}}}"
        : string.Join(",", Replace ?? []);

    /// <summary>
    /// Turns whatever was given or piped into a <see cref="MultiValuedParameter"/>: $null, a string,
    /// a list (arrays, ArrayList, the deserialised MultiValuedProperty of an Exchange Online export,
    /// ConvertFrom-Json arrays), or a hashtable with only the keys Add and Remove.
    /// </summary>
    public static MultiValuedParameter From(object? input, string parameterName)
    {
        object? value = Unwrap(input);
        switch (value)
        {
            case null:
                return ForList(null);
            case MultiValuedParameter already:
                return already;
            case string { Length: 0 }:
                return new MultiValuedParameter([string.Empty], [], [], isEdit: false, isEmptyText: true);
            case IDictionary table:
                var add = new List<string>();
                var remove = new List<string>();
                foreach (DictionaryEntry entry in table)
                {
                    string key = Unwrap(entry.Key)?.ToString() ?? string.Empty;
                    if (key.Equals("Add", StringComparison.OrdinalIgnoreCase))
                    {
                        add.AddRange(Values(entry.Value, parameterName));
                    }
                    else if (key.Equals("Remove", StringComparison.OrdinalIgnoreCase))
                    {
                        remove.AddRange(Values(entry.Value, parameterName));
                    }
                    else
                    {
                        throw new ArgumentTransformationMetadataException(
                            $"-{parameterName} takes a list of values, or a hashtable with the keys Add and Remove (e.g. @{{Add='contoso.com'}}); '{key}' is not one of them.");
                    }
                }

                if (add.Count == 0 && remove.Count == 0)
                {
                    throw new ArgumentTransformationMetadataException(
                        $"-{parameterName} got a hashtable without values: give @{{Add=…}}, @{{Remove=…}} or both, each with one value or more.");
                }

                return ForEdit(add, remove);
            default:
                return ForList(Values(value, parameterName));
        }
    }

    private static List<string> Values(object? input, string parameterName)
    {
        object? value = Unwrap(input);
        var list = new List<string>();
        if (value is null)
        {
            return list;
        }

        if (value is string s)
        {
            // A CSV cell of this module's Export-Csv: "a.example;b.example" (ConnectorValueList).
            list.AddRange(SplitCell(s));
            return list;
        }

        if (value is IDictionary)
        {
            throw new ArgumentTransformationMetadataException($"-{parameterName}: a hashtable may only be the whole value (@{{Add=…; Remove=…}}), not one of its values.");
        }

        if (value is IEnumerable items)
        {
            foreach (object? item in items)
            {
                object? one = Unwrap(item);
                if (one is null)
                {
                    continue;
                }

                if (one is IDictionary or (IEnumerable and not string))
                {
                    throw new ArgumentTransformationMetadataException($"-{parameterName}: each value must be a single name or address, not a nested list.");
                }

                list.Add(Scalar(item!));
            }

            return list;
        }

        list.Add(Scalar(input!));
        return list;
    }

    private static IEnumerable<string> SplitCell(string s) =>
        s.Contains(ConnectorValueList.Separator, StringComparison.Ordinal)
            ? s.Split(ConnectorValueList.Separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [s];

    // A deserialised Exchange value (SmartHost, SmtpDomainWithSubdomains) keeps its ToString();
    // PSObject.ToString() returns it.
    private static string Scalar(object item) => Unwrap(item) switch
    {
        string s => s,
        _ => item is PSObject pso ? pso.ToString() : Convert.ToString(item, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
    };

    private static object? Unwrap(object? value) => value is PSObject pso && pso.BaseObject is not PSCustomObject ? pso.BaseObject : value;
}

/// <summary>Binds any supported form to <see cref="MultiValuedParameter"/> (see <see cref="MultiValuedParameter.From"/>).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class MultiValuedTransformationAttribute : ArgumentTransformationAttribute
{
    public MultiValuedTransformationAttribute(string parameterName)
    {
        ParameterName = parameterName;
    }

    public string ParameterName { get; }

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) => MultiValuedParameter.From(inputData, ParameterName);
}

/// <summary>
/// An empty string (how a deserialised Exchange object carries an unset TlsSettings) binds as $null.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class EmptyAsNullTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value is string s && string.IsNullOrWhiteSpace(s) ? null : inputData;
    }
}

/// <summary>
/// An enum value from a deserialised object binds by its name: Export-Clixml writes an enum as its
/// number with its name as ToString, and Exchange Online's numbers are not this module's.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class EnumByNameTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        if (inputData is PSObject pso && pso.BaseObject is not string &&
            pso.TypeNames.Contains("Deserialized.System.Enum"))
        {
            return pso.ToString();
        }

        return new EmptyAsNullTransformationAttribute().Transform(engineIntrinsics, inputData);
    }
}

/// <summary>
/// "True"/"False" (an Import-Csv cell, any case) bind as the boolean they name: PowerShell's own
/// conversion makes every non-empty string $true, so a CSV row's UseMXRecord "False" would become
/// $true. Anything else is left to PowerShell's conversion.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class BooleanTextTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value is string s && bool.TryParse(s.Trim(), out bool parsed) ? parsed : inputData;
    }
}
