using System.Collections.Concurrent;
using Dfid.Models;
using Dfid.Models.Batch;
using Microsoft.Extensions.Time.Testing;

namespace Dfid.Tests.Models;

public sealed class BatchPollerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task BatchPoller_StaysInProgress_BacksOffExponentiallyUpToTheCap()
    {
        var clock = new FakeTimeProvider();
        var start = clock.GetUtcNow();
        var provider = new ScriptedStatuses(clock, Enumerable.Repeat<object>(BatchState.InProgress, 8).Append(BatchState.Completed));
        var poller = new BatchPoller(provider, new BatchPollOptions { InitialDelay = TimeSpan.FromSeconds(10), Factor = 2, MaxDelay = TimeSpan.FromMinutes(5) }, clock);

        var wait = poller.WaitAsync("b1");
        // Each poll happens exactly when its wait is over, never a tick before.
        TimeSpan[] expected = [TimeSpan.Zero, .. new[] { 10, 20, 40, 80, 160, 300, 300, 300 }.Select(s => TimeSpan.FromSeconds(s))];
        var at = TimeSpan.Zero;
        for (var i = 0; i < expected.Length; i++)
        {
            at += expected[i];
            if (i > 0)
            {
                clock.Advance(expected[i] - TimeSpan.FromMilliseconds(1));
                await Task.Delay(20);
                Assert.Equal(i, provider.Calls.Count);
                clock.Advance(TimeSpan.FromMilliseconds(1));
            }
            Assert.True(await provider.Polled.WaitAsync(Wait), $"poll {i + 1} did not happen");
            Assert.Equal(at, provider.Calls[i] - start);
        }
        var final = await wait.WaitAsync(Wait);

        Assert.Equal(BatchState.Completed, final.State);
        Assert.Equal(9, provider.Calls.Count);
    }

    [Fact]
    public async Task BatchPoller_TransientFailures_WaitedOutThenDone()
    {
        var clock = new FakeTimeProvider();
        var provider = new ScriptedStatuses(clock, [
            new ModelCallException("m", ModelFailureKind.ServerError, 1, 502, "bad gateway"),
            new ModelCallException("m", ModelFailureKind.Connection, 1, null, "reset"),
            BatchState.InProgress,
            new ModelCallException("m", ModelFailureKind.RateLimited, 1, 429, "slow down"),
            BatchState.Expired,
        ]);
        var seen = new List<BatchState>();
        var poller = new BatchPoller(provider, new BatchPollOptions { InitialDelay = TimeSpan.FromSeconds(1), MaxConsecutiveFailures = 3 }, clock);

        var final = await ModelTestKit.Drive(clock, poller.WaitAsync("b1", new Sync(s => seen.Add(s.State))), TimeSpan.FromSeconds(1));

        Assert.Equal(BatchState.Expired, final.State);
        Assert.Equal(5, provider.Calls.Count);
        Assert.Equal([BatchState.InProgress, BatchState.Expired], seen);
    }

    [Fact]
    public async Task BatchPoller_TooManyTransientFailuresInARow_Throws()
    {
        var clock = new FakeTimeProvider();
        var provider = new ScriptedStatuses(clock, Enumerable.Repeat<object>(new ModelCallException("m", ModelFailureKind.ServerError, 1, 503, "down"), 5));
        var poller = new BatchPoller(provider, new BatchPollOptions { InitialDelay = TimeSpan.FromSeconds(1), MaxConsecutiveFailures = 3 }, clock);

        var ex = await Assert.ThrowsAsync<ModelCallException>(() => ModelTestKit.Drive(clock, poller.WaitAsync("b1"), TimeSpan.FromSeconds(1)));

        Assert.Equal(503, ex.StatusCode);
        Assert.Equal(3, provider.Calls.Count);
    }

    [Fact]
    public async Task BatchPoller_NonTransientFailure_ThrowsAtOnce()
    {
        var clock = new FakeTimeProvider();
        var provider = new ScriptedStatuses(clock, [new ModelCallException("m", ModelFailureKind.BadRequest, 1, 404, "no such batch"), BatchState.Completed]);
        var poller = new BatchPoller(provider, clock: clock);

        var ex = await Assert.ThrowsAsync<ModelCallException>(() => poller.WaitAsync("b1"));

        Assert.Equal(ModelFailureKind.BadRequest, ex.Kind);
        Assert.Single(provider.Calls);
    }

    [Fact]
    public async Task BatchPoller_Cancelled_StopsWaiting()
    {
        var clock = new FakeTimeProvider();
        var provider = new ScriptedStatuses(clock, Enumerable.Repeat<object>(BatchState.InProgress, 100));
        var poller = new BatchPoller(provider, clock: clock);
        using var cts = new CancellationTokenSource();

        var wait = poller.WaitAsync("b1", cancellationToken: cts.Token);
        Assert.True(await provider.Polled.WaitAsync(Wait));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(Wait));
        Assert.Single(provider.Calls);
    }

    [Fact]
    public void BatchPollOptions_Invalid_AllErrorsListed()
    {
        var options = new BatchPollOptions { InitialDelay = TimeSpan.Zero, Factor = 0.5, MaxDelay = TimeSpan.FromSeconds(-1), MaxConsecutiveFailures = 0 };

        var ex = Assert.Throws<ArgumentException>(options.Validate);

        foreach (var what in new[] { "InitialDelay", "Factor", "MaxDelay", "MaxConsecutiveFailures" })
            Assert.Contains(what, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Answers status reads from a script of states and exceptions; records when each read happened.</summary>
    private sealed class ScriptedStatuses(TimeProvider clock, IEnumerable<object> script) : IBatchProvider
    {
        private readonly ConcurrentQueue<object> _script = new(script);

        public List<DateTimeOffset> Calls { get; } = [];

        public SemaphoreSlim Polled { get; } = new(0);

        public ModelSpec Spec { get; } = ModelSpec.Parse("openai:m");

        public BatchLimits Limits => BatchLimits.OpenAi;

        public Task<BatchStatus> GetStatusAsync(string batchId, CancellationToken cancellationToken = default)
        {
            lock (Calls) Calls.Add(clock.GetUtcNow());
            Polled.Release();
            return _script.TryDequeue(out var next) ? next switch
            {
                BatchState s => Task.FromResult(new BatchStatus(batchId, s, new BatchRequestCounts(1, 0, 0))),
                Exception e => Task.FromException<BatchStatus>(e),
                _ => throw new InvalidOperationException(),
            } : throw new InvalidOperationException("script exhausted");
        }

        public Task<PreparedBatchRequest> PrepareAsync(BatchRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<string> SubmitAsync(IReadOnlyList<PreparedBatchRequest> requests, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<BatchItemResult> GetResultsAsync(string batchId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<BatchStatus> CancelAsync(string batchId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public void Dispose() => Polled.Dispose();
    }

    private sealed class Sync(Action<BatchStatus> report) : IProgress<BatchStatus>
    {
        public void Report(BatchStatus value) => report(value);
    }
}
