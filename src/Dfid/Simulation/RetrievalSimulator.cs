using Dfid.Corpus;
using Dfid.Embeddings;

namespace Dfid.Simulation;

/// <summary>
/// Offline, model-free simulator: embeds the last few turns of the history and answers with the real user turn
/// that followed the most similar history in a <em>different</em> conversation of the pool. Offered the exit channel, it
/// exits when the most similar history is one after which the real user of that other conversation left.
/// </summary>
/// <remarks>
/// The pool keeps only conversation ids, turns and whether each has a real exit point (<see cref="HistoryIndex"/>). Ties go
/// to the earlier candidate in pool order, so answers are deterministic. Thread-safe.
/// </remarks>
public sealed class RetrievalSimulator : IUserSimulator
{
    private readonly HistoryIndex _index;

    /// <summary>Creates the simulator over <paramref name="pool"/>.</summary>
    /// <param name="name">Name used in run stores.</param>
    /// <param name="pool">Conversations whose user turns may be returned.</param>
    /// <param name="embedder">Sentence embedder (MiniLM).</param>
    /// <param name="contextTurns">How many turns before a user turn make up its history key (at least 1).</param>
    public RetrievalSimulator(string name, IEnumerable<Conversation> pool, ITextEmbedder embedder, int contextTurns = 2)
    {
        Name = name;
        _index = new HistoryIndex(pool, embedder, Role.User, contextTurns);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Number of turns in each history key.</summary>
    public int ContextTurns => _index.ContextTurns;

    /// <inheritdoc/>
    public async Task<Answer<string>> ReplyAsync(SimulationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var match = await _index.NearestAsync(request.Conversation.Id, request.Conversation.Turns, request.ProbeTurnIndex, request.OfferExit, cancellationToken);
        if (match is null) return Answer<string>.Failed(AnswerStatus.Empty, "the retrieval pool has no other conversation");
        var raw = $"{match.ConversationId}#{match.TurnIndex} cos={match.Score:F4}\n{match.Reply ?? ReplyCleaner.ExitToken}";
        return match.Reply is null ? new Answer<string>(null, AnswerStatus.Exit, null, null, raw) : Answer<string>.Ok(match.Reply, raw: raw);
    }

    /// <summary>The text that stands for the history before <paramref name="turnIndex"/>: its last turns with neutral role labels.</summary>
    public static string HistoryKey(IReadOnlyList<Turn> turns, int turnIndex, int contextTurns) => HistoryIndex.Key(turns, turnIndex, contextTurns);
}
