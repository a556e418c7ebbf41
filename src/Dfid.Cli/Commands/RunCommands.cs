using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the run verbs.</summary>
internal static class RunCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<RunCommand>("run")
            .WithDescription("Run (or resume) an experiment: probes, simulators, instruments, into a run folder.")
            .WithExample("run", "experiment.yaml", "--out", "runs/exp1");
        config.AddCommand<DemoCommand>("demo")
            .WithDescription("Run the default experiment on PersuasionForGood and print the summary (offline; --model adds LLM simulators).");
        config.AddCommand<RunAnalyzeCommand>("analyze")
            .WithDescription("Decision-fidelity statistics of a run: writes RUN_DIR/results.json and prints the summary.")
            .WithExample("analyze", "runs/demo");
        config.AddCommand<RunExportCommand>("export")
            .WithDescription("Write a run's probe table as CSV (one row per condition and probe).")
            .WithExample("export", "runs/demo", "--probes", "probes.csv");
    }
}
