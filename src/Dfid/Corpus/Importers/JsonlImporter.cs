namespace Dfid.Corpus.Importers;

/// <summary>Imports a file already in the corpus format (<c>--format jsonl</c>): validates and normalises it.</summary>
/// <remarks>Normalising: a missing <c>profile</c>/<c>meta</c> becomes <c>{}</c>, a missing <c>source</c> becomes the file name,
/// a missing <c>outcome.verified</c> becomes <c>false</c>, unknown top-level fields move into <c>meta</c>, numeric ids become
/// strings, and turns after <c>outcome.decided_at_turn</c> are cut (counted in <c>meta.dropped_turns</c>).</remarks>
public sealed class JsonlImporter : ICorpusImporter
{
    /// <inheritdoc/>
    public string Format => "jsonl";

    /// <inheritdoc/>
    public string Description => "a dfid.corpus/1 JSON Lines file (validated and normalised)";

    /// <inheritdoc/>
    public CorpusImport Import(CorpusImportRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var collector = new ImportCollector();
        var mode = new CorpusJson.ParseMode(true, Path.GetFileNameWithoutExtension(request.InputPath));
        foreach (var line in CorpusFile.Iterate(CorpusFile.Open(request.InputPath), request.InputPath, mode))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (line.Conversation is { } c) collector.Add(c, request.InputPath, line.Line);
            else foreach (var p in line.Problems) collector.Problem(p.File, p.Line, p.Reason);
        }
        return collector.Result();
    }
}
