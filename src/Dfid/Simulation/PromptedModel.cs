using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace Dfid.Simulation;

/// <summary>The model of a prompted role (a simulated user, an LLM agent): the client, its spec for the record, its sampling
/// options, and the one way a plain-text turn is asked for (sample index in the options, the model-call record).</summary>
internal sealed class PromptedModel
{
    private readonly IChatClient _client;
    private readonly ChatOptions _options;
    private readonly string _modelName;

    public PromptedModel(IChatClient client, string modelName, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(modelName);
        _client = client;
        _modelName = modelName;
        _options = options ?? new ChatOptions();
    }

    public async Task<(ChatResponse Response, ModelCall Call)> AskAsync(IReadOnlyList<ChatMessage> messages, int sampleIndex, CancellationToken cancellationToken)
    {
        var options = _options.Clone();
        // The sample index keeps repeated samples distinct in the response cache but reproducible.
        options.AdditionalProperties ??= [];
        options.AdditionalProperties["dfid.sample"] = sampleIndex;
        var sw = Stopwatch.StartNew();
        var response = await _client.GetResponseAsync(messages, options, cancellationToken);
        // A client not built by ModelHost attaches no record: keep what the response itself reports.
        var call = ModelCall.FromResponse(response)
            ?? new ModelCall(response.ModelId ?? _modelName, response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount, sw.Elapsed.TotalMilliseconds, CacheHit: false, Attempts: 1);
        return (response, call);
    }
}
