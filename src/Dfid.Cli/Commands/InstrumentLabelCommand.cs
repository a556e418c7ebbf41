using System.ComponentModel;
using Dfid.Instrument;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid instrument label</c>: one JSON line per labelled user turn.</summary>
internal sealed class InstrumentLabelCommand(IAnsiConsole console) : AsyncCommand<InstrumentLabelCommand.Settings>
{
    public sealed class Settings : InstrumentSettings
    {
        [CommandOption("--out <FILE>")]
        [Description("Output JSON Lines file.")]
        public string Out { get; init; } = "";

        [CommandOption("--only-labelled")]
        [Description("Only user turns whose human acts map to a stage.")]
        public bool OnlyLabelled { get; init; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("--out FILE is required") : base.Validate();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var session = await InstrumentSession.OpenAsync(settings, cancellationToken);
        var labels = await InstrumentLabelling.LabelCorpusAsync(session.Corpus, session.Instrument, session.Mapping,
            settings.OnlyLabelled, session.ValidationOptions(settings), cancellationToken);
        var dir = Path.GetDirectoryName(Path.GetFullPath(settings.Out));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        await File.WriteAllLinesAsync(settings.Out, labels.Select(l => l.ToJsonLine()), cancellationToken);
        var failed = labels.Count(l => !l.Result.IsOk);
        console.Profile.Out.Writer.WriteLine($"{labels.Count} turns labelled by {session.Instrument.Name} -> {settings.Out} ({failed} failed)");
        return failed > 0 ? 1 : 0;
    }
}
