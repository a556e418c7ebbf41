namespace Dfid.Simulation;

/// <summary>The sanity condition: returns the real user turn, so every probe's D must be exactly 0.</summary>
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
        var text = request.Conversation.Turns[request.ProbeTurnIndex].Text;
        return Task.FromResult(Answer<string>.Ok(text, raw: text));
    }
}
