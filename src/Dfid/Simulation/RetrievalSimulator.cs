using System.Text;
using Dfid.Corpus;
using Dfid.Embeddings;

namespace Dfid.Simulation;

/// <summary>
/// Offline, model-free simulator: embeds the last few turns of the history and answers with the real user turn
/// that followed the most similar history in a <em>different</em> conversation of the pool.
/// </summary>
/// <remarks>
/// The pool keeps only conversation ids and turns: outcomes never reach this simulator. The index is built on the
/// first request (so a resumed run with nothing left to do embeds nothing). Ties go to the earlier candidate in pool
/// order, so answers are deterministic. Thread-safe.
/// </remarks>
public sealed class RetrievalSimulator : IUserSimulator
{
    private readonly IReadOnlyList<(string Id, IReadOnlyList<Turn> Turns)> _pool;
    private readonly ITextEmbedder _embedder;
    private readonly int _contextTurns;
    private readonly SemaphoreSlim _buildGate = new(1, 1);
    private Index? _index;

    /// <summary>Creates the simulator over <paramref name="pool"/>.</summary>
    /// <param name="name">Name used in run stores.</param>
    /// <param name="pool">Conversations whose user turns may be returned (only ids and turns are kept).</param>
    /// <param name="embedder">Sentence embedder (MiniLM).</param>
    /// <param name="contextTurns">How many turns before a user turn make up its history key (at least 1).</param>
    public RetrievalSimulator(string name, IEnumerable<Conversation> pool, ITextEmbedder embedder, int contextTurns = 2)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextTurns, 1);
        Name = name;
        _pool = pool.Select(c => (c.Id, (IReadOnlyList<Turn>)c.Turns)).ToList();
        _embedder = embedder;
        _contextTurns = contextTurns;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Number of turns in each history key.</summary>
    public int ContextTurns => _contextTurns;

    /// <inheritdoc/>
    public async Task<Answer<string>> ReplyAsync(SimulationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var index = await GetIndexAsync(cancellationToken);
        var query = _embedder.Embed([HistoryKey(request.Conversation.Turns, request.ProbeTurnIndex, _contextTurns)], cancellationToken)[0];
        var best = -1;
        var bestScore = double.NegativeInfinity;
        for (var i = 0; i < index.Candidates.Count; i++)
        {
            var cand = index.Candidates[i];
            if (string.Equals(cand.ConversationId, request.Conversation.Id, StringComparison.Ordinal)) continue;
            var v = index.Vectors[i];
            double s = 0;
            for (var j = 0; j < v.Length; j++) s += v[j] * query[j];
            if (s > bestScore) { bestScore = s; best = i; }
        }
        if (best < 0) return Answer<string>.Failed(AnswerStatus.Empty, "the retrieval pool has no other conversation");
        var c = index.Candidates[best];
        return Answer<string>.Ok(c.Reply, raw: $"{c.ConversationId}#{c.TurnIndex} cos={bestScore:F4}\n{c.Reply}");
    }

    /// <summary>The text that stands for the history before <paramref name="turnIndex"/>: its last turns with neutral role labels.</summary>
    public static string HistoryKey(IReadOnlyList<Turn> turns, int turnIndex, int contextTurns)
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

    private async Task<Index> GetIndexAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _index) is { } ready) return ready;
        await _buildGate.WaitAsync(cancellationToken);
        try
        {
            if (_index is not null) return _index;
            var candidates = new List<Candidate>();
            var keys = new List<string>();
            foreach (var (id, turns) in _pool)
            {
                for (var t = 1; t < turns.Count; t++)
                {
                    if (turns[t].Role != Role.User || string.IsNullOrWhiteSpace(turns[t].Text)) continue;
                    candidates.Add(new Candidate(id, t, turns[t].Text));
                    keys.Add(HistoryKey(turns, t, _contextTurns));
                }
            }
            // Embedding is CPU-bound; keep it off the caller's synchronisation context.
            var vectors = await Task.Run(() => _embedder.Embed(keys, cancellationToken), cancellationToken);
            var index = new Index(candidates, vectors);
            Volatile.Write(ref _index, index);
            return index;
        }
        finally
        {
            _buildGate.Release();
        }
    }

    private sealed record Candidate(string ConversationId, int TurnIndex, string Reply);

    private sealed record Index(IReadOnlyList<Candidate> Candidates, float[][] Vectors);
}
