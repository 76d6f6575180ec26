using System.Management.Automation;
using DaneMtaSts.Engine;

namespace DaneMtaSts.Module.Infrastructure;

/// <summary>Turns engine faults into ErrorRecords: the engine's stable ErrorId, a matching category, the caller's input as target.</summary>
public static class EngineErrors
{
    public static ErrorRecord ToErrorRecord(EngineException exception, object? targetObject) =>
        new(exception, exception.ErrorId, ToCategory(exception.Kind), targetObject ?? exception.Target);

    public static ErrorCategory ToCategory(EngineErrorKind kind) => kind switch
    {
        EngineErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        EngineErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        EngineErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        EngineErrorKind.ReadError => ErrorCategory.ReadError,
        EngineErrorKind.WriteError => ErrorCategory.WriteError,
        EngineErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        EngineErrorKind.OperationTimeout => ErrorCategory.OperationTimeout,
        EngineErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        EngineErrorKind.InvalidData => ErrorCategory.InvalidData,
        EngineErrorKind.NotImplemented => ErrorCategory.NotImplemented,
        _ => ErrorCategory.NotSpecified,
    };
}
