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
    }
}
