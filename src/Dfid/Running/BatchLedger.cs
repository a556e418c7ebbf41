using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dfid.Models;
using Dfid.Models.Batch;
using Dfid.Store;
using Microsoft.Extensions.AI;

namespace Dfid.Running;

/// <summary>
/// The provider batches of one batch-executed session: answers the model requests of the run's components from the
/// batches' stored results or the response cache (<see cref="IBatchAnswers"/>, the bottom of every batch-executed spec's
/// layers), collects the requests still without an answer, submits them as provider batches (chunked, in plan order,
/// within the budget), waits for the batches and reads their results into the run store.
/// </summary>
/// <remarks>
/// <para>
/// Everything about a batch lives in the run store (<c>batches</c>, <c>batch_items</c>), written before the session goes
/// on: a session killed while a batch runs finds the batch there, polls it again and never submits its requests twice.
/// A request is submitted again only when its latest outcome is a failure worth retrying: an expired or cancelled batch,
/// a rate limit or a server error read in this session (at most <see cref="MaxSubmissionsPerSession"/> times a session),
/// or any failure read by an earlier session (the next session retries model errors, as online).
/// </para>
/// <para>
/// Whose answer is it: a request answered by one of this run's batches is a fresh answer (not a cache hit), however often a
/// component asks for it; a request in the response cache and in no batch of the run is a cache hit, as online. Every
/// batch answer is also put into the response cache under the online key, so an online re-run finds it.
/// </para>
/// <para>Thread-safe: components ask concurrently; the executor submits and waits between the passes.</para>
/// </remarks>
internal sealed class BatchLedger : IBatchAnswers, IDisposable
{
    /// <summary>How many times one session submits a request whose batch failed it in a retryable way.</summary>
    public const int MaxSubmissionsPerSession = 3;

    private static readonly AsyncLocal<long> CurrentOrdinal = new();

    private readonly RunStore _store;
    private readonly string _session;
    private readonly ExecutionSpec _execution;
    private readonly ResponseCache? _cache;
    private readonly PriceTable _prices;
    private readonly ModelLayerOptions _layer;
    private readonly TimeProvider _time;
    private readonly Func<ModelSpec, BatchProviderOptions, IBatchProvider> _createProvider;
    private readonly ConcurrentDictionary<string, Lazy<IBatchProvider>> _providers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Needed> _needed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _submissions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BatchStatus> _live = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private Dictionary<string, StoredBatchItem> _items = new(StringComparer.Ordinal);
    private long _submittedRequests, _trackedRequests, _calls;
    private decimal _reservedUsd, _spentUsd;
    private string? _stopReason;

    /// <summary>Creates the ledger of one session.</summary>
    /// <param name="store">The run store (batches, items, the answers' rows).</param>
    /// <param name="session">This session's id (batches record who submitted and who read them).</param>
    /// <param name="execution">Batch size and polling.</param>
    /// <param name="layer">The model layer's settings: the response cache file, the budget caps, the assumed completion length.</param>
    /// <param name="prices">Prices; answers cost the batch price.</param>
    /// <param name="time">Clock of polling and records.</param>
    /// <param name="createProvider">Creates the batch provider of a spec (default: <see cref="BatchProviders.Create"/> with the process environment).</param>
    public BatchLedger(RunStore store, string session, ExecutionSpec execution, ModelLayerOptions layer, PriceTable prices, TimeProvider time,
        Func<ModelSpec, BatchProviderOptions, IBatchProvider>? createProvider = null)
    {
        _store = store;
        _session = session;
        _execution = execution;
        _layer = layer;
        _cache = layer.CachePath is { } path ? new ResponseCache(path, time) : null;
        _prices = prices;
        _time = time;
        _createProvider = createProvider ?? ((spec, options) => BatchProviders.Create(spec, null, options));
        Refresh();
    }

    /// <summary>The phase whose requests are being collected (recorded with the batches).</summary>
    public string Phase { get; set; } = "simulate";

    /// <summary>The phase's round (recorded with the batches).</summary>
    public int Round { get; set; } = 1;

    /// <summary>Why no more requests may be submitted (the budget), or null.</summary>
    public string? StopReason => Volatile.Read(ref _stopReason);

    /// <summary>Requests waiting to be submitted.</summary>
    public int NeededCount => _needed.Count;

    /// <summary>Whether some batch of the run has not been read yet.</summary>
    public bool HasUnreadBatches => _store.ReadBatches().Any(b => b.IngestedSession is null);

    /// <summary>The requests' place in the plan: set by the executor around each step, so a batch holds its requests in
    /// plan order (the probes of one conversation together) whatever order the concurrent steps reached them in.</summary>
    public static long Ordinal
    {
        get => CurrentOrdinal.Value;
        set => CurrentOrdinal.Value = value;
    }

