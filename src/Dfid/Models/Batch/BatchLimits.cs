namespace Dfid.Models.Batch;

/// <summary>How much one provider batch may hold.</summary>
/// <param name="MaxRequests">Requests per batch.</param>
/// <param name="MaxBytes">Bytes of the batch input (OpenAI: the JSONL file; Anthropic: the create request's body).</param>
/// <param name="BytesPerRequest">Bytes a request adds around its body and custom id (the JSONL line's envelope, or the <c>requests[]</c> item's).</param>
internal sealed record BatchLimits(int MaxRequests, long MaxBytes, int BytesPerRequest)
{
    /// <summary>OpenAI Batch: at most 50,000 requests and 200 MB per input file (counted as 200,000,000 bytes, the safe reading).</summary>
    public static BatchLimits OpenAi { get; } = new(50_000, 200_000_000, OpenAiBatchProvider.LineOverhead);

    /// <summary>Anthropic Message Batches: at most 100,000 requests or 256 MB per batch (counted as 256,000,000 bytes, less a margin for the envelope the SDK writes).</summary>
    public static BatchLimits Anthropic { get; } = new(100_000, 256_000_000 - 64 * 1024, 64);

    /// <summary>The bytes <paramref name="request"/> takes in a batch.</summary>
    public long SizeOf(PreparedBatchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Body.Length + request.CustomId.Length + BytesPerRequest;
    }
}

/// <summary>Splits requests into batches a provider accepts.</summary>
internal static class BatchChunks
{
    /// <summary>
    /// Consecutive runs of <paramref name="requests"/>, in order, each within <paramref name="limits"/> (order is kept so
    /// the probes of one conversation stay together and provider prompt caches hit).
    /// </summary>
    /// <exception cref="DfidException">One request alone is larger than a batch may be; the message names it.</exception>
    public static IReadOnlyList<IReadOnlyList<PreparedBatchRequest>> Split(IReadOnlyList<PreparedBatchRequest> requests, BatchLimits limits)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(limits);
        var chunks = new List<IReadOnlyList<PreparedBatchRequest>>();
        var current = new List<PreparedBatchRequest>();
        long bytes = 0;
        foreach (var r in requests)
        {
            var size = limits.SizeOf(r);
            if (size > limits.MaxBytes)
                throw new DfidException($"batch request '{r.CustomId}' takes {size:N0} bytes, more than a whole batch may ({limits.MaxBytes:N0}); "
                    + "shorten its prompt or run it online.", 1);
            if (current.Count > 0 && (current.Count == limits.MaxRequests || bytes + size > limits.MaxBytes))
            {
                chunks.Add(current);
                current = [];
                bytes = 0;
            }
            current.Add(r);
            bytes += size;
        }
        if (current.Count > 0) chunks.Add(current);
        return chunks;
    }

    /// <summary>Checks that <paramref name="requests"/> fit one batch and that their custom ids are valid and unique.</summary>
    /// <exception cref="DfidException">Empty, over a limit (use <see cref="Split"/>), or a bad or repeated custom id.</exception>
    public static void EnsureFits(IReadOnlyList<PreparedBatchRequest> requests, BatchLimits limits, string provider)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(limits);
        if (requests.Count == 0) throw new DfidException($"{provider} batch: no requests to submit.", 1);
        if (requests.Count > limits.MaxRequests)
            throw new DfidException($"{provider} batch: {requests.Count:N0} requests, more than the {limits.MaxRequests:N0} one batch may hold; "
                + "split them with BatchChunks.Split and submit each chunk.", 1);
        var bytes = requests.Sum(limits.SizeOf);
        if (bytes > limits.MaxBytes)
            throw new DfidException($"{provider} batch: {bytes:N0} bytes, more than the {limits.MaxBytes:N0} one batch may hold; "
                + "split them with BatchChunks.Split and submit each chunk.", 1);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in requests)
        {
            ValidateCustomId(r.CustomId);
            if (!seen.Add(r.CustomId))
                throw new DfidException($"{provider} batch: custom id '{r.CustomId}' appears twice; each request of a batch needs its own id.", 1);
        }
    }

    /// <summary>1–64 ASCII letters, digits, <c>_</c> or <c>-</c> (Anthropic's rule; OpenAI accepts these too).</summary>
    /// <exception cref="DfidException">The id breaks the rule.</exception>
    public static void ValidateCustomId(string customId)
    {
        if (string.IsNullOrEmpty(customId) || customId.Length > 64 || !customId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            throw new DfidException($"batch custom id '{customId}' is not valid: use 1–64 letters, digits, '_' or '-'.", 1);
    }
}
