using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Registers the report verbs.</summary>
internal static class ReportCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<ReportCommand>("report")
            .WithDescription("Write the report of a run: report.html (self-contained), report.md, results.json, tables/*.csv, figures/*.svg|png.")
            .WithExample("report", "runs/demo", "--out", "runs/demo/report");
    }
}
