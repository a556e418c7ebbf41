namespace Dfid.Tests.Fakes;

/// <summary>
/// What <see cref="LoopbackOpenAiServer"/> answers to one request. Build one with the static factories
/// (<see cref="Text"/>, <see cref="Error"/>, <see cref="Malformed"/>, <see cref="Truncated"/>, <see cref="Hang"/>,
/// <see cref="Drop"/>, <see cref="File"/>) and adjust with <c>with { ... }</c> or <see cref="After"/>.
/// </summary>
/// <remarks>
/// A text reply is rendered in the wire format of the request's path: OpenAI chat-completions for
/// <c>/v1/chat/completions</c> (a streaming request, <c>"stream": true</c>, gets server-sent events), Anthropic
/// messages for <c>/v1/messages</c>.
/// </remarks>
public sealed record ScriptedReply
{
    /// <summary>HTTP status code. <value>The default value is 200.</value></summary>
    public int Status { get; init; } = 200;

    /// <summary>The assistant's text for a 200 reply rendered in the provider's format; ignored when <see cref="RawBody"/> or <see cref="Bytes"/> is set.</summary>
    public string? Content { get; init; }

    /// <summary>OpenAI <c>finish_reason</c> (Anthropic <c>stop_reason</c> is derived: <c>length</c> → <c>max_tokens</c>). <value>The default value is <c>stop</c>.</value></summary>
    public string FinishReason { get; init; } = "stop";

    /// <summary>Prompt tokens reported in <c>usage</c>; null estimates one token per 4 request characters.</summary>
    public int? PromptTokens { get; init; }

    /// <summary>Completion tokens reported in <c>usage</c>; null estimates one token per 4 content characters (at least 1).</summary>
    public int? CompletionTokens { get; init; }

    /// <summary>Extra response headers, e.g. <c>Retry-After</c>.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>A body sent verbatim (error JSON, malformed JSON), with <see cref="ContentType"/>.</summary>
    public string? RawBody { get; init; }

    /// <summary>A binary body (a file to download); honours the request's <c>Range: bytes=N-</c> header with a 206 reply.</summary>
    public byte[]? Bytes { get; init; }

    /// <summary>With <see cref="Bytes"/>: close the connection after this many body bytes of this reply (a cut download).</summary>
    public long? CutAfterBytes { get; init; }

    /// <summary>Content type of <see cref="RawBody"/> or <see cref="Bytes"/>. <value>The default value is <c>application/json</c>.</value></summary>
    public string ContentType { get; init; } = "application/json";

    /// <summary>Wait this long before answering (server latency, or a hang past the client's timeout).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Close the connection without any response (a dropped connection).</summary>
    public bool DropConnection { get; init; }

    /// <summary>A normal answer with <paramref name="content"/> and optional usage numbers.</summary>
    public static ScriptedReply Text(string content, int? promptTokens = null, int? completionTokens = null) =>
        new() { Content = content, PromptTokens = promptTokens, CompletionTokens = completionTokens };

    /// <summary>An error status with an OpenAI-style error body; <paramref name="retryAfter"/> adds a <c>Retry-After</c> header in whole seconds.</summary>
    public static ScriptedReply Error(int status, string message = "scripted error", TimeSpan? retryAfter = null) => new()
    {
        Status = status,
        RawBody = new System.Text.Json.Nodes.JsonObject
        {
            ["error"] = new System.Text.Json.Nodes.JsonObject { ["message"] = message, ["type"] = "scripted", ["code"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        }.ToJsonString(),
        Headers = retryAfter is { } ra
            ? new Dictionary<string, string> { ["Retry-After"] = ((int)Math.Ceiling(ra.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) }
            : new Dictionary<string, string>(),
    };

    /// <summary>A 200 reply whose body is not valid JSON (or not the expected shape).</summary>
    public static ScriptedReply Malformed(string body = """{"id":"x","choices":[{"message":""") => new() { RawBody = body };

    /// <summary>A 200 answer cut by the token limit (<c>finish_reason = length</c>).</summary>
    public static ScriptedReply Truncated(string content) => new() { Content = content, FinishReason = "length" };

    /// <summary>A reply that waits <paramref name="delay"/> before answering (default: 10 minutes, i.e. until the server is disposed).</summary>
    public static ScriptedReply Hang(TimeSpan? delay = null) => Text("late") with { Delay = delay ?? TimeSpan.FromMinutes(10) };

    /// <summary>Closes the connection without answering.</summary>
    public static ScriptedReply Drop() => new() { DropConnection = true };

    /// <summary>Serves <paramref name="bytes"/> as a file, honouring <c>Range</c>; <paramref name="cutAfterBytes"/> drops the connection midway.</summary>
    public static ScriptedReply File(byte[] bytes, long? cutAfterBytes = null) =>
        new() { Bytes = bytes, CutAfterBytes = cutAfterBytes, ContentType = "application/octet-stream" };

    /// <summary>This reply after a server-side delay.</summary>
    public ScriptedReply After(TimeSpan delay) => this with { Delay = delay };
}
