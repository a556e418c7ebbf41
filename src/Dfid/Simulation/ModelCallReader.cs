using Dfid.Models;
using Microsoft.Extensions.AI;

namespace Dfid.Simulation;

/// <summary>Reads usage from a chat response into a <see cref="ModelCall"/>.</summary>
internal static class ModelCallReader
{
    public static ModelCall From(ChatResponse response, string fallbackModel, double latencyMs)
    {
        var cacheHit = response.AdditionalProperties?.TryGetValue("dfid.cache_hit", out var hit) == true && hit is true;
        var attempts = response.AdditionalProperties?.TryGetValue("dfid.attempts", out var a) == true && a is int n ? n : 1;
        return new ModelCall(
            response.ModelId ?? fallbackModel,
            response.Usage?.InputTokenCount,
            response.Usage?.OutputTokenCount,
            latencyMs,
            cacheHit,
            attempts);
    }
}
