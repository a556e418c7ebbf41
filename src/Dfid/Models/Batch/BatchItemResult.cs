using Microsoft.Extensions.AI;

namespace Dfid.Models.Batch;

/// <summary>Why one request of a batch has no answer.</summary>
internal enum BatchFailureKind
{
    /// <summary>The provider answered the request with HTTP 429.</summary>
    RateLimited,

    /// <summary>The provider failed on the request (HTTP 5xx, Anthropic <c>api_error</c>/<c>overloaded_error</c>).</summary>
    ServerError,

    /// <summary>The request was refused (HTTP 400/404/413, Anthropic <c>invalid_request_error</c>): resubmitting it unchanged fails again.</summary>
    BadRequest,

    /// <summary>HTTP 401/403: the key may not use this model.</summary>
    Unauthorized,

    /// <summary>The batch's window ended before the request ran.</summary>
    Expired,

    /// <summary>The batch was cancelled before the request ran.</summary>
    Cancelled,

    /// <summary>The provider's answer could not be read.</summary>
    InvalidResponse,

    /// <summary>Anything else; the message says what.</summary>
    Other,
}

/// <summary>The failure of one batch request, with the provider's own words.</summary>
/// <param name="Kind">What kind of failure.</param>
/// <param name="Message">The provider's message (or ours when the provider gave none).</param>
/// <param name="StatusCode">The HTTP status the request got inside the batch, if any.</param>
/// <param name="Code">The provider's error code or type, e.g. <c>batch_expired</c> or <c>invalid_request_error</c>, if any.</param>
internal sealed record BatchItemFailure(BatchFailureKind Kind, string Message, int? StatusCode = null, string? Code = null)
{
    /// <summary>Whether submitting the request again may succeed (expired, cancelled, rate limited, server errors).</summary>
    public bool Retryable => Kind is BatchFailureKind.Expired or BatchFailureKind.Cancelled or BatchFailureKind.RateLimited or BatchFailureKind.ServerError;

    /// <summary>
    /// The online failure kind to record this as, so batch failures count like online ones: an expired request is a
    /// <see cref="ModelFailureKind.Timeout"/> (it did not run in time), a cancelled one <see cref="ModelFailureKind.Other"/>.
    /// </summary>
    public ModelFailureKind ToModelFailureKind() => Kind switch
    {
        BatchFailureKind.RateLimited => ModelFailureKind.RateLimited,
        BatchFailureKind.ServerError => ModelFailureKind.ServerError,
        BatchFailureKind.BadRequest => ModelFailureKind.BadRequest,
        BatchFailureKind.Unauthorized => ModelFailureKind.Unauthorized,
        BatchFailureKind.Expired => ModelFailureKind.Timeout,
        BatchFailureKind.InvalidResponse => ModelFailureKind.InvalidResponse,
        _ => ModelFailureKind.Other,
    };

    internal static BatchFailureKind FromStatus(int status) => status switch
    {
        429 => BatchFailureKind.RateLimited,
        >= 500 => BatchFailureKind.ServerError,
        401 or 403 => BatchFailureKind.Unauthorized,
        _ => BatchFailureKind.BadRequest,
    };
}

/// <summary>The outcome of one request of a batch: an answer or a typed failure, never both.</summary>
/// <param name="CustomId">The caller's id of the request.</param>
/// <param name="Response">
/// The answer as the online provider client returns it for the same body (text, model id, usage with cached prompt
/// tokens when the provider reports them, finish reason), before the dfid layers; null on failure.
/// </param>
/// <param name="Failure">Why there is no answer; null on success.</param>
internal sealed record BatchItemResult(string CustomId, ChatResponse? Response, BatchItemFailure? Failure)
{
    /// <summary>Whether the request was answered.</summary>
    public bool IsSuccess => Response is not null;

    public static BatchItemResult Success(string customId, ChatResponse response) => new(customId, response, null);

    public static BatchItemResult Failed(string customId, BatchItemFailure failure) => new(customId, null, failure);
}
