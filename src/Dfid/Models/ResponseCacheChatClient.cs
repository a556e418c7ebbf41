using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Dfid.Models;

/// <summary>
/// Serves repeated requests from the <see cref="ResponseCache"/>. The key hashes <see cref="CacheVersion"/>, the spec
/// id (provider, model, endpoint), the resolved endpoint (so <c>OPENAI_BASE_URL</c> pointing elsewhere misses) or model
/// file, the messages and every chat option, including the response format (schema) and the
/// sample index in <c>ChatOptions.AdditionalProperties["dfid.sample"]</c>. Streaming requests pass through uncached.
/// </summary>
internal sealed class ResponseCacheChatClient(IChatClient inner, ResponseCache cache, ModelSpec spec, string endpoint, UsageMeter meter) : DelegatingChatClient(inner)
{
    /// <summary>Bump when the key or the stored shape changes, so old entries stop matching.</summary>
    public const string CacheVersion = "dfid-cache-v1";
    public const string HitKey = "dfid.cache_hit";

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var key = Key(spec, endpoint, list, options);
        if (cache.TryGet(key) is { } json && JsonSerializer.Deserialize<ChatResponse>(json, AIJsonUtilities.DefaultOptions) is { } cached)
        {
            (cached.AdditionalProperties ??= [])[HitKey] = true;
            return cached;
        }
        meter.RecordMiss();
        var response = await base.GetResponseAsync(list, options, cancellationToken);
        cache.Put(key, spec.Id, JsonSerializer.Serialize(Storable(response), AIJsonUtilities.DefaultOptions));
        return response;
    }

    internal static string Key(ModelSpec spec, string endpoint, IReadOnlyList<ChatMessage> messages, ChatOptions? options) =>
        AIJsonUtilities.HashDataToString([CacheVersion, spec.Id, endpoint, messages, options], AIJsonUtilities.DefaultOptions);

    /// <summary>Our bookkeeping properties (sample index) must not reach the provider's request body.</summary>
    internal static ChatOptions? WithoutDfidProperties(ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { Count: > 0 } props || !props.Keys.Any(k => k.StartsWith("dfid.", StringComparison.Ordinal)))
            return options;
        var clone = options.Clone();
        clone.AdditionalProperties = [];
        foreach (var (k, v) in props)
            if (!k.StartsWith("dfid.", StringComparison.Ordinal)) clone.AdditionalProperties[k] = v;
        if (clone.AdditionalProperties.Count == 0) clone.AdditionalProperties = null;
        return clone;
    }

    /// <summary>A response as the cache stores it: without dfid bookkeeping properties.</summary>
    internal static ChatResponse Storable(ChatResponse r)
    {
        AdditionalPropertiesDictionary? props = null;
        if (r.AdditionalProperties is { Count: > 0 })
            foreach (var (k, v) in r.AdditionalProperties)
                if (!k.StartsWith("dfid.", StringComparison.Ordinal)) (props ??= [])[k] = v;
        return new ChatResponse(r.Messages)
        {
            ResponseId = r.ResponseId,
            ModelId = r.ModelId,
            CreatedAt = r.CreatedAt,
            FinishReason = r.FinishReason,
            Usage = r.Usage,
            AdditionalProperties = props,
        };
    }
}
