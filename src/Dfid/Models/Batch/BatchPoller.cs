namespace Dfid.Models.Batch;

/// <summary>Settings of <see cref="BatchPoller"/>.</summary>
internal sealed class BatchPollOptions
{
    /// <summary>Wait before the second status request (the first is sent at once). <value>The default value is 10 seconds.</value></summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Each wait is this many times the previous one. <value>The default value is 2.</value></summary>
    public double Factor { get; init; } = 2;

    /// <summary>The longest wait between two status requests. <value>The default value is 5 minutes.</value></summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Transient failures of status requests in a row (rate limit, server error, timeout, connection) before polling gives up. <value>The default value is 10.</value></summary>
    public int MaxConsecutiveFailures { get; init; } = 10;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A delay is not positive, the factor is below 1, the cap is below the initial delay, or no failure is allowed.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (InitialDelay <= TimeSpan.Zero) errors.Add("InitialDelay must be positive");
        if (!(Factor >= 1)) errors.Add("Factor must be at least 1");
        if (MaxDelay < InitialDelay) errors.Add("MaxDelay must be at least InitialDelay");
        if (MaxConsecutiveFailures < 1) errors.Add("MaxConsecutiveFailures must be at least 1");
        if (errors.Count > 0) throw new ArgumentException("batch poll options: " + string.Join("; ", errors) + ".");
    }

    /// <summary>The wait after the <paramref name="n"/>-th status request (1-based): <see cref="InitialDelay"/> × <see cref="Factor"/>^(n−1), at most <see cref="MaxDelay"/>.</summary>
    public TimeSpan DelayAfter(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        var ticks = InitialDelay.Ticks * Math.Pow(Factor, n - 1);
        return ticks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ticks);
    }
}

/// <summary>Waits for a provider batch to end: status requests with exponential backoff up to a cap.</summary>
/// <remarks>
/// Transient failures of a status request (the provider's rate limit, a 5xx, a timeout, a dropped connection) are
/// waited out like a batch still running, up to <see cref="BatchPollOptions.MaxConsecutiveFailures"/> in a row; other
/// failures (an unknown batch id, a bad key) end the wait at once. Thread-safe.
/// </remarks>
internal sealed class BatchPoller
{
    private readonly IBatchProvider _provider;
    private readonly BatchPollOptions _options;
    private readonly TimeProvider _clock;

    /// <summary>Creates a poller.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public BatchPoller(IBatchProvider provider, BatchPollOptions? options = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _options = options ?? new BatchPollOptions();
        _options.Validate();
        _provider = provider;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Polls <paramref name="batchId"/> until it is terminal.</summary>
    /// <param name="batchId">The provider's batch id.</param>
    /// <param name="progress">Told every status read, e.g. to show counts.</param>
    /// <param name="cancellationToken">Stops waiting (the batch itself goes on at the provider).</param>
    /// <returns>The terminal status.</returns>
    /// <exception cref="ModelCallException">A status request failed for good.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public async Task<BatchStatus> WaitAsync(string batchId, IProgress<BatchStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(batchId);
        var failures = 0;
        for (var n = 1; ; n++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var status = await _provider.GetStatusAsync(batchId, cancellationToken);
                failures = 0;
                progress?.Report(status);
                if (status.IsTerminal) return status;
            }
            catch (ModelCallException ex) when (Transient(ex.Kind) && ++failures < _options.MaxConsecutiveFailures)
            {
                // Waited out like a running batch: the batch goes on at the provider whatever its status endpoint does.
            }
            await Task.Delay(_options.DelayAfter(n), _clock, cancellationToken);
        }
    }

    private static bool Transient(ModelFailureKind kind) =>
        kind is ModelFailureKind.RateLimited or ModelFailureKind.ServerError or ModelFailureKind.Timeout or ModelFailureKind.Connection;
}
