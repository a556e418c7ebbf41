using System.Runtime.CompilerServices;

namespace Dfid.Models;

/// <summary>
/// An HTTP handler that reads <c>Retry-After</c> from 429/5xx responses into a box owned by the current attempt, for
/// SDKs whose exceptions do not expose response headers (Anthropic's). The box travels with the async flow
/// (<see cref="AsyncLocal{T}"/>), so concurrent attempts never see each other's value.
/// </summary>
internal sealed class RetryAfterCapture : DelegatingHandler
{
    // Flow-scoped, not shared state: each attempt installs its own box before calling the SDK.
    private static readonly AsyncLocal<StrongBox<TimeSpan?>?> Current = new();

    private readonly TimeProvider _clock;

    public RetryAfterCapture(TimeProvider clock) : base(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) => _clock = clock;

    /// <summary>Installs a fresh box for the calling attempt and returns it.</summary>
    public static StrongBox<TimeSpan?> Begin()
    {
        var box = new StrongBox<TimeSpan?>();
        Current.Value = box;
        return box;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (Current.Value is { } box && ((int)response.StatusCode == 429 || (int)response.StatusCode >= 500))
        {
            var ms = response.Headers.TryGetValues("retry-after-ms", out var m) ? m.FirstOrDefault() : null;
            var ra = response.Headers.TryGetValues("Retry-After", out var r) ? r.FirstOrDefault() : null;
            box.Value = FailureClassifier.ParseRetryAfter(ms, ra, _clock.GetUtcNow());
        }
        return response;
    }
}
