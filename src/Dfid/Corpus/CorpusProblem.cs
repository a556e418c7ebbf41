namespace Dfid.Corpus;

/// <summary>One problem found in a corpus or source file, printed as <c>FILE:LINE: reason</c>.</summary>
/// <param name="File">The file as the user named it.</param>
/// <param name="Line">1-based line number (0 when the problem concerns the whole file).</param>
/// <param name="Reason">What is wrong and, where possible, how to fix it.</param>
public sealed record CorpusProblem(string File, int Line, string Reason)
{
    /// <summary>The problem as <c>FILE:LINE: reason</c>.</summary>
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Reason}" : $"{File}: {Reason}";
}

/// <summary>One non-blank line of a <c>dfid.corpus/1</c> file as read by <see cref="CorpusFile.ReadLines(string)"/>.</summary>
/// <param name="Line">1-based line number.</param>
/// <param name="Conversation">The conversation, or <c>null</c> when the line has problems.</param>
/// <param name="Problems">Everything wrong with this line (empty when <paramref name="Conversation"/> is set).</param>
public sealed record CorpusLine(int Line, Conversation? Conversation, IReadOnlyList<CorpusProblem> Problems)
{
    /// <summary>Whether the line holds a valid conversation.</summary>
    public bool IsValid => Conversation is not null;
}
