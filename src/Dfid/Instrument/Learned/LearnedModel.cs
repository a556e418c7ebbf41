using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dfid.Corpus;

namespace Dfid.Instrument.Learned;

/// <summary>What a learned model predicts.</summary>
internal enum LearnedTarget
{
    Stage,
    Action,
}

/// <summary>
/// One trained softmax model: weights in the mixed layout (<see cref="SoftmaxRegression.Length"/>), rounded to
/// float once after training so a freshly trained and a reloaded model score identically; the lexical features it knows;
/// and, for stage models, its decision rule.
/// </summary>
/// <param name="Weights">Weights, [dense class-major | biases | sparse feature-major].</param>
/// <param name="DenseDims">Length of the dense block.</param>
/// <param name="LexiconIds">Known lexical ids (empty for dense-only models).</param>
/// <param name="LexiconIdf">Their idf.</param>
/// <param name="Rule">Calibration and decision rule; null = plain softmax and argmax.</param>
internal sealed record Submodel(
    [property: JsonConverter(typeof(FloatArrayAsBase64))] float[] Weights,
    int DenseDims,
    int[] LexiconIds,
    [property: JsonConverter(typeof(FloatArrayAsBase64))] float[] LexiconIdf,
    StageDecisionRule? Rule)
{
    private Lexicon? _lexicon;

    [JsonIgnore]
    public Lexicon Lexicon => _lexicon ??= new Lexicon(LexiconIds, LexiconIdf);

    public static Submodel From(double[] weights, int denseDims, Lexicon lexicon, StageDecisionRule? rule) =>
        new([.. weights.Select(v => (float)v)], denseDims, lexicon.Ids, lexicon.Idf, rule);

    /// <summary>Logits of one row (dense features, lexical channels).</summary>
    public void Logits(float[] dense, Dictionary<int, int>[]? lexical, int classes, Span<double> logits)
    {
        var (index, value) = lexical is null || LexiconIds.Length == 0 ? ([], []) : Lexicon.Vectorise(lexical);
        SoftmaxRegression.Logits(Weights, dense, index, value, classes, logits);
    }
}

/// <summary>One human-labelled training turn (agent-action model).</summary>
internal sealed record TrainingExample(string ConversationKey, int TurnIndex, string Text, string? Context, int Ordinal, int Label);

/// <summary>A trained classifier set: one model per fold (each excluding its fold's conversations) and a full model.</summary>
internal sealed record LearnedModel(
    string Format,
    string Target,
    string TrainingHash,
    string MappingSource,
    string MappingHash,
    string Features,
    int EmbeddingDimensions,
    string[] Classes,
    int Folds,
    Dictionary<string, int> FoldOf,
    Submodel[] FoldModels,
    Submodel FullModel,
    int Examples,
    int[] ClassCounts,
    double L2,
    double LexicalL2,
    int InnerFolds,
    DateTimeOffset TrainedAt)
{
    public const string FormatTag = "dfid.learned-model/2";

    /// <summary>The model to use for a conversation: its fold's model if it was trained on, else the full model.</summary>
    public (Submodel Model, int? Fold) ModelFor(string conversationKey) =>
        FoldOf.TryGetValue(conversationKey, out var fold) ? (FoldModels[fold], fold) : (FullModel, null);

    public static string Key(Conversation c) => c.Source.Dataset + "/" + c.Id;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }

    public static LearnedModel? TryLoad(string path, string expectedHash)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var m = JsonSerializer.Deserialize<LearnedModel>(File.ReadAllText(path), Json);
            return m is not null && m.Format == FormatTag && m.TrainingHash == expectedHash ? m : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or NotSupportedException)
        {
            return null; // a damaged cache file is retrained and overwritten
        }
    }
}

/// <summary>Stores a float array as base64 of its little-endian bytes (a third of the size of JSON numbers).</summary>
internal sealed class FloatArrayAsBase64 : JsonConverter<float[]>
{
    public override float[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var bytes = reader.GetBytesFromBase64();
        if (bytes.Length % sizeof(float) != 0) throw new JsonException("float array: byte length is not a multiple of 4.");
        var values = new float[bytes.Length / sizeof(float)];
        if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(bytes).CopyTo(values);
        else
            for (var i = 0; i < values.Length; i++)
                values[i] = BitConverter.ToSingle([bytes[4 * i + 3], bytes[4 * i + 2], bytes[4 * i + 1], bytes[4 * i]]);
        return values;
    }

    public override void Write(Utf8JsonWriter writer, float[] value, JsonSerializerOptions options)
    {
        var bytes = new byte[value.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(value.AsSpan()).CopyTo(bytes);
        else
            for (var i = 0; i < value.Length; i++)
            {
                var b = BitConverter.GetBytes(value[i]);
                Array.Reverse(b);
                b.CopyTo(bytes, 4 * i);
            }
        writer.WriteBase64StringValue(bytes);
    }
}
