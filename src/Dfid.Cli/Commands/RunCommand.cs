using System.ComponentModel;
using System.Globalization;
using Dfid.Running;
using Dfid.Store;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid run EXPERIMENT.yaml</c>: runs or resumes an experiment into a run folder.</summary>
internal sealed class RunCommand(IAnsiConsole console) : AsyncCommand<RunCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<EXPERIMENT>")]
        [Description("The experiment file (YAML).")]
        public string Experiment { get; init; } = "";

        [CommandOption("-o|--out <DIR>")]
        [Description("Run folder (default: runs/NAME under the current folder, NAME = the experiment file's name). Running the same command again resumes.")]
        public string? Out { get; init; }

        [CommandOption("--no-cache")]
        [Description("Do not use the model response cache.")]
        public bool NoCache { get; init; }

        [CommandOption("--cache <DIR>")]
        [Description("Cache folder (default: the experiment's cache.path, else $DFID_CACHE_DIR, $XDG_CACHE_HOME/dfid or ~/.cache/dfid).")]
        public string? Cache { get; init; }

        [CommandOption("--concurrency <N>")]
        [Description("Probes and model requests in flight at once (overrides the experiment's concurrency).")]
        public int? Concurrency { get; init; }

        [CommandOption("--quiet")]
        [Description("No progress display.")]
        public bool Quiet { get; init; }

        public override ValidationResult Validate() =>
            Concurrency is < 1 ? ValidationResult.Error("--concurrency must be at least 1") : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var experiment = ExperimentParser.Load(settings.Experiment);
        var outDir = settings.Out ?? Path.Combine("runs", Path.GetFileNameWithoutExtension(settings.Experiment));
        var runSettings = new RunSettings(outDir, settings.NoCache, settings.Cache, settings.Concurrency);
        return await RunExecution.RunAndReportAsync(console, experiment, runSettings, settings.Quiet, $"dfid run {settings.Experiment}" + (settings.Out is null ? "" : $" --out {settings.Out}"), cancellationToken);
    }
}

/// <summary>Shared by <c>dfid run</c> and <c>dfid demo</c>: run with progress and Ctrl-C handling, then print the summary.</summary>
internal static class RunExecution
{
    public static async Task<int> RunAndReportAsync(IAnsiConsole console, Experiment experiment, RunSettings settings, bool quiet, string resumeCommand, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl-C stops cleanly (answers in flight are dropped, everything stored stays); a second one kills.
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            Console.Error.WriteLine("stopping: finishing the store writes in progress (Ctrl-C again to kill)...");
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            using var factory = RunServices.CreateFactory(experiment, settings, log: Console.Error.WriteLine);
            Console.Error.WriteLine($"run folder: {Path.GetFullPath(settings.OutDir)}");
            var result = await RunProgressView.ShowAsync(started => ExperimentRun.RunAsync(experiment, settings, factory, started, cts.Token), quiet);
            var p = result.Outcome.Progress;
            Console.Error.WriteLine(RunProgressView.Line(p));
            if (factory.Host is { } host) Console.Error.WriteLine("models: " + host.Usage.Snapshot());
            PrintSummary(console, settings.OutDir);
            switch (result.Outcome.End)
            {
                case RunEnd.Completed:
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"done: {p.ProbesTotal} probes ({p.ProbesSkipped} already done before this session) in {p.Elapsed.TotalSeconds:0.0} s; store {Path.Combine(result.RunDir, RunStore.FileName)}"));
                    var report = await ReportEntry.WriteForRunAsync(settings.OutDir, cts.Token);
                    console.WriteLine("report: " + report.Html);
                    return 0;
                case RunEnd.BudgetReached:
                    Console.Error.WriteLine($"stopped by the budget: {result.Outcome.Message}");
                    Console.Error.WriteLine($"{p.ProbesDone} of {p.ProbesTotal} probes are done and stored. To continue, raise the budget in {experiment.SourcePath} and run `{resumeCommand}` again.");
                    return 1;
                default:
                    Console.Error.WriteLine($"interrupted: {p.ProbesDone} of {p.ProbesTotal} probes are done and stored. Run `{resumeCommand}` again to resume.");
                    return 130;
            }
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    public static void PrintSummary(IAnsiConsole console, string runDir)
    {
        // The analysis table (with CIs and permutation p), written to RUN_DIR/results.json as well.
        using var store = RunResults.OpenStore(runDir);
        var rows = store.ReadProbeRows(includeTexts: true);
        if (rows.Count == 0) return; // nothing finished yet: the caller says how to resume
        var results = RunResults.Analyze(store, rows);
        Analysis.AnalysisResultsJson.WriteFile(results, Path.Combine(runDir, "results.json"));
        console.Profile.Out.Writer.WriteLine(Analysis.ResultsSummary.Render(results));
        var quick = RunSummary.Compute(rows);
        foreach (var s in quick.Where(s => s.ProbesOk < s.Probes))
            console.Profile.Out.Writer.WriteLine($"{s.Condition}: {s.Probes - s.ProbesOk} of {s.Probes} probes without both labels (see the store's status columns)");
        Console.Error.WriteLine($"results: {Path.Combine(runDir, "results.json")} (dfid analyze {runDir} --json prints them)");
    }

    private static string F(double v) => double.IsNaN(v) ? "–" : v.ToString("+0.000;−0.000;0.000", CultureInfo.InvariantCulture);
}
