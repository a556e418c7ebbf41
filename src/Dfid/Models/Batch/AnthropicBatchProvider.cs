using System.Runtime.CompilerServices;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages.Batches;

namespace Dfid.Models.Batch;

/// <summary>
/// Anthropic Message Batches through the official SDK (<c>client.Messages.Batches</c>): one create request carries every
/// request as <c>{"custom_id","params"}</c>, where <c>params</c> is the body the online messages call sends; status is
/// <c>processing_status</c> with <c>request_counts</c>; results stream as JSONL of <c>succeeded</c>, <c>errored</c>,
/// <c>canceled</c> and <c>expired</c> items.
/// </summary>
/// <remarks>The SDK's own retries are off, as online; <see cref="BatchPoller"/> rides out transient failures while polling.</remarks>
internal sealed class AnthropicBatchProvider : IBatchProvider
{
    private readonly HttpClient _http;
    private readonly AnthropicClient _client;
    private readonly OnlineCallMirror _mirror;
    private readonly TimeProvider _time;

    public AnthropicBatchProvider(ModelSpec spec, string key, Uri? endpoint, BatchProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        Spec = spec;
        Limits = options.Limits ?? BatchLimits.Anthropic;
        _http = new HttpClient { Timeout = options.NetworkTimeout };
        _client = ModelHost.CreateAnthropicClient(key, endpoint, options.NetworkTimeout, _http);
        _mirror = new OnlineCallMirror(spec, endpoint);
        _time = options.Time;
    }

    public ModelSpec Spec { get; }

    public BatchLimits Limits { get; }

    public Task<PreparedBatchRequest> PrepareAsync(BatchRequest request, CancellationToken cancellationToken = default) =>
        _mirror.PrepareAsync(request, cancellationToken);

    public async Task<string> SubmitAsync(IReadOnlyList<PreparedBatchRequest> requests, CancellationToken cancellationToken = default)
    {
        BatchChunks.EnsureFits(requests, Limits, "Anthropic");
        var items = new List<Request>(requests.Count);
        foreach (var r in requests)
        {
            // The online body, field for field, as the request's params (unchecked: the SDK must not reinterpret it).
            var body = JsonElement.Parse(r.Body.Span);
            var fields = body.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
            items.Add(new Request { CustomID = r.CustomId, Params = Params.FromRawUnchecked(fields) });
        }
        try
        {
            var batch = await _client.Messages.Batches.Create(new BatchCreateParams { Requests = items }, cancellationToken);
            return batch.ID;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Fail("creating the batch", ex);
        }
    }

