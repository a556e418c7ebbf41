using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dfid.Analysis;

/// <summary>Reads and writes <see cref="AnalysisResults"/> as <c>results.json</c> (schema <c>dfid.results/1</c>, snake_case).</summary>
/// <remarks>Non-finite numbers are never written: undefined statistics are null in the record tree, and the
/// serializer rejects NaN/Infinity rather than emitting invalid JSON.</remarks>
public static class AnalysisResultsJson
{
    /// <summary>The results as indented JSON text.</summary>
    public static string Serialize(AnalysisResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return JsonSerializer.Serialize(results, AnalysisJsonContext.Default.AnalysisResults);
    }

    /// <summary>Writes the results as indented UTF-8 JSON to a stream.</summary>
    public static void Write(AnalysisResults results, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(stream);
        JsonSerializer.Serialize(stream, results, AnalysisJsonContext.Default.AnalysisResults);
    }

    /// <summary>Writes the results to a file (created or replaced).</summary>
    public static void WriteFile(AnalysisResults results, string path)
    {
        using var stream = File.Create(path);
        Write(results, stream);
    }

    /// <summary>Parses results JSON.</summary>
    /// <exception cref="DfidException">The text is not a <c>dfid.results/1</c> document.</exception>
    public static AnalysisResults Deserialize(string json, string source = "results.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        AnalysisResults? results;
        try
        {
            results = JsonSerializer.Deserialize(json, AnalysisJsonContext.Default.AnalysisResults);
        }
        catch (JsonException ex)
        {
            throw new DfidException($"{source}: not valid results JSON ({ex.Message}); re-run `dfid analyze`", 1, ex);
        }
        if (results is null || results.Schema != AnalysisResults.SchemaId)
            throw new DfidException($"{source}: schema is '{results?.Schema}', expected '{AnalysisResults.SchemaId}'; re-run `dfid analyze` with this version", 1);
        return results;
    }

    /// <summary>Reads a results file.</summary>
    /// <exception cref="DfidException">The file is missing or not a <c>dfid.results/1</c> document.</exception>
    public static AnalysisResults ReadFile(string path)
    {
        if (!File.Exists(path)) throw new DfidException($"{path}: no results file; run `dfid analyze RUN_DIR` first", 1);
        return Deserialize(File.ReadAllText(path), path);
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(AnalysisResults))]
internal sealed partial class AnalysisJsonContext : JsonSerializerContext;
