using System.ComponentModel;
using System.Globalization;
using Dfid.Corpus;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid corpus stats</c>: outcome and engagement statistics, streamed.</summary>
internal sealed class CorpusStatsCommand(IAnsiConsole console) : AsyncCommand<CorpusStatsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("The dfid.corpus/1 file.")]
        public string File { get; init; } = "";

        [CommandOption("--where <SUBSET>")]
        [Description("Only these conversations: verified, converted, not-converted (default: all).")]
        public string? Where { get; init; }

        [CommandOption("--json")]
        [Description("Print the statistics as JSON on stdout.")]
        public bool Json { get; init; }

        public CorpusSubset Subset => ParseSubset(Where) ?? CorpusSubset.All;

        public override ValidationResult Validate() =>
            Where is null || ParseSubset(Where) is not null
                ? ValidationResult.Success()
                : ValidationResult.Error($"--where must be verified, converted or not-converted, not \"{Where}\"");

        private static CorpusSubset? ParseSubset(string? s) => s?.ToLowerInvariant() switch
        {
            null or "all" => CorpusSubset.All,
            "verified" => CorpusSubset.Verified,
            "converted" => CorpusSubset.Converted,
            "not-converted" => CorpusSubset.NotConverted,
            _ => null,
        };
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var acc = new CorpusStatsAccumulator();
        var invalid = 0;
        foreach (var line in CorpusFile.ReadFacts(settings.File))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (line.Facts is not { } facts) invalid++;
            else if (CorpusStatistics.Matches(facts, settings.Subset)) acc.Add(facts);
        }
        var stats = acc.Result();
        if (settings.Json) CorpusOutput.Line(console, stats.ToJson());
        else console.Write(Table(settings, stats));
        if (invalid == 0) return Task.FromResult(0);
        CorpusOutput.Note($"warning: {invalid} invalid lines were left out of the statistics (dfid corpus validate {settings.File} lists them)");
        return Task.FromResult(1);
    }

    private static Table Table(Settings settings, CorpusStats s)
    {
        static string F(double? v) => v is double d ? d.ToString("0.##", CultureInfo.InvariantCulture) : "–";
        var table = new Table().Title(Markup.Escape($"{settings.File}{(settings.Subset == CorpusSubset.All ? "" : " where " + settings.Where)}"))
            .AddColumn("statistic").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("conversations", s.Conversations.ToString(CultureInfo.InvariantCulture));
        table.AddRow("converted", s.Converted.ToString(CultureInfo.InvariantCulture));
        table.AddRow("not converted", s.NotConverted.ToString(CultureInfo.InvariantCulture));
        table.AddRow("unknown outcome", s.UnknownOutcome.ToString(CultureInfo.InvariantCulture));
        table.AddRow("verified", s.Verified.ToString(CultureInfo.InvariantCulture));
        table.AddRow("annotated", s.AnnotatedConversations.ToString(CultureInfo.InvariantCulture));
        table.AddRow("cut at decision (turns dropped)", s.TruncatedConversations.ToString(CultureInfo.InvariantCulture));
        table.AddRow("mean dropped turns", F(s.MeanTruncatedTurns));
        foreach (var (name, d) in new[] { ("turns", s.Turns), ("user turns", s.UserTurns) })
            table.AddRow(Markup.Escape($"{name} min / median / mean / max"),
                d is null ? "–" : $"{d.Min} / {F(d.Median)} / {F(d.Mean)} / {d.Max}");
        return table;
    }
}
