using Dfid.Corpus;

namespace Dfid.Agents;

/// <summary>The real agent turns in order, whatever the simulated user said (a baseline that ignores the user).</summary>
public sealed class ReplayAgent(string name = "replay") : IAgent
{
    /// <inheritdoc/>
    public string Name { get; } = name;

    /// <inheritdoc/>
    public Task<Answer<string>> ReplyAsync(AgentRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        // The n-th agent turn of the history is the real conversation's n-th (the prefix is real).
        var ordinal = 0;
        for (var i = 0; i < request.TurnIndex && i < request.Conversation.Turns.Length; i++)
            if (request.Conversation.Turns[i].Role == Role.Agent) ordinal++;
        var seen = 0;
        foreach (var t in request.Real.Turns)
        {
            if (t.Role != Role.Agent) continue;
            if (seen++ == ordinal) return Task.FromResult(Answer<string>.Ok(t.Text, raw: t.Text));
        }
        return Task.FromResult(Answer<string>.Failed(AnswerStatus.Empty, "the real conversation has no more agent turns"));
    }
}
