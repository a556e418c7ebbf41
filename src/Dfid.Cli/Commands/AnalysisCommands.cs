using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the analysis verbs.</summary>
internal static class AnalysisCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<AnalyzeCommand>("analyze")
            .WithDescription("Decision-fidelity statistics of a run (Δ, d, p, CIs, all endpoints) into RUN_DIR/results.json; prints a summary.")
            .WithExample("analyze", "runs/exp1", "--seed", "7");
        config.AddCommand<ExportCommand>("export")
            .WithDescription("Export a run's probe table as CSV (one row per condition and probe).")
            .WithExample("export", "runs/exp1", "--probes", "probes.csv");
        config.AddCommand<MergeCommand>("merge")
            .WithDescription("Merge the shard folders of one run (dfid run EXP --shard K/N --out DIR) into one run folder that analyses as the unsharded run.")
            .WithExample("merge", "runs/exp1-1", "runs/exp1-2", "runs/exp1-3", "--out", "runs/exp1");
    }
}
