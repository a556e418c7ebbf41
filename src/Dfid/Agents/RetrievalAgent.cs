using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Simulation;

namespace Dfid.Agents;

/// <summary>Offline, model-free agent: the real agent turn that followed the most similar history in another conversation.</summary>
/// <remarks>The history key is the last turns before the agent's turn, embedded with MiniLM; ties go to the earlier
/// candidate, so answers are deterministic. Thread-safe.</remarks>
public sealed class RetrievalAgent : IAgent
{
    private readonly HistoryIndex _index;

    /// <summary>Creates the agent over <paramref name="pool"/>.</summary>
    public RetrievalAgent(string name, IEnumerable<Conversation> pool, ITextEmbedder embedder, int contextTurns = 2)
    {
        Name = name;
        _index = new HistoryIndex(pool, embedder, Role.Agent, contextTurns);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Number of turns in each history key.</summary>
    public int ContextTurns => _index.ContextTurns;

    /// <inheritdoc/>
    public async Task<Answer<string>> ReplyAsync(AgentRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var match = await _index.NearestAsync(request.Conversation.Id, request.Conversation.Turns, request.TurnIndex, withExits: false, cancellationToken);
        return match?.Reply is { } reply
            ? Answer<string>.Ok(reply, raw: $"{match.ConversationId}#{match.TurnIndex} cos={match.Score:F4}\n{reply}")
            : Answer<string>.Failed(AnswerStatus.Empty, "the retrieval pool has no other conversation");
    }
}
