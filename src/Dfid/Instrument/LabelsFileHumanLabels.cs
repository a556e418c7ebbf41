using System.Security.Cryptography;
using Dfid.Corpus;

namespace Dfid.Instrument;

/// <summary>
/// Human labels from a <c>dfid.labels/1</c> file (<c>dfid annotate</c>, <c>dfid labels export</c>): one stage per labelled
/// user turn. They count exactly like the PersuasionForGood acts: the reference of <c>dfid instrument validate --labels</c>,
/// training data of a learned instrument (<c>train:</c>) and the labelled subset of the prediction-powered estimate.
/// </summary>
/// <remarks>
/// A turn labelled by several annotators takes their consensus (<see cref="ConsensusRule"/>): the stage most of them chose;
/// a tie goes to the tied stage of the annotator who comes first in the file (so with two annotators who disagree, the
/// first one's). Pass an annotator to use that annotator's labels alone. Turns are matched by conversation id and turn
/// index.
/// </remarks>
public sealed class LabelsFileHumanLabels : IHumanLabels
{
    /// <summary>How several annotators' labels of one turn become its stage.</summary>
    public const string ConsensusRule = "majority of the annotators; a tie goes to the annotator who comes first in the file";

    private readonly Dictionary<(string ConversationId, int TurnIndex), Stage> _stages;

    private LabelsFileHumanLabels(string source, string sha256, IReadOnlyList<HumanLabel> labels, string? annotator)
    {
        Source = source;
        Sha256 = sha256;
        Annotator = annotator;
        // Annotators in order of first appearance: the tie-break of the consensus.
        var annotators = labels.Select(l => l.Annotator).Distinct(StringComparer.Ordinal).ToList();
        if (annotator is not null && !annotators.Contains(annotator, StringComparer.Ordinal))
            throw new DfidException($"{source}: no label by annotator '{annotator}' (annotators: {string.Join(", ", annotators)}).", 2);
        Annotators = annotator is null ? annotators : [annotator];
        var used = annotator is null ? labels : [.. labels.Where(l => l.Annotator == annotator)];
        var rank = annotators.Select((a, i) => (a, i)).ToDictionary(x => x.a, x => x.i, StringComparer.Ordinal);
        _stages = [];
        var turns = new List<LabelledTurn>();
        foreach (var group in used.GroupBy(l => l.Turn))
        {
            var list = group.ToList();
            var stage = Consensus(list, rank);
            _stages[group.Key] = stage;
            turns.Add(new LabelledTurn(group.Key.ConversationId, group.Key.TurnIndex, stage));
            if (list.Count > 1) TurnsWithSeveralAnnotators++;
            if (list.Select(l => l.Stage).Distinct().Count() > 1) Disagreements++;
        }
        Labels = used.Count;
        Turns = turns;
    }

    /// <summary>The labels file.</summary>
    public string Source { get; }

    /// <summary>SHA-256 (hex) of the file's bytes.</summary>
    public string Sha256 { get; }

    /// <summary>The annotator whose labels are used alone, or null for the consensus of all.</summary>
    public string? Annotator { get; }

    /// <summary>The annotators whose labels are used, in order of first appearance in the file.</summary>
    public IReadOnlyList<string> Annotators { get; }

    /// <summary>Labels used (lines of the file, or of the one annotator).</summary>
    public int Labels { get; }

    /// <summary>The labelled turns with their stage (the consensus when several annotators labelled one), in file order.</summary>
    public IReadOnlyList<LabelledTurn> Turns { get; }

    /// <summary>Turns labelled by more than one annotator.</summary>
    public int TurnsWithSeveralAnnotators { get; }

    /// <summary>Turns whose annotators chose different stages.</summary>
    public int Disagreements { get; }

    /// <summary>How the stage of a turn was chosen, for messages and the manifest.</summary>
    public string Rule => Annotator is { } a ? $"annotator '{a}' only" : ConsensusRule;

    /// <summary>Reads a labels file; with <paramref name="corpus"/> every label must fit it (an existing user turn of an
    /// existing conversation).</summary>
    /// <param name="path">The labels file.</param>
    /// <param name="annotator">Use this annotator's labels alone; null for the consensus of all annotators.</param>
    /// <param name="corpus">Conversations by id to check the labels against, or null.</param>
    /// <exception cref="DfidException">The file is missing, has problems or does not fit the corpus (the message lists
    /// <c>FILE:LINE: reason</c>), or names no label by <paramref name="annotator"/>.</exception>
    public static LabelsFileHumanLabels Read(string path, string? annotator = null, IReadOnlyDictionary<string, Conversation>? corpus = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var labels = new List<HumanLabel>();
        var problems = new List<LabelsProblem>();
        foreach (var line in LabelsFile.ReadLines(path))
        {
            if (line.Label is not { } l) problems.AddRange(line.Problems);
            else if (corpus is not null && LabelsFile.CheckAgainst(l, corpus) is { } reason) problems.Add(new LabelsProblem(path, line.Line, reason));
            else labels.Add(l);
        }
        if (problems.Count > 0) throw new DfidException(LabelsFile.Describe(path, problems), 1);
        if (labels.Count == 0) throw new DfidException($"{path}: the labels file holds no label; label turns with `dfid annotate CORPUS --sample N` and export them.", 1);
        return new LabelsFileHumanLabels(path, FileSha256(path), labels, annotator);
    }

    /// <summary>Human labels from labels in memory (tests, other sources); <paramref name="source"/> names them.</summary>
    public static LabelsFileHumanLabels From(IEnumerable<HumanLabel> labels, string source, string? annotator = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(source);
        return new LabelsFileHumanLabels(source, "", [.. labels], annotator);
    }

    /// <inheritdoc/>
    public Stage? StageOf(Conversation conversation, int turnIndex)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return StageOf(conversation.Id, turnIndex);
    }

    /// <summary>The stage of turn <paramref name="turnIndex"/> of the conversation with id <paramref name="conversationId"/>, or null.</summary>
    public Stage? StageOf(string conversationId, int turnIndex) =>
        _stages.TryGetValue((conversationId, turnIndex), out var s) ? s : null;

    /// <summary>The consensus of one turn's labels: the most chosen stage; a tie goes to the stage of the annotator ranked first.</summary>
    /// <param name="labels">The labels of one turn (one per annotator).</param>
    /// <param name="rank">Annotator → rank (0 = first in the file).</param>
    public static Stage Consensus(IReadOnlyList<HumanLabel> labels, IReadOnlyDictionary<string, int> rank)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(rank);
        if (labels.Count == 0) throw new ArgumentException("a turn needs at least one label", nameof(labels));
        var counts = labels.GroupBy(l => l.Stage).Select(g => (Stage: g.Key, Count: g.Count(), First: g.Min(l => rank[l.Annotator]))).ToList();
        var top = counts.Max(c => c.Count);
        return counts.Where(c => c.Count == top).MinBy(c => c.First).Stage;
    }

    private static string FileSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>A human-labelled user turn.</summary>
/// <param name="ConversationId">The conversation's id.</param>
/// <param name="TurnIndex">The user turn's index.</param>
/// <param name="Stage">Its human stage.</param>
public sealed record LabelledTurn(string ConversationId, int TurnIndex, Stage Stage);
