using System.Text;
using System.Text.Json;

namespace Dfid.Tests.Fakes;

/// <summary>One HTTP request as <see cref="LoopbackOpenAiServer"/> received it.</summary>
/// <remarks>
/// The body is kept as received and decoded or parsed only when asked for (a benchmark sends thousands of requests
/// whose bodies nobody reads). Thread-safe: the lazy values are computed at most a few times and are always equal.
/// </remarks>
public sealed record RecordedRequest
{
    private readonly byte[] _body;
    private string? _text;
    private JsonElement? _json;
    private bool _parsed;

    /// <summary>Records a request.</summary>
    /// <param name="index">0-based arrival order.</param>
    /// <param name="method">HTTP method, e.g. <c>POST</c>.</param>
    /// <param name="path">Path and query, e.g. <c>/v1/chat/completions</c>.</param>
    /// <param name="headers">Request headers; names compare case-insensitively.</param>
    /// <param name="body">The raw request body (UTF-8).</param>
    /// <param name="receivedAt">When the request was fully read, from the server's <see cref="TimeProvider"/>.</param>
    public RecordedRequest(int index, string method, string path, IReadOnlyDictionary<string, string> headers, byte[] body, DateTimeOffset receivedAt)
    {
        Index = index;
        Method = method;
        Path = path;
        Headers = headers;
        _body = body;
        ReceivedAt = receivedAt;
    }

    /// <summary>0-based arrival order.</summary>
    public int Index { get; }

    /// <summary>HTTP method, e.g. <c>POST</c>.</summary>
    public string Method { get; }

    /// <summary>Path and query, e.g. <c>/v1/chat/completions</c>.</summary>
    public string Path { get; }

    /// <summary>Request headers; names compare case-insensitively.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>When the request was fully read, from the server's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>The raw request body (UTF-8).</summary>
    public string Body => _text ??= Encoding.UTF8.GetString(_body);

    /// <summary>The body parsed as JSON, or null when it is empty or not JSON.</summary>
    public JsonElement? Json
    {
        get
        {
            if (!Volatile.Read(ref _parsed))
            {
                _json = TryParse(_body);
                Volatile.Write(ref _parsed, true);
            }
            return _json;
        }
    }

    /// <summary>A header value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    /// <summary>The <c>model</c> field of the JSON body.</summary>
    public string? Model => Str(Json, "model");

    /// <summary>Whether the body asks for a stream (<c>"stream": true</c>).</summary>
    public bool Stream => Json is { ValueKind: JsonValueKind.Object } j && j.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;

    /// <summary>Whether this is an Anthropic messages request (path ends with <c>/messages</c>).</summary>
    public bool IsAnthropic => Path.Split('?')[0].EndsWith("/messages", StringComparison.Ordinal);

    /// <summary>The <c>(role, text)</c> pairs of the body's <c>messages</c> (string content, or the concatenated text parts); Anthropic's top-level <c>system</c> comes first as role <c>system</c>.</summary>
    public IReadOnlyList<(string Role, string Text)> Messages
    {
        get
        {
            var list = new List<(string, string)>();
            if (Json is not { ValueKind: JsonValueKind.Object } j) return list;
            if (j.TryGetProperty("system", out var sys)) list.Add(("system", TextOf(sys)));
            if (j.TryGetProperty("messages", out var msgs) && msgs.ValueKind == JsonValueKind.Array)
                foreach (var m in msgs.EnumerateArray())
                    list.Add((Str(m, "role") ?? "", m.TryGetProperty("content", out var c) ? TextOf(c) : ""));
            return list;
        }
    }

    /// <summary>The text of the last <c>user</c> message, or an empty string.</summary>
    public string LastUserText => Messages.LastOrDefault(m => m.Role == "user").Text ?? "";

    private static string TextOf(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString() ?? "",
        JsonValueKind.Array => string.Concat(content.EnumerateArray()
            .Select(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("text", out var t) ? t.GetString() : null)),
        _ => content.ToString(),
    };

    private static string? Str(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static JsonElement? TryParse(byte[] body)
    {
        if (body.AsSpan().Trim(" \t\r\n"u8).IsEmpty) return null;
        try { return JsonElement.Parse(body); }
        catch (JsonException) { return null; }
    }
}
