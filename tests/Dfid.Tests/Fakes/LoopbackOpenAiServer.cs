using System.Diagnostics;
using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dfid.Tests.Fakes;

/// <summary>
/// A real HTTP/1.1 server on <c>127.0.0.1</c> with a random port that speaks the OpenAI chat-completions wire format
/// (<c>POST /v1/chat/completions</c>, plain or streamed) and Anthropic's <c>POST /v1/messages</c>, and serves files
/// with <c>Range</c>. Every request is answered by a script and recorded for assertions.
/// </summary>
/// <example>
/// <code>
/// await using var server = LoopbackOpenAiServer.Start(req =&gt; req.Index == 0
///     ? ScriptedReply.Error(429, retryAfter: TimeSpan.FromSeconds(1))
///     : ScriptedReply.Text("hello", promptTokens: 12, completionTokens: 3));
/// // point the OpenAI SDK (or a ModelSpec "openai:m@" + server.BaseUrl) at server.BaseUrl (…/v1)
/// Assert.Equal(2, server.RequestCount);
/// Assert.Equal("Bearer test-key", server.Requests[1].Header("Authorization"));
/// </code>
/// </example>
/// <remarks>Thread-safe: connections are served concurrently (keep-alive supported); the script may be called concurrently.</remarks>
public sealed class LoopbackOpenAiServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<RecordedRequest, CancellationToken, ValueTask<ScriptedReply>> _script;
    private readonly TimeProvider _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<Task> _connections = [];
    private readonly Lock _gate = new();
    private readonly Task _acceptLoop;
    private int _inFlight;
    private int _maxInFlight;

    private LoopbackOpenAiServer(Func<RecordedRequest, CancellationToken, ValueTask<ScriptedReply>> script, TimeProvider? clock)
    {
        _script = script;
        _clock = clock ?? TimeProvider.System;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start(512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Starts a server whose replies come from <paramref name="script"/>.</summary>
    /// <param name="script">Called once per request, possibly concurrently.</param>
    /// <param name="clock">Clock for <see cref="RecordedRequest.ReceivedAt"/> and reply delays; the system clock by default.</param>
    public static LoopbackOpenAiServer Start(Func<RecordedRequest, ScriptedReply> script, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(script);
        return new LoopbackOpenAiServer((r, _) => ValueTask.FromResult(script(r)), clock);
    }

    /// <summary>Starts a server with an asynchronous script (e.g. one that waits for the test to release a request).</summary>
    public static LoopbackOpenAiServer Start(Func<RecordedRequest, CancellationToken, ValueTask<ScriptedReply>> script, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(script);
        return new LoopbackOpenAiServer(script, clock);
    }

    /// <summary>Starts a server that answers every request with the same text.</summary>
    public static LoopbackOpenAiServer Start(string constantReply) => Start(_ => ScriptedReply.Text(constantReply));

    /// <summary>The port chosen by the OS.</summary>
    public int Port { get; }

    /// <summary><c>http://127.0.0.1:PORT</c> (no trailing slash).</summary>
    public Uri Root => new($"http://127.0.0.1:{Port}");

    /// <summary><c>http://127.0.0.1:PORT/v1</c>: the OpenAI SDK endpoint, and the URL part of an <c>openai:MODEL@URL</c> spec.</summary>
    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/v1");

    /// <summary>A snapshot of every request received so far, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests { get { lock (_gate) return [.. _requests]; } }

    /// <summary>How many requests were received so far.</summary>
    public int RequestCount { get { lock (_gate) return _requests.Count; } }

    /// <summary>Wall-clock time requests actually spent in their scripted delays, summed, so benchmarks can check the
    /// latency the server really served (timers overshoot; see <see cref="DelayAsync"/>).</summary>
    public TimeSpan DelayedTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _delayTicks));

    private long _delayTicks;
    private long _delayCorrectionTicks;

    /// <summary>The largest number of requests that were being answered at the same time.</summary>
    public int MaxConcurrentRequests => Volatile.Read(ref _maxInFlight);

    /// <summary>Stops listening, cancels pending delays and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync();
        _listener.Stop();
        Task[] pending;
        lock (_gate) pending = [_acceptLoop, .. _connections];
        try { await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception) { /* connections end with I/O errors when cancelled; nothing to report */ }
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            client.NoDelay = true;
            var task = Task.Run(() => ServeConnectionAsync(client));
            lock (_gate) _connections.Add(task);
        }
    }

    private async Task ServeConnectionAsync(TcpClient client)
    {
        using var _ = client;
        var ct = _stop.Token;
        try
        {
            var stream = client.GetStream();
            var reader = new HttpReader(stream);
            while (!ct.IsCancellationRequested)
            {
                var head = await reader.ReadHeadAsync(ct);
                if (head is null) return;
                var (method, path, headers) = head.Value;
                var body = await reader.ReadBodyAsync(headers, ct);
                RecordedRequest request;
                lock (_gate)
                {
                    request = new RecordedRequest(_requests.Count, method, path, headers, body, _clock.GetUtcNow());
                    _requests.Add(request);
                }
                var now = Interlocked.Increment(ref _inFlight);
                for (var max = Volatile.Read(ref _maxInFlight); now > max && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max; max = Volatile.Read(ref _maxInFlight)) { }
                bool keepOpen;
                try
                {
                    var reply = await _script(request, ct);
                    if (reply.Delay > TimeSpan.Zero) await DelayAsync(reply.Delay, ct);
                    keepOpen = await WriteReplyAsync(stream, request, reply, ct);
                }
                finally { Interlocked.Decrement(ref _inFlight); }
                if (!keepOpen || string.Equals(request.Header("Connection"), "close", StringComparison.OrdinalIgnoreCase)) return;
            }
        }
        catch (Exception)
        {
            // The client went away or the server is stopping: the connection just ends.
        }
    }

    /// <summary>
    /// Waits the scripted latency. Timers overshoot: a 50 ms <see cref="Task.Delay(TimeSpan)"/> takes about 52 ms on
    /// Linux (timer granularity plus the hop to the thread pool). On the system clock each wait is therefore shortened
    /// by a correction that feedback keeps at that overshoot, so the latency served is the scripted one on average and
    /// a benchmark's "50 ms server" is one. <see cref="DelayedTime"/> keeps the time really served.
    /// </summary>
    private async Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        if (_clock != TimeProvider.System)
        {
            await Task.Delay(delay, _clock, ct);
        }
        else
        {
            var wait = delay - TimeSpan.FromTicks(Interlocked.Read(ref _delayCorrectionTicks));
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            // Feedback on the latency served, with a gain small enough for the many waits in flight at once: the
            // correction settles where the served latency averages the scripted one.
            var error = (Stopwatch.GetElapsedTime(started) - delay).Ticks;
            lock (_gate) _delayCorrectionTicks = Math.Clamp(_delayCorrectionTicks + error / 64, 0, delay.Ticks);
        }
        Interlocked.Add(ref _delayTicks, Stopwatch.GetTimestamp() - started);
    }

    private static async Task<bool> WriteReplyAsync(NetworkStream stream, RecordedRequest request, ScriptedReply reply, CancellationToken ct)
    {
        if (reply.DropConnection) return false;
        var status = reply.Status;
        var headers = new List<KeyValuePair<string, string>>(reply.Headers);
        byte[] body;
        string contentType = reply.ContentType;
        long? cut = null;
        if (reply.Bytes is { } bytes)
        {
            long start = 0;
            if (request.Header("Range") is { } range && range.StartsWith("bytes=", StringComparison.Ordinal)
                && long.TryParse(range["bytes=".Length..].Split('-')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from) && from < bytes.Length)
            {
                start = from;
                status = 206;
                headers.Add(new("Content-Range", $"bytes {from}-{bytes.Length - 1}/{bytes.Length}"));
            }
            headers.Add(new("Accept-Ranges", "bytes"));
            body = bytes[(int)start..];
            cut = reply.CutAfterBytes;
        }
        else if (reply.RawBody is { } raw) body = Encoding.UTF8.GetBytes(raw);
        else if (request.IsAnthropic) body = Encoding.UTF8.GetBytes(AnthropicBody(request, reply));
        else if (request.Stream)
        {
            body = Encoding.UTF8.GetBytes(OpenAiStream(request, reply));
            contentType = "text/event-stream";
        }
        else body = OpenAiBody(request, reply);

        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {ReasonPhrase(status)}\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n");
        foreach (var (k, v) in headers) head.Append(CultureInfo.InvariantCulture, $"{k}: {v}\r\n");
        head.Append("\r\n");
        // Head and body leave in one write (one segment for small replies), as real servers send them: a separate head
        // write doubles the socket work on both ends.
        var sent = cut is { } n && n < body.Length ? (int)n : body.Length;
        var headLength = Encoding.ASCII.GetByteCount(head.ToString());
        var message = new byte[headLength + sent];
        Encoding.ASCII.GetBytes(head.ToString(), message);
        body.AsSpan(0, sent).CopyTo(message.AsSpan(headLength));
        await stream.WriteAsync(message, ct);
        await stream.FlushAsync(ct);
        return sent == body.Length;
    }

    private static int PromptTokens(RecordedRequest r, ScriptedReply s) => s.PromptTokens ?? Math.Max(1, r.Body.Length / 4);

    private static int CompletionTokens(ScriptedReply s) => s.CompletionTokens ?? Math.Max(1, (s.Content ?? "").Length / 4);

    private static byte[] OpenAiBody(RecordedRequest r, ScriptedReply s)
    {
        int p = PromptTokens(r, s), c = CompletionTokens(s);
        // Written directly (not through JsonNode): the benchmark harness sends thousands of these.
        var buffer = new ArrayBufferWriter<byte>(256 + 2 * (s.Content?.Length ?? 0));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", $"chatcmpl-{r.Index}");
            w.WriteString("object", "chat.completion");
            w.WriteNumber("created", 1_700_000_000);
            w.WriteString("model", r.Model ?? "loopback");
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", s.Content ?? "");
            w.WriteEndObject();
            w.WriteString("finish_reason", s.FinishReason);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartObject("usage");
            w.WriteNumber("prompt_tokens", p);
            w.WriteNumber("completion_tokens", c);
            w.WriteNumber("total_tokens", p + c);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static string OpenAiStream(RecordedRequest r, ScriptedReply s)
    {
        int p = PromptTokens(r, s), c = CompletionTokens(s);
        var sb = new StringBuilder();
        JsonObject Chunk(JsonNode delta, string? finish) => new()
        {
            ["id"] = $"chatcmpl-{r.Index}",
            ["object"] = "chat.completion.chunk",
            ["created"] = 1_700_000_000,
            ["model"] = r.Model ?? "loopback",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        };
        sb.Append("data: ").Append(Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null).ToJsonString()).Append("\n\n");
        var content = s.Content ?? "";
        // Two content pieces so clients really concatenate deltas.
        var half = content.Length / 2;
        foreach (var piece in new[] { content[..half], content[half..] })
            sb.Append("data: ").Append(Chunk(new JsonObject { ["content"] = piece }, null).ToJsonString()).Append("\n\n");
        sb.Append("data: ").Append(Chunk(new JsonObject(), s.FinishReason).ToJsonString()).Append("\n\n");
        var usage = new JsonObject
        {
            ["id"] = $"chatcmpl-{r.Index}",
            ["object"] = "chat.completion.chunk",
            ["created"] = 1_700_000_000,
            ["model"] = r.Model ?? "loopback",
            ["choices"] = new JsonArray(),
            ["usage"] = new JsonObject { ["prompt_tokens"] = p, ["completion_tokens"] = c, ["total_tokens"] = p + c },
        };
        sb.Append("data: ").Append(usage.ToJsonString()).Append("\n\n");
        sb.Append("data: [DONE]\n\n");
        return sb.ToString();
    }

    private static string AnthropicBody(RecordedRequest r, ScriptedReply s)
    {
        var json = new JsonObject
        {
            ["id"] = $"msg_{r.Index}",
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = r.Model ?? "loopback",
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = s.Content ?? "" }),
            ["stop_reason"] = s.FinishReason == "length" ? "max_tokens" : "end_turn",
            ["stop_sequence"] = null,
            ["usage"] = new JsonObject { ["input_tokens"] = PromptTokens(r, s), ["output_tokens"] = CompletionTokens(s) },
        };
        return json.ToJsonString();
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        206 => "Partial Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };

    /// <summary>Minimal HTTP/1.1 request reader over a stream: head, then a Content-Length or chunked body.</summary>
    private sealed class HttpReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<(string Method, string Path, Dictionary<string, string> Headers)?> ReadHeadAsync(CancellationToken ct)
        {
            // The whole head is buffered first and parsed in one pass (one await per read, not per line).
            int end;
            while (true)
            {
                // Blank lines before a request line are allowed (RFC 9112 §2.2).
                while (_start < _end && _buffer[_start] is (byte)'\r' or (byte)'\n') _start++;
                if ((end = HeadEnd()) >= 0) break;
                if (!await FillAsync(ct)) return null;
            }
            var head = Encoding.ASCII.GetString(_buffer, _start, end - _start);
            _start = end;
            var lines = head.Split('\n');
            var parts = lines[0].TrimEnd('\r').Split(' ');
            if (parts.Length < 2) return null;
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (var i = 1; i < lines.Length; i++)
            {
                var h = lines[i].AsSpan().TrimEnd('\r');
                var colon = h.IndexOf(':');
                if (colon > 0) headers[h[..colon].Trim().ToString()] = h[(colon + 1)..].Trim().ToString();
            }
            return (parts[0], parts[1], headers);
        }

        /// <summary>Index just past the blank line that ends the head (LF LF or LF CR LF), or −1 when it is not buffered yet.</summary>
        private int HeadEnd()
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            for (var i = 0; i < span.Length; i++)
            {
                var nl = span[i..].IndexOf((byte)'\n');
                if (nl < 0) return -1;
                i += nl;
                if (i + 1 < span.Length && span[i + 1] == '\n') return _start + i + 2;
                if (i + 2 < span.Length && span[i + 1] == '\r' && span[i + 2] == '\n') return _start + i + 3;
            }
            return -1;
        }

        public async Task<byte[]> ReadBodyAsync(Dictionary<string, string> headers, CancellationToken ct)
        {
            if (headers.TryGetValue("Content-Length", out var cl) && int.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                return await ReadExactAsync(length, ct);
            if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                using var body = new MemoryStream();
                while (true)
                {
                    var sizeLine = await ReadLineAsync(ct) ?? throw new IOException("connection closed in chunked body");
                    var size = int.Parse(sizeLine.Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    if (size == 0)
                    {
                        while (await ReadLineAsync(ct) is { Length: > 0 }) { }
                        return body.ToArray();
                    }
                    body.Write(await ReadExactAsync(size, ct));
                    await ReadLineAsync(ct);
                }
            }
            return [];
        }

        private async Task<bool> FillAsync(CancellationToken ct)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) throw new IOException("request head too large");
            var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
            _end += n;
            return n > 0;
        }

        private async Task<string?> ReadLineAsync(CancellationToken ct)
        {
            while (true)
            {
                var idx = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (idx >= 0)
                {
                    var len = idx - _start;
                    if (len > 0 && _buffer[idx - 1] == '\r') len--;
                    var s = Encoding.ASCII.GetString(_buffer, _start, len);
                    _start = idx + 1;
                    return s;
                }
                if (!await FillAsync(ct)) return null;
            }
        }

        private async Task<byte[]> ReadExactAsync(int length, CancellationToken ct)
        {
            var result = new byte[length];
            var copied = 0;
            while (copied < length)
            {
                if (_start == _end && !await FillAsync(ct)) throw new IOException("connection closed in body");
                var n = Math.Min(length - copied, _end - _start);
                Buffer.BlockCopy(_buffer, _start, result, copied, n);
                _start += n;
                copied += n;
            }
            return result;
        }
    }
}
