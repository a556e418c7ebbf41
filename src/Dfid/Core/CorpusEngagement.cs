namespace Dfid.Core;

// The corpus side of the selection check (protocol: engagement of the full corpus versus the sampled subset): recorded
// in the run manifest when a session runs, read by the analysis, so these records belong to neither.

/// <summary>Engagement statistics of a set of conversations, overall and per outcome stratum.</summary>
/// <param name="Conversations">Conversations.</param>
/// <param name="Converted">Conversations that converted.</param>
/// <param name="NotConverted">Conversations that did not.</param>
/// <param name="UnknownOutcome">Conversations without a known outcome.</param>
/// <param name="ConvertedShare">Converted / (converted + not converted); null when no outcome is known.</param>
/// <param name="All">Every conversation.</param>
/// <param name="Converters">The converted conversations.</param>
/// <param name="NonConverters">The conversations that did not convert.</param>
public sealed record EngagementStatistics(
    int Conversations,
    int Converted,
    int NotConverted,
    int UnknownOutcome,
    double? ConvertedShare,
    EngagementGroup All,
    EngagementGroup Converters,
    EngagementGroup NonConverters);

/// <summary>Engagement of one group of conversations.</summary>
/// <param name="Conversations">Conversations in the group.</param>
/// <param name="MeanTurns">Mean turns per conversation (null for an empty group).</param>
/// <param name="MedianTurns">Median turns per conversation.</param>
/// <param name="MeanUserTurns">Mean user turns per conversation.</param>
/// <param name="MedianUserTurns">Median user turns per conversation.</param>
/// <param name="HumanLabelledTurns">User turns with a human stage.</param>
/// <param name="HumanResistingShare">Share of those turns whose human stage is resisting (null without any).</param>
public sealed record EngagementGroup(
    int Conversations,
    double? MeanTurns,
    double? MedianTurns,
    double? MeanUserTurns,
    double? MedianUserTurns,
    int HumanLabelledTurns,
    double? HumanResistingShare);

/// <summary>The resisting share one offline instrument gives the real turns at the probe positions of every corpus conversation.</summary>
/// <param name="Instrument">Instrument name.</param>
/// <param name="Probes">Turns it labelled.</param>
/// <param name="ResistingShare">Share labelled resisting (null without any).</param>
/// <param name="ProbesNotConverted">Of those, turns of non-converters.</param>
/// <param name="ResistingShareNotConverted">Resisting share among them.</param>
/// <param name="ProbesConverted">Turns of converters.</param>
/// <param name="ResistingShareConverted">Resisting share among them.</param>
/// <param name="Failures">Turns it failed to label (left out).</param>
/// <param name="Key">The instrument's identity when labelled (name and a digest of its manifest options, e.g. the learned
/// model's training hash); a later session reuses the shares while it is unchanged.</param>
public sealed record CorpusResistingShare(
    string Instrument,
    int Probes,
    double? ResistingShare,
    int ProbesNotConverted,
    double? ResistingShareNotConverted,
    int ProbesConverted,
    double? ResistingShareConverted,
    int Failures,
    string Key);
