using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dfid.Models;

/// <summary>US dollars per million tokens for one model.</summary>
/// <param name="InputPerMillion">Price of a million prompt tokens.</param>
/// <param name="OutputPerMillion">Price of a million completion tokens.</param>
public sealed record ModelPrice(
    [property: JsonPropertyName("input_per_million")] decimal InputPerMillion,
    [property: JsonPropertyName("output_per_million")] decimal OutputPerMillion)
{
    /// <summary>Price of a million prompt tokens sent through the provider's batch API; null means half of <see cref="InputPerMillion"/>.</summary>
    [JsonPropertyName("batch_input_per_million")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? BatchInputPerMillion { get; init; }

    /// <summary>Price of a million completion tokens through the provider's batch API; null means half of <see cref="OutputPerMillion"/>.</summary>
    [JsonPropertyName("batch_output_per_million")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public decimal? BatchOutputPerMillion { get; init; }

    /// <summary>Cost of a call with these token counts.</summary>
    public decimal Cost(long promptTokens, long completionTokens) =>
        (promptTokens * InputPerMillion + completionTokens * OutputPerMillion) / 1_000_000m;

    /// <summary>
    /// The price of an answer obtained through the provider's batch API: the entry's batch prices, or half of the list
    /// prices where the entry gives none (OpenAI Batch and Anthropic Message Batches both bill half at the time of writing).
    /// </summary>
    public ModelPrice ForBatch() => new(BatchInputPerMillion ?? InputPerMillion / 2, BatchOutputPerMillion ?? OutputPerMillion / 2);
}

/// <summary>
/// Prices by model, read from JSON <c>{"models": {"gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.6}}}</c>;
/// an entry may add <c>batch_input_per_million</c> and <c>batch_output_per_million</c> (otherwise batch answers cost half). Lookup tries the spec id (<c>openai:gpt-4o-mini</c>), then <c>provider:model</c>, then the bare model name;
/// <c>gguf:</c> models cost 0. A model not found has an unknown cost: never a guess.
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class PriceTable
{
    private readonly IReadOnlyDictionary<string, ModelPrice> _prices;

    /// <summary>Creates a table from entries keyed by spec id, <c>provider:model</c> or model name.</summary>
    public PriceTable(IReadOnlyDictionary<string, ModelPrice> prices)
    {
        ArgumentNullException.ThrowIfNull(prices);
        _prices = new Dictionary<string, ModelPrice>(prices, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The built-in table (<c>Resources/models/prices.json</c>): list prices of a few common models at the time of writing.</summary>
    public static PriceTable Default { get; } = FromJson(ReadResource("prices.json"), "built-in prices.json");

    /// <summary>The entries.</summary>
    public IReadOnlyDictionary<string, ModelPrice> Entries => _prices;

    /// <summary>The price of <paramref name="spec"/>, or null when unknown.</summary>
    public ModelPrice? Find(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Provider == ModelProvider.Gguf) return new ModelPrice(0, 0);
        var prefix = spec.Provider == ModelProvider.OpenAI ? "openai:" : "anthropic:";
        return _prices.TryGetValue(spec.Id, out var p) || _prices.TryGetValue(prefix + spec.Model, out p) || _prices.TryGetValue(spec.Model, out p)
            ? p
            : null;
    }

    /// <summary>The price of <paramref name="spec"/> through the provider's batch API (<see cref="ModelPrice.ForBatch"/>), or null when unknown.</summary>
    public ModelPrice? FindBatch(ModelSpec spec) => Find(spec)?.ForBatch();

    /// <summary>This table with <paramref name="overrides"/> replacing or adding entries.</summary>
    public PriceTable With(PriceTable overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var merged = new Dictionary<string, ModelPrice>(_prices, StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in overrides._prices) merged[k] = v;
        return new PriceTable(merged);
    }

    /// <summary>Reads a price file; its entries override the built-in ones.</summary>
    /// <exception cref="DfidException">The file is missing or malformed; the message names it.</exception>
    public static PriceTable Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DfidException($"price table '{path}' not found.", 2);
        return Default.With(FromJson(File.ReadAllText(path), path));
    }

    /// <summary>Parses price JSON.</summary>
    /// <exception cref="DfidException">Malformed JSON or a negative price.</exception>
    public static PriceTable FromJson(string json, string source)
    {
        try
        {
            var doc = JsonSerializer.Deserialize<PriceFile>(json) ?? throw new JsonException("empty");
            var bad = doc.Models.Where(kv => kv.Value is null || kv.Value.InputPerMillion < 0 || kv.Value.OutputPerMillion < 0
                || kv.Value.BatchInputPerMillion < 0 || kv.Value.BatchOutputPerMillion < 0).Select(kv => kv.Key).ToList();
            if (bad.Count > 0) throw new DfidException($"price table {source}: missing or negative prices for {string.Join(", ", bad)}.", 2);
            return new PriceTable(doc.Models);
        }
        catch (JsonException ex)
        {
            throw new DfidException($"price table {source} is not valid: {ex.Message}. Expected {{\"models\": {{\"MODEL\": {{\"input_per_million\": 0.15, \"output_per_million\": 0.6}}}}}}.", 2, ex);
        }
    }

    internal static string ReadResource(string name)
    {
        var asm = typeof(PriceTable).Assembly;
        var res = asm.GetManifestResourceNames().Single(n => n.EndsWith("models." + name, StringComparison.Ordinal));
        using var s = asm.GetManifestResourceStream(res)!;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    private sealed record PriceFile([property: JsonPropertyName("models")] Dictionary<string, ModelPrice> Models);
}
