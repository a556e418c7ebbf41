using System.ComponentModel;
using Dfid.Analysis;
using Dfid.Running;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid analyze RUN_DIR</c>: the decision-fidelity statistics of a run, written to <c>results.json</c>.</summary>
internal sealed class AnalyzeCommand(IAnsiConsole console) : AsyncCommand<AnalyzeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN_DIR>")]
        [Description("Run folder written by `dfid run` (holds run.sqlite).")]
        public string RunDir { get; init; } = "";

        [CommandOption("--json")]
        [Description("Print results.json to stdout instead of the summary table.")]
        public bool Json { get; init; }

        [CommandOption("--permutations <N>")]
        [Description("Permutation draws per test (default 20000).")]
        public int? Permutations { get; init; }

        [CommandOption("--bootstrap <N>")]
        [Description("Bootstrap resamples per interval (default 10000).")]
        public int? Bootstrap { get; init; }

        [CommandOption("--seed <S>")]
        [Description("Seed of all resampling (default 20260601).")]
        public long? Seed { get; init; }

        [CommandOption("--confirmatory <NAMES>")]
        [Description("Comma-separated conditions of the confirmatory family (Holm); default: all conditions.")]
        public string? Confirmatory { get; init; }

        [CommandOption("-o|--out <FILE>")]
        [Description("Where to write the results (default RUN_DIR/results.json).")]
        public string? Out { get; init; }

        public override ValidationResult Validate()
        {
            if (Permutations is < 1) return ValidationResult.Error("--permutations must be at least 1");
            if (Bootstrap is < 1) return ValidationResult.Error("--bootstrap must be at least 1");
            return ValidationResult.Success();
        }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var defaults = new AnalysisOptions();
        var options = defaults with
        {
            Permutations = settings.Permutations ?? defaults.Permutations,
            BootstrapResamples = settings.Bootstrap ?? defaults.BootstrapResamples,
            Seed = settings.Seed ?? defaults.Seed,
            ConfirmatoryFamily = settings.Confirmatory?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
        cancellationToken.ThrowIfCancellationRequested();
        Console.Error.WriteLine($"analysing {settings.RunDir} ({options.Permutations} permutations, {options.BootstrapResamples} bootstrap resamples, seed {options.Seed})...");
        var results = new RunPipeline().Analyze(settings.RunDir, options);
        var outPath = settings.Out ?? Path.Combine(settings.RunDir, RunPipeline.ResultsFile);
        AnalysisResultsJson.WriteFile(results, outPath);
        Console.Error.WriteLine($"wrote {Path.GetFullPath(outPath)}");
        if (settings.Json) console.Profile.Out.Writer.Write(AnalysisResultsJson.Serialize(results) + "\n");
        else console.Write(new Text(ResultsSummary.Render(results)));
        return Task.FromResult(0);
    }
}

/// <summary><c>dfid export RUN_DIR --probes FILE.csv</c>: the probe table as CSV.</summary>
internal sealed class ExportCommand : AsyncCommand<ExportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN_DIR>")]
        [Description("Run folder written by `dfid run` (holds run.sqlite).")]
        public string RunDir { get; init; } = "";

        [CommandOption("--probes <FILE>")]
        [Description("Write one row per (condition, probe) to this CSV file ('-' for stdout).")]
        public string? Probes { get; init; }

        [CommandOption("--rollouts <FILE>")]
        [Description("Write one row per rollout turn (condition, conversation, sample, turn, role, text, stage, status) to this CSV file ('-' for stdout).")]
        public string? Rollouts { get; init; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Probes) && string.IsNullOrWhiteSpace(Rollouts)
                ? ValidationResult.Error("--probes FILE.csv or --rollouts FILE.csv is required")
                : Probes == "-" && Rollouts == "-" ? ValidationResult.Error("only one of --probes and --rollouts can go to stdout")
                : ValidationResult.Success();
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var table = new RunPipeline().ReadTable(settings.RunDir, includeTexts: settings.Rollouts is not null);
        if (settings.Probes is { } probes)
        {
            if (table.Rows.Count == 0)
                throw new DfidException($"{settings.RunDir}: no finished probe yet; run `dfid run` on this folder first (it resumes)", 1);
            Write(probes, w => ProbeTableCsv.Write(table.Rows, w), $"{table.Rows.Count} probe rows");
        }
        if (settings.Rollouts is { } rollouts)
            Write(rollouts, w => ProbeTableCsv.WriteRollouts(table.RolloutTurns, w), $"{table.RolloutTurns.Count} rollout turns");
        return Task.FromResult(0);
    }

    private static void Write(string path, Action<TextWriter> write, string what)
    {
        if (path == "-")
        {
            write(Console.Out);
            return;
        }
        using (var writer = new StreamWriter(path, false, new System.Text.UTF8Encoding(false))) write(writer);
        Console.Error.WriteLine($"wrote {what} to {Path.GetFullPath(path)}");
    }
}
