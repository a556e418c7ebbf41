using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.AI;

namespace Dfid.Models.Batch;

/// <summary>
/// The online call of a spec, run in process instead of over the network: it yields the exact request body the online
/// client would send (and the response-cache key of the call), and reads a provider answer body into the
/// <see cref="ChatResponse"/> the online client would return for it.
/// </summary>
/// <remarks>
/// Nothing about the request is rebuilt here: the caller's messages and options go through the same code as online
/// (the strict-JSON entry point <see cref="ChatClientJsonExtensions.GetJsonAnswerAsync"/> choosing schema or prompt mode,
/// the spec's options filled in as <see cref="ModelHost"/> does, the <c>dfid.*</c> bookkeeping stripped, the provider SDK's
/// <see cref="IChatClient"/> adapter serialising the body), and the SDK's HTTP transport is replaced by a handler that
/// records the body and answers locally. Only the order of ModelHost's request-shaping layers is restated (in the
/// constructor); the tests that compare bodies and cache keys with a real online call hold it to ModelHost's. Thread-safe: each call carries its own exchange (an <see cref="AsyncLocal{T}"/>).
/// </remarks>
internal sealed class OnlineCallMirror : IDisposable
{
    // A placeholder answer lets the online code finish its call; only its first request is the one a batch sends (a JSON
    // call may ask again for a repair: answered at once, never recorded). "{}" rather than "" so that checking it costs no
    // exception.
    private static readonly byte[] OpenAiPlaceholder = """
        {"id":"dfid-mirror","object":"chat.completion","created":0,"model":"dfid-mirror","choices":[{"index":0,"message":{"role":"assistant","content":"{}"},"finish_reason":"stop"}]}
        """u8.ToArray();

    private static readonly byte[] AnthropicPlaceholder = """
        {"id":"dfid-mirror","type":"message","role":"assistant","model":"dfid-mirror","content":[{"type":"text","text":"{}"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}
        """u8.ToArray();

    private readonly AsyncLocal<Exchange?> _current = new();
    private readonly IChatClient _provider;
    private readonly IChatClient _online;
    private readonly byte[] _placeholder;

