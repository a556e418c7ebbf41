namespace Dfid.Corpus.Importers;

/// <summary>The importers <c>dfid corpus import --format NAME</c> knows.</summary>
public static class CorpusImporters
{
    /// <summary>Every importer, in the order <c>--help</c> lists them.</summary>
    public static IReadOnlyList<ICorpusImporter> All { get; } =
    [
        new PersuasionForGoodImporter(),
        new SalesTalkJaImporter(),
        new JsonlImporter(),
        new OpenAiChatImporter(),
        new CsvImporter(),
    ];

    /// <summary>The importer for a format name (case-insensitive).</summary>
    /// <exception cref="DfidException">Unknown format (exit code 2); the message lists the known ones.</exception>
    public static ICorpusImporter Get(string format)
    {
        ArgumentNullException.ThrowIfNull(format);
        return All.FirstOrDefault(i => string.Equals(i.Format, format, StringComparison.OrdinalIgnoreCase))
            ?? throw new DfidException($"unknown --format \"{format}\" (known: {string.Join(", ", All.Select(i => i.Format))})", 2);
    }

    /// <summary>The dataset folder name under the data folder for importers that have a default input, else <c>null</c>.</summary>
    public static string? DefaultDataset(string format) => format.ToLowerInvariant() switch
    {
        PersuasionForGoodImporter.DatasetName => PersuasionForGoodImporter.DatasetName,
        SalesTalkJaImporter.DatasetName => SalesTalkJaImporter.DatasetName,
        _ => null,
    };
}
