namespace Dfid.Models.Batch;

/// <summary>
/// A provider's batch API for one model spec (OpenAI Batch over files, Anthropic Message Batches), through the
/// provider's official SDK: prepare requests exactly as the online call would send them, submit them as one batch, read
/// its status, read its results per custom id, cancel it.
/// </summary>
/// <remarks>
/// Stateless apart from the SDK clients: a batch is known by its id alone, so a process that died while a batch ran can
/// poll and read it again with a new provider. Thread-safe. Failures of the batch calls themselves (submit, status,
/// results, cancel) are thrown as <see cref="ModelCallException"/> with the kind the online path would give them;
/// failures of single requests inside a batch are results (<see cref="BatchItemResult.Failure"/>).
/// </remarks>
internal interface IBatchProvider : IDisposable
{
    /// <summary>The model every request of this provider's batches goes to.</summary>
    ModelSpec Spec { get; }

    /// <summary>What one batch may hold; <see cref="BatchChunks.Split"/> cuts a longer list.</summary>
    BatchLimits Limits { get; }

    /// <summary>The request body and cache key the online path would use for <paramref name="request"/>.</summary>
    /// <exception cref="DfidException">The custom id is not valid.</exception>
    Task<PreparedBatchRequest> PrepareAsync(BatchRequest request, CancellationToken cancellationToken = default);

    /// <summary>Submits <paramref name="requests"/> as one provider batch.</summary>
    /// <returns>The provider's batch id.</returns>
    /// <exception cref="DfidException">Over <see cref="Limits"/>, or a bad or repeated custom id; nothing was sent.</exception>
    /// <exception cref="ModelCallException">The provider refused the upload or the batch.</exception>
    Task<string> SubmitAsync(IReadOnlyList<PreparedBatchRequest> requests, CancellationToken cancellationToken = default);

    /// <summary>The batch's state and request counts now.</summary>
    /// <exception cref="ModelCallException">The provider did not answer (transient kinds may be retried) or does not know the id.</exception>
    Task<BatchStatus> GetStatusAsync(string batchId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every finished request of a terminal batch, as it is read from the provider: answers and per-request failures
    /// (expired and cancelled requests included, as typed failures). Requests of the batch that appear in no result
    /// (e.g. a batch that failed validation) are missing: compare with what was submitted.
    /// </summary>
    /// <exception cref="DfidException">The batch is not terminal yet (wait with <see cref="BatchPoller"/>).</exception>
    /// <exception cref="ModelCallException">The provider did not answer.</exception>
    IAsyncEnumerable<BatchItemResult> GetResultsAsync(string batchId, CancellationToken cancellationToken = default);

    /// <summary>Asks the provider to cancel the batch; requests already answered keep their results.</summary>
    /// <returns>The batch's status right after the request (normally <see cref="BatchState.Cancelling"/>).</returns>
    /// <exception cref="ModelCallException">The provider refused.</exception>
    Task<BatchStatus> CancelAsync(string batchId, CancellationToken cancellationToken = default);
}

/// <summary>Settings of a batch provider.</summary>
internal sealed class BatchProviderOptions
{
    /// <summary>Time allowed for one HTTP exchange (an upload of up to 200 MB or a results download included). <value>The default value is 10 minutes.</value></summary>
    public TimeSpan NetworkTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Limits to use instead of the provider's (tests, or an OpenAI-compatible server with smaller ones); null for the provider's.</summary>
    public BatchLimits? Limits { get; init; }

    /// <summary>OpenAI: metadata attached to every batch (at most 16 pairs), e.g. the run id, so a batch can be found in the provider's console.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Clock of Retry-After dates in failures. <value>The default value is the system clock.</value></summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>Creates the batch provider of a model spec.</summary>
internal static class BatchProviders
{
    /// <summary>
    /// The batch provider of <paramref name="spec"/>, with the key and endpoint the online client would use
    /// (<see cref="ModelCredentials.Resolve"/>: <c>@URL</c>, <c>OPENAI_BASE_URL</c>/<c>ANTHROPIC_BASE_URL</c>, <c>api_key_env</c>,
    /// the loopback placeholder key).
    /// </summary>
    /// <exception cref="DfidException"><paramref name="spec"/> is a local <c>gguf:</c> model, or its key variable is unset.</exception>
    public static IBatchProvider Create(ModelSpec spec, Func<string, string?>? environment = null, BatchProviderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= new BatchProviderOptions();
        if (spec.Provider == ModelProvider.Gguf)
            throw new DfidException($"model {spec.Id}: batch execution needs a provider batch API (openai: or anthropic:); gguf: models run locally, online.", 2);
        var (key, endpoint) = ModelCredentials.Resolve(spec, environment ?? Environment.GetEnvironmentVariable);
        return spec.Provider == ModelProvider.OpenAI
            ? new OpenAiBatchProvider(spec, key, endpoint, options)
            : new AnthropicBatchProvider(spec, key, endpoint, options);
    }
}
