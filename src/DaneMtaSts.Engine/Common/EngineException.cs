namespace DaneMtaSts.Engine;

/// <summary>What kind of fault an <see cref="EngineException"/> is; the module maps it to an ErrorCategory.</summary>
public enum EngineErrorKind
{
    InvalidArgument,
    ObjectNotFound,
    ResourceExists,
    ReadError,
    WriteError,
    ResourceUnavailable,
    OperationTimeout,
    PermissionDenied,
    InvalidData,
    NotImplemented,
}

/// <summary>
/// Every fault the engine reports to its callers. <see cref="ErrorId"/> is stable: scripts and tests
/// match on it, so never rename one.
/// </summary>
public class EngineException : Exception
{
    public EngineException(string errorId, EngineErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    public EngineException()
        : this("EngineError", EngineErrorKind.InvalidArgument, "The engine failed.")
    {
    }

    public EngineException(string message)
        : this("EngineError", EngineErrorKind.InvalidArgument, message)
    {
    }

    public EngineException(string message, Exception innerException)
        : this("EngineError", EngineErrorKind.InvalidArgument, message, null, innerException)
    {
    }

    public string ErrorId { get; }

    public EngineErrorKind Kind { get; }

    /// <summary>The input the error is about (a domain, a connector identity, a file).</summary>
    public object? Target { get; }
}
