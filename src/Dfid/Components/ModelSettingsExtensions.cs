using System.Globalization;
using Dfid.Models;
using Microsoft.Extensions.AI;

namespace Dfid.Components;

/// <summary>An experiment's model settings in the forms the model layer and the manifest take.</summary>
public static class ModelSettingsExtensions
{
    /// <summary>The model layer's spec: the spec string with the sampling options and <c>api_key_env</c> as spec options.</summary>
    public static ModelSpec ToModelSpec(this ModelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = settings.ManifestOptions();
        if (settings.ApiKeyEnv is { } k) options["api_key_env"] = k;
        return ModelSpec.Parse(settings.Spec, options);
    }

    /// <summary>The chat options of the sampling settings (temperature, top_p, max tokens, seed).</summary>
    public static ChatOptions ToChatOptions(this ModelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ChatOptions
        {
            Temperature = settings.Temperature is { } t ? (float)t : null,
            TopP = settings.TopP is { } p ? (float)p : null,
            MaxOutputTokens = settings.MaxTokens,
            Seed = settings.Seed,
        };
    }

    /// <summary>The sampling settings that are set, as manifest options (<c>temperature</c>, <c>top_p</c>, <c>max_tokens</c>, <c>seed</c>).</summary>
    public static Dictionary<string, string> ManifestOptions(this ModelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var o = new Dictionary<string, string>();
        if (settings.Temperature is { } t) o["temperature"] = t.ToString(CultureInfo.InvariantCulture);
        if (settings.TopP is { } p) o["top_p"] = p.ToString(CultureInfo.InvariantCulture);
        if (settings.MaxTokens is { } m) o["max_tokens"] = m.ToString(CultureInfo.InvariantCulture);
        if (settings.Seed is { } s) o["seed"] = s.ToString(CultureInfo.InvariantCulture);
        return o;
    }
}
