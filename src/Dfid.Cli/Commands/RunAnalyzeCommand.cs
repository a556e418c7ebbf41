using System.ComponentModel;
using System.Text.Json;
using Dfid.Analysis;
using Dfid.Store;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid analyze RUN_DIR</c>: the decision-fidelity statistics of a run, into <c>RUN_DIR/results.json</c>.</summary>
internal sealed class RunAnalyzeCommand(IAnsiConsole console) : AsyncCommand<RunAnalyzeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN_DIR>")]
        [Description("The run folder (holds run.sqlite).")]
        public string RunDir { get; init; } = "";

        [CommandOption("--json")]
        [Description("Print results.json to stdout instead of the summary table.")]
        public bool Json { get; init; }

        [CommandOption("--permutations <N>")]
        [Description("Permutation draws for p (default 20000).")]
        public int? Permutations { get; init; }

        [CommandOption("--bootstrap <N>")]
        [Description("Bootstrap resamples for the CIs (default 10000).")]
        public int? Bootstrap { get; init; }

        [CommandOption("--seed <S>")]
        [Description("Seed of the resampling.")]
        public long? Seed { get; init; }

        [CommandOption("--out <FILE>")]
        [Description("Where to write results.json (default RUN_DIR/results.json).")]
        public string? Out { get; init; }

        public override ValidationResult Validate() =>
            Permutations is < 1 || Bootstrap is < 1 ? ValidationResult.Error("--permutations and --bootstrap must be at least 1") : ValidationResult.Success();
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var results = RunAnalysis.Analyze(settings.RunDir, settings.Permutations, settings.Bootstrap, settings.Seed);
        var path = settings.Out ?? Path.Combine(settings.RunDir, "results.json");
        AnalysisResultsJson.WriteFile(results, path);
        if (settings.Json) console.Profile.Out.Writer.WriteLine(AnalysisResultsJson.Serialize(results));
        else
        {
            console.Profile.Out.Writer.WriteLine(ResultsSummary.Render(results));
            Console.Error.WriteLine($"wrote {path}");
        }
        return Task.FromResult(0);
    }
}

/// <summary>Reads a run folder into the analysis.</summary>
internal static class RunAnalysis
{
    public static RunStore OpenExisting(string runDir)
    {
        if (!File.Exists(Path.Combine(runDir, RunStore.FileName)))
            throw new DfidException($"{runDir}: no run store ({RunStore.FileName}) here; pass the folder given to dfid run --out (or runs/demo)", 2);
        return RunStore.Open(runDir);
    }

    public static AnalysisResults Analyze(string runDir, int? permutations, int? bootstrap, long? seed)
    {
        using var store = OpenExisting(runDir);
        var rows = store.ReadProbeRows(includeTexts: true);
        if (rows.Count == 0) throw new DfidException($"{runDir}: the run has no finished probes yet; run it first (dfid run EXPERIMENT.yaml --out {runDir})", 1);
        var options = new AnalysisOptions { Conditions = store.ReadConditions().Select(c => new ConditionDescriptor(c.Name, c.Simulator, c.Instrument)).ToList() };
        if (permutations is { } p) options = options with { Permutations = p };
        if (bootstrap is { } b) options = options with { BootstrapResamples = b };
        if (seed is { } s) options = options with { Seed = s };
        var results = DecisionFidelityAnalysis.Analyze(rows, options);
        if (store.ReadManifestJson() is { } manifest)
            results = results with { Manifest = JsonDocument.Parse(manifest).RootElement.Clone() };
        return results;
    }
}
