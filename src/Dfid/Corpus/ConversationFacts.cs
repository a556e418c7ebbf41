namespace Dfid.Corpus;

/// <summary>What <c>dfid corpus stats</c> and the duplicate-id check need to know about one valid conversation.</summary>
/// <remarks>Read by <see cref="CorpusFile.ReadFacts(string)"/> straight from a line's bytes, without building the
/// <see cref="Conversation"/>; <see cref="Of"/> derives the same facts from a record.</remarks>
/// <param name="Id">The conversation's id.</param>
/// <param name="Converted"><c>outcome.converted</c>.</param>
/// <param name="Verified"><c>outcome.verified</c>.</param>
/// <param name="Annotated">Whether the conversation is human-annotated (<see cref="CorpusMeta.IsAnnotated"/>).</param>
/// <param name="DroppedTurns">Turns cut after the decision event (<see cref="CorpusMeta.DroppedTurns"/>).</param>
/// <param name="Turns">Number of turns.</param>
/// <param name="UserTurns">Number of user turns.</param>
internal readonly record struct ConversationFacts(
    string Id,
    bool? Converted,
    bool Verified,
    bool Annotated,
    int DroppedTurns,
    int Turns,
    int UserTurns)
{
    /// <summary>The facts of a conversation record.</summary>
    public static ConversationFacts Of(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var users = 0;
        foreach (var t in conversation.Turns)
            if (t.Role == Role.User) users++;
        return new ConversationFacts(conversation.Id, conversation.Outcome.Converted, conversation.Outcome.Verified,
            CorpusMeta.IsAnnotated(conversation), CorpusMeta.DroppedTurns(conversation), conversation.Turns.Length, users);
    }
}

/// <summary>One non-blank line of a <c>dfid.corpus/1</c> file as read by <see cref="CorpusFile.ReadFacts(string)"/>.</summary>
/// <param name="Line">1-based line number.</param>
/// <param name="Facts">The conversation's facts, or <c>null</c> when the line has problems.</param>
/// <param name="Problems">Everything wrong with this line (empty when <paramref name="Facts"/> is set); the same
/// problems <see cref="CorpusFile.ReadLines(string)"/> reports for the line.</param>
internal readonly record struct CorpusLineFacts(int Line, ConversationFacts? Facts, IReadOnlyList<CorpusProblem> Problems)
{
    /// <summary>Whether the line holds a valid conversation.</summary>
    public bool IsValid => Facts is not null;
}
