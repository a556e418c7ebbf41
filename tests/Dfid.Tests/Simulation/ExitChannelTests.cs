using Dfid.Embeddings;
using Dfid.Simulation;
using Dfid.Tests.Fakes;
using Dfid.Tests.Running;
using Microsoft.Extensions.AI;

namespace Dfid.Tests.Simulation;

/// <summary>The one exit form every simulator documents and how each parses or produces it.</summary>
public sealed class ExitChannelTests
{
    [Theory]
    [InlineData("[LEAVE]", null)]
    [InlineData("  [leave]  ", null)]
    [InlineData("You: [LEAVE]", null)]
    [InlineData("ok bye [LEAVE]", "ok bye")]
    [InlineData("\"no thanks\"\n[LEAVE]", "no thanks")]
    public void Clean_ExitOffered_TokenMeansExitKeepingAGoodbye(string raw, string? farewell)
    {
        var (text, status) = ReplyCleaner.Clean(raw, "Agent", exitOffered: true);
        Assert.Equal(AnswerStatus.Exit, status);
        Assert.Equal(farewell, text);
    }

    [Theory]
    [InlineData("[LEAVE]")]
    [InlineData("no thanks, I leave it there")]
    public void Clean_ExitNotOffered_NeverAnExit(string raw) =>
        Assert.NotEqual(AnswerStatus.Exit, ReplyCleaner.Clean(raw, "Agent", exitOffered: false).Status);

    [Fact]
    public void Clean_ExitOffered_AnOrdinaryReplyStaysAReply() =>
        Assert.Equal((("maybe later"), AnswerStatus.Ok), ReplyCleaner.Clean("maybe later", "Agent", exitOffered: true));

    [Theory]
    [InlineData("persona")]
    [InlineData("instructed")]
    public async Task Prompted_ExitOffered_RuleAfterTheSystemTextOnly_AndLeaveParsed(string kind)
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("[LEAVE]"));
        using var host = new Dfid.Models.ModelHost(new Dfid.Models.ModelLayerOptions());
        var prompt = kind == "persona" ? SimulatorPrompt.Persona() : SimulatorPrompt.Instructed();
        var sim = new PromptedSimulator(kind, prompt, Domain.Sales, host.GetClient($"openai:m@{server.BaseUrl}"), "m");
        var conv = RunFixtures.Conversation("c1", 4);

        var offered = sim.BuildMessages(new SimulationRequest(conv, 3) { OfferExit = true });
        var plain = sim.BuildMessages(new SimulationRequest(conv, 3));
        var answer = await sim.ReplyAsync(new SimulationRequest(conv, 3) { OfferExit = true });

        Assert.Equal(plain[0].Text + "\n\n" + SimulatorPrompt.ExitRule(), offered[0].Text);
        Assert.Equal(plain[1].Text, offered[1].Text);
        Assert.Contains(ReplyCleaner.ExitToken, SimulatorPrompt.ExitRule(), StringComparison.Ordinal);
        Assert.Equal(AnswerStatus.Exit, answer.Status);
        Assert.Equal("[LEAVE]", answer.RawAnswer);
    }

    [Fact]
    public void PromptFile_ExitPlaceholderOrAppended()
    {
        var dir = TestData.TempDir();
        File.WriteAllText(Path.Combine(dir, "with.txt"), "History:\n{history}\n{exit}\nReply as the customer.");
        File.WriteAllText(Path.Combine(dir, "without.txt"), "History:\n{history}\nReply as the customer.");
        var client = new FakeChat();
        var conv = RunFixtures.Conversation("c1", 3);
        var with = new PromptedSimulator("w", SimulatorPrompt.FromFile(Path.Combine(dir, "with.txt")), Domain.Sales, client, "m");
        var without = new PromptedSimulator("o", SimulatorPrompt.FromFile(Path.Combine(dir, "without.txt")), Domain.Sales, client, "m");

        var w = with.BuildMessages(new SimulationRequest(conv, 3) { OfferExit = true }).Single().Text;
        var wOff = with.BuildMessages(new SimulationRequest(conv, 3)).Single().Text;
        var o = without.BuildMessages(new SimulationRequest(conv, 3) { OfferExit = true }).Single().Text;

        Assert.Contains(SimulatorPrompt.ExitRule() + "\nReply as the customer.", w, StringComparison.Ordinal);
        Assert.DoesNotContain("[LEAVE]", wOff, StringComparison.Ordinal);
        Assert.EndsWith("Reply as the customer.\n\n" + SimulatorPrompt.ExitRule(), o, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retrieval_ExitOffered_ExitsWhenTheNearestHistoryIsAnotherUsersExit()
    {
        // "b" did not convert and its user never answered the last offer: the history before that silence is an exit candidate.
        var a = RunFixtures.FromTexts("a", false, "Hello!", "Hi.", "Would you like our premium plan for ten dollars a month?");
        var b = RunFixtures.FromTexts("b", false, "Good day", "Hey", "Would you like the premium plan at ten dollars per month?");
        var c = RunFixtures.FromTexts("c", true, "Hello", "Hi", "Do you have pets?", "Two cats.", "Nice!", "Yes.");
        using var embedder = new MiniLmEmbedder();
        var sim = new RetrievalSimulator("retrieval", [a, b, c], embedder, contextTurns: 1);

        var exit = await sim.ReplyAsync(new SimulationRequest(a, a.Turns.Length) { OfferExit = true });
        var reply = await sim.ReplyAsync(new SimulationRequest(a, a.Turns.Length));

        Assert.Equal(AnswerStatus.Exit, exit.Status);
        Assert.StartsWith("b#3 ", exit.RawAnswer, StringComparison.Ordinal);
        Assert.Equal(AnswerStatus.Ok, reply.Status); // not offered: the nearest real reply instead
    }

    [Fact]
    public async Task Replay_AtARealExitPointExits_ElsewhereTheRealTurn()
    {
        var left = RunFixtures.FromTexts("l", false, "Hello", "Hi", "Buy now?");
        var stayed = RunFixtures.FromTexts("s", false, "Hello", "Hi", "Buy now?", "No.");
        var replay = new ReplaySimulator();
        Assert.Equal(AnswerStatus.Exit, (await replay.ReplyAsync(new SimulationRequest(left, 3))).Status);
        Assert.Equal("Hi", (await replay.ReplyAsync(new SimulationRequest(left, 1))).Value);
        Assert.Equal(AnswerStatus.Empty, (await replay.ReplyAsync(new SimulationRequest(stayed, 4))).Status);
    }

    private sealed class FakeChat : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")));

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
