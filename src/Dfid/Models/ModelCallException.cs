namespace Dfid.Models;

/// <summary>A model request that failed for good (after the retries its kind allows).</summary>
/// <remarks>Callers record it as a failed answer (status + error) and go on; it never means the run must stop.</remarks>
public sealed class ModelCallException : DfidException
{
    /// <summary>Creates the error.</summary>
    /// <param name="model">The spec id that failed.</param>
    /// <param name="kind">Failure kind.</param>
    /// <param name="attempts">Requests made.</param>
    /// <param name="statusCode">HTTP status, if any.</param>
    /// <param name="detail">The provider's message.</param>
    /// <param name="inner">The underlying exception.</param>
    public ModelCallException(string model, ModelFailureKind kind, int attempts, int? statusCode, string detail, Exception? inner = null)
        : base($"model {model}: {Describe(kind)} after {attempts} attempt(s){(statusCode is { } s ? $" (HTTP {s})" : "")}: {detail}", 1, inner)
    {
        Model = model;
        Kind = kind;
        Attempts = attempts;
        StatusCode = statusCode;
        Detail = detail;
    }

    /// <summary>The spec id that failed.</summary>
    public string Model { get; }

    /// <summary>Failure kind.</summary>
    public ModelFailureKind Kind { get; }

    /// <summary>Requests made, retries included.</summary>
    public int Attempts { get; }

    /// <summary>HTTP status, if the provider answered.</summary>
    public int? StatusCode { get; }

    /// <summary>The provider's message (or the exception's).</summary>
    public string Detail { get; }

    private static string Describe(ModelFailureKind kind) => kind switch
    {
        ModelFailureKind.RateLimited => "rate limited (raise the provider quota or lower requests_per_minute)",
        ModelFailureKind.ServerError => "server error",
        ModelFailureKind.Timeout => "timed out (raise request_timeout)",
        ModelFailureKind.Connection => "connection failed (is the endpoint reachable?)",
        ModelFailureKind.BadRequest => "request rejected (check the model name and options)",
        ModelFailureKind.Unauthorized => "unauthorized (check the API key variable)",
        ModelFailureKind.InvalidResponse => "unreadable response",
        _ => "failed",
    };
}
