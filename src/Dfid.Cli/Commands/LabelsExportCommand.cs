using System.ComponentModel;
using Dfid.Annotation;
using Dfid.Instrument;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid labels export</c>: an annotation store's current labels as a <c>dfid.labels/1</c> file.</summary>
internal sealed class LabelsExportCommand(IAnsiConsole console) : AsyncCommand<LabelsExportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--store <FILE>")]
        [Description("The annotation store written by dfid annotate (e.g. annotations/p4g/labels.sqlite).")]
        public string? Store { get; init; }

        [CommandOption("-o|--out <FILE>")]
        [Description("The labels file to write (dfid.labels/1 JSON Lines).")]
        public string? Out { get; init; }

        [CommandOption("--annotator <NAME>")]
        [Description("Export only this annotator's labels (default: everyone's).")]
        public string? Annotator { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Store)) return ValidationResult.Error("--store FILE (the annotation store) is required");
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out FILE.jsonl is required");
            return ValidationResult.Success();
        }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Store)) throw new DfidException($"{settings.Store}: annotation store not found; `dfid annotate` prints the path of its store.", 2);
        using var store = AnnotationStore.Open(settings.Store!);
        var labels = store.ReadLabels().Where(l => settings.Annotator is null || l.Annotator == settings.Annotator).ToList();
        if (settings.Annotator is not null && labels.Count == 0 && !store.ReadAnnotators().Contains(settings.Annotator))
            throw new DfidException($"{settings.Store}: no annotator '{settings.Annotator}'; known: {string.Join(", ", store.ReadAnnotators())}.", 2);
        var n = LabelsFile.Write(settings.Out!, labels);
        var skipped = store.ReadAnnotators().Where(a => settings.Annotator is null || a == settings.Annotator).Sum(a => store.ReadProgress(a).Skipped);
        CorpusOutput.Line(console, $"wrote {n} labels by {labels.Select(l => l.Annotator).Distinct().Count()} annotator(s) to {settings.Out}" +
            (skipped > 0 ? $" ({skipped} skipped turns have no label and are not written)" : ""));
        return Task.FromResult(0);
    }
}
