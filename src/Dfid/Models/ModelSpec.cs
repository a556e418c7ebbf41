using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;

namespace Dfid.Models;

/// <summary>Which kind of backend answers a <see cref="ModelSpec"/>.</summary>
public enum ModelProvider
{
    /// <summary>Any OpenAI-compatible chat-completions endpoint (OpenAI, DeepSeek, vLLM, Ollama, llama.cpp server, LM Studio).</summary>
    OpenAI,

    /// <summary>Anthropic's messages API.</summary>
    Anthropic,

    /// <summary>A local GGUF file run by LLamaSharp on the CPU.</summary>
    Gguf,
}

/// <summary>How <see cref="ChatClientJsonExtensions.GetJsonAsync"/> asks a model for JSON.</summary>
public enum JsonMode
{
    /// <summary>The provider's JSON-schema response format (OpenAI <c>response_format: json_schema</c>); for <c>gguf:</c> a grammar.</summary>
    Schema,

    /// <summary>Plain instructions that quote the schema; the answer is validated all the same.</summary>
    Prompt,
}

/// <summary>
/// A parsed model spec: <c>openai:MODEL</c>, <c>openai:MODEL@URL</c>, <c>anthropic:MODEL</c>, <c>gguf:PATH</c> or
/// <c>gguf:NAME</c>, optionally followed by <c>;key=value</c> options (<c>temperature</c>, <c>top_p</c>,
/// <c>max_tokens</c>, <c>seed</c>, <c>api_key_env</c>, <c>json_mode</c>, and for gguf <c>context_size</c>, <c>threads</c>).
/// </summary>
/// <remarks>
/// Keys never appear in a spec: they come from the environment variable named by <see cref="ApiKeyEnv"/>
/// (default <c>OPENAI_API_KEY</c> / <c>ANTHROPIC_API_KEY</c>). Immutable and thread-safe.
/// </remarks>
public sealed record ModelSpec
{
    /// <summary>The option keys a spec accepts.</summary>
    public static IReadOnlyList<string> OptionKeys { get; } =
        ["temperature", "top_p", "max_tokens", "seed", "api_key_env", "json_mode", "context_size", "threads"];

    /// <summary>The backend.</summary>
    public required ModelProvider Provider { get; init; }

    /// <summary>The model name (for <c>gguf:</c> the file path or a named model from <c>dfid models pull</c>).</summary>
    public required string Model { get; init; }

    /// <summary>The endpoint of an <c>openai:MODEL@URL</c> spec (or an Anthropic-compatible base URL); null for the default.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The environment variable holding the API key; null for the provider's default variable.</summary>
    public string? ApiKeyEnv { get; init; }

    /// <summary>Sampling temperature.</summary>
    public double? Temperature { get; init; }

    /// <summary>Nucleus sampling mass.</summary>
    public double? TopP { get; init; }

    /// <summary>Maximum completion tokens.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Sampling seed (providers that support it; always for gguf).</summary>
    public long? Seed { get; init; }

    /// <summary>How JSON answers are requested; null picks per provider (schema for OpenAI and gguf, prompt for Anthropic).</summary>
    public JsonMode? JsonMode { get; init; }

    /// <summary>gguf: context size in tokens. <value>The default value (null) means the model's trained context length, at most 8,192 (2,048 when the file does not say).</value></summary>
    public int? ContextSize { get; init; }

    /// <summary>gguf: CPU threads; null lets llama.cpp decide.</summary>
    public int? Threads { get; init; }

    /// <summary>The model's identity without options, e.g. <c>openai:gpt-4o-mini</c> or <c>openai:qwen@http://127.0.0.1:8080/v1</c>; used in <see cref="ModelCall.Model"/> and price lookups.</summary>
    public string Id => Provider switch
    {
        ModelProvider.OpenAI => "openai:",
        ModelProvider.Anthropic => "anthropic:",
        _ => "gguf:",
    } + Model + (Endpoint is null ? "" : "@" + Endpoint.ToString().TrimEnd('/'));

    /// <summary>The JSON mode in effect: <see cref="JsonMode"/> or the provider's default.</summary>
    public JsonMode EffectiveJsonMode => JsonMode ?? (Provider == ModelProvider.Anthropic ? Models.JsonMode.Prompt : Models.JsonMode.Schema);

