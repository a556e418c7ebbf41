using Microsoft.Extensions.AI;

namespace Dfid.Instrument;

/// <summary>Settings of <see cref="LlmPerceiver"/> and <see cref="LlmActionLabeller"/>.</summary>
public sealed class LlmPerceiverOptions
{
    /// <summary>Domain words substituted into the prompt.</summary>
    /// <value>The default is <see cref="Core.Domain.Sales"/>.</value>
    public Domain Domain { get; set; } = Core.Domain.Sales;

    /// <summary>Definitions and examples of stages, emotions and blockers.</summary>
    /// <value>The default is <see cref="StageTaxonomy.Default"/>.</value>
    public StageTaxonomy Taxonomy { get; set; } = StageTaxonomy.Default;

    /// <summary>Show at most this many turns before the labelled one (causal context limit K); <c>null</c> shows all.</summary>
    public int? LastTurns { get; set; }

    /// <summary>The instrument name in run stores; <c>null</c> gives <c>llm:</c> + the client's model id.</summary>
    public string? Name { get; set; }

    /// <summary>Chat options for every call (e.g. a seed); the response format is set by the JSON layer.</summary>
    public ChatOptions? ChatOptions { get; set; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Domain);
        ArgumentNullException.ThrowIfNull(Taxonomy);
        if (LastTurns is < 0) throw new DfidException($"LastTurns must be >= 0 (got {LastTurns}).", 2);
    }
}
