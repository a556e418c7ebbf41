using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dfid.Corpus;
using Dfid.Instrument.Learned;

namespace Dfid.Instrument;

/// <summary>One entry of a learned instrument's <c>train:</c> list: human-labelled turns from a corpus or a labels file.</summary>
/// <param name="Path">A <c>dfid.corpus/1</c> file whose acts the act mapping maps to stages (e.g. PersuasionForGood with its
/// 300 annotated dialogues), or a <c>dfid.labels/1</c> file (told apart by its first line).</param>
/// <param name="Corpus">The corpus a labels file is about; null: the run's corpus. Ignored for a corpus.</param>
public sealed record TrainingSource(string Path, string? Corpus = null)
{
    /// <summary>The keys a <c>train:</c> entry may have when it is a mapping: <c>labels</c> and <c>corpus</c> (a scalar entry is a
    /// path, stored under <c>path</c>).</summary>
    public static IReadOnlyList<string> EntryKeys { get; } = ["labels", "corpus"];

    /// <summary>The sources of a <c>train</c> option as the experiment parser stores it (items with <c>path</c>, or
    /// <c>labels</c> and <c>corpus</c>, or <c>corpus</c> alone).</summary>
    public static IReadOnlyList<TrainingSource> FromOption(IReadOnlyList<IReadOnlyDictionary<string, string>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return [.. items.Select(i =>
            i.TryGetValue("path", out var p) ? new TrainingSource(p)
            : i.TryGetValue("labels", out var l) ? new TrainingSource(l, i.GetValueOrDefault("corpus"))
            : i.TryGetValue("corpus", out var c) ? new TrainingSource(c)
            : throw new DfidException("a train: entry needs a path, or labels: FILE with an optional corpus: FILE", 2))];
    }

    /// <summary>Whether <paramref name="path"/> is a labels file: its first non-blank line is a JSON object with
    /// <c>"format": "dfid.labels/1"</c>.</summary>
    /// <exception cref="DfidException">The file does not exist.</exception>
    public static bool IsLabelsFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DfidException($"{path}: training file not found; train: lists corpora (dfid corpus import) and labels files (dfid labels export).", 2);
        var first = File.ReadLines(path, Encoding.UTF8).FirstOrDefault(l => !string.IsNullOrWhiteSpace(l));
        if (first is null) return false;
        try
        {
            using var doc = JsonDocument.Parse(first);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == LabelsFile.Format;
        }
        catch (JsonException)
        {
            return false; // not JSON at all: the corpus reader says what is wrong
        }
    }
}

/// <summary>What one training source contributed.</summary>
/// <param name="Kind"><c>corpus</c> (acts mapped to stages) or <c>labels</c> (a labels file).</param>
/// <param name="Path">The corpus or labels file.</param>
/// <param name="Sha256">SHA-256 of that file.</param>
/// <param name="Corpus">A labels file's corpus (null: the run's corpus); null for a corpus source.</param>
/// <param name="Conversations">Conversations with at least one labelled turn.</param>
/// <param name="Turns">Labelled user turns.</param>
/// <param name="Datasets">The datasets of those conversations (<c>source.dataset</c>).</param>
public sealed record TrainingSourceSummary(string Kind, string Path, string Sha256, string? Corpus, int Conversations, int Turns, IReadOnlyList<string> Datasets)
{
    /// <summary>One line for messages and the manifest.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Kind} {Path}{(Kind == "labels" ? " on " + (Corpus ?? "the run's corpus") : "")} " +
            $"({Conversations} conversations, {Turns} labelled user turns; dataset {string.Join(", ", Datasets)}; sha256 {Sha256[..Math.Min(12, Sha256.Length)]})");
}

/// <summary>
/// The human-labelled user turns a learned instrument trains on, read from its <see cref="TrainingSource"/>s: corpora whose
/// acts the act mapping maps to stages, and labels files on their corpus. A turn labelled by two sources is an error (the
/// message names both).
/// </summary>
public sealed class TrainingSet
{
    private readonly Dictionary<(string Key, int Turn), Stage> _stages;

    private TrainingSet(IReadOnlyList<Conversation> conversations, Dictionary<(string, int), Stage> stages, IReadOnlyList<TrainingSourceSummary> sources)
    {
        Conversations = conversations;
        _stages = stages;
        Sources = sources;
    }

    /// <summary>The conversations with labelled turns, each once, in source order.</summary>
    public IReadOnlyList<Conversation> Conversations { get; }

    /// <summary>What each source contributed, in the order given.</summary>
    public IReadOnlyList<TrainingSourceSummary> Sources { get; }

    /// <summary>Labelled user turns over all sources.</summary>
    public int Turns => _stages.Count;

