using System.Text;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Probing;

namespace Dfid.Simulation;

/// <summary>
/// The real turns of one role that followed each history in a pool of conversations, keyed by the embedding of that
/// history's last turns: what the retrieval simulator (user turns) and the retrieval agent (agent turns) answer from.
/// </summary>
/// <remarks>
/// The pool keeps conversation ids, turns and, for user turns, whether the conversation has a real exit point (it did not
/// convert and ends on an agent turn its user never answered): such a history, followed by no reply, is an exit candidate.
/// No other outcome fact reaches the index. Built on the first query (a resumed run with nothing left embeds nothing).
/// Ties go to the earlier candidate in pool order, so answers are deterministic. Thread-safe.
/// </remarks>
internal sealed class HistoryIndex
{
    private readonly IReadOnlyList<(string Id, IReadOnlyList<Turn> Turns, bool ExitPoint)> _pool;
    private readonly ITextEmbedder _embedder;
    private readonly Role _role;
    private readonly SemaphoreSlim _buildGate = new(1, 1);
    private Built? _built;

    public HistoryIndex(IEnumerable<Conversation> pool, ITextEmbedder embedder, Role role, int contextTurns)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextTurns, 1);
        _pool = pool.Select(c => (c.Id, (IReadOnlyList<Turn>)c.Turns, role == Role.User && ProbeSelector.ExitPoint(c) is not null)).ToList();
        _embedder = embedder;
        _role = role;
        ContextTurns = contextTurns;
    }

    /// <summary>Number of turns in each history key.</summary>
    public int ContextTurns { get; }

    /// <summary>The options of the retrieval kinds (user and agent): how many turns make a history key, and the pool.</summary>
    public static IReadOnlyList<Components.OptionRule> OptionRules { get; } =
    [
        new("context_turns", Components.OptionType.Integer, "history turns in the similarity key", Default: "2", Min: 1),
        new("pool", Components.OptionType.Choice, "where replies come from", Default: "corpus", Choices: ["corpus", "sample"]),
    ];

    /// <summary>The conversations a retrieval kind answers from (<c>pool: sample</c> or the whole corpus) and its key length.</summary>
    public static (IReadOnlyList<Conversation> Pool, int ContextTurns) Settings(ComponentOptions options, Components.ComponentContext context) =>
        (options["pool"] == "sample" ? context.Sample : context.Corpus, options.Int("context_turns", 2));

    /// <summary>The manifest options of a retrieval kind.</summary>
    public static Dictionary<string, string> Describe(int contextTurns) => new()
    {
        ["context_turns"] = contextTurns.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["embedder"] = "all-MiniLM-L6-v2",
    };

    /// <summary>
    /// The candidate whose history is most similar to the turns before <paramref name="turnIndex"/>, from a conversation other
    /// than <paramref name="conversationId"/>; exit candidates only when <paramref name="withExits"/>. Null when there is none.
    /// </summary>
    public async Task<HistoryMatch?> NearestAsync(string conversationId, IReadOnlyList<Turn> turns, int turnIndex, bool withExits, CancellationToken ct)
    {
        var built = await BuildAsync(ct);
        var query = _embedder.Embed([Key(turns, turnIndex, ContextTurns)], ct)[0];
        var best = -1;
        var bestScore = double.NegativeInfinity;
        for (var i = 0; i < built.Candidates.Count; i++)
        {
            var cand = built.Candidates[i];
            if ((cand.Reply is null && !withExits) || string.Equals(cand.ConversationId, conversationId, StringComparison.Ordinal)) continue;
            var v = built.Vectors[i];
            double s = 0;
            for (var j = 0; j < v.Length; j++) s += v[j] * query[j];
            if (s > bestScore) { bestScore = s; best = i; }
        }
        return best < 0 ? null : built.Candidates[best] with { Score = bestScore };
    }

    /// <summary>The text that stands for the history before <paramref name="turnIndex"/>: its last turns with neutral role labels.</summary>
    public static string Key(IReadOnlyList<Turn> turns, int turnIndex, int contextTurns)
    {
        ArgumentNullException.ThrowIfNull(turns);
        var sb = new StringBuilder();
        for (var i = Math.Max(0, turnIndex - contextTurns); i < turnIndex; i++)
        {
            if (sb.Length > 0) sb.Append('\n');
            sb.Append(turns[i].Role == Role.User ? "User: " : "Agent: ").Append(turns[i].Text);
        }
        return sb.ToString();
    }

    private async Task<Built> BuildAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _built) is { } ready) return ready;
        await _buildGate.WaitAsync(cancellationToken);
        try
        {
            if (_built is not null) return _built;
            var candidates = new List<HistoryMatch>();
            var keys = new List<string>();
            foreach (var (id, turns, exitPoint) in _pool)
            {
                for (var t = 1; t < turns.Count; t++)
                {
                    if (turns[t].Role != _role || string.IsNullOrWhiteSpace(turns[t].Text)) continue;
                    candidates.Add(new HistoryMatch(id, t, turns[t].Text, 0));
                    keys.Add(Key(turns, t, ContextTurns));
                }
                // After the last agent turn the real user went: a history followed by no reply.
                if (exitPoint)
                {
                    candidates.Add(new HistoryMatch(id, turns.Count, null, 0));
                    keys.Add(Key(turns, turns.Count, ContextTurns));
                }
            }
            // Embedding is CPU-bound; keep it off the caller's synchronisation context.
            var vectors = await Task.Run(() => _embedder.Embed(keys, cancellationToken), cancellationToken);
            var built = new Built(candidates, vectors);
            Volatile.Write(ref _built, built);
            return built;
        }
        finally
        {
            _buildGate.Release();
        }
    }

    private sealed record Built(IReadOnlyList<HistoryMatch> Candidates, float[][] Vectors);
}

/// <summary>The real turn that followed the most similar history: its conversation, index and text (null at an exit), and the cosine.</summary>
internal sealed record HistoryMatch(string ConversationId, int TurnIndex, string? Reply, double Score);
