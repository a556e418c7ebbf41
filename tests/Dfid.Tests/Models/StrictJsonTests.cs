using System.Text.Json;
using Dfid.Models;
using Dfid.Tests.Fakes;
using Microsoft.Extensions.AI;
using static Dfid.Tests.Models.ModelTestKit;

namespace Dfid.Tests.Models;

public sealed class StrictJsonTests
{
    internal static readonly JsonElement StateSchema = JsonDocument.Parse("""
        {
          "type": "object",
          "properties": {
            "stage": { "type": "string", "enum": ["resisting", "considering", "deciding"] },
            "emotion": { "type": "string", "enum": ["neutral", "positive", "negative"] },
            "convergence_delta": { "type": "number", "minimum": -1, "maximum": 1 },
            "key_signal": { "type": "string", "maxLength": 40 }
          },
          "required": ["stage", "emotion", "convergence_delta", "key_signal"],
          "additionalProperties": false
        }
        """).RootElement.Clone();

    private const string Valid = """{"stage":"considering","emotion":"positive","convergence_delta":0.25,"key_signal":"asks how to donate"}""";

    private static readonly ChatMessage[] Ask = [new(ChatRole.User, "label this turn")];

    [Fact]
    public async Task GetJsonAsync_OpenAi_SendsJsonSchemaResponseFormatAndReturnsValue()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text(Valid, 30, 20));
        using var host = Host(new ModelLayerOptions());

        var answer = await host.GetClient(Spec(server)).GetJsonAsync(Ask, StateSchema, "decision_state");

        Assert.True(answer.IsSuccess);
        Assert.Equal("considering", answer.Value!.Value.GetProperty("stage").GetString());
        Assert.Equal(1, answer.Attempts);
        Assert.Equal(30, answer.Call!.PromptTokens);
        var format = Assert.Single(server.Requests).Json!.Value.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("decision_state", format.GetProperty("json_schema").GetProperty("name").GetString());
        Assert.Equal("resisting", format.GetProperty("json_schema").GetProperty("schema").GetProperty("properties").GetProperty("stage").GetProperty("enum")[0].GetString());
    }

    [Fact]
    public async Task GetJsonAsync_InvalidThenValid_RepairShowsValidationError()
    {
        await using var server = LoopbackOpenAiServer.Start(r => r.Index == 0
            ? ScriptedReply.Text("""{"stage":"sleeping","emotion":"positive","convergence_delta":0.1,"key_signal":"x"}""", 10, 5)
            : ScriptedReply.Text(Valid, 12, 6));
        using var host = Host(new ModelLayerOptions());

        var answer = await host.GetClient(Spec(server)).GetJsonAsync(Ask, StateSchema, "decision_state");

        Assert.True(answer.IsSuccess);
        Assert.Equal(2, answer.Attempts);
        Assert.Equal(2, answer.Call!.Attempts);
        Assert.Equal(22, answer.Call.PromptTokens);
        var repair = server.Requests[1].Messages;
        Assert.Equal(("assistant", """{"stage":"sleeping","emotion":"positive","convergence_delta":0.1,"key_signal":"x"}"""), repair[^2]);
        Assert.Contains("/stage", repair[^1].Text, StringComparison.Ordinal);
        Assert.Equal("user", repair[^1].Role);
    }

    [Fact]
    public async Task GetJsonAsync_InvalidTwice_TypedFailureNoException()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("I think they are considering."));
        using var host = Host(new ModelLayerOptions());

        var answer = await host.GetClient(Spec(server)).GetJsonAsync(Ask, StateSchema, "decision_state");

        Assert.False(answer.IsSuccess);
        Assert.Equal(JsonFailureKind.InvalidJson, answer.Failure);
        Assert.Equal("invalid_json", answer.FailureName);
        Assert.Equal("I think they are considering.", answer.RawText);
        Assert.Equal(2, answer.Attempts);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task GetJsonAsync_TruncatedAnswer_ReportsTruncated()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Truncated("""{"stage":"consid"""));
        using var host = Host(new ModelLayerOptions());

        var answer = await host.GetClient(Spec(server)).GetJsonAsync(Ask, StateSchema, "decision_state");

        Assert.Equal(JsonFailureKind.Truncated, answer.Failure);
        Assert.Contains("max_tokens", answer.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetJsonAsync_SchemaModeRejected_FallsBackToInstructions()
    {
        await using var server = LoopbackOpenAiServer.Start(r => r.Json!.Value.TryGetProperty("response_format", out _)
            ? ScriptedReply.Error(400, "response_format json_schema is not supported")
            : ScriptedReply.Text("Here it is:\n```json\n" + Valid + "\n```"));
        using var host = Host(new ModelLayerOptions());

        var answer = await host.GetClient(Spec(server)).GetJsonAsync(Ask, StateSchema, "decision_state");

        Assert.True(answer.IsSuccess);
        Assert.Equal(JsonMode.Prompt, answer.Mode);
        Assert.Equal(2, server.RequestCount);
        Assert.Contains("JSON Schema", server.Requests[1].Messages[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetJsonAsync_ModelFailure_IsTypedNotThrown()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Error(401, "bad key"));
        using var host = Host(new ModelLayerOptions());

        var answer = await host.GetClient(Spec(server)).GetJsonAsync(Ask, StateSchema, "decision_state");

        Assert.Equal(JsonFailureKind.ModelError, answer.Failure);
        Assert.Contains("unauthorized", answer.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetJsonAsync_Anthropic_UsesInstructionsAndValidates()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text(Valid));
        using var host = new ModelHost(new ModelLayerOptions(), null, () => 0.5, n => n == "ANTHROPIC_API_KEY" ? "k" : null);

        var answer = await host.GetClient($"anthropic:claude-test@{server.Root}").GetJsonAsync(Ask, StateSchema, "decision_state");

        Assert.True(answer.IsSuccess);
        var req = Assert.Single(server.Requests);
        Assert.Equal("system", req.Messages[0].Role); // Anthropic takes system text only in its top-level field
        Assert.Contains("JSON Schema", req.Messages[0].Text, StringComparison.Ordinal);
        Assert.DoesNotContain(req.Messages.Skip(1), m => m.Role == "system");
    }

    [Fact]
    public async Task GetJsonAnswerAsync_OneFormatSharedByConcurrentCalls_ValidatesEachAnswerOnItsOwn()
    {
        // Requests ending in "bad" get a stage outside the enum (then a valid repair); the others a valid answer at once.
        // One prepared format (validator, response format) serves all of them at the same time.
        await using var server = LoopbackOpenAiServer.Start(r => r.LastUserText.EndsWith("bad", StringComparison.Ordinal)
            ? ScriptedReply.Text("""{"stage":"sleeping","emotion":"positive","convergence_delta":0.1,"key_signal":"x"}""")
            : ScriptedReply.Text(Valid));
        using var host = Host(new ModelLayerOptions { MaxConcurrency = 16 });
        var client = host.GetClient(Spec(server));
        var format = new JsonAnswerFormat(StateSchema, "decision_state");

        var answers = await Task.WhenAll(Enumerable.Range(0, 48).Select(i =>
            client.GetJsonAnswerAsync([new ChatMessage(ChatRole.User, i % 3 == 0 ? $"turn {i} bad" : $"turn {i} good")], format)));

        Assert.All(answers, a => Assert.True(a.IsSuccess));
        Assert.Equal(Enumerable.Range(0, 48).Select(i => i % 3 == 0 ? 2 : 1), answers.Select(a => a.Attempts));
        Assert.Equal(48 + 16, server.RequestCount);
        var repairs = server.Requests.Where(r => r.Messages.Count == 3).ToList();
        Assert.Equal(16, repairs.Count);
        Assert.All(repairs, r => Assert.Contains("/stage", r.Messages[^1].Text, StringComparison.Ordinal));
        Assert.All(server.Requests, r => Assert.Equal("decision_state",
            r.Json!.Value.GetProperty("response_format").GetProperty("json_schema").GetProperty("name").GetString()));
    }

    [Fact]
    public void Validator_InvalidAnswer_ListsEveryError()
    {
        var validator = new JsonSchemaValidator(StateSchema);
        using var doc = JsonDocument.Parse("""{"stage":"sleeping","emotion":"positive","convergence_delta":3,"key_signal":"x","extra":1}""");

        var error = validator.Validate(doc.RootElement);

        Assert.NotNull(error);
        Assert.Contains("/stage: ", error, StringComparison.Ordinal);
        Assert.Contains("(enum)", error, StringComparison.Ordinal);
        Assert.Contains("/convergence_delta: ", error, StringComparison.Ordinal);
        Assert.Contains("(maximum)", error, StringComparison.Ordinal);
        Assert.Contains("/extra: ", error, StringComparison.Ordinal);
        using var valid = JsonDocument.Parse(Valid);
        Assert.Null(validator.Validate(valid.RootElement));
    }

    [Fact]
    public async Task GetJsonAsync_SchemaThatDoesNotCompile_FailsBeforeAnyRequest()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text(Valid));
        using var host = Host(new ModelLayerOptions());
        using var bad = JsonDocument.Parse("""{"type":"object","properties":{"stage":{"type":5}}}""");

        await Assert.ThrowsAnyAsync<Exception>(() => host.GetClient(Spec(server)).GetJsonAsync(Ask, bad.RootElement, "decision_state"));

        Assert.Equal(0, server.RequestCount);
    }
}
