using System.ComponentModel;
using Dfid.Analysis;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid export RUN_DIR --probes FILE.csv</c>: the probe table, one row per (condition, probe).</summary>
internal sealed class RunExportCommand(IAnsiConsole console) : AsyncCommand<RunExportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN_DIR>")]
        [Description("The run folder (holds run.sqlite).")]
        public string RunDir { get; init; } = "";

        [CommandOption("--probes <FILE>")]
        [Description("CSV file to write (default: stdout).")]
        public string? Probes { get; init; }
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var store = RunAnalysis.OpenExisting(settings.RunDir);
        var rows = store.ReadProbeRows();
        if (string.IsNullOrWhiteSpace(settings.Probes))
        {
            ProbeTableCsv.Write(rows, console.Profile.Out.Writer);
            return Task.FromResult(0);
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(settings.Probes!));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using (var writer = new StreamWriter(settings.Probes!))
            ProbeTableCsv.Write(rows, writer);
        Console.Error.WriteLine($"wrote {rows.Count} probe rows to {settings.Probes}");
        return Task.FromResult(0);
    }
}