    public async Task<BatchStatus> GetStatusAsync(string batchId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(batchId);
        try
        {
            return Map(await _client.Messages.Batches.Retrieve(batchId, cancellationToken: cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not DfidException)
        {
            throw Fail($"reading batch {batchId}", ex);
        }
    }

    public async IAsyncEnumerable<BatchItemResult> GetResultsAsync(string batchId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var status = await GetStatusAsync(batchId, cancellationToken);
        if (!status.IsTerminal)
            throw new DfidException($"Anthropic batch {batchId} is {status.State}; its results can be read once it has ended (poll it with BatchPoller).", 1);
        await using var e = _client.Messages.Batches.ResultsStreaming(batchId, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            MessageBatchIndividualResponse item;
            try
            {
                if (!await e.MoveNextAsync()) break;
                item = e.Current;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw Fail($"reading the results of batch {batchId}", ex);
            }
            yield return await ReadItemAsync(item, cancellationToken);
        }
    }

    public async Task<BatchStatus> CancelAsync(string batchId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(batchId);
        try
        {
            return Map(await _client.Messages.Batches.Cancel(batchId, cancellationToken: cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not DfidException)
        {
            throw Fail($"cancelling batch {batchId}", ex);
        }
    }

    public void Dispose()
    {
        _mirror.Dispose();
        _http.Dispose();
    }

    /// <summary>One results line: <c>{"custom_id", "result": {"type": "succeeded", "message"} | {"type": "errored", "error": {"type": "error", "error": {"type", "message"}}} | {"type": "canceled"} | {"type": "expired"}}</c>.</summary>
    private async Task<BatchItemResult> ReadItemAsync(MessageBatchIndividualResponse item, CancellationToken cancellationToken)
    {
        // Read from the raw JSON: the message goes to the online adapter byte for byte, and result types this SDK
        // version does not know still come through as failures that name them.
        var raw = item.RawData;
        var customId = raw.TryGetValue("custom_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : "";
        if (!raw.TryGetValue("result", out var result) || result.ValueKind != JsonValueKind.Object)
            return BatchItemResult.Failed(customId, new BatchItemFailure(BatchFailureKind.InvalidResponse, "result line without a result"));
        var type = Str(result, "type");
        switch (type)
        {
            case "succeeded" when result.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object:
                try
                {
                    return BatchItemResult.Success(customId, await _mirror.ReadAnswerAsync(JsonSerializer.SerializeToUtf8Bytes(message), cancellationToken));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return BatchItemResult.Failed(customId, new BatchItemFailure(BatchFailureKind.InvalidResponse, $"the answer could not be read: {ex.Message}"));
                }
            case "errored":
                // {"type":"error","error":{"type":"invalid_request_error","message":"..."}}
                var outer = result.TryGetProperty("error", out var o) ? o : default;
                var inner = outer.ValueKind == JsonValueKind.Object && outer.TryGetProperty("error", out var i) && i.ValueKind == JsonValueKind.Object ? i : outer;
                var errorType = inner.ValueKind == JsonValueKind.Object ? Str(inner, "type") : null;
                var text = (inner.ValueKind == JsonValueKind.Object ? Str(inner, "message") : null) ?? errorType ?? "errored without a message";
                return BatchItemResult.Failed(customId, new BatchItemFailure(KindOf(errorType), text, null, errorType));
            case "canceled":
                return BatchItemResult.Failed(customId, new BatchItemFailure(BatchFailureKind.Cancelled, "the batch was cancelled before this request ran", null, type));
            case "expired":
                return BatchItemResult.Failed(customId, new BatchItemFailure(BatchFailureKind.Expired, "the batch's 24-hour window ended before this request ran", null, type));
            default:
                return BatchItemResult.Failed(customId, new BatchItemFailure(BatchFailureKind.InvalidResponse, $"unknown result type '{type}'", null, type));
        }
    }

    private static BatchFailureKind KindOf(string? errorType) => errorType switch
    {
        "invalid_request_error" or "not_found_error" or "request_too_large" => BatchFailureKind.BadRequest,
        "authentication_error" or "permission_error" or "billing_error" => BatchFailureKind.Unauthorized,
        "rate_limit_error" => BatchFailureKind.RateLimited,
        "api_error" or "overloaded_error" or "timeout_error" => BatchFailureKind.ServerError,
        _ => BatchFailureKind.Other,
    };

    private static BatchStatus Map(MessageBatch batch)
    {
        var raw = batch.RawData;
        var processing = raw.TryGetValue("processing_status", out var ps) && ps.ValueKind == JsonValueKind.String ? ps.GetString() : null;
        var counts = raw.TryGetValue("request_counts", out var rc) && rc.ValueKind == JsonValueKind.Object ? rc : default;
        int Count(string name) => counts.ValueKind == JsonValueKind.Object && counts.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : 0;
        int succeeded = Count("succeeded"), errored = Count("errored"), canceled = Count("canceled"), expired = Count("expired");
        var total = Count("processing") + succeeded + errored + canceled + expired;
        var cancelAsked = raw.TryGetValue("cancel_initiated_at", out var c) && c.ValueKind == JsonValueKind.String;
        var state = processing switch
        {
            "in_progress" => BatchState.InProgress,
            "canceling" => BatchState.Cancelling,
            "ended" when cancelAsked => BatchState.Cancelled,
            "ended" when expired > 0 => BatchState.Expired,
            "ended" => BatchState.Completed,
            _ => throw new ModelCallException("anthropic", ModelFailureKind.InvalidResponse, 1, null, $"batch {batch.ID} has an unknown processing_status '{processing}'"),
        };
        return new BatchStatus(batch.ID, state, new BatchRequestCounts(total, succeeded, errored + canceled + expired));
    }

    private ModelCallException Fail(string what, Exception ex)
    {
        var failure = FailureClassifier.Classify(ex, _time.GetUtcNow());
        return new ModelCallException(Spec.Id, failure.Kind, 1, failure.Status, $"Anthropic message batches API, {what}: {failure.Detail}", ex);
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
