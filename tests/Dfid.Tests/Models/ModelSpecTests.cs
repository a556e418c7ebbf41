using Dfid.Models;

namespace Dfid.Tests.Models;

public sealed class ModelSpecTests
{
    [Fact]
    public void ModelSpec_OpenAiWithUrlAndOptions_ParsesEveryPart()
    {
        var spec = ModelSpec.Parse("openai:qwen2.5@http://127.0.0.1:8080/v1;temperature=0.7;top_p=0.9;max_tokens=300;seed=42;api_key_env=LOCAL_KEY");

        Assert.Equal(ModelProvider.OpenAI, spec.Provider);
        Assert.Equal("qwen2.5", spec.Model);
        Assert.Equal(new Uri("http://127.0.0.1:8080/v1"), spec.Endpoint);
        Assert.Equal(0.7, spec.Temperature);
        Assert.Equal(0.9, spec.TopP);
        Assert.Equal(300, spec.MaxTokens);
        Assert.Equal(42L, spec.Seed);
        Assert.Equal("LOCAL_KEY", spec.ApiKeyEnv);
        Assert.Equal("openai:qwen2.5@http://127.0.0.1:8080/v1", spec.Id);
    }

    [Fact]
    public void ModelSpec_ToString_RoundTrips()
    {
        var spec = ModelSpec.Parse("gguf:/models/x.gguf;context_size=4096;threads=2;seed=7;temperature=0");

        Assert.Equal(spec, ModelSpec.Parse(spec.ToString()));
        Assert.Equal(4096, spec.ContextSize);
        Assert.Equal(2, spec.Threads);
        Assert.Equal(ModelProvider.Gguf, spec.Provider);
    }

    [Fact]
    public void ModelSpec_OptionDictionary_OverridesStringOptions()
    {
        var spec = ModelSpec.Parse("anthropic:claude-3-5-haiku-latest;temperature=0.2", new Dictionary<string, string> { ["temperature"] = "1", ["max_tokens"] = "50" });

        Assert.Equal(1.0, spec.Temperature);
        Assert.Equal(50, spec.MaxTokens);
        Assert.Equal(JsonMode.Prompt, spec.EffectiveJsonMode);
    }

    [Theory]
    [InlineData("gpt-4o", "PROVIDER:MODEL")]
    [InlineData("azure:gpt-4o", "unknown provider 'azure'")]
    [InlineData("openai:gpt;temp=1", "unknown option 'temp'")]
    [InlineData("openai:gpt;temperature=3", "temperature must be a number in [0, 2]")]
    [InlineData("openai:gpt@ftp://x", "is not an http(s) URL")]
    [InlineData("openai:gpt;context_size=512", "gguf: models only")]
    public void ModelSpec_Malformed_ThrowsUsageErrorNamingTheProblem(string text, string expected)
    {
        var ex = Assert.Throws<DfidException>(() => ModelSpec.Parse(text));

        Assert.Equal(2, ex.ExitCode);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelCredentials_MissingKey_NamesTheVariable()
    {
        var ex = Assert.Throws<DfidException>(() => ModelCredentials.Resolve(ModelSpec.Parse("openai:gpt-4o-mini"), _ => null));

        Assert.Contains("OPENAI_API_KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelCredentials_ExplicitVariableUnsetForLocalEndpoint_StillAnError()
    {
        var ex = Assert.Throws<DfidException>(() =>
            ModelCredentials.Resolve(ModelSpec.Parse("openai:m@http://127.0.0.1:9/v1;api_key_env=MY_KEY"), _ => null));

        Assert.Contains("MY_KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelCredentials_LoopbackEndpointWithoutKey_UsesPlaceholder()
    {
        var (key, endpoint) = ModelCredentials.Resolve(ModelSpec.Parse("openai:m@http://localhost:11434/v1"), _ => null);

        Assert.Equal(ModelCredentials.LocalPlaceholderKey, key);
        Assert.Equal(11434, endpoint!.Port);
    }

    [Fact]
    public void ModelCredentials_BaseUrlFromEnvironment_IsUsed()
    {
        var env = new Dictionary<string, string> { ["OPENAI_API_KEY"] = "sk-1", ["OPENAI_BASE_URL"] = "https://api.deepseek.com/v1" };

        var (key, endpoint) = ModelCredentials.Resolve(ModelSpec.Parse("openai:deepseek-chat"), n => env.GetValueOrDefault(n));

        Assert.Equal("sk-1", key);
        Assert.Equal("api.deepseek.com", endpoint!.Host);
    }

    [Fact]
    public void PriceTable_Lookup_ByIdProviderModelOrName_UnknownIsNull()
    {
        var table = PriceTable.FromJson("""{"models": {"deepseek-chat": {"input_per_million": 1, "output_per_million": 2}}}""", "t");

        Assert.Equal(2m, table.Find(ModelSpec.Parse("openai:deepseek-chat@https://api.deepseek.com/v1"))!.OutputPerMillion);
        Assert.Null(table.Find(ModelSpec.Parse("openai:mystery")));
        Assert.Equal(0m, table.Find(ModelSpec.Parse("gguf:/x.gguf"))!.InputPerMillion);
        Assert.NotNull(PriceTable.Default.Find(ModelSpec.Parse("openai:gpt-4o-mini")));
        // 1000 prompt tokens at $1/M plus 500 completion at $2/M
        Assert.Equal(0.002m, table.Find(ModelSpec.Parse("openai:deepseek-chat"))!.Cost(1000, 500));
    }
}