    /// <summary>Where the batches stand: those this session submitted or waited for, with the providers' latest counts.</summary>
    public BatchProgress Progress(string phase, int round)
    {
        var live = _live.Values.ToList();
        return new BatchProgress(phase, round, live.Count(s => !s.IsTerminal), Interlocked.Read(ref _trackedRequests),
            live.Sum(s => (long)s.Counts.Completed), live.Sum(s => (long)s.Counts.Failed), live.Count);
    }

    /// <summary>Requests this session submitted to provider batches.</summary>
    public long SubmittedRequests => Interlocked.Read(ref _submittedRequests);

    /// <summary>Reloads the latest item per cache key from the store (after a submission or an ingestion).</summary>
    public void Refresh()
    {
        var items = _store.ReadBatchItemsByKey();
        lock (_gate) _items = items;
    }

    /// <inheritdoc/>
    public async Task<ChatResponse> AnswerAsync(BatchCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        StoredBatchItem? item;
        lock (_gate) _items.TryGetValue(call.CacheKey, out item);
        if (item is { Status: RunStore.ItemOk })
        {
            var json = _store.ReadBatchAnswer(item.BatchId, item.CustomId)
                ?? throw new InvalidOperationException($"batch {item.BatchId} item {item.CustomId}: answered but no answer stored");
            return Deserialize(json);
        }
        if (item is { Status: RunStore.ItemPending }) throw new AnswerDeferredException();
        if (item is { Status: RunStore.ItemFailed } failed && ReadThisSession(failed)
            && !(failed.Retryable && _submissions.GetValueOrDefault(call.CacheKey) < MaxSubmissionsPerSession))
            throw Failure(call.Spec, failed);
        if (_cache?.TryGet(call.CacheKey) is { } cached)
        {
            var hit = Deserialize(cached);
            (hit.AdditionalProperties ??= [])[ResponseCacheChatClient.HitKey] = true;
            return hit;
        }
        await RegisterAsync(call, cancellationToken);
        throw new AnswerDeferredException();
    }

