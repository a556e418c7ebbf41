namespace Dfid.Core;

/// <summary>The decision stage of a user turn, ordered from walking away to committing.</summary>
public enum Stage
{
    /// <summary>Pushing back, declining, disengaging ("busy", "no need").</summary>
    Resisting = 0,
    /// <summary>Asking neutral questions, gathering information.</summary>
    Exploring = 1,
    /// <summary>Interested and taking part, no commitment yet.</summary>
    Engaging = 2,
    /// <summary>Weighing the offer concretely (price, procedure, fit).</summary>
    Considering = 3,
    /// <summary>Committing or about to commit.</summary>
    Deciding = 4,
}

/// <summary>The user's emotional tone in a turn.</summary>
public enum Emotion
{
    /// <summary>Warm, pleased.</summary>
    Positive,
    /// <summary>Flat, matter of fact.</summary>
    Neutral,
    /// <summary>Unsure, cautious.</summary>
    Hesitant,
    /// <summary>Annoyed, cold, hostile.</summary>
    Negative,
}

/// <summary>What stands between the user and the decision.</summary>
public enum Blocker
{
    /// <summary>Nothing named.</summary>
    None,
    /// <summary>Cost, budget.</summary>
    Price,
    /// <summary>Doubt about the seller, organisation or claims.</summary>
    Trust,
    /// <summary>Doubt that the offer does what is needed.</summary>
    Capability,
    /// <summary>Not now, busy.</summary>
    Timing,
    /// <summary>Someone or something else decides (spouse, boss, rules).</summary>
    External,
    /// <summary>A bad earlier experience.</summary>
    PriorFailure,
}

/// <summary>The decision state Φ assigns to one user turn in its context.</summary>
/// <param name="Stage">Funnel stage (always present).</param>
/// <param name="Emotion">Tone, when the instrument gives one.</param>
/// <param name="Blocker">Main blocker, when the instrument gives one.</param>
/// <param name="ConvergenceDelta">How far the turn moved the user toward (+) or away from (−) commitment, in [-1, 1].</param>
/// <param name="KeySignal">A short span of the user's own words that justifies the label.</param>
/// <param name="KeySignalIsSpan"><c>false</c> when the key signal is not a span of the labelled turn (label kept, flagged).</param>
public sealed record DecisionState(
    Stage Stage,
    Emotion? Emotion = null,
    Blocker? Blocker = null,
    double? ConvergenceDelta = null,
    string? KeySignal = null,
    bool KeySignalIsSpan = true);