    /// <summary>The datasets of the training conversations.</summary>
    public IReadOnlyList<string> Datasets => [.. Sources.SelectMany(s => s.Datasets).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>What identifies the sources (kind and file SHA-256 of each, in order); part of the training hash.</summary>
    public string Identity => string.Join(";", Sources.Select(s => s.Kind + ":" + s.Sha256 + (s.Kind == "labels" ? "@" + (s.Corpus is null ? "run-corpus" : FileSha256(s.Corpus)) : "")));

    /// <summary>The human stage of a training turn, or null.</summary>
    public Stage? StageOf(Conversation conversation, int turnIndex)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return _stages.TryGetValue((LearnedModel.Key(conversation), turnIndex), out var s) ? s : null;
    }

    /// <summary>Reads every source.</summary>
    /// <param name="sources">The sources, in order.</param>
    /// <param name="mapping">Maps a corpus source's acts to stages.</param>
    /// <param name="runCorpus">The run's conversations: the corpus of a labels file given without one; null when there is none.</param>
    /// <exception cref="DfidException">A file is missing or invalid, a source has no labelled turn, a labels file does not fit its
    /// corpus, or two sources label the same turn.</exception>
    public static TrainingSet Read(IReadOnlyList<TrainingSource> sources, ActMapping mapping, IReadOnlyList<Conversation>? runCorpus)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(mapping);
        if (sources.Count == 0) throw new DfidException("train: lists no source; give corpora with mapped acts or labels files.", 2);
        var conversations = new List<Conversation>();
        var byKey = new Dictionary<string, (Conversation C, string Source)>(StringComparer.Ordinal);
        var stages = new Dictionary<(string, int), Stage>();
        var labelledBy = new Dictionary<(string, int), string>();
        var summaries = new List<TrainingSourceSummary>();
        var corpora = new Dictionary<string, IReadOnlyList<Conversation>>(StringComparer.Ordinal);
        IReadOnlyList<Conversation> ReadCorpus(string path) =>
            corpora.TryGetValue(path, out var c) ? c : corpora[path] = CorpusFile.ReadAll(path);

        foreach (var source in sources)
        {
            var labelsFile = TrainingSource.IsLabelsFile(source.Path);
            IReadOnlyList<Conversation> corpus;
            List<(Conversation C, int Turn, Stage Stage)> turns;
            if (labelsFile)
            {
                corpus = source.Corpus is { } cp ? ReadCorpus(cp)
                    : runCorpus ?? throw new DfidException($"{source.Path}: a labels file in train: needs its corpus (labels: FILE, corpus: CORPUS).", 2);
                var byId = new Dictionary<string, Conversation>(StringComparer.Ordinal);
                foreach (var c in corpus) byId.TryAdd(c.Id, c);
                var labels = LabelsFileHumanLabels.Read(source.Path, null, byId);
                turns = [.. labels.Turns.Select(t => (byId[t.ConversationId], t.TurnIndex, t.Stage))];
            }
            else
            {
                corpus = ReadCorpus(source.Path);
                turns = [];
                foreach (var c in corpus)
                    for (var i = 0; i < c.Turns.Length; i++)
                        if (c.Turns[i].Role == Role.User && mapping.StageOfTurn(c, i) is { } s) turns.Add((c, i, s));
                if (turns.Count == 0)
                    throw new DfidException($"{source.Path}: no user turn carries a '{mapping.StageLabelSet}' act that {mapping.Source} maps to a stage, " +
                        "so it gives nothing to train on. A corpus in train: needs mapped acts (e.g. PersuasionForGood imported with its 300 annotated " +
                        "dialogues); for your own corpus, label turns with `dfid annotate` and list the labels file (labels: FILE, corpus: CORPUS).", 1);
            }
            foreach (var (c, turn, stage) in turns)
            {
                var key = LearnedModel.Key(c);
                if (byKey.TryGetValue(key, out var known))
                {
                    if (!ReferenceEquals(known.C, c) && !SameTurns(known.C, c))
                        throw new DfidException($"conversation '{key}' is in {known.Source} and in {source.Path} with different turns; train on one copy of it.", 1);
                }
                else
                {
                    byKey[key] = (c, source.Path);
                    conversations.Add(c);
                }
                if (labelledBy.TryGetValue((key, turn), out var other))
                    throw new DfidException($"conversation '{key}' turn {turn} is labelled by {other} and by {source.Path}; list each labelled turn in one training source only.", 1);
                labelledBy[(key, turn)] = source.Path;
                stages[(key, turn)] = stage;
            }
            summaries.Add(new TrainingSourceSummary(labelsFile ? "labels" : "corpus", source.Path, FileSha256(source.Path), labelsFile ? source.Corpus : null,
                turns.Select(t => t.C).Distinct().Count(), turns.Count,
                [.. turns.Select(t => t.C.Source.Dataset).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]));
        }
        return new TrainingSet(conversations, stages, summaries);
    }

    private static bool SameTurns(Conversation a, Conversation b) =>
        a.Turns.Length == b.Turns.Length && a.Turns.Zip(b.Turns).All(p => p.First.Role == p.Second.Role && p.First.Text == p.Second.Text);

    private static string FileSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The sources as one line each, for messages and the manifest.</summary>
    public override string ToString() => string.Join("; ", Sources);
}