    /// <summary>
    /// Submits the requests collected so far as provider batches, per model, in plan order and chunked to the provider's
    /// limits (and <see cref="ExecutionSpec.MaxRequests"/>). With <paramref name="all"/> false only full batches go (the rest
    /// waits for more requests). Within the budget: what would pass a cap is not submitted and <see cref="StopReason"/> says why.
    /// </summary>
    public async Task SubmitAsync(bool all, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var group in _needed.Values.GroupBy(n => n.Spec.ToString()).ToList())
            {
                var provider = Provider(group.Key);
                var ordered = group.OrderBy(n => n.Ordinal).ThenBy(n => n.Request.CustomId, StringComparer.Ordinal).ToList();
                var byId = ordered.ToDictionary(n => n.Request.CustomId, StringComparer.Ordinal);
                var chunks = BatchChunks.Split([.. ordered.Select(n => n.Request)], provider.Limits);
                for (var c = 0; c < chunks.Count; c++)
                {
                    // The last chunk may not be full yet: more requests of the same model may still come.
                    if (!all && c == chunks.Count - 1 && chunks[c].Count < provider.Limits.MaxRequests) break;
                    var chunk = chunks[c];
                    var allowed = Affordable([.. chunk.Select(r => byId[r.CustomId])], provider.Spec);
                    if (allowed == 0) return;
                    var submit = chunk.Take(allowed).ToList();
                    cancellationToken.ThrowIfCancellationRequested();
                    var id = await provider.SubmitAsync(submit, CancellationToken.None);
                    // Recorded before anything else happens: from here on a killed session finds the batch and polls it.
                    var needed = submit.Select(r => byId[r.CustomId]).ToList();
                    _store.AddBatch(new StoredBatch(id, group.Key, Phase, Round, _session, submit.Count, "validating", Now()),
                        [.. needed.Select(n => (n.Request.CustomId, n.CacheKey))]);
                    var estimate = needed.Sum(n => n.EstimatedUsd);
                    _estimates[id] = estimate;
                    lock (_gate)
                    {
                        _reservedUsd += estimate;
                        _calls += needed.Count;
                    }
                    foreach (var n in needed)
                    {
                        _submissions.AddOrUpdate(n.CacheKey, 1, (_, v) => v + 1);
                        _needed.TryRemove(n.CacheKey, out _);
                    }
                    Interlocked.Add(ref _submittedRequests, submit.Count);
                    if (allowed < chunk.Count) return;
                }
            }
        }
        finally
        {
            Refresh();
        }
    }

    /// <summary>Waits for every batch of the run not read yet (this session's and those of earlier sessions), reading each one's
    /// results into the store as soon as it ends.</summary>
    /// <exception cref="ModelCallException">A status or results request failed for good (the batches go on; resume later).</exception>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var unread = _store.ReadBatches().Where(b => b.IngestedSession is null).ToList();
        await Task.WhenAll(unread.Select(b => WaitOneAsync(b, cancellationToken)));
        Refresh();
    }

    /// <summary>Cost of the answers this session read (batch price); null when a price is unknown.</summary>
    public double? SessionCostUsd() => _store.ReadBatchCost(_session);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var p in _providers.Values.Where(p => p.IsValueCreated)) p.Value.Dispose();
    }

    private async Task WaitOneAsync(StoredBatch batch, CancellationToken ct)
    {
        var provider = Provider(batch.Spec);
        Interlocked.Add(ref _trackedRequests, batch.Requests);
        var poll = new BatchPollOptions { InitialDelay = TimeSpan.FromSeconds(_execution.PollSeconds ?? 10) };
        var status = await new BatchPoller(provider, poll, _time).WaitAsync(batch.Id, new Reporter(s =>
        {
            _live[s.BatchId] = s;
            _store.UpdateBatchStatus(s.BatchId, StateName(s.State), s.Counts.Completed, s.Counts.Failed, s.Error);
        }), ct);
        var keys = _store.ReadBatchItemKeys(batch.Id);
        var price = _prices.FindBatch(provider.Spec);
        var outcomes = new List<StoredBatchItemOutcome>();
        await foreach (var r in provider.GetResultsAsync(batch.Id, ct))
        {
            if (!keys.TryGetValue(r.CustomId, out var key)) continue; // not ours: never submitted under this id
            if (r.Response is { } response)
            {
                var json = JsonSerializer.Serialize(ResponseCacheChatClient.Storable(response), AIJsonUtilities.DefaultOptions);
                _cache?.Put(key, provider.Spec.Id, json);
                var u = response.Usage;
                outcomes.Add(new StoredBatchItemOutcome(r.CustomId, json, PromptTokens: u?.InputTokenCount, CompletionTokens: u?.OutputTokenCount,
                    CachedTokens: u?.CachedInputTokenCount, CostUsd: price is null ? null : (double)price.Cost(u?.InputTokenCount ?? 0, u?.OutputTokenCount ?? 0)));
            }
            else
            {
                var f = r.Failure!;
                outcomes.Add(new StoredBatchItemOutcome(r.CustomId, null, f.Kind.ToString(), f.Message, f.StatusCode, f.Code, f.Retryable));
            }
        }
        // Requests the results leave out: an expired or cancelled batch never ran them (submit again); a failed batch was
        // refused as a whole (its error says why; a next session tries again).
        var missing = status.State switch
        {
            BatchState.Expired => new StoredBatchItemOutcome(null, null, nameof(BatchFailureKind.Expired), "the batch expired before this request ran", Retryable: true),
            BatchState.Cancelled => new StoredBatchItemOutcome(null, null, nameof(BatchFailureKind.Cancelled), "the batch was cancelled before this request ran", Retryable: true),
            BatchState.Failed => new StoredBatchItemOutcome(null, null, nameof(BatchFailureKind.Other), "the provider refused the batch: " + (status.Error ?? "no reason given")),
            _ => new StoredBatchItemOutcome(null, null, nameof(BatchFailureKind.InvalidResponse), "the batch ended without a result for this request"),
        };
        _store.IngestBatch(batch.Id, outcomes, missing, _session);
        var cost = outcomes.Sum(o => (decimal)(o.CostUsd ?? 0));
        lock (_gate)
        {
            if (batch.Session == _session) _reservedUsd -= EstimateOf(batch.Id);
            _spentUsd += cost;
        }
    }

    private readonly ConcurrentDictionary<string, decimal> _estimates = new(StringComparer.Ordinal);

    private decimal EstimateOf(string batchId) => _estimates.TryGetValue(batchId, out var e) ? e : 0;

    private async Task RegisterAsync(BatchCall call, CancellationToken ct)
    {
        if (_needed.ContainsKey(call.CacheKey)) return;
        var provider = Provider(call.Spec.ToString());
        // The request the provider gets: the bookkeeping options go, as below the online retry layer; the spec options
        // are filled in already, so the provider's own mirror of the online call changes nothing else.
        var prepared = await provider.PrepareAsync(new BatchRequest(CustomIdOf(call.CacheKey), call.Messages, ResponseCacheChatClient.WithoutDfidProperties(call.Options)), ct);
        var price = _prices.FindBatch(call.Spec);
        if (_layer.MaxCostUsd is not null && price is null)
            throw new DfidException(
                $"budget.max_cost_usd is set but the price of {call.Spec.Id} is unknown, so the budget cannot be enforced. "
                + "Add the model to a price file (--prices FILE) or remove max_cost_usd.", 2);
        var estimate = price?.Cost(TokenEstimate.Prompt(call.Messages), call.Options?.MaxOutputTokens ?? _layer.AssumedCompletionTokens) ?? 0;
        _needed.TryAdd(call.CacheKey, new Needed(Ordinal, call.Spec, call.CacheKey, prepared, estimate));
    }

    // How many of the chunk's requests the budget allows (in order); sets the stop reason when not all.
    private int Affordable(IReadOnlyList<Needed> chunk, ModelSpec spec)
    {
        lock (_gate)
        {
            var n = 0;
            var cost = _spentUsd + _reservedUsd;
            foreach (var r in chunk)
            {
                if (_layer.MaxCalls is { } maxCalls && _calls + n + 1 > maxCalls)
                {
                    Interlocked.CompareExchange(ref _stopReason, $"budget.max_calls = {maxCalls} reached: {_calls + n} requests submitted to provider batches this session. "
                        + "Raise budget.max_calls (or --max-calls) and re-run to continue; answers already received are stored and reused.", null);
                    break;
                }
                if (_layer.MaxCostUsd is { } maxCost && cost + r.EstimatedUsd > maxCost)
                {
                    Interlocked.CompareExchange(ref _stopReason, $"budget.max_cost_usd = ${maxCost.ToString("0.####", CultureInfo.InvariantCulture)} reached: "
                        + $"${cost.ToString("0.####", CultureInfo.InvariantCulture)} spent or reserved by batches this session; the next request to {spec.Id} could cost up to "
                        + $"${r.EstimatedUsd.ToString("0.####", CultureInfo.InvariantCulture)}. Raise budget.max_cost_usd (or --max-cost) and re-run to continue; answers already received are stored and reused.", null);
                    break;
                }
                cost += r.EstimatedUsd;
                n++;
            }
            return n;
        }
    }

    private IBatchProvider Provider(string spec) =>
        _providers.GetOrAdd(spec, s => new Lazy<IBatchProvider>(() =>
        {
            var parsed = ModelSpec.Parse(s);
            var limits = parsed.Provider == ModelProvider.Anthropic ? BatchLimits.Anthropic : BatchLimits.OpenAi;
            if (_execution.MaxRequests is { } max && max < limits.MaxRequests) limits = limits with { MaxRequests = max };
            return _createProvider(parsed, new BatchProviderOptions { Limits = limits, Time = _time });
        })).Value;

    // A failure read by this session; one read by an earlier session is retried (submitted again), as online.
    private bool ReadThisSession(StoredBatchItem item) => item.IngestedSession == _session;

    private static ModelCallException Failure(ModelSpec spec, StoredBatchItem item)
    {
        var kind = Enum.TryParse<BatchFailureKind>(item.FailureKind, out var k) ? k : BatchFailureKind.Other;
        var failure = new BatchItemFailure(kind, item.FailureMessage ?? "failed in the batch", item.FailureStatus, item.FailureCode);
        // Anthropic reports a refused request by type only; its invalid_request_error is its HTTP 400, which the strict-JSON
        // layer's schema fallback looks for.
        var status = item.FailureStatus ?? (kind == BatchFailureKind.BadRequest ? 400 : null);
        return new ModelCallException(spec.Id, failure.ToModelFailureKind(), 1, status, $"in batch {item.BatchId}: {failure.Message}");
    }

    private static ChatResponse Deserialize(string json) =>
        JsonSerializer.Deserialize<ChatResponse>(json, AIJsonUtilities.DefaultOptions)
        ?? throw new InvalidOperationException("a stored answer is empty");

    /// <summary>The custom id of a request: 64 hex digits of the SHA-256 of its cache key (valid for both providers, unique per request).</summary>
    internal static string CustomIdOf(string cacheKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cacheKey)));

    /// <summary>The store's name of a state.</summary>
    internal static string StateName(BatchState state) => state switch
    {
        BatchState.InProgress => "in_progress",
        _ => state.ToString().ToLowerInvariant(),
    };

    private string Now() => _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private sealed record Needed(long Ordinal, ModelSpec Spec, string CacheKey, PreparedBatchRequest Request, decimal EstimatedUsd);

    private sealed class Reporter(Action<BatchStatus> report) : IProgress<BatchStatus>
    {
        public void Report(BatchStatus value) => report(value);
    }
}
