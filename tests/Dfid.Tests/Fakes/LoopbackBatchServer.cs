using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dfid.Tests.Fakes;

/// <summary>
/// The batch endpoints of OpenAI and Anthropic on a <see cref="LoopbackOpenAiServer"/> (real HTTP on 127.0.0.1), in the
/// wire format of the providers' API references, next to their online endpoints (<c>POST /v1/chat/completions</c>,
/// <c>POST /v1/messages</c>) answered by the same script, so one spec can be run both ways: OpenAI files (<c>POST /v1/files</c> multipart upload,
/// <c>GET /v1/files/{id}</c>, <c>GET /v1/files/{id}/content</c>) and batches (<c>POST /v1/batches</c>,
/// <c>GET /v1/batches/{id}</c>, <c>POST /v1/batches/{id}/cancel</c>; output and error files of
/// <c>{"id","custom_id","response":{"status_code","request_id","body"},"error"}</c> lines), and Anthropic message
/// batches (<c>POST /v1/messages/batches</c>, <c>GET /v1/messages/batches/{id}</c> with <c>processing_status</c> and
/// <c>request_counts</c>, <c>GET …/results</c> JSONL of <c>succeeded</c>/<c>errored</c>/<c>canceled</c>/<c>expired</c>
/// items, <c>POST …/cancel</c>).
/// </summary>
/// <example>
/// <code>
/// await using var server = LoopbackBatchServer.Start(new BatchScript
/// {
///     Answer = item =&gt; item.CustomId == "b" ? BatchOutcome.Unfinished() : BatchOutcome.Text("hi"),
///     InProgressPolls = 2,
/// });
/// // spec "openai:m@" + server.BaseUrl, or "anthropic:m@" + server.Root
/// </code>
/// </example>
/// <remarks>
/// A batch's outcomes are decided when it is created (<see cref="BatchScript.Answer"/>); the first
/// <see cref="BatchScript.InProgressPolls"/> status reads find it in progress, the next one ends it: cancelled when a
/// cancel was asked (requests that never run are cancelled), expired when some request never runs, completed
/// otherwise. Unknown paths get 404. Thread-safe.
/// </remarks>
public sealed class LoopbackBatchServer : IAsyncDisposable
{
    private const long Created = 1_700_000_000;
    private readonly BatchScript _script;
    private readonly LoopbackOpenAiServer _server;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StoredFile> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Batch> _batches = new(StringComparer.Ordinal);
    private readonly List<string> _batchOrder = [];
    private int _nextId;

    private LoopbackBatchServer(BatchScript script)
    {
        _script = script;
        _server = LoopbackOpenAiServer.Start(Route);
    }

    /// <summary>Starts a server running batches by <paramref name="script"/>.</summary>
    public static LoopbackBatchServer Start(BatchScript? script = null) => new(script ?? new BatchScript());

    /// <summary><c>http://127.0.0.1:PORT</c>: the Anthropic base URL (<c>anthropic:MODEL@</c> + this).</summary>
    public Uri Root => _server.Root;

    /// <summary><c>http://127.0.0.1:PORT/v1</c>: the OpenAI endpoint (<c>openai:MODEL@</c> + this).</summary>
    public Uri BaseUrl => _server.BaseUrl;

    /// <summary>Every HTTP request received, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _server.Requests;

    /// <summary>Files uploaded so far (OpenAI), by id.</summary>
    public IReadOnlyDictionary<string, UploadedFile> Uploads
    {
        get
        {
            lock (_gate)
                return _files.Values.Where(f => f.Uploaded).ToDictionary(f => f.Id, f => new UploadedFile(f.Id, f.FileName, f.Purpose, Encoding.UTF8.GetString(f.Content)));
        }
    }

