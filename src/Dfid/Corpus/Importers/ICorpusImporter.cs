namespace Dfid.Corpus.Importers;

/// <summary>Turns one source format into <c>dfid.corpus/1</c> conversations.</summary>
/// <remarks>Importers cut converted conversations at the first decision event the source marks and record the number of
/// dropped turns in <c>meta.dropped_turns</c>, so the outcome cannot leak into what a simulator or instrument sees.</remarks>
public interface ICorpusImporter
{
    /// <summary>The name given to <c>--format</c>.</summary>
    string Format { get; }

    /// <summary>One line for <c>--help</c>: what <c>--in</c> must point at.</summary>
    string Description { get; }

    /// <summary>Imports the source; problems are returned, not thrown, so the caller can keep the valid conversations.</summary>
    /// <param name="request">Input paths.</param>
    /// <param name="cancellationToken">Cancels the import.</param>
    /// <exception cref="DfidException">The input cannot be read at all (missing file or column).</exception>
    CorpusImport Import(CorpusImportRequest request, CancellationToken cancellationToken = default);
}

/// <summary>What to import.</summary>
/// <param name="InputPath">The source file or folder (<c>--in</c>).</param>
/// <param name="OutcomesPath">A second file with outcomes (<c>--outcomes</c>, the <c>csv</c> format only).</param>
public sealed record CorpusImportRequest(string InputPath, string? OutcomesPath = null);

/// <summary>The result of an import.</summary>
/// <param name="Conversations">The valid conversations, in source order.</param>
/// <param name="Problems">Source records or conversations that could not be imported, as <c>FILE:LINE: reason</c>.</param>
/// <param name="Notes">Facts about the source the user should know (flags raised, fields missing), one sentence each.</param>
public sealed record CorpusImport(
    IReadOnlyList<Conversation> Conversations,
    IReadOnlyList<CorpusProblem> Problems,
    IReadOnlyList<string> Notes)
{
    /// <summary>Conversations cut at a decision event with at least one turn dropped.</summary>
    public int TruncatedConversations => Conversations.Count(c => CorpusMeta.DroppedTurns(c) > 0);

    /// <summary>Turns dropped after decision events, summed over conversations.</summary>
    public int DroppedTurns => Conversations.Sum(CorpusMeta.DroppedTurns);
}
