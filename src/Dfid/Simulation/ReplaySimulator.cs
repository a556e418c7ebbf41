using Dfid.Corpus;
using Dfid.Probing;

namespace Dfid.Simulation;

/// <summary>
/// The sanity condition: returns the real user turn, so every probe's D must be exactly 0; at a real exit point it exits,
/// exactly where the real user did. In a rollout it writes the real user turns in order, whatever the agent said, and
/// exits where the real user left.
/// </summary>
public sealed class ReplaySimulator : IUserSimulator
{
    /// <summary>Creates the simulator.</summary>
    public ReplaySimulator(string name = "replay") => Name = name;

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public Task<Answer<string>> ReplyAsync(SimulationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        // The n-th user turn of the history is the real conversation's n-th: the same in a probe, the rollout's next in a rollout.
        var real = request.RealConversation;
        var ordinal = 0;
        for (var i = 0; i < request.ProbeTurnIndex; i++)
            if (request.Conversation.Turns[i].Role == Role.User) ordinal++;
        var seen = 0;
        for (var i = 0; i < real.Turns.Length; i++)
        {
            if (real.Turns[i].Role != Role.User) continue;
            if (seen++ == ordinal) return Task.FromResult(Answer<string>.Ok(real.Turns[i].Text, raw: real.Turns[i].Text));
        }
        return Task.FromResult(ProbeSelector.ExitPoint(real) is not null
            ? new Answer<string>(null, AnswerStatus.Exit, null, null, "the real user left here")
            : Answer<string>.Failed(AnswerStatus.Empty, "the real conversation has no more user turns"));
    }
}
