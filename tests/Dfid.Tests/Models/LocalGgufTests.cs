using System.Text.Json;
using Dfid.Models;
using Microsoft.Extensions.AI;

namespace Dfid.Tests.Models;

/// <summary>Real local inference with the tiny GGUF (stories260K: no chat template, so the fixed template is used).</summary>
public sealed class LocalGgufTests
{
    private static string Spec(string options = "") => $"gguf:{TestData.TinyGguf};context_size=1024;seed=7{options}";

    private static ModelHost NewHost() => new(new ModelLayerOptions(), null, () => 0.5, _ => null);

    [Fact]
    public async Task Gguf_FreeText_AnswersWithUsage()
    {
        using var host = NewHost();

        var response = await host.GetClient(Spec(";max_tokens=24;temperature=0.8")).GetResponseAsync([new(ChatRole.User, "Tell me a story about a cat.")]);

        Assert.False(string.IsNullOrWhiteSpace(response.Text));
        var call = ModelCall.FromResponse(response)!;
        Assert.StartsWith("gguf:", call.Model, StringComparison.Ordinal);
        Assert.InRange(call.CompletionTokens!.Value, 1, 24);
        Assert.True(call.PromptTokens > 5);
        Assert.Equal(0m, call.CostUsd);
    }

    [Fact]
    public async Task Gguf_GrammarConstrainedJson_ValidatesAgainstEnumSchema()
    {
        using var host = NewHost();
        var client = host.GetClient(Spec(";max_tokens=200;temperature=0.9"));
        ChatMessage[] ask = [new(ChatRole.System, "Label the user's decision state."), new(ChatRole.User, "Lily saw a big red ball.")];

        var answers = new List<JsonAnswer>();
        for (var sample = 0; sample < 3; sample++)
            answers.Add(await client.GetJsonAsync(ask, StrictJsonTests.StateSchema, "decision_state",
                new ChatOptions { AdditionalProperties = new() { ["dfid.sample"] = sample }, Seed = sample + 1 }));

        Assert.All(answers, a => Assert.True(a.IsSuccess, $"{a.FailureName}: {a.Error} in {a.RawText}"));
        Assert.All(answers, a => Assert.Equal(1, a.Attempts)); // the grammar makes the first answer valid
        Assert.All(answers, a => Assert.Contains(a.Value!.Value.GetProperty("stage").GetString(), new[] { "resisting", "considering", "deciding" }));
        Assert.All(answers, a => Assert.InRange(a.Value!.Value.GetProperty("convergence_delta").GetDouble(), -1, 1));
    }

    [Fact]
    public async Task Gguf_ProbesSharingHistory_ReuseTheKvCache()
    {
        using var host = NewHost();
        var client = host.GetClient(Spec(";max_tokens=8;temperature=0"));
        var turns = Enumerable.Range(0, 10).Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant,
            $"Turn {i}: the little dog ran to the park and played with a ball near the tree.")).ToList();
        ChatMessage system = new(ChatRole.System, "You are the user. Continue the conversation.");

        var lengths = new List<long>();
        foreach (var probeAt in new[] { 3, 6, 9 })
        {
            var response = await client.GetResponseAsync([system, .. turns.Take(probeAt)]);
            lengths.Add(ModelCall.FromResponse(response)!.PromptTokens!.Value);
        }

        var usage = host.Usage.Snapshot();
        Assert.Equal(lengths.Sum(), usage.LocalPromptTokensRequested);
        Assert.True(usage.LocalPromptTokensEvaluated <= 1.3 * lengths.Max(),
            $"evaluated {usage.LocalPromptTokensEvaluated} tokens for prompts of {string.Join("/", lengths)}");
    }

    [Fact]
    public async Task Gguf_ReusedPrefix_GivesTheSameGreedyAnswerAsAFreshModel()
    {
        ChatMessage[] first = [new(ChatRole.User, "Once upon a time there was a girl named Lily.")];
        ChatMessage[] second = [.. first, new(ChatRole.Assistant, "She liked to play."), new(ChatRole.User, "What did Lily find?")];
        string warm, cold;
        using (var host = NewHost())
        {
            var c = host.GetClient(Spec(";max_tokens=16;temperature=0"));
            await c.GetResponseAsync(first);
            warm = (await c.GetResponseAsync(second)).Text;
            Assert.True(host.Usage.Snapshot().LocalPromptTokensEvaluated < host.Usage.Snapshot().LocalPromptTokensRequested);
        }
        using (var host = NewHost())
            cold = (await host.GetClient(Spec(";max_tokens=16;temperature=0")).GetResponseAsync(second)).Text;

        Assert.Equal(cold, warm);
    }

    [Fact]
    public async Task Gguf_PromptLongerThanContext_TypedFailureNamingTheFix()
    {
        using var host = NewHost();
        var client = host.GetClient($"gguf:{TestData.TinyGguf};context_size=128;max_tokens=100");

        var answer = await client.GetJsonAsync([new(ChatRole.User, string.Join(' ', Enumerable.Repeat("Lily ran to the park.", 20)))],
            StrictJsonTests.StateSchema, "decision_state");

        Assert.Equal(JsonFailureKind.ModelError, answer.Failure);
        Assert.Contains("context_size", answer.Error, StringComparison.Ordinal);
        // Classified as the rejected request it is, and worded once (not wrapped as an unknown failure of the same model).
        Assert.Contains("request rejected", answer.Error, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(answer.Error!, "attempt\\(s\\)"));
        Assert.Equal(JsonMode.Schema, answer.Mode); // no fallback to instructions: the prompt would only grow
    }

    [Fact]
    public void Gguf_NoContextSize_UsesTheModelsTrainedContext()
    {
        // stories260K.gguf's metadata says llama.context_length = 512 (read from the file's GGUF header independently).
        using (var trained = new LlamaChatClient(TestData.TinyGguf, null, null)) Assert.Equal(512, trained.ContextSize);
        using (var given = new LlamaChatClient(TestData.TinyGguf, 1024, null)) Assert.Equal(1024, given.ContextSize);
        Assert.Equal(8192, LlamaChatClient.DefaultContextSize(131072));
        Assert.Equal(2048, LlamaChatClient.DefaultContextSize(0));
    }

    [Fact]
    public void GbnfGrammar_EnumObject_ListsEveryAlternative()
    {
        var gbnf = GbnfGrammar.FromSchema(StrictJsonTests.StateSchema);

        Assert.Contains("\"\\\"resisting\\\"\" | \"\\\"considering\\\"\" | \"\\\"deciding\\\"\"", gbnf, StringComparison.Ordinal);
        Assert.Contains("char{0,40}", gbnf, StringComparison.Ordinal);
        Assert.StartsWith("root ::= obj0", gbnf, StringComparison.Ordinal);
    }
}
