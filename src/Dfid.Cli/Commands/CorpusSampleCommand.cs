using System.ComponentModel;
using Dfid.Corpus;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid corpus sample</c>: an outcome-balanced, seeded sample.</summary>
internal sealed class CorpusSampleCommand(IAnsiConsole console) : AsyncCommand<CorpusSampleCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("The dfid.corpus/1 file to sample from.")]
        public string File { get; init; } = "";

        [CommandOption("--balanced <N>")]
        [Description("Conversations per outcome stratum (converted / not converted).")]
        public int? Balanced { get; init; }

        [CommandOption("--seed <S>")]
        [Description("Random seed; the same file and seed give the same sample (default 0).")]
        public int Seed { get; init; }

        [CommandOption("-o|--out <FILE>")]
        [Description("The sample, written as a dfid.corpus/1 file.")]
        public string? Out { get; init; }

        public override ValidationResult Validate()
        {
            if (Balanced is not > 0) return ValidationResult.Error("--balanced N (conversations per outcome stratum, > 0) is required");
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out FILE.jsonl is required");
            return ValidationResult.Success();
        }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var corpus = CorpusFile.ReadAll(settings.File);
        var sample = CorpusSampler.Balanced(corpus, settings.Balanced!.Value, settings.Seed);
        foreach (var w in sample.Warnings) CorpusOutput.Note("warning: " + w);
        CorpusFile.Write(settings.Out!, sample.Conversations);
        var parts = sample.Strata.Select(s => $"{s.Drawn} {(s.Converted ? "converted" : "not converted")} of {s.Available}");
        CorpusOutput.Line(console, $"wrote {sample.Conversations.Count} conversations to {settings.Out} ({string.Join(", ", parts)}; seed {settings.Seed})");
        return Task.FromResult(0);
    }
}
