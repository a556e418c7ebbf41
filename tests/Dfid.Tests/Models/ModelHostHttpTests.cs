using Dfid.Models;
using Dfid.Tests.Fakes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using static Dfid.Tests.Models.ModelTestKit;

namespace Dfid.Tests.Models;

/// <summary>The layered client against a real loopback server, through the real OpenAI SDK.</summary>
public sealed class ModelHostHttpTests
{
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "hello")];

    [Fact]
    public async Task ModelHost_NormalAnswer_SendsSpecOptionsAndRecordsModelCall()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("hi", promptTokens: 11, completionTokens: 3));
        using var host = Host(new ModelLayerOptions());
        var client = host.GetClient(Spec(server, "gpt-test", ";temperature=0.3;max_tokens=20;seed=5"));

        var response = await client.GetResponseAsync(Hello);

        Assert.Equal("hi", response.Text);
        var call = ModelCall.FromResponse(response)!;
        Assert.Equal($"openai:gpt-test@{server.BaseUrl.ToString().TrimEnd('/')}", call.Model);
        Assert.Equal((11L, 3L, false, 1), (call.PromptTokens!.Value, call.CompletionTokens!.Value, call.CacheHit, call.Attempts));
        Assert.Null(call.CostUsd); // no price for "gpt-test": unknown, not guessed
        var req = Assert.Single(server.Requests);
        Assert.Equal("Bearer " + ModelCredentials.LocalPlaceholderKey, req.Header("Authorization"));
        var body = req.Json!.Value;
        Assert.Equal(0.3, body.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(5, body.GetProperty("seed").GetInt32());
        Assert.True(body.TryGetProperty("max_completion_tokens", out var mt) || body.TryGetProperty("max_tokens", out mt));
        Assert.Equal(20, mt.GetInt32());
        var usage = host.Usage.Snapshot();
        Assert.Equal((1L, 1L, 11L, 3L), (usage.Calls, usage.Requests, usage.PromptTokens, usage.CompletionTokens));
        Assert.Null(usage.CostUsd);
        Assert.Contains("cost unknown", usage.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelHost_429WithRetryAfter_WaitsThatLongThenSucceeds()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var server = LoopbackOpenAiServer.Start(
            r => r.Index == 0 ? ScriptedReply.Error(429, "slow down", retryAfter: TimeSpan.FromSeconds(30)) : ScriptedReply.Text("ok"), clock);
        using var host = Host(new ModelLayerOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(100) }, clock);

        var response = await Drive(clock, host.GetClient(Spec(server)).GetResponseAsync(Hello));

        Assert.Equal("ok", response.Text);
        Assert.Equal(2, ModelCall.FromResponse(response)!.Attempts);
        var r = server.Requests;
        Assert.Equal(2, r.Count);
        var gap = r[1].ReceivedAt - r[0].ReceivedAt;
        Assert.InRange(gap, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(45)); // Retry-After, not the 100 ms backoff (fake time also runs while the machine is busy)
        Assert.Equal(r[0].Body, r[1].Body);
    }

    [Fact]
    public async Task ModelHost_500Always_RetriesThenFailsWithServerErrorKind()
    {
        var clock = new FakeTimeProvider();
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Error(500, "boom"));
        using var host = Host(new ModelLayerOptions { MaxRetries = 2, RetryBaseDelay = TimeSpan.FromSeconds(1) }, clock);

        var ex = await Assert.ThrowsAsync<ModelCallException>(() => Drive(clock, host.GetClient(Spec(server)).GetResponseAsync(Hello)));

        Assert.Equal(ModelFailureKind.ServerError, ex.Kind);
        Assert.Equal(3, ex.Attempts);
        Assert.Equal(500, ex.StatusCode);
        Assert.Equal(3, server.RequestCount);
        Assert.Equal(1, host.Usage.Snapshot().FailuresByKind["server_error"]);
        Assert.Equal(3, host.Usage.Snapshot().Requests);
    }

    [Theory]
    [InlineData(400, ModelFailureKind.BadRequest)]
    [InlineData(401, ModelFailureKind.Unauthorized)]
    public async Task ModelHost_400Or401_NeverRetried(int status, ModelFailureKind kind)
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Error(status, "no"));
        using var host = Host(new ModelLayerOptions { MaxRetries = 4, RetryBaseDelay = TimeSpan.Zero });

        var ex = await Assert.ThrowsAsync<ModelCallException>(() => host.GetClient(Spec(server)).GetResponseAsync(Hello));

        Assert.Equal(kind, ex.Kind);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task ModelHost_HangPastTimeout_TimesOutEachAttempt()
    {
        var clock = new FakeTimeProvider();
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Hang());
        using var host = Host(new ModelLayerOptions { RequestTimeout = TimeSpan.FromSeconds(30), MaxRetries = 1, RetryBaseDelay = TimeSpan.FromSeconds(1) }, clock);

        var ex = await Assert.ThrowsAsync<ModelCallException>(() => Drive(clock, host.GetClient(Spec(server)).GetResponseAsync(Hello), TimeSpan.FromMilliseconds(250)));

        Assert.Equal(ModelFailureKind.Timeout, ex.Kind);
        Assert.Equal(2, ex.Attempts);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task ModelHost_DroppedConnectionThenAnswer_Retried()
    {
        await using var server = LoopbackOpenAiServer.Start(r => r.Index == 0 ? ScriptedReply.Drop() : ScriptedReply.Text("back"));
        using var host = Host(new ModelLayerOptions { RetryBaseDelay = TimeSpan.Zero });

        var response = await host.GetClient(Spec(server)).GetResponseAsync(Hello);

        Assert.Equal("back", response.Text);
        Assert.Equal(2, server.RequestCount);
        Assert.Equal(2, ModelCall.FromResponse(response)!.Attempts);
    }

    [Theory]
    [InlineData("openai", "truncated")]
    [InlineData("openai", "html")]
    [InlineData("anthropic", "truncated")]
    [InlineData("anthropic", "html")]
    [InlineData("anthropic", "shape")]
    public async Task ModelHost_200BodyThatIsNotAnAnswer_IsRetriedLikeAReset(string provider, string fault)
    {
        // A 200 whose body is cut off, or is a proxy's HTML error page, is a transport failure, not the model's answer:
        // 30% of the calls get one; every call must still end in the real answer, within the session.
        var body = fault switch
        {
            "truncated" => """{"id":"x","choices":[{"message":""",
            "html" => "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>",
            _ => """{"status":"ok","detail":"not an answer"}""",
        };
        var contentType = fault == "html" ? "text/html" : "application/json";
        await using var server = LoopbackOpenAiServer.Start(r => r.Index % 10 < 3
            ? ScriptedReply.Malformed(body) with { ContentType = contentType }
            : ScriptedReply.Text("answer " + r.Index));
        using var host = Host(new ModelLayerOptions { RetryBaseDelay = TimeSpan.Zero, MaxRetries = 4 });
        var client = host.GetClient(provider == "openai" ? Spec(server) : $"anthropic:claude-test@{server.Root}");

        for (var i = 0; i < 20; i++)
        {
            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello " + i)]);
            Assert.StartsWith("answer ", response.Text, StringComparison.Ordinal);
        }
        Assert.Equal(0, host.Usage.Snapshot().Failures);
        Assert.True(server.RequestCount > 20, $"{server.RequestCount} requests: the faults were not retried");
    }

    [Fact]
    public async Task ModelHost_MalformedJsonEveryTime_FailsAsInvalidResponseAfterTheRetries()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Malformed());
        using var host = Host(new ModelLayerOptions { RetryBaseDelay = TimeSpan.Zero, MaxRetries = 2 });

        var ex = await Assert.ThrowsAsync<ModelCallException>(() => host.GetClient(Spec(server)).GetResponseAsync(Hello));

        Assert.Equal(ModelFailureKind.InvalidResponse, ex.Kind);
        Assert.Equal(3, server.RequestCount);
        Assert.Equal(3, ex.Attempts);
    }

    [Fact]
    public async Task ModelHost_FinishReasonLength_ReportedAsLength()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Truncated("Once upon a"));
        using var host = Host(new ModelLayerOptions());

        var response = await host.GetClient(Spec(server, options: ";max_tokens=3")).GetResponseAsync(Hello);

        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal("Once upon a", response.Text);
    }

    [Fact]
    public async Task ModelHost_Anthropic_SpeaksMessagesApiWithKeyHeader()
    {
        await using var server = LoopbackOpenAiServer.Start(r => r.Index == 0
            ? ScriptedReply.Error(529, "overloaded")
            : ScriptedReply.Text("bonjour", promptTokens: 9, completionTokens: 2));
        var env = new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "sk-ant-test" };
        using var host = new ModelHost(new ModelLayerOptions { RetryBaseDelay = TimeSpan.Zero }, null, () => 0.5, n => env.GetValueOrDefault(n));

        var response = await host.GetClient($"anthropic:claude-test@{server.Root};max_tokens=64").GetResponseAsync(
            [new(ChatRole.System, "be french"), new(ChatRole.User, "hello")]);

        Assert.Equal("bonjour", response.Text);
        Assert.Equal((9L, 2L, 2), (ModelCall.FromResponse(response)!.PromptTokens!.Value, ModelCall.FromResponse(response)!.CompletionTokens!.Value, ModelCall.FromResponse(response)!.Attempts));
        var req = server.Requests[1];
        Assert.Equal("/v1/messages", req.Path);
        // The key from the environment reaches the server (this SDK version sends it as a bearer token).
        Assert.Contains("sk-ant-test", new[] { req.Header("x-api-key"), req.Header("Authorization") }.Select(h => h?.Replace("Bearer ", "", StringComparison.Ordinal)));
        Assert.NotNull(req.Header("anthropic-version"));
        Assert.Equal("claude-test", req.Model);
        Assert.Equal(64, req.Json!.Value.GetProperty("max_tokens").GetInt32());
        Assert.Equal([("system", "be french"), ("user", "hello")], req.Messages);
    }
}

public sealed class AnthropicRetryTests
{
    [Fact]
    public async Task ModelHost_Anthropic429WithRetryAfter_WaitsThatLong()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var server = LoopbackOpenAiServer.Start(
            r => r.Index == 0 ? ScriptedReply.Error(429, "rate_limit_error", retryAfter: TimeSpan.FromSeconds(30)) : ScriptedReply.Text("ok"), clock);
        using var host = new ModelHost(new ModelLayerOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(100) }, clock, () => 0.5, n => n == "ANTHROPIC_API_KEY" ? "k" : null);

        var response = await ModelTestKit.Drive(clock, host.GetClient($"anthropic:claude-test@{server.Root}").GetResponseAsync([new(ChatRole.User, "hi")]));

        Assert.Equal("ok", response.Text);
        var r = server.Requests;
        Assert.Equal(2, r.Count);
        // Fake time also advances while the machine is busy, hence the generous upper bound; without Retry-After the gap is ~0.1 s.
        Assert.InRange(r[1].ReceivedAt - r[0].ReceivedAt, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(45));
    }
}
