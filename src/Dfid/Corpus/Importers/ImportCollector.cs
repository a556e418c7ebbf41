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

    public CorpusImport Result()
    {
        var result = new CorpusImport(_conversations.ToArray(), _problems.ToArray(), _notes.ToArray());
        return result;
    }
}
