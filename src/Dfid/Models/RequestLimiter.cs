namespace Dfid.Models;

/// <summary>
/// Rolling-minute limits on requests and tokens for one endpoint: a request is let through only when the last 60 seconds
/// (by the injected clock) hold fewer than the allowed requests and tokens, so no minute ever sees more.
/// </summary>
internal sealed class RequestLimiter(int? requestsPerMinute, int? tokensPerMinute, TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Queue<(DateTimeOffset At, long Tokens)> _sent = new();
    private readonly Lock _gate = new();
    private long _tokensInWindow;

    public bool Active => requestsPerMinute is not null || tokensPerMinute is not null;

    /// <summary>Waits until a request of <paramref name="tokens"/> fits in the window, then records it.</summary>
    public async ValueTask AcquireAsync(long tokens, CancellationToken cancellationToken)
    {
        if (!Active) return;
        while (true)
        {
            TimeSpan wait;
            lock (_gate)
            {
                var now = clock.GetUtcNow();
                while (_sent.Count > 0 && _sent.Peek().At + Window <= now) _tokensInWindow -= _sent.Dequeue().Tokens;
                var requestsOk = requestsPerMinute is not { } rpm || _sent.Count < rpm;
                // A single request larger than the whole budget still goes, alone, once the window is empty.
                var tokensOk = tokensPerMinute is not { } tpm || _tokensInWindow + tokens <= tpm || _sent.Count == 0;
                if (requestsOk && tokensOk)
                {
                    _sent.Enqueue((now, tokens));
                    _tokensInWindow += tokens;
                    return;
                }
                wait = _sent.Peek().At + Window - now;
            }
            await Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, clock, cancellationToken);
        }
    }
}
