using System.Collections.Concurrent;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Instrument;
using Dfid.Instrument.Learned;

namespace Dfid.Willingness;

/// <summary>A place where a user turn is due: the history is <c>Conversation.Turns[..TurnIndex]</c> (nothing at or after
/// <see cref="TurnIndex"/> is read).</summary>
/// <param name="Conversation">The conversation (real, or a rollout's real prefix followed by simulated turns).</param>
/// <param name="TurnIndex">Where the user's turn stands: a user turn, or one past the history.</param>
internal readonly record struct WillingnessPoint(Conversation Conversation, int TurnIndex);

/// <summary>
/// The features of the willingness model, from the history alone (layout <see cref="Version"/>): MiniLM of the last agent
/// turn, of the user's last turn and the mean over the user's turns so far; the learned instrument's stage probabilities of the user's turns so far (the last
/// turn's, their mean and their maximum); how many user turns came before (one-hot, the discrete-time baseline); the
/// length of the last user and agent turns and the mean length of the user's turns; and the commitment cues (an amount
/// named, a refusal) of the last user turn and of any user turn so far.
/// </summary>
/// <remarks>The position-only baseline uses the one-hot ordinal alone (<see cref="Position"/>).</remarks>
internal static class WillingnessFeatures
{
    /// <summary>Bumped whenever the layout changes, so cached models are retrained.</summary>
    public const string Version = "willingness-features/2+" + CommitmentCues.Version;

    /// <summary>One-hot buckets of the number of user turns so far: 0 … <see cref="OrdinalBuckets"/> − 2, and the rest.</summary>
    public const int OrdinalBuckets = 16;

    private const int Stages = 5;
    private const int Scalars = 4;
    private const int Cues = 8;

    public static int DenseLength(int embeddingDims) => 3 * embeddingDims + 3 * Stages + OrdinalBuckets + Scalars + Cues;

    /// <summary>The position-only features of a point: its user ordinal, one-hot.</summary>
    public static float[] Position(int ordinal)
    {
        var f = new float[OrdinalBuckets];
        f[Math.Min(ordinal, OrdinalBuckets - 1)] = 1;
        return f;
    }

    /// <summary>The number of user turns before <paramref name="turnIndex"/>.</summary>
    public static int Ordinal(Conversation c, int turnIndex)
    {
        var n = 0;
        for (var i = 0; i < turnIndex && i < c.Turns.Length; i++)
            if (c.Turns[i].Role == Role.User) n++;
        return n;
    }

    /// <summary>The dense features of each point, in order: the stage probabilities come from <paramref name="stages"/>, the
    /// sentence vectors from <paramref name="embedder"/> in one batch (each distinct text once).</summary>
    public static float[][] Build(IReadOnlyList<WillingnessPoint> points, StageProbabilities stages, ITextEmbedder embedder, CancellationToken ct)
    {
        var userTurns = new List<(Conversation, int)>();
        var texts = new List<string>();
        var slot = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (c, t) in points)
            for (var i = 0; i < t && i < c.Turns.Length; i++)
            {
                var turn = c.Turns[i];
                if (turn.Role == Role.User) userTurns.Add((c, i));
                if (turn.Role != Role.System && !slot.ContainsKey(turn.Text))
                {
                    slot[turn.Text] = texts.Count;
                    texts.Add(turn.Text);
                }
            }
        var probabilities = stages.Of(userTurns, ct);
        var vectors = embedder.Embed(texts, ct);
        var d = embedder.Dimensions;
        var result = new float[points.Count][];
        var at = 0;
        for (var k = 0; k < points.Count; k++)
        {
            var (c, t) = points[k];
            var f = new float[DenseLength(d)];
            var lastAgent = c.LastTurnBefore(t, Role.Agent);
            var lastUser = c.LastTurnBefore(t, Role.User);
            if (lastAgent >= 0) Array.Copy(vectors[slot[c.Turns[lastAgent].Text]], 0, f, 0, d);
            if (lastUser >= 0) Array.Copy(vectors[slot[c.Turns[lastUser].Text]], 0, f, d, d);
            var o = 3 * d;
            var ordinal = 0;
            double logWords = 0;
            var anyCue = new bool[4];
            bool[]? lastCue = null;
            for (var i = 0; i < t && i < c.Turns.Length; i++)
            {
                if (c.Turns[i].Role != Role.User) continue;
                var p = probabilities[at++];
                for (var s = 0; s < Stages; s++)
                {
                    f[o + s] = (float)p[s];
                    f[o + Stages + s] += (float)p[s];
                    f[o + 2 * Stages + s] = Math.Max(f[o + 2 * Stages + s], (float)p[s]);
                }
                var v = vectors[slot[c.Turns[i].Text]];
                for (var j = 0; j < d; j++) f[2 * d + j] += v[j];
                ordinal++;
                var facts = stages.FactsOf(c.Turns[i].Text);
                logWords += facts.LogWords;
                lastCue = facts.Cues;
                for (var q = 0; q < 4; q++) anyCue[q] |= lastCue[q];
            }
            if (ordinal > 0)
            {
                for (var s = 0; s < Stages; s++) f[o + Stages + s] /= ordinal;
                for (var j = 0; j < d; j++) f[2 * d + j] /= ordinal;
            }
            o += 3 * Stages;
            f[o + Math.Min(ordinal, OrdinalBuckets - 1)] = 1;
            o += OrdinalBuckets;
            f[o++] = ordinal == 0 ? 1 : 0;
            f[o++] = lastUser < 0 ? 0 : (float)LogWords(c.Turns[lastUser].Text);
            f[o++] = ordinal == 0 ? 0 : (float)(logWords / ordinal);
            f[o++] = lastAgent < 0 ? 0 : (float)LogWords(c.Turns[lastAgent].Text);
            for (var q = 0; q < 4; q++)
            {
                f[o++] = lastCue is not null && lastCue[q] ? 1 : 0;
                f[o++] = anyCue[q] ? 1 : 0;
            }
            result[k] = f;
        }
        return result;
    }

    /// <summary>Where each block of the layout starts and how long it is (for design studies that leave blocks out).</summary>
    public static IReadOnlyList<(string Name, int Start, int Length)> Blocks(int d) =>
    [
        ("agent turn", 0, d),
        ("last user turn", d, d),
        ("mean of user turns", 2 * d, d),
        ("stage probabilities", 3 * d, 3 * Stages),
        ("user ordinal", 3 * d + 3 * Stages, OrdinalBuckets),
        ("lengths", 3 * d + 3 * Stages + OrdinalBuckets, Scalars),
        ("cues", 3 * d + 3 * Stages + OrdinalBuckets + Scalars, Cues),
    ];

    internal static double LogWords(string text) => Math.Log(1 + text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length) / 4;
}

