namespace Dfid.Instrument;

/// <summary>
/// One person's label of one real user turn: a line of a <c>dfid.labels/1</c> file. A turn may carry labels of several
/// annotators (one each); the key of the turn is (<see cref="ConversationId"/>, <see cref="TurnIndex"/>).
/// </summary>
/// <param name="ConversationId">The conversation's id in the corpus.</param>
/// <param name="TurnIndex">Index of the labelled user turn in the conversation's turns (0-based).</param>
/// <param name="Annotator">Who labelled it.</param>
/// <param name="Stage">The decision stage the annotator chose.</param>
/// <param name="Action">The agent action of the agent turn right before, when the action task was on; otherwise <c>null</c>.</param>
/// <param name="AgentTurnIndex">Index of the agent turn <paramref name="Action"/> labels; <c>null</c> without an action.</param>
/// <param name="Time">When the label was given (UTC).</param>
public sealed record HumanLabel(
    string ConversationId,
    int TurnIndex,
    string Annotator,
    Stage Stage,
    AgentAction? Action,
    int? AgentTurnIndex,
    DateTimeOffset Time)
{
    /// <summary>The turn this label is about.</summary>
    public (string ConversationId, int TurnIndex) Turn => (ConversationId, TurnIndex);
}

/// <summary>One problem of a labels file, printed as <c>FILE:LINE: reason</c>.</summary>
/// <param name="File">The file as the user named it.</param>
/// <param name="Line">1-based line (0 for the whole file).</param>
/// <param name="Reason">What is wrong and, where possible, the fix.</param>
public sealed record LabelsProblem(string File, int Line, string Reason)
{
    /// <summary>The problem as <c>FILE:LINE: reason</c>.</summary>
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Reason}" : $"{File}: {Reason}";
}

/// <summary>One non-blank line of a labels file: its label, or everything wrong with it.</summary>
/// <param name="Line">1-based line number.</param>
/// <param name="Label">The label, or <c>null</c> when the line has problems.</param>
/// <param name="Problems">The line's problems (empty when <paramref name="Label"/> is set).</param>
public sealed record LabelsLine(int Line, HumanLabel? Label, IReadOnlyList<LabelsProblem> Problems);
