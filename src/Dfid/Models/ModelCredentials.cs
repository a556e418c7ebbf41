namespace Dfid.Models;

/// <summary>Where a spec's key and endpoint come from: the environment only.</summary>
/// <remarks>
/// <c>openai:</c> reads the key from <see cref="ModelSpec.ApiKeyEnv"/> or <c>OPENAI_API_KEY</c> and the endpoint from the
/// spec's <c>@URL</c> or <c>OPENAI_BASE_URL</c>; <c>anthropic:</c> reads <c>ANTHROPIC_API_KEY</c> and
/// <c>ANTHROPIC_BASE_URL</c>. Local servers (llama.cpp, Ollama, vLLM on 127.0.0.1/localhost) usually need no key, so when
/// the endpoint is a loopback address and the default variable is unset, a placeholder key is sent instead; a variable
/// named explicitly with <c>api_key_env</c> must always be set.
/// </remarks>
internal static class ModelCredentials
{
    /// <summary>The key sent to a loopback endpoint when no key variable is set.</summary>
    public const string LocalPlaceholderKey = "dfid-local-no-key";

    /// <summary>Resolves the key and endpoint of <paramref name="spec"/>.</summary>
    /// <param name="spec">The spec.</param>
    /// <param name="environment">Reads an environment variable (null when unset).</param>
    /// <returns>The key and the endpoint (null for the SDK's default).</returns>
    /// <exception cref="DfidException">The key variable is unset; the message names it.</exception>
    public static (string Key, Uri? Endpoint) Resolve(ModelSpec spec, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(environment);
        if (spec.Provider == ModelProvider.Gguf) return ("", null);
        var (defaultKeyVar, urlVar) = spec.Provider == ModelProvider.OpenAI
            ? ("OPENAI_API_KEY", "OPENAI_BASE_URL")
            : ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL");
        var endpoint = spec.Endpoint;
        if (endpoint is null && NonEmpty(environment(urlVar)) is { } envUrl)
        {
            if (!Uri.TryCreate(envUrl, UriKind.Absolute, out endpoint))
                throw new DfidException($"{urlVar}='{envUrl}' is not an absolute URL; set it to e.g. https://api.deepseek.com/v1 or unset it.", 2);
        }
        var keyVar = spec.ApiKeyEnv ?? defaultKeyVar;
        if (NonEmpty(environment(keyVar)) is { } key) return (key, endpoint);
        if (spec.ApiKeyEnv is null && endpoint is not null && endpoint.IsLoopback) return (LocalPlaceholderKey, endpoint);
        throw new DfidException(
            $"model {spec.Id}: the API key variable {keyVar} is not set. Export it (export {keyVar}=...)"
            + (spec.ApiKeyEnv is null ? $" or name another variable with ';api_key_env=NAME' in the spec." : "."), 2);
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
