using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace Dfid.Simulation;

/// <summary>One plain-text model call of a prompted role (a simulated user, an LLM agent): the sample index in the options, the
/// model call record.</summary>
internal static class PromptedCall
{
    public static async Task<(ChatResponse Response, ModelCall Call)> AskAsync(IChatClient client, IReadOnlyList<ChatMessage> messages,
        ChatOptions baseOptions, int sampleIndex, string modelName, CancellationToken cancellationToken)
    {
        var options = baseOptions.Clone();
        // The sample index keeps repeated samples distinct in the response cache but reproducible.
        options.AdditionalProperties ??= [];
        options.AdditionalProperties["dfid.sample"] = sampleIndex;
        var sw = Stopwatch.StartNew();
        var response = await client.GetResponseAsync(messages, options, cancellationToken);
        // A client not built by ModelHost attaches no record: keep what the response itself reports.
        var call = ModelCall.FromResponse(response)
            ?? new ModelCall(response.ModelId ?? modelName, response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount, sw.Elapsed.TotalMilliseconds, CacheHit: false, Attempts: 1);
        return (response, call);
    }
}