    /// <summary>Batches created so far, in order.</summary>
    public IReadOnlyList<SubmittedBatch> Batches
    {
        get
        {
            lock (_gate)
                return [.. _batchOrder.Select(id => _batches[id]).Select(b => new SubmittedBatch(b.Id, b.Provider, [.. b.Items.Select(i => i.Item)], b.Reads, b.Ended, b.CancelAsked))];
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _server.DisposeAsync();

    /// <summary>An OpenAI chat completion as this server writes it into output files (also for an online server answering the same).</summary>
    public static JsonObject OpenAiCompletion(string id, string model, BatchOutcome o)
    {
        var usage = new JsonObject { ["prompt_tokens"] = o.PromptTokens, ["completion_tokens"] = o.CompletionTokens, ["total_tokens"] = o.PromptTokens + o.CompletionTokens };
        if (o.CachedPromptTokens is { } cached) usage["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = cached };
        return new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = Created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = o.Content ?? "" },
                ["finish_reason"] = o.FinishReason,
            }),
            ["usage"] = usage,
        };
    }

    /// <summary>An Anthropic message as this server writes it into results (also for an online server answering the same).</summary>
    public static JsonObject AnthropicMessage(string id, string model, BatchOutcome o)
    {
        var usage = new JsonObject { ["input_tokens"] = o.PromptTokens, ["output_tokens"] = o.CompletionTokens };
        if (o.CachedPromptTokens is { } cached) usage["cache_read_input_tokens"] = cached;
        return new JsonObject
        {
            ["id"] = id,
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = o.Content ?? "" }),
            ["stop_reason"] = o.FinishReason == "length" ? "max_tokens" : "end_turn",
            ["stop_sequence"] = null,
            ["usage"] = usage,
        };
    }

    private ScriptedReply Route(RecordedRequest r)
    {
        var path = r.Path.Split('?')[0].TrimEnd('/');
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        lock (_gate)
        {
            try
            {
                return Dispatch(r, path, parts);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
            {
                // A request this fake cannot read is the test's bug: say so in the reply instead of dropping the connection.
                return Error(500, "fake_server_error", $"{r.Method} {path}: {ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    private ScriptedReply Dispatch(RecordedRequest r, string path, string[] parts)
    {
        return (r.Method, parts) switch
        {
            ("POST", ["v1", "chat", "completions"]) => Online(r, "openai"),
            ("POST", ["v1", "messages"]) => Online(r, "anthropic"),
            ("POST", ["v1", "files"]) => UploadFile(r),
            ("GET", ["v1", "files", var id]) => _files.TryGetValue(id, out var f) ? Json(FileObject(f)) : NotFound($"file {id}"),
            ("GET", ["v1", "files", var id, "content"]) => _files.TryGetValue(id, out var f)
                ? new ScriptedReply { RawBody = Encoding.UTF8.GetString(f.Content), ContentType = "application/octet-stream" }
                : NotFound($"file {id}"),
            ("POST", ["v1", "batches"]) => CreateOpenAiBatch(r),
            ("GET", ["v1", "batches", var id]) => WithBatch(id, "openai", b => Json(OpenAiBatchObject(Read(b)))),
            ("POST", ["v1", "batches", var id, "cancel"]) => WithBatch(id, "openai", b => Json(OpenAiBatchObject(Cancel(b)))),
            ("POST", ["v1", "messages", "batches"]) => CreateAnthropicBatch(r),
            ("GET", ["v1", "messages", "batches", var id]) => WithBatch(id, "anthropic", b => Json(AnthropicBatchObject(Read(b)))),
            ("POST", ["v1", "messages", "batches", var id, "cancel"]) => WithBatch(id, "anthropic", b => Json(AnthropicBatchObject(Cancel(b)))),
            ("GET", ["v1", "messages", "batches", var id, "results"]) => WithBatch(id, "anthropic", AnthropicResults),
            _ => NotFound($"{r.Method} {path}"),
        };
    }

    /// <summary>An online call, answered by the same script (custom id empty, batch id <c>online</c>).</summary>
    private ScriptedReply Online(RecordedRequest r, string provider)
    {
        var item = new BatchItem(provider, "online", "", r.Json ?? default);
        var o = _script.Answer(item);
        if (o.Content is null) return Error(o.ErrorStatus ?? 400, o.ErrorType, o.ErrorMessage);
        var id = o.Id ?? $"online-{r.Index}";
        return Json(provider == "openai" ? OpenAiCompletion(id, item.Model, o) : AnthropicMessage(id, item.Model, o));
    }

    private ScriptedReply UploadFile(RecordedRequest r)
    {
        var form = Multipart(r);
        if (!form.TryGetValue("file", out var file) || !form.TryGetValue("purpose", out var purpose))
            return Error(400, "invalid_request_error", "multipart upload needs 'file' and 'purpose' parts");
        var stored = new StoredFile($"file-{++_nextId}", file.FileName ?? "upload", Encoding.UTF8.GetString(purpose.Data), file.Data, Uploaded: true);
        _files[stored.Id] = stored;
        return Json(FileObject(stored));
    }

    private ScriptedReply CreateOpenAiBatch(RecordedRequest r)
    {
        var body = r.Json ?? default;
        var fileId = Str(body, "input_file_id");
        if (fileId is null || !_files.TryGetValue(fileId, out var input)) return Error(400, "invalid_request_error", $"input file '{fileId}' not found");
        if (Str(body, "endpoint") != "/v1/chat/completions" || Str(body, "completion_window") != "24h")
            return Error(400, "invalid_request_error", "endpoint must be /v1/chat/completions and completion_window 24h");
        var batch = new Batch($"batch_{++_nextId}", "openai") { InputFileId = fileId };
        if (body.TryGetProperty("metadata", out var md) && md.ValueKind == JsonValueKind.Object) batch.Metadata = JsonNode.Parse(md.GetRawText());
        var lineNo = 0;
        foreach (var line in Encoding.UTF8.GetString(input.Content).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            lineNo++;
            var json = JsonElement.Parse(line);
            if (Str(json, "method") != "POST" || Str(json, "url") != "/v1/chat/completions" || Str(json, "custom_id") is not { } customId
                || !json.TryGetProperty("body", out var itemBody))
            {
                batch.ValidationError = new JsonObject { ["code"] = "invalid_request", ["message"] = "each line needs custom_id, method POST, url /v1/chat/completions and body", ["line"] = lineNo };
                break;
            }
            batch.Add(new BatchItem("openai", batch.Id, customId, itemBody.Clone()), _script.Answer);
        }
        if (batch.ValidationError is null && _script.MaxRequests is { } max && batch.Items.Count > max)
            batch.ValidationError = new JsonObject { ["code"] = "too_many_requests", ["message"] = $"the input file has {batch.Items.Count} requests; at most {max} are allowed", ["line"] = null };
        Register(batch);
        return Json(OpenAiBatchObject(batch));
    }

    private ScriptedReply CreateAnthropicBatch(RecordedRequest r)
    {
        if (r.Json is not { ValueKind: JsonValueKind.Object } body || !body.TryGetProperty("requests", out var requests) || requests.ValueKind != JsonValueKind.Array)
            return Error(400, "invalid_request_error", "requests: Field required");
        if (_script.MaxRequests is { } max && requests.GetArrayLength() > max)
            return Error(400, "invalid_request_error", $"requests: at most {max} items");
        var batch = new Batch($"msgbatch_{++_nextId:D4}", "anthropic");
        foreach (var item in requests.EnumerateArray())
        {
            if (Str(item, "custom_id") is not { } customId || !item.TryGetProperty("params", out var p))
                return Error(400, "invalid_request_error", "each request needs custom_id and params");
            batch.Add(new BatchItem("anthropic", batch.Id, customId, p.Clone()), _script.Answer);
        }
        Register(batch);
        return Json(AnthropicBatchObject(batch));
    }

    private void Register(Batch batch)
    {
        _batches[batch.Id] = batch;
        _batchOrder.Add(batch.Id);
    }

    private ScriptedReply WithBatch(string id, string provider, Func<Batch, ScriptedReply> then) =>
        _batches.TryGetValue(id, out var b) && b.Provider == provider ? then(b) : NotFound($"batch {id}");

    /// <summary>A status read: in progress for the scripted number of reads (unless cancelled), then ended.</summary>
    private Batch Read(Batch b)
    {
        b.Reads++;
        if (!b.Ended && (b.CancelAsked || b.ValidationError is not null || b.Reads > _script.InProgressPolls)) End(b);
        return b;
    }

    private static Batch Cancel(Batch b)
    {
        if (!b.Ended) b.CancelAsked = true;
        return b;
    }

    private void End(Batch b)
    {
        b.Ended = true;
        if (b.ValidationError is not null) return;
        var output = new StringBuilder();
        var errors = new StringBuilder();
        var n = 0;
        foreach (var (item, o) in b.Items)
        {
            var requestId = $"req_{b.Id}_{++n}";
            JsonObject line;
            if (b.Provider == "openai")
            {
                line = new JsonObject { ["id"] = $"batch_req_{n}", ["custom_id"] = item.CustomId };
                if (o.NeverRuns)
                {
                    line["response"] = null;
                    line["error"] = b.CancelAsked
                        ? new JsonObject { ["code"] = "batch_cancelled", ["message"] = "This request was not executed because the batch was cancelled." }
                        : new JsonObject { ["code"] = "batch_expired", ["message"] = "This request could not be executed before the completion window expired." };
                }
                else if (o.Content is null)
                {
                    line["response"] = new JsonObject
                    {
                        ["status_code"] = o.ErrorStatus ?? 400,
                        ["request_id"] = requestId,
                        ["body"] = new JsonObject { ["error"] = new JsonObject { ["message"] = o.ErrorMessage, ["type"] = o.ErrorType, ["param"] = null, ["code"] = null } },
                    };
                    line["error"] = null;
                }
                else
                {
                    line["response"] = new JsonObject { ["status_code"] = 200, ["request_id"] = requestId, ["body"] = OpenAiCompletion(o.Id ?? $"chatcmpl-{item.CustomId}", item.Model, o) };
                    line["error"] = null;
                }
                (o.Content is null ? errors : output).Append(line.ToJsonString()).Append('\n');
            }
            else
            {
                JsonObject result = o.NeverRuns ? new JsonObject { ["type"] = b.CancelAsked ? "canceled" : "expired" }
                    : o.Content is null ? new JsonObject
                    {
                        ["type"] = "errored",
                        ["error"] = new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = o.ErrorType, ["message"] = o.ErrorMessage } },
                    }
                    : new JsonObject { ["type"] = "succeeded", ["message"] = AnthropicMessage(o.Id ?? $"msg_{item.CustomId}", item.Model, o) };
                output.Append(new JsonObject { ["custom_id"] = item.CustomId, ["result"] = result }.ToJsonString()).Append('\n');
            }
        }
        if (b.Provider == "openai")
        {
            if (output.Length > 0) b.OutputFileId = AddResultFile(b, "output", output);
            if (errors.Length > 0) b.ErrorFileId = AddResultFile(b, "errors", errors);
        }
        else b.Results = output.ToString();
    }

    private string AddResultFile(Batch b, string kind, StringBuilder text)
    {
        var file = new StoredFile($"file-{++_nextId}", $"{b.Id}_{kind}.jsonl", "batch_output", Encoding.UTF8.GetBytes(text.ToString()), Uploaded: false);
        _files[file.Id] = file;
        return file.Id;
    }

    private static JsonObject FileObject(StoredFile f) => new()
    {
        ["id"] = f.Id,
        ["object"] = "file",
        ["bytes"] = f.Content.Length,
        ["created_at"] = Created,
        ["filename"] = f.FileName,
        ["purpose"] = f.Purpose,
        ["status"] = "processed",
    };

    private static JsonObject OpenAiBatchObject(Batch b)
    {
        int total = b.Items.Count, completed = b.Ended ? b.Items.Count(i => i.Outcome.Content is not null) : 0;
        var failed = b.Ended ? total - completed : 0;
        var status = !b.Ended ? (b.CancelAsked ? "cancelling" : b.Reads == 0 ? "validating" : "in_progress")
            : b.ValidationError is not null ? "failed"
            : b.CancelAsked ? "cancelled"
            : b.Items.Any(i => i.Outcome.NeverRuns) ? "expired"
            : "completed";
        return new JsonObject
        {
            ["id"] = b.Id,
            ["object"] = "batch",
            ["endpoint"] = "/v1/chat/completions",
            ["errors"] = b.ValidationError is { } e ? new JsonObject { ["object"] = "list", ["data"] = new JsonArray(e.DeepClone()) } : null,
            ["input_file_id"] = b.InputFileId,
            ["completion_window"] = "24h",
            ["status"] = status,
            ["output_file_id"] = b.OutputFileId,
            ["error_file_id"] = b.ErrorFileId,
            ["created_at"] = Created,
            ["in_progress_at"] = b.Reads > 0 ? Created + 1 : null,
            ["expires_at"] = Created + 86_400,
            ["completed_at"] = status == "completed" ? Created + 60 : null,
            ["failed_at"] = status == "failed" ? Created + 1 : null,
            ["expired_at"] = status == "expired" ? Created + 86_400 : null,
            ["cancelling_at"] = b.CancelAsked ? Created + 30 : null,
            ["cancelled_at"] = status == "cancelled" ? Created + 31 : null,
            ["request_counts"] = new JsonObject { ["total"] = b.ValidationError is null ? total : 0, ["completed"] = completed, ["failed"] = b.ValidationError is null ? failed : 0 },
            ["metadata"] = b.Metadata?.DeepClone(),
        };
    }

    private JsonObject AnthropicBatchObject(Batch b)
    {
        var ended = b.Ended;
        int Count(Func<BatchOutcome, bool> f) => ended ? b.Items.Count(i => f(i.Outcome)) : 0;
        return new JsonObject
        {
            ["id"] = b.Id,
            ["type"] = "message_batch",
            ["processing_status"] = ended ? "ended" : b.CancelAsked ? "canceling" : "in_progress",
            ["request_counts"] = new JsonObject
            {
                ["processing"] = ended ? 0 : b.Items.Count,
                ["succeeded"] = Count(o => o.Content is not null),
                ["errored"] = Count(o => o.Content is null && !o.NeverRuns),
                ["canceled"] = Count(o => o.NeverRuns && b.CancelAsked),
                ["expired"] = Count(o => o.NeverRuns && !b.CancelAsked),
            },
            ["ended_at"] = ended ? Time(Created + 60) : null,
            ["created_at"] = Time(Created),
            ["expires_at"] = Time(Created + 86_400),
            ["archived_at"] = null,
            ["cancel_initiated_at"] = b.CancelAsked ? Time(Created + 30) : null,
            ["results_url"] = ended ? $"{Root}v1/messages/batches/{b.Id}/results" : null,
        };
    }

    private static ScriptedReply AnthropicResults(Batch b) => b.Results is { } text
        ? new ScriptedReply { RawBody = text, ContentType = "application/binary" }
        : Error(400, "invalid_request_error", $"batch {b.Id} is still in progress; results are available once it has ended");

    private static string Time(long unix) => DateTimeOffset.FromUnixTimeSeconds(unix).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static ScriptedReply Json(JsonNode node) => new() { RawBody = node.ToJsonString() };

    private static ScriptedReply NotFound(string what) => Error(404, "not_found_error", $"{what} not found");

    /// <summary>An error body both SDKs read: OpenAI's <c>{"error":{"message","type"}}</c>, plus Anthropic's <c>"type":"error"</c>.</summary>
    private static ScriptedReply Error(int status, string type, string message) => new()
    {
        Status = status,
        RawBody = new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = type, ["message"] = message } }.ToJsonString(),
    };

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The parts of a <c>multipart/form-data</c> body by name (RFC 7578), as the OpenAI SDK uploads files.</summary>
    private static Dictionary<string, (string? FileName, byte[] Data)> Multipart(RecordedRequest r)
    {
        var parts = new Dictionary<string, (string?, byte[])>(StringComparer.Ordinal);
        var contentType = r.Header("Content-Type") ?? "";
        var at = contentType.IndexOf("boundary=", StringComparison.OrdinalIgnoreCase);
        if (at < 0) return parts;
        var boundary = contentType[(at + "boundary=".Length)..].Split(';')[0].Trim().Trim('"');
        var body = r.Body;
        foreach (var section in body.Split("--" + boundary))
        {
            var headEnd = section.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headEnd < 0) continue;
            var head = section[..headEnd];
            var content = section[(headEnd + 4)..];
            if (content.EndsWith("\r\n", StringComparison.Ordinal)) content = content[..^2];
            string? name = null, fileName = null;
            foreach (var header in head.Split("\r\n"))
            {
                if (!header.StartsWith("Content-Disposition", StringComparison.OrdinalIgnoreCase)) continue;
                foreach (var p in header.Split(';').Select(p => p.Trim()))
                {
                    if (p.StartsWith("name=", StringComparison.Ordinal)) name = p[5..].Trim('"');
                    else if (p.StartsWith("filename=", StringComparison.Ordinal)) fileName = p[9..].Trim('"');
                }
            }
            if (name is not null) parts[name] = (fileName, Encoding.UTF8.GetBytes(content));
        }
        return parts;
    }

    private sealed record StoredFile(string Id, string FileName, string Purpose, byte[] Content, bool Uploaded);

    private sealed class Batch(string id, string provider)
    {
        public string Id { get; } = id;
        public string Provider { get; } = provider;
        public List<(BatchItem Item, BatchOutcome Outcome)> Items { get; } = [];
        public string? InputFileId { get; init; }
        public JsonNode? Metadata { get; set; }
        public JsonObject? ValidationError { get; set; }
        public int Reads { get; set; }
        public bool CancelAsked { get; set; }
        public bool Ended { get; set; }
        public string? OutputFileId { get; set; }
        public string? ErrorFileId { get; set; }
        public string? Results { get; set; }

        public void Add(BatchItem item, Func<BatchItem, BatchOutcome> answer) => Items.Add((item, answer(item)));
    }
}

/// <summary>A file uploaded to <see cref="LoopbackBatchServer"/>.</summary>
/// <param name="Id">Its id.</param>
/// <param name="FileName">The uploaded file name.</param>
/// <param name="Purpose">The multipart <c>purpose</c>.</param>
/// <param name="Text">Its content (UTF-8).</param>
public sealed record UploadedFile(string Id, string FileName, string Purpose, string Text);

/// <summary>A batch <see cref="LoopbackBatchServer"/> was given.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Provider"><c>openai</c> or <c>anthropic</c>.</param>
/// <param name="Items">Its requests, in order.</param>
/// <param name="StatusReads">How many times its status was read.</param>
/// <param name="Ended">Whether it has ended.</param>
/// <param name="CancelAsked">Whether a cancel was asked.</param>
public sealed record SubmittedBatch(string Id, string Provider, IReadOnlyList<BatchItem> Items, int StatusReads, bool Ended, bool CancelAsked);
