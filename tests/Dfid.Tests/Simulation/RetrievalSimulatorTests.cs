using Dfid.Embeddings;
using Dfid.Probing;
using Dfid.Simulation;
using Dfid.Tests.Running;

namespace Dfid.Tests.Simulation;

public class RetrievalSimulatorTests
{
    private static readonly MiniLmEmbedder Embedder = new();

    [Fact]
    public async Task Reply_NeverReturnsATurnOfTheProbedConversation()
    {
        // The probed conversation's own next turn is by far the closest history; retrieval must still go elsewhere.
        var pool = new[]
        {
            RunFixtures.FromTexts("a", false, "Hello there!", "Hi.", "Would you consider donating to the children's charity?", "No, I am too busy for that.", "Ok, thanks anyway.", "Bye."),
            RunFixtures.FromTexts("b", true, "Good morning", "Morning!", "Would you like to donate to help children in need?", "Sure, how much should I give?", "Any amount helps.", "I'll give a dollar."),
            RunFixtures.FromTexts("c", false, "How are you?", "Fine.", "Do you have any pets at home?", "Yes, two cats.", "Nice.", "Yeah."),
        };
        var sim = new RetrievalSimulator("retrieval", pool, Embedder, contextTurns: 2);
        foreach (var conv in pool)
        {
            foreach (var probe in ProbeSelector.Select(conv, new ProbeOptions(null, SkipGreeting: false)))
            {
                var reply = await sim.ReplyAsync(new SimulationRequest(conv, probe.TurnIndex));
                Assert.Equal(AnswerStatus.Ok, reply.Status);
                var ownTurns = conv.Turns.Select(t => t.Text).ToHashSet();
                Assert.False(ownTurns.Contains(reply.Value!), reply.Value);
                Assert.DoesNotContain($"{conv.Id}#", reply.RawAnswer!, StringComparison.Ordinal);
            }
        }
        // The donation question in "a" retrieves b's answer to the similar question, not c's pets answer.
        var r = await sim.ReplyAsync(new SimulationRequest(pool[0], 3));
        Assert.Equal("Sure, how much should I give?", r.Value);
    }

    [Fact]
    public async Task Reply_PoolWithOnlyTheProbedConversation_IsEmptyNotItsOwnTurn()
    {
        var only = RunFixtures.FromTexts("a", false, "Hello", "Hi", "Donate?", "No.");
        var sim = new RetrievalSimulator("retrieval", [only], Embedder);
        var r = await sim.ReplyAsync(new SimulationRequest(only, 3));
        Assert.Equal(AnswerStatus.Empty, r.Status);
        Assert.Null(r.Value);
    }
}