    /// <summary>Parses a spec string; <paramref name="options"/> (e.g. from an experiment file) override options in the string.</summary>
    /// <exception cref="DfidException">The spec is malformed or names an unknown option (exit code 2); the message names the fix.</exception>
    public static ModelSpec Parse(string spec, IReadOnlyDictionary<string, string>? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var parts = spec.Trim().Split(';', StringSplitOptions.TrimEntries);
        var head = parts[0];
        var colon = head.IndexOf(':');
        if (colon <= 0 || colon == head.Length - 1)
            throw Usage(spec, "expected PROVIDER:MODEL");
        var provider = head[..colon].ToLowerInvariant() switch
        {
            "openai" => ModelProvider.OpenAI,
            "anthropic" => ModelProvider.Anthropic,
            "gguf" => ModelProvider.Gguf,
            var p => throw Usage(spec, $"unknown provider '{p}'"),
        };
        var model = head[(colon + 1)..];
        Uri? endpoint = null;
        if (provider != ModelProvider.Gguf && model.IndexOf('@') is var at and > 0)
        {
            var url = model[(at + 1)..];
            model = model[..at];
            if (!Uri.TryCreate(url, UriKind.Absolute, out endpoint) || (endpoint.Scheme != "http" && endpoint.Scheme != "https"))
                throw Usage(spec, $"'{url}' is not an http(s) URL");
        }
        if (model.Length == 0) throw Usage(spec, "the model name is empty");

        var all = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var kv in parts.Skip(1).Where(p => p.Length > 0))
        {
            var eq = kv.IndexOf('=');
            if (eq <= 0) throw Usage(spec, $"option '{kv}' is not key=value");
            all[kv[..eq].Trim()] = kv[(eq + 1)..].Trim();
        }
        if (options is not null)
            foreach (var (k, v) in options) all[k] = v;

        var result = new ModelSpec { Provider = provider, Model = model, Endpoint = endpoint };
        foreach (var (key, value) in all)
        {
            result = key.ToLowerInvariant() switch
            {
                "temperature" => result with { Temperature = Num(spec, key, value, 0, 2) },
                "top_p" => result with { TopP = Num(spec, key, value, 0, 1) },
                "max_tokens" => result with { MaxTokens = (int)Int(spec, key, value, 1, int.MaxValue) },
                "seed" => result with { Seed = Int(spec, key, value, long.MinValue, long.MaxValue) },
                "api_key_env" => result with { ApiKeyEnv = EnvName(spec, value) },
                "json_mode" => result with
                {
                    JsonMode = value.ToLowerInvariant() switch
                    {
                        "schema" => Models.JsonMode.Schema,
                        "prompt" => Models.JsonMode.Prompt,
                        _ => throw Usage(spec, $"json_mode must be 'schema' or 'prompt', not '{value}'"),
                    },
                },
                "context_size" or "ctx" => result with { ContextSize = (int)Int(spec, key, value, 64, 1 << 20) },
                "threads" => result with { Threads = (int)Int(spec, key, value, 1, 1024) },
                _ => throw Usage(spec, $"unknown option '{key}' (known: {string.Join(", ", OptionKeys)})"),
            };
        }
        if (provider != ModelProvider.Gguf && (result.ContextSize is not null || result.Threads is not null))
            throw Usage(spec, "context_size and threads apply to gguf: models only");
        return result;
    }

    /// <summary>The chat options this spec implies (temperature, top_p, max_tokens, seed); null fields are left unset.</summary>
    public ChatOptions ToChatOptions() => new()
    {
        Temperature = (float?)Temperature,
        TopP = (float?)TopP,
        MaxOutputTokens = MaxTokens,
        Seed = Seed,
    };

    /// <summary>The canonical spec string, options included (no secrets: only the key's variable name).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Id);
        void Add(string k, object? v)
        {
            if (v is not null) sb.Append(';').Append(k).Append('=').Append(Convert.ToString(v, CultureInfo.InvariantCulture));
        }
        Add("temperature", Temperature);
        Add("top_p", TopP);
        Add("max_tokens", MaxTokens);
        Add("seed", Seed);
        Add("api_key_env", ApiKeyEnv);
        Add("json_mode", JsonMode?.ToString().ToLowerInvariant());
        Add("context_size", ContextSize);
        Add("threads", Threads);
        return sb.ToString();
    }

    private static DfidException Usage(string spec, string what) => new(
        $"model spec '{spec}': {what}. Use openai:MODEL, openai:MODEL@URL, anthropic:MODEL, gguf:PATH or gguf:NAME, "
        + "optionally followed by ;key=value options, e.g. 'openai:gpt-4o-mini;temperature=0.7;max_tokens=300'.", 2);

    private static double Num(string spec, string key, string value, double min, double max) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= min && d <= max
            ? d
            : throw Usage(spec, $"{key} must be a number in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}], not '{value}'");

    private static long Int(string spec, string key, string value, long min, long max) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw Usage(spec, $"{key} must be an integer in [{min}, {max}], not '{value}'");

    private static string EnvName(string spec, string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            ? value
            : throw Usage(spec, $"api_key_env must name an environment variable (letters, digits, _), not '{value}'");
}
