using Microsoft.Extensions.Logging;

namespace Dfid.Models;

/// <summary>Log messages of the model layers (no prompts or answers: those would only ever go at Trace).</summary>
internal static partial class ModelLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "model {Model}: attempt {Attempt} failed ({Kind}: {Detail}); retrying in {DelayMs:0} ms")]
    public static partial void RetryScheduled(ILogger logger, string model, int attempt, ModelFailureKind kind, string detail, double delayMs);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "model {Model}: failed for good after {Attempts} attempt(s) ({Kind}): {Detail}")]
    public static partial void CallFailed(ILogger logger, string model, int attempts, ModelFailureKind kind, string detail);
}