/// <summary>The learned instrument's calibrated stage probabilities of user turns, remembered per turn as the instrument sees
/// it (the conversation's fold, the turn, the agent turn before it and the user's previous turn), so a growing rollout
/// history is scored once per turn.</summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class StageProbabilities(LearnedInstrument instrument)
{
    private readonly ConcurrentDictionary<(string Key, int Ordinal, string Text, string? Agent, string? Previous), double[]> _memo = new();
    private readonly ConcurrentDictionary<string, (bool[] Cues, double LogWords)> _facts = new(StringComparer.Ordinal);

    /// <summary>The commitment cues (positive amount, only zero, declines, refusal) and the scaled log word count of a user
    /// turn, read once per text: every later history that holds the turn reuses them (a rollout re-reads its whole history
    /// at each turn).</summary>
    public (bool[] Cues, double LogWords) FactsOf(string text) => _facts.GetOrAdd(text, static t =>
    {
        var cue = CommitmentCues.Read(t);
        return ([cue.NamesPositiveAmount, cue.NamesOnlyZero, cue.Declines, cue.IsRefusal], WillingnessFeatures.LogWords(t));
    });

    /// <summary>The training hash of the stage model (part of the willingness model's hash).</summary>
    public string ModelHash => instrument.TrainingHash;

    /// <summary>The probabilities (stage order) of each user turn, in order.</summary>
    public double[][] Of(IReadOnlyList<(Conversation Conversation, int TurnIndex)> turns, CancellationToken ct)
    {
        var result = new double[turns.Count][];
        var keys = new (string, int, string, string?, string?)[turns.Count];
        var missing = new List<int>();
        for (var i = 0; i < turns.Count; i++)
        {
            var (c, t) = turns[i];
            var s = StageContext.Of(c, t);
            keys[i] = (LearnedModel.Key(c), s.Ordinal, c.Turns[t].Text, s.Agent, s.PreviousUser);
            if (_memo.TryGetValue(keys[i], out var p)) result[i] = p;
            else missing.Add(i);
        }
        if (missing.Count == 0) return result;
        var distinct = missing.DistinctBy(i => keys[i]).ToList();
        var scored = instrument.Probabilities([.. distinct.Select(i => new LabelRequest(turns[i].Conversation, turns[i].TurnIndex))], ct);
        for (var k = 0; k < distinct.Count; k++) _memo[keys[distinct[k]]] = scored[k];
        foreach (var i in missing) result[i] = _memo[keys[i]];
        return result;
    }
}
