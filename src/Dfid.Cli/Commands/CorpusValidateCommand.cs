using System.ComponentModel;
using Dfid.Corpus;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid corpus validate</c>: lists every problem as <c>FILE:LINE: reason</c>.</summary>
internal sealed class CorpusValidateCommand(IAnsiConsole console) : AsyncCommand<CorpusValidateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("The dfid.corpus/1 file to check.")]
        public string File { get; init; } = "";
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        int valid = 0, problems = 0, badLines = 0;
        foreach (var line in CorpusFile.ReadFacts(settings.File))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (line.IsValid)
            {
                valid++;
                continue;
            }
            badLines++;
            foreach (var p in line.Problems)
            {
                problems++;
                CorpusOutput.Line(console, p.ToString());
            }
        }
        CorpusOutput.Line(console, problems == 0
            ? $"checked {settings.File}: {valid} conversations, no problems"
            : $"checked {settings.File}: {valid} valid conversations, {problems} problems on {badLines} lines");
        return Task.FromResult(problems == 0 ? 0 : 1);
    }
}
