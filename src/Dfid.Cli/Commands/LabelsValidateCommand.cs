using System.ComponentModel;
using Dfid.Instrument;
using Dfid.Corpus;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid labels validate</c>: every problem of a labels file as <c>FILE:LINE: reason</c>.</summary>
internal sealed class LabelsValidateCommand(IAnsiConsole console) : AsyncCommand<LabelsValidateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("The dfid.labels/1 file to check.")]
        public string File { get; init; } = "";

        [CommandOption("--corpus <CORPUS>")]
        [Description("Also check that every conversation exists and every labelled turn is a user turn of it.")]
        public string? Corpus { get; init; }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, Conversation>? corpus = null;
        if (settings.Corpus is { } path)
        {
            var byId = new Dictionary<string, Conversation>(StringComparer.Ordinal);
            foreach (var c in CorpusFile.ReadAll(path)) byId[c.Id] = c;
            corpus = byId;
        }
        var (problems, labels) = LabelsFile.Validate(settings.File, corpus);
        foreach (var p in problems) CorpusOutput.Line(console, p.ToString());
        var against = corpus is null ? "" : $" against {settings.Corpus}";
        CorpusOutput.Line(console, problems.Count == 0
            ? $"checked {settings.File}{against}: {labels} labels, no problems"
            : $"checked {settings.File}{against}: {labels} valid labels, {problems.Count} problems");
        return Task.FromResult(problems.Count == 0 ? 0 : 1);
    }
}
