#pragma warning disable OPENAI001 // The batch and file clients' protocol methods are marked experimental in OpenAI 2.x.
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;

namespace Dfid.Models.Batch;

/// <summary>
/// OpenAI Batch through the official SDK: the requests go up as a JSONL file (<c>purpose=batch</c>, one
/// <c>{"custom_id","method":"POST","url":"/v1/chat/completions","body"}</c> line each) with
/// <see cref="OpenAIFileClient"/>, the batch is created with <see cref="BatchClient"/> (24-hour window), and results are
/// read from its output file (answers) and error file (per-request errors, expired and cancelled requests).
/// </summary>
/// <remarks>
/// Works with any OpenAI-compatible server implementing the files and batches endpoints at the spec's endpoint. The
/// SDK's own retries are off, as online; <see cref="BatchPoller"/> rides out transient failures while polling.
/// </remarks>
internal sealed class OpenAiBatchProvider : IBatchProvider
{
    /// <summary>The chat-completions path every line targets (the batch's <c>endpoint</c>).</summary>
    public const string ChatCompletionsUrl = "/v1/chat/completions";

    // Each line is written as Prefix + custom id + Middle + body + Suffix, so its size is known before it is written.
    private const string LinePrefix = "{\"custom_id\":\"";
    private const string LineMiddle = "\",\"method\":\"POST\",\"url\":\"" + ChatCompletionsUrl + "\",\"body\":";
    private const string LineSuffix = "}\n";

    /// <summary>Bytes a JSONL line adds around its custom id and body.</summary>
    public static readonly int LineOverhead = LinePrefix.Length + LineMiddle.Length + LineSuffix.Length;

    private readonly OpenAIFileClient _files;
    private readonly BatchClient _batches;
    private readonly OnlineCallMirror _mirror;
    private readonly BatchProviderOptions _options;

    public OpenAiBatchProvider(ModelSpec spec, string key, Uri? endpoint, BatchProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        Spec = spec;
        _options = options;
        Limits = options.Limits ?? BatchLimits.OpenAi;
        var client = new OpenAIClient(new ApiKeyCredential(key), ModelHost.OpenAiOptions(endpoint, options.NetworkTimeout));
        _files = client.GetOpenAIFileClient();
        _batches = client.GetBatchClient();
        _mirror = new OnlineCallMirror(spec, endpoint);
    }

    public ModelSpec Spec { get; }

    public BatchLimits Limits { get; }

    public Task<PreparedBatchRequest> PrepareAsync(BatchRequest request, CancellationToken cancellationToken = default) =>
        _mirror.PrepareAsync(request, cancellationToken);

