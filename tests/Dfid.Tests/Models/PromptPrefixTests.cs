using System.Text.Json;
using Dfid.Corpus;
using Dfid.Instrument;
using Dfid.Models;
using Dfid.Simulation;
using Dfid.Tests.Fakes;
using Dfid.Tests.Running;

namespace Dfid.Tests.Models;

/// <summary>
/// Prefix-friendly requests: what a provider's prompt cache (OpenAI, Anthropic) or vLLM/SGLang prefix caching can reuse
/// is the longest common prefix of two requests. The static part (system prompt with the taxonomy) comes first and is
/// byte-identical; the requests of one conversation share everything up to the end of the earlier probe's context. And
/// the cached prompt tokens providers report reach <see cref="ModelCall"/> and <see cref="UsageReport"/>.
/// </summary>
public class PromptPrefixTests
{
    private static int CommonPrefix(string a, string b)
    {
        var n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n]) n++;
        return n;
    }

    private static (string System, string User) Sent(RecordedRequest r) =>
        (r.Messages.Single(m => m.Role == "system").Text, r.Messages.Last(m => m.Role == "user").Text);

    [Fact]
    public async Task LabelRequests_OfOneConversation_ShareEverythingUpToTheEarlierProbesContext()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("""{"stage":"engaging","emotion":"neutral","blocker":"none","convergence_delta":0,"key_signal":"x"}"""));
        using var host = ModelTestKit.Host(new ModelLayerOptions());
        var perceiver = new LlmPerceiver(host.GetClient(ModelTestKit.Spec(server, "gpt-test")), new LlmPerceiverOptions { Domain = Domain.PersuasionForGood });
        var corpus = RunFixtures.AnnotatedCorpus(conversations: 2, userTurns: 6);
        var c = corpus[0];

        await perceiver.LabelAsync(new LabelRequest(c, 3));                       // probe at turn 3, real turn
        await perceiver.LabelAsync(new LabelRequest(c, 3, "a simulated reply"));  // same probe, simulated turn
        await perceiver.LabelAsync(new LabelRequest(c, 7));                       // a later probe of the same conversation
        await perceiver.LabelAsync(new LabelRequest(corpus[1], 5));               // another conversation
        var sent = server.Requests.Select(Sent).ToList();
        var bodies = server.Requests.Select(r => r.Body).ToList();

        // The system prompt (instructions, taxonomy, answer format) is byte-identical for every request and comes first.
        Assert.All(sent, s => Assert.Equal(sent[0].System, s.System));
        Assert.True(sent[0].System.Length > 2000, "the static part is the bulk of the prompt");
        var systemInBody = JsonSerializer.Serialize(sent[0].System)[1..^1];

        // Real and simulated turn of one probe: the same up to the labelled turn.
        var labelled = sent[0].User.IndexOf("<labelled_turn>", StringComparison.Ordinal);
        Assert.True(CommonPrefix(sent[0].User, sent[1].User) >= labelled);
        // Two probes of one conversation: the same up to the end of the earlier probe's context (all its turns).
        var contextEnd = sent[0].User.IndexOf("</conversation>", StringComparison.Ordinal);
        Assert.Contains(c.Turns[2].Text[..20], sent[0].User[..contextEnd], StringComparison.Ordinal);
        // (the next turn's tag and the closing tag both start with '<').
        Assert.InRange(CommonPrefix(sent[0].User, sent[2].User), contextEnd, contextEnd + 1);

        // On the wire too: the bodies share the model, options and whole system prompt before the first difference, and
        // the earlier probe's context (however the SDK escapes it) with the later probe's body.
        Assert.True(CommonPrefix(bodies[0], bodies[3]) > bodies[0].IndexOf(systemInBody[^200..], StringComparison.Ordinal),
            "another conversation's request shares the whole system prompt");
        var lastContextTurnInBody = bodies[0].IndexOf(c.Turns[2].Text[..20], StringComparison.Ordinal);
        Assert.True(lastContextTurnInBody > 0);
        Assert.True(CommonPrefix(bodies[0], bodies[2]) > lastContextTurnInBody + 20);
    }

    [Fact]
    public async Task SimulatorRequests_OfOneConversation_ShareTheSystemPromptAndTheEarlierHistory()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("ok"));
        using var host = ModelTestKit.Host(new ModelLayerOptions());
        var sim = new PromptedSimulator("persona", SimulatorPrompt.Persona(), Domain.PersuasionForGood, host.GetClient(ModelTestKit.Spec(server, "gpt-test")), "m");
        var c = RunFixtures.AnnotatedCorpus(conversations: 1, userTurns: 6)[0];
        await sim.ReplyAsync(new SimulationRequest(c, 3));
        await sim.ReplyAsync(new SimulationRequest(c, 7));
        var (system3, user3) = Sent(server.Requests[0]);
        var (system7, user7) = Sent(server.Requests[1]);
        Assert.Equal(system3, system7);
        // The history of the earlier probe is a prefix of the later one's, line for line.
        var lastShown = user3.IndexOf(c.Turns[2].Text, StringComparison.Ordinal) + c.Turns[2].Text.Length;
        Assert.True(lastShown > c.Turns[2].Text.Length);
        Assert.True(CommonPrefix(user3, user7) >= lastShown);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task CachedPromptTokens_ReportedByTheProvider_ReachTheCallAndTheUsage(string provider)
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript { Answer = _ => BatchOutcome.Text("hello", promptTokens: 1200, completionTokens: 3, cachedPromptTokens: 1024) });
        using var host = ModelTestKit.Host(new ModelLayerOptions());
        var client = host.GetClient(provider == "anthropic" ? $"anthropic:m@{server.Root}" : $"openai:m@{server.BaseUrl}");
        var response = await client.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "hi")]);
        var call = ModelCall.FromResponse(response)!;
        // Anthropic's input_tokens leaves out the tokens read from its cache; the adapter adds them back.
        var prompt = provider == "anthropic" ? 1200 + 1024 : 1200;
        Assert.Equal(prompt, call.PromptTokens);
        Assert.Equal(1024, call.CachedPromptTokens);
        await client.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "again")]);
        var usage = host.Usage.Snapshot();
        Assert.Equal(2048, usage.CachedPromptTokens);
        Assert.Contains($"tokens {2 * prompt} in (2048 cached) / 6 out", usage.ToString(), StringComparison.Ordinal);
        Assert.Equal(2048, call.Plus(call).CachedPromptTokens);
        Assert.Null((call with { CachedPromptTokens = null }).Plus(call with { CachedPromptTokens = null }).CachedPromptTokens);
    }
}
