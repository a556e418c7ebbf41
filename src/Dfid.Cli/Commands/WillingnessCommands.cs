using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the willingness verbs.</summary>
internal static class WillingnessCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddBranch("willingness", b =>
        {
            b.SetDescription("The willingness model that gates simulators (kind: gated): P(converted) and the exit hazard from the history alone, learned from real trajectories.");
            b.AddCommand<WillingnessValidateCommand>("validate")
                .WithDescription("Train (or load) the cross-fitted willingness model of a corpus and score it out-of-fold: AUC with a bootstrap CI and Brier score of P(converted) over all points and at the 30/60/90% probes, a calibration table, the exit hazard against real exits; each beside a position-only baseline.")
                .WithExample("willingness", "validate", "--corpus", "p4g.jsonl", "--json");
        });
    }
}
