using Microsoft.Extensions.AI;

namespace Dfid.Models.Batch;

/// <summary>
/// One model call to run through a provider batch, given exactly as the online path is asked: the messages and chat
/// options a caller passes to <see cref="IChatClient.GetResponseAsync"/> (sample index in
/// <c>AdditionalProperties["dfid.sample"]</c> included), and for a strict-JSON answer the schema it passes to
/// <see cref="ChatClientJsonExtensions.GetJsonAsync"/>.
/// </summary>
/// <param name="CustomId">The caller's id of this call, unique within a batch: 1–64 letters, digits, <c>_</c> or <c>-</c> (Anthropic's rule, the stricter of the two).</param>
/// <param name="Messages">The conversation to answer.</param>
/// <param name="Options">Chat options as the online caller passes them; the spec's options fill unset ones, as online.</param>
/// <param name="Format">The answer schema of a strict-JSON call; null for a plain answer.</param>
internal sealed record BatchRequest(string CustomId, IReadOnlyList<ChatMessage> Messages, ChatOptions? Options = null, JsonAnswerFormat? Format = null);

/// <summary>
/// A <see cref="BatchRequest"/> in the provider's wire form: the request body the online client sends for the same call
/// (OpenAI chat-completions body, Anthropic messages params) and the response-cache key the online call uses.
/// </summary>
/// <param name="CustomId">The caller's id.</param>
/// <param name="CacheKey">The key under which the online path caches this call's answer (<see cref="ResponseCacheChatClient"/>), so a batch answer stored under it is a cache hit for an online re-run and vice versa.</param>
/// <param name="Body">The UTF-8 JSON request body the online client sends, on one line: whitespace between tokens removed, everything else byte for byte.</param>
/// <param name="JsonMode">For a strict-JSON call, how the JSON is asked for (schema response format or instructions); null for a plain call.</param>
internal sealed record PreparedBatchRequest(string CustomId, string CacheKey, ReadOnlyMemory<byte> Body, JsonMode? JsonMode);