    /// <summary>Mirrors the online client of <paramref name="spec"/> at <paramref name="endpoint"/> (null for the SDK default).</summary>
    public OnlineCallMirror(ModelSpec spec, Uri? endpoint)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        EndpointIdentity = ModelHost.EndpointIdentity(spec.Provider, endpoint);
        // The key never leaves the process here; the body does not depend on it.
        const string key = "dfid-mirror";
        var timeout = TimeSpan.FromMinutes(1);
        var http = new HttpClient(new Wire(this), disposeHandler: true);
        switch (spec.Provider)
        {
            case ModelProvider.OpenAI:
                var options = ModelHost.OpenAiOptions(endpoint, timeout);
                options.Transport = new HttpClientPipelineTransport(http);
                _provider = ModelHost.OpenAiChatClient(spec, key, options);
                _placeholder = OpenAiPlaceholder;
                break;
            case ModelProvider.Anthropic:
                _provider = ModelHost.AnthropicChatClient(spec, ModelHost.CreateAnthropicClient(key, endpoint, timeout, http));
                _placeholder = AnthropicPlaceholder;
                break;
            default:
                throw new ArgumentException($"model {spec.Id}: only openai: and anthropic: specs have a wire format to mirror.", nameof(spec));
        }
        // The layers of ModelHost that shape a request, in its order: the spec (outermost, answering GetService like its
        // usage layer), the spec's options, then where its cache layer sits, our capture of the first request; below it,
        // as below the retry layer online, the request without dfid bookkeeping goes to the provider adapter.
        _online = _provider.AsBuilder()
            .Use(inner => new SpecLayer(inner, spec))
            .ConfigureOptions(o => ModelHost.ApplySpec(spec, o))
            .Use(inner => new CaptureLayer(inner, this))
            .Build();
    }

    /// <summary>The spec mirrored.</summary>
    public ModelSpec Spec { get; }

    /// <summary>The endpoint identity in the cache key (<see cref="ModelHost.EndpointIdentity"/>).</summary>
    public string EndpointIdentity { get; }

    /// <summary>The wire form of <paramref name="request"/>.</summary>
    /// <exception cref="DfidException">The custom id is not valid.</exception>
    public async Task<PreparedBatchRequest> PrepareAsync(BatchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        BatchChunks.ValidateCustomId(request.CustomId);
        var exchange = new Exchange(_placeholder);
        _current.Value = exchange;
        try
        {
            if (request.Format is { } format)
                await _online.GetJsonAnswerAsync(request.Messages, format, request.Options, cancellationToken);
            else
                await _online.GetResponseAsync(request.Messages, request.Options, cancellationToken);
        }
        finally
        {
            _current.Value = null;
        }
        if (exchange.RequestBody is null)
            throw new InvalidOperationException("the online call finished without reaching the provider; the mirror's layers no longer match ModelHost's.");
        var mode = request.Format is null ? (JsonMode?)null : exchange.HadResponseFormat ? JsonMode.Schema : JsonMode.Prompt;
        return new PreparedBatchRequest(request.CustomId, exchange.CacheKey!, Compact(exchange.RequestBody!), mode);
    }

    /// <summary>
    /// <paramref name="json"/> without the whitespace between tokens, everything else byte for byte: a JSONL line must be
    /// one line, and the SDK writes a response format's schema indented.
    /// </summary>
    internal static byte[] Compact(ReadOnlySpan<byte> json)
    {
        var result = new byte[json.Length];
        var n = 0;
        bool inString = false, escaped = false;
        foreach (var b in json)
        {
            if (inString)
            {
                if (escaped) escaped = false;
                else if (b == (byte)'\\') escaped = true;
                else if (b == (byte)'"') inString = false;
            }
            else if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') continue;
            else if (b == (byte)'"') inString = true;
            result[n++] = b;
        }
        return result[..n];
    }

    /// <summary>The response the online provider client returns when the provider answers with <paramref name="answerBody"/> (a chat completion or an Anthropic message).</summary>
    /// <exception cref="Exception">The body is not an answer the SDK can read (its own exception).</exception>
    public async Task<ChatResponse> ReadAnswerAsync(ReadOnlyMemory<byte> answerBody, CancellationToken cancellationToken = default)
    {
        _current.Value = new Exchange(answerBody.ToArray());
        try
        {
            return await _provider.GetResponseAsync([new ChatMessage(ChatRole.User, "batch answer")], null, cancellationToken);
        }
        finally
        {
            _current.Value = null;
        }
    }

    /// <summary>Frees the SDK clients.</summary>
    public void Dispose() => _online.Dispose();

    private sealed class Exchange(byte[] reply)
    {
        public byte[] Reply { get; } = reply;
        public byte[]? RequestBody { get; set; }
        public string? CacheKey { get; set; }
        public bool HadResponseFormat { get; set; }
    }

    private sealed class SpecLayer(IChatClient inner, ModelSpec spec) : DelegatingChatClient(inner)
    {
        public override object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType == typeof(ModelSpec) ? spec : base.GetService(serviceType, serviceKey);
    }

    private sealed class CaptureLayer(IChatClient inner, OnlineCallMirror mirror) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var exchange = mirror._current.Value ?? throw new InvalidOperationException("no mirrored call in progress");
            if (exchange.RequestBody is not null) return new ChatResponse(new ChatMessage(ChatRole.Assistant, "{}"));
            var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
            exchange.CacheKey = ResponseCacheChatClient.Key(mirror.Spec, mirror.EndpointIdentity, list, options);
            exchange.HadResponseFormat = options?.ResponseFormat is ChatResponseFormatJson;
            return await base.GetResponseAsync(list, ResponseCacheChatClient.WithoutDfidProperties(options), cancellationToken);
        }
    }

    /// <summary>The SDKs' HTTP transport: records the request body and answers with the exchange's reply.</summary>
    private sealed class Wire(OnlineCallMirror mirror) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var exchange = mirror._current.Value ?? throw new InvalidOperationException("no mirrored call in progress");
            exchange.RequestBody = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            var content = new ByteArrayContent(exchange.Reply);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request };
        }
    }
}