    public async Task<string> SubmitAsync(IReadOnlyList<PreparedBatchRequest> requests, CancellationToken cancellationToken = default)
    {
        BatchChunks.EnsureFits(requests, Limits, "OpenAI");
        // Up to 200 MB: written to a temporary file and streamed up, never held in memory.
        var path = Path.Combine(Path.GetTempPath(), $"dfid-batch-{Guid.NewGuid():N}.jsonl");
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        foreach (var r in requests)
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes(LinePrefix + r.CustomId + LineMiddle), cancellationToken);
            await file.WriteAsync(r.Body, cancellationToken);
            await file.WriteAsync(Encoding.UTF8.GetBytes(LineSuffix), cancellationToken);
        }
        file.Position = 0;
        string fileId;
        try
        {
            fileId = (await _files.UploadFileAsync(file, "dfid-batch.jsonl", FileUploadPurpose.Batch, cancellationToken)).Value.Id;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Fail("uploading the batch input file", ex);
        }

        var body = new Dictionary<string, object>
        {
            ["input_file_id"] = fileId,
            ["endpoint"] = ChatCompletionsUrl,
            ["completion_window"] = "24h",
        };
        if (_options.Metadata is { Count: > 0 } metadata) body["metadata"] = metadata;
        try
        {
            var operation = await _batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromObjectAsJson(body)), waitUntilCompleted: false,
                new RequestOptions { CancellationToken = cancellationToken });
            return operation.BatchId;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Fail($"creating the batch of file {fileId}", ex);
        }
    }

    public async Task<BatchStatus> GetStatusAsync(string batchId, CancellationToken cancellationToken = default) =>
        (await RetrieveAsync(batchId, cancellationToken)).Status;

    public async IAsyncEnumerable<BatchItemResult> GetResultsAsync(string batchId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var batch = await RetrieveAsync(batchId, cancellationToken);
        if (!batch.Status.IsTerminal)
            throw new DfidException($"OpenAI batch {batchId} is {batch.Status.State}; its results can be read once it has ended (poll it with BatchPoller).", 1);
        foreach (var fileId in new[] { batch.OutputFileId, batch.ErrorFileId })
        {
            if (fileId is null) continue;
            await foreach (var line in ReadLinesAsync(fileId, cancellationToken))
                yield return await ReadLineAsync(batchId, fileId, line, cancellationToken);
        }
    }

    public async Task<BatchStatus> CancelAsync(string batchId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(batchId);
        try
        {
            var operation = await CreateBatchOperation.RehydrateAsync(_batches, batchId, cancellationToken);
            var result = await operation.CancelAsync(new RequestOptions { CancellationToken = cancellationToken });
            return Parse(result.GetRawResponse().Content).Status;
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not DfidException)
        {
            throw Fail($"cancelling batch {batchId}", ex);
        }
    }

    public void Dispose() => _mirror.Dispose();

    private async Task<OpenAiBatch> RetrieveAsync(string batchId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(batchId);
        ClientResult result;
        try
        {
            result = await _batches.GetBatchAsync(batchId, new RequestOptions { CancellationToken = cancellationToken });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Fail($"reading batch {batchId}", ex);
        }
        return Parse(result.GetRawResponse().Content);
    }

    private async IAsyncEnumerable<string> ReadLinesAsync(string fileId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ClientResult result;
        try
        {
            // Streamed: an output file can be as large as the input (200 MB).
            result = await _files.DownloadFileAsync(fileId, new RequestOptions { CancellationToken = cancellationToken, BufferResponse = false });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Fail($"downloading result file {fileId}", ex);
        }
        using var response = result.GetRawResponse();
        using var reader = new StreamReader(response.ContentStream ?? Stream.Null, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
            if (!string.IsNullOrWhiteSpace(line)) yield return line;
    }

    /// <summary>One line of an output or error file: <c>{"id","custom_id","response":{"status_code","request_id","body"},"error":{"code","message"}}</c>.</summary>
    private async Task<BatchItemResult> ReadLineAsync(string batchId, string fileId, string line, CancellationToken cancellationToken)
    {
        JsonElement json;
        try
        {
            json = JsonElement.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new ModelCallException(Spec.Id, ModelFailureKind.InvalidResponse, 1, null,
                $"batch {batchId}: result file {fileId} has a line that is not JSON ({ex.Message}): {Clip(line)}", ex);
        }
        var customId = Str(json, "custom_id") ?? throw new ModelCallException(Spec.Id, ModelFailureKind.InvalidResponse, 1, null,
            $"batch {batchId}: result file {fileId} has a line without custom_id: {Clip(line)}");
        if (json.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            var code = Str(error, "code");
            var kind = code switch
            {
                "batch_expired" => BatchFailureKind.Expired,
                "batch_cancelled" => BatchFailureKind.Cancelled,
                _ => BatchFailureKind.Other,
            };
            return BatchItemResult.Failed(customId, new BatchItemFailure(kind, Str(error, "message") ?? code ?? "failed without a message", null, code));
        }
        if (!json.TryGetProperty("response", out var response) || response.ValueKind != JsonValueKind.Object)
            return BatchItemResult.Failed(customId, new BatchItemFailure(BatchFailureKind.InvalidResponse, $"result line has neither response nor error: {Clip(line)}"));
        var status = response.TryGetProperty("status_code", out var sc) && sc.ValueKind == JsonValueKind.Number && sc.TryGetInt32(out var s) ? s : 0;
        response.TryGetProperty("body", out var body);
        if (status is < 200 or >= 300)
        {
            var err = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? e : default;
            var message = (err.ValueKind == JsonValueKind.Object ? Str(err, "message") : null) ?? $"HTTP {status}";
            var code = err.ValueKind == JsonValueKind.Object ? Str(err, "code") ?? Str(err, "type") : null;
            return BatchItemResult.Failed(customId, new BatchItemFailure(BatchItemFailure.FromStatus(status), message, status, code));
        }
        try
        {
            return BatchItemResult.Success(customId, await _mirror.ReadAnswerAsync(JsonSerializer.SerializeToUtf8Bytes(body), cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return BatchItemResult.Failed(customId, new BatchItemFailure(BatchFailureKind.InvalidResponse, $"the answer could not be read: {ex.Message}", status));
        }
    }

    private static OpenAiBatch Parse(BinaryData content)
    {
        var json = JsonElement.Parse(content.ToMemory().Span);
        var id = Str(json, "id") ?? "";
        var state = Str(json, "status") switch
        {
            "validating" => BatchState.Validating,
            "in_progress" => BatchState.InProgress,
            "finalizing" => BatchState.Finalizing,
            "completed" => BatchState.Completed,
            "failed" => BatchState.Failed,
            "expired" => BatchState.Expired,
            "cancelling" => BatchState.Cancelling,
            "cancelled" => BatchState.Cancelled,
            var other => throw new ModelCallException("openai", ModelFailureKind.InvalidResponse, 1, null, $"batch {id} has an unknown status '{other}'"),
        };
        int Count(string name) => json.TryGetProperty("request_counts", out var rc) && rc.ValueKind == JsonValueKind.Object
            && rc.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : 0;
        string? error = null;
        if (json.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object
            && errors.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array && data.GetArrayLength() > 0)
        {
            error = string.Join("; ", data.EnumerateArray().Select(e =>
                (e.TryGetProperty("line", out var l) && l.ValueKind == JsonValueKind.Number && l.TryGetInt32(out var ln) ? $"line {ln}: " : "")
                + (Str(e, "message") ?? Str(e, "code") ?? "error")));
        }
        var status = new BatchStatus(id, state, new BatchRequestCounts(Count("total"), Count("completed"), Count("failed")), error);
        return new OpenAiBatch(status, Str(json, "output_file_id"), Str(json, "error_file_id"));
    }

    private ModelCallException Fail(string what, Exception ex)
    {
        var failure = FailureClassifier.Classify(ex, _options.Time.GetUtcNow());
        return new ModelCallException(Spec.Id, failure.Kind, 1, failure.Status, $"OpenAI batch API, {what}: {failure.Detail}", ex);
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Clip(string s) => s.Length > 200 ? s[..200] + "…" : s;

    private sealed record OpenAiBatch(BatchStatus Status, string? OutputFileId, string? ErrorFileId);
}
