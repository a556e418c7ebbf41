using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Dfid.Models;

/// <summary>One failed attempt, classified; the retry layer decides from <see cref="Kind"/> whether to try again.</summary>
internal sealed class AttemptFailedException(ModelFailureKind kind, int? status, TimeSpan? retryAfter, string detail, Exception? inner)
    : Exception(detail, inner)
{
    public ModelFailureKind Kind { get; } = kind;
    public int? Status { get; } = status;
    public TimeSpan? RetryAfter { get; } = retryAfter;
    public string Detail { get; } = detail;

    // A 200 whose body cannot be read (cut off, a proxy's HTML page) is a transport fault like a reset, not an answer:
    // retried. "The model answered, but not in the schema" is a readable body and goes to the JSON layer's repair instead.
    public bool Transient => Kind is ModelFailureKind.RateLimited or ModelFailureKind.ServerError
        or ModelFailureKind.Timeout or ModelFailureKind.Connection or ModelFailureKind.InvalidResponse;
}

/// <summary>Maps SDK exceptions (OpenAI's ClientResultException, Anthropic's, HttpClient's) to failure kinds.</summary>
internal static class FailureClassifier
{
    public static AttemptFailedException Classify(Exception ex, DateTimeOffset now)
    {
        switch (ex)
        {
            case AttemptFailedException a:
                return a;
            case ModelCallException m:
                // A provider that classifies its own failures (the local GGUF client): keep its kind and words, so the
                // message names the model and the fix once instead of wrapping them as an unknown failure.
                return new(m.Kind, m.StatusCode, null, m.Detail, ex);
            case ClientResultException cre when cre.Status > 0:
                return FromStatus(cre.Status, RetryAfter(cre, now), Message(cre), ex);
            case ClientResultException cre when cre.InnerException is { } inner:
                return Classify(inner, now) is var c && c.Kind != ModelFailureKind.Other ? new(c.Kind, c.Status, c.RetryAfter, c.Detail, ex) : new(ModelFailureKind.Connection, null, null, Message(cre), ex);
            case HttpRequestException hre when hre.StatusCode is { } sc:
                return FromStatus((int)sc, null, Message(hre), ex);
            case HttpRequestException or IOException or SocketException:
                return new(ModelFailureKind.Connection, null, null, Message(ex), ex);
            case TimeoutException:
                return new(ModelFailureKind.Timeout, null, null, Message(ex), ex);
            case JsonException or FormatException:
                return new(ModelFailureKind.InvalidResponse, null, null, Message(ex), ex);
        }
        // Anthropic's SDK reports a readable body of the wrong shape this way (e.g. a proxy's JSON status page).
        if (ex.GetType().Name.EndsWith("InvalidDataException", StringComparison.Ordinal))
            return new(ModelFailureKind.InvalidResponse, null, null, Message(ex), ex);
        if (StatusByReflection(ex) is { } status) return FromStatus(status, null, Message(ex), ex);
        if (ex.InnerException is { } innerEx && Classify(innerEx, now) is { Kind: not ModelFailureKind.Other } ic)
            return new(ic.Kind, ic.Status, ic.RetryAfter, ic.Detail, ex);
        return new(ModelFailureKind.Other, null, null, Message(ex), ex);
    }

    public static AttemptFailedException FromStatus(int status, TimeSpan? retryAfter, string detail, Exception? inner) => new(status switch
    {
        429 => ModelFailureKind.RateLimited,
        408 => ModelFailureKind.Timeout,
        >= 500 => ModelFailureKind.ServerError,
        401 or 403 => ModelFailureKind.Unauthorized,
        _ => ModelFailureKind.BadRequest,
    }, status, retryAfter, detail, inner);

    /// <summary>Parses <c>retry-after-ms</c>, then <c>Retry-After</c> (seconds or an HTTP date).</summary>
    public static TimeSpan? ParseRetryAfter(string? retryAfterMs, string? retryAfter, DateTimeOffset now)
    {
        if (double.TryParse(retryAfterMs, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
            return TimeSpan.FromMilliseconds(ms);
        if (double.TryParse(retryAfter, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0)
            return TimeSpan.FromSeconds(s);
        if (DateTimeOffset.TryParse(retryAfter, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return at > now ? at - now : TimeSpan.Zero;
        return null;
    }

    private static TimeSpan? RetryAfter(ClientResultException cre, DateTimeOffset now)
    {
        var headers = cre.GetRawResponse()?.Headers;
        if (headers is null) return null;
        headers.TryGetValue("retry-after-ms", out var ms);
        headers.TryGetValue("Retry-After", out var ra);
        return ParseRetryAfter(ms, ra, now);
    }

    // Anthropic's exceptions carry the status in a StatusCode property; read it without binding to their type tree.
    private static int? StatusByReflection(Exception ex)
    {
        var p = ex.GetType().GetProperty("StatusCode") ?? ex.GetType().GetProperty("Status");
        return p?.GetValue(ex) switch
        {
            HttpStatusCode h => (int)h,
            int i when i > 0 => i,
            _ => null,
        };
    }

    private static string Message(Exception ex)
    {
        var m = ex.Message.ReplaceLineEndings(" ").Trim();
        return m.Length > 500 ? m[..500] + "…" : m;
    }
}
