namespace Dfid.Annotation;

/// <summary>One user turn to label, fixed when a labelling session is created (every annotator gets the same list).</summary>
/// <param name="Number">1-based place in the session's order (the order every annotator works through).</param>
/// <param name="ConversationId">The conversation.</param>
/// <param name="TurnIndex">Index of the user turn in the conversation's turns.</param>
/// <param name="AgentTurnIndex">Index of the agent turn right before it (the turn the optional action task labels).</param>
/// <param name="Outcome">The outcome stratum: <c>converted</c>, <c>not-converted</c> or <c>unknown</c> (never shown to annotators).</param>
/// <param name="Third">Relative position stratum 1–3: the turn's ordinal k among the conversation's n eligible user turns, <c>ceil(3k/n)</c>.</param>
internal sealed record LabellingTask(int Number, string ConversationId, int TurnIndex, int AgentTurnIndex, string Outcome, int Third);

/// <summary>One stratum of a labelling sample: outcome × relative position.</summary>
/// <param name="Outcome"><c>not-converted</c>, <c>converted</c> or <c>unknown</c>.</param>
/// <param name="Third">Relative position stratum 1–3.</param>
/// <param name="Eligible">Eligible user turns in the stratum (the population).</param>
/// <param name="Drawn">Turns drawn from it.</param>
internal sealed record TurnStratum(string Outcome, int Third, int Eligible, int Drawn);

/// <summary>
/// The fixed task list of a labelling session and how it was drawn: stored once in the annotation store, so a
/// restart (or a second annotator) works through exactly the same turns in the same order.
/// </summary>
/// <param name="Selection"><c>sample</c> (a stratified random sample of user turns) or <c>probes</c> (the real turns of a run's probes).</param>
/// <param name="SampleSize">The requested sample size (<c>--sample N</c>); <c>null</c> for probes.</param>
/// <param name="Seed">The seed of the draw and of the order.</param>
/// <param name="Source">The corpus file or run folder as given when the session was created.</param>
/// <param name="SourceSha256">SHA-256 of the corpus file, or of the run's probe list (conversation and turn of each probe).</param>
/// <param name="Actions">Whether annotators also label the agent action of the agent turn right before each user turn.</param>
/// <param name="Tasks">The turns to label, in order.</param>
/// <param name="Strata">Population and drawn count of every stratum (so weights can be computed if the allocation is not exactly proportional).</param>
internal sealed record LabellingPlan(
    string Selection,
    int? SampleSize,
    int Seed,
    string Source,
    string SourceSha256,
    bool Actions,
    IReadOnlyList<LabellingTask> Tasks,
    IReadOnlyList<TurnStratum> Strata)
{
    /// <summary>Selection kind of a stratified random sample.</summary>
    public const string SampleSelection = "sample";

    /// <summary>Selection kind of a run's probes.</summary>
    public const string ProbesSelection = "probes";

    /// <summary>What makes two plans the same session: selection, size, seed, source content and the action task.</summary>
    public string Identity => $"{Selection}|{SampleSize}|{Seed}|{SourceSha256}|{(Actions ? "actions" : "stages")}";
}
