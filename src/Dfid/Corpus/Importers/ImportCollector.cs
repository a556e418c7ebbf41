using System.Text.Json;

namespace Dfid.Corpus.Importers;

/// <summary>Gathers an importer's conversations: cuts at decisions, applies <see cref="CorpusRules"/>, rejects duplicate ids,
/// and keeps every rejection as a problem.</summary>
internal sealed class ImportCollector
{
    private readonly List<Conversation> _conversations = [];
    private readonly List<CorpusProblem> _problems = [];
    private readonly List<string> _notes = [];
    private readonly Dictionary<string, (string File, int Line)> _seen = new(StringComparer.Ordinal);

    public void Problem(string file, int line, string reason) => _problems.Add(new CorpusProblem(file, line, reason));

    public void Note(string note) => _notes.Add(note);

    /// <summary>Adds a conversation read from <paramref name="file"/> at <paramref name="line"/>.</summary>
    /// <returns>Whether it was kept.</returns>
    public bool Add(Conversation conversation, string file, int line)
    {
        var cut = CorpusMeta.CutAtDecision(conversation);
        var reasons = CorpusRules.Check(cut);
        foreach (var r in reasons) Problem(file, line, $"conversation \"{conversation.Id}\": {r}");
        if (reasons.Count > 0) return false;
        if (!_seen.TryAdd(cut.Id, (file, line)))
        {
            var first = _seen[cut.Id];
            Problem(file, line, $"duplicate id \"{cut.Id}\" (first used at {first.File}:{first.Line}); ids must be unique");
            return false;
        }
        _conversations.Add(cut);
        return true;
    }

    /// <summary>
    /// Reads <paramref name="path"/> as JSON Lines: blank lines are skipped, invalid UTF-8 and bad JSON become problems
    /// at their line, and every parsed line goes to <paramref name="convert"/>, which returns the conversation (or null)
    /// and adds its own problems for that line. Kept conversations go through <see cref="Add"/>.
    /// </summary>
    public void ReadJsonLines(string path, Func<JsonElement, List<string>, Conversation?> convert, CancellationToken cancellationToken)
    {
        using var stream = CorpusFile.Open(path);
        using var reader = new JsonlLineReader(stream);
        var problems = new List<string>();
        while (reader.TryReadLine(out var line))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (CorpusFile.IsBlank(line.Span)) continue;
            if (!System.Text.Unicode.Utf8.IsValid(line.Span))
            {
                Problem(path, reader.LineNumber, $"invalid UTF-8 at byte {CorpusJson.FirstInvalidUtf8(line.Span) + 1} of the line (save the file as UTF-8)");
                continue;
            }
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException ex)
            {
                Problem(path, reader.LineNumber, "bad JSON: " + ex.Message);
                continue;
            }
            using (doc)
            {
                problems.Clear();
                var conversation = convert(doc.RootElement, problems);
                foreach (var p in problems) Problem(path, reader.LineNumber, p);
                if (conversation is not null && problems.Count == 0) Add(conversation, path, reader.LineNumber);
            }
        }
    }

    public CorpusImport Result()
    {
        var result = new CorpusImport(_conversations.ToArray(), _problems.ToArray(), _notes.ToArray());
        return result;
    }
}
