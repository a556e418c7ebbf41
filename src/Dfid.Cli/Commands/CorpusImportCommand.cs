using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Dfid.Corpus;
using Dfid.Corpus.Importers;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid corpus import</c>: converts a source into a <c>dfid.corpus/1</c> file.</summary>
internal sealed class CorpusImportCommand(IAnsiConsole console) : AsyncCommand<CorpusImportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-f|--format <NAME>")]
        [Description("Source format: persuasionforgood, salestalk-ja, jsonl, openai-chat, csv.")]
        public string? Format { get; init; }

        [CommandOption("-i|--in <PATH>")]
        [Description("Source file or folder. For persuasionforgood and salestalk-ja it defaults to that folder inside the data folder.")]
        public string? In { get; init; }

        [CommandOption("-o|--out <FILE>")]
        [Description("The dfid.corpus/1 file to write.")]
        public string? Out { get; init; }

        [CommandOption("--outcomes <FILE>")]
        [Description("csv format: outcomes CSV (conversation_id,converted[[,value,verified,decided_at_turn]]).")]
        public string? Outcomes { get; init; }

        [CommandOption("--skip-invalid")]
        [Description("Write the valid conversations even when some records have problems (they are listed and counted).")]
        public bool SkipInvalid { get; init; }

        [CommandOption("--data <DIR>")]
        [Description("Data folder holding persuasionforgood/ and salestalk-ja/ (else DFID_DATA, else ../shared/data).")]
        public string? Data { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Format))
                return ValidationResult.Error("--format is required (" + string.Join(", ", CorpusImporters.All.Select(i => i.Format)) + ")");
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out FILE.jsonl is required");
            if (Outcomes is not null && !string.Equals(Format, "csv", StringComparison.OrdinalIgnoreCase))
                return ValidationResult.Error("--outcomes is only for --format csv");
            return ValidationResult.Success();
        }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var importer = CorpusImporters.Get(settings.Format!);
        var input = settings.In;
        if (string.IsNullOrWhiteSpace(input))
        {
            var dataset = CorpusImporters.DefaultDataset(importer.Format)
                ?? throw new DfidException($"--in PATH is required for --format {importer.Format} ({importer.Description})", 2);
            input = DataLocator.LocateDataset(settings.Data, dataset);
        }
        var clock = Stopwatch.StartNew();
        var result = importer.Import(new CorpusImportRequest(input, settings.Outcomes), cancellationToken);
        foreach (var note in result.Notes) CorpusOutput.Note("note: " + note);
        if (result.Problems.Count > 0 && !settings.SkipInvalid)
        {
            foreach (var p in result.Problems) CorpusOutput.Line(console, p.ToString());
            throw new DfidException(
                $"{result.Problems.Count} problems in {input}; nothing written. Fix them, or re-run with --skip-invalid to write the {result.Conversations.Count} valid conversations.", 1);
        }
        foreach (var p in result.Problems) CorpusOutput.Note("skipped: " + p);
        var written = CorpusFile.Write(settings.Out!, result.Conversations);
        var stats = CorpusStatistics.Compute(result.Conversations);
        CorpusOutput.Line(console, string.Create(CultureInfo.InvariantCulture,
            $"wrote {written} conversations to {settings.Out} ({stats.Converted} converted, {stats.NotConverted} not converted, {stats.UnknownOutcome} unknown; " +
            $"{result.TruncatedConversations} cut at the decision, {result.DroppedTurns} turns dropped; {result.Problems.Count} problems skipped) in {clock.Elapsed.TotalSeconds:0.00} s"));
        return Task.FromResult(0);
    }
}
