namespace Dfid.Models;

/// <summary>Why a model request failed; counted in <see cref="UsageReport.FailuresByKind"/>.</summary>
public enum ModelFailureKind
{
    /// <summary>HTTP 429 after all retries.</summary>
    RateLimited,

    /// <summary>HTTP 5xx after all retries.</summary>
    ServerError,

    /// <summary>The per-request timeout elapsed on every attempt.</summary>
    Timeout,

    /// <summary>The connection failed or dropped on every attempt.</summary>
    Connection,

    /// <summary>HTTP 400 or 404 (bad request, unknown model): never retried.</summary>
    BadRequest,

    /// <summary>HTTP 401 or 403 (bad key): never retried.</summary>
    Unauthorized,

    /// <summary>The provider answered 200 with a body the SDK could not read (cut off, not JSON, not an answer's shape) on every attempt.</summary>
    InvalidResponse,

    /// <summary>Anything else (local inference errors and the like).</summary>
    Other,
}
