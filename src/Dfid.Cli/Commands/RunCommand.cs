using System.ComponentModel;
using System.Globalization;
using Dfid.Analysis;
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
        var resume = $"dfid run {settings.Experiment}" + (settings.Out is null ? "" : $" --out {settings.Out}");
        var runSettings = new RunSettings(outDir, settings.NoCache, settings.Cache, settings.Concurrency, resume);
        return await RunExecution.RunAsync(console, experiment, runSettings, settings.Quiet, cancellationToken);
    }
}

/// <summary>Shared by <c>dfid run</c> and <c>dfid demo</c>: the pipeline with a progress display and Ctrl-C handling, then
/// what it did in words. Holds no logic of its own.</summary>
internal static class RunExecution
{
    public static async Task<int> RunAsync(IAnsiConsole console, Experiment experiment, RunSettings settings, bool quiet, CancellationToken cancellationToken)
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
            var pipeline = new RunPipeline(new RunPipelineOptions { Log = new SynchronousProgress(Console.Error.WriteLine) });
            Console.Error.WriteLine($"run folder: {Path.GetFullPath(settings.OutDir)}");
            var result = await RunProgressView.ShowAsync(started => pipeline.ExecuteAsync(experiment, settings, started, cts.Token), quiet);
            var session = result.Session;
            var p = session.Outcome.Progress;
            Console.Error.WriteLine(RunProgressView.Line(p));
            Console.Error.WriteLine("models: " + session.ModelUsage);
            if (result.Results is { } results)
            {
                // The analysis table (with CIs and permutation p), also in RUN_DIR/results.json.
                console.Profile.Out.Writer.WriteLine(ResultsSummary.Render(results));
                foreach (var c in results.Conditions)
                {
                    var probes = c.Counts.Converted.Probes + c.Counts.NotConverted.Probes;
                    var usable = c.Counts.Converted.ProbesUsable + c.Counts.NotConverted.ProbesUsable;
                    if (usable < probes)
                        console.Profile.Out.Writer.WriteLine($"{c.Name}: {probes - usable} of {probes} probes without both labels (see the store's status columns)");
                }
                Console.Error.WriteLine($"results: {result.ResultsPath} (dfid analyze {settings.OutDir} --json prints them)");
            }
            switch (session.Outcome.End)
            {
                case RunEnd.Completed:
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"done: {p.ProbesTotal} probes ({p.ProbesSkipped} already done before this session){(p.RolloutsTotal > 0 ? $", {p.RolloutsTotal} rollouts ({p.RolloutsSkipped} before)" : "")} in {p.Elapsed.TotalSeconds:0.0} s; store {Path.Combine(session.RunDir, RunStore.FileName)}"));
                    if (result.Report is { } report) console.WriteLine("report: " + report.Html);
                    return 0;
                case RunEnd.BudgetReached:
                    Console.Error.WriteLine($"stopped by the budget: {session.Outcome.Message}");
                    Console.Error.WriteLine($"{p.ProbesDone} of {p.ProbesTotal} probes are done and stored. To continue, raise the budget in {experiment.SourcePath} and run `{settings.Command}` again.");
                    return 1;
                default:
                    Console.Error.WriteLine($"interrupted: {p.ProbesDone} of {p.ProbesTotal} probes are done and stored. Run `{settings.Command}` again to resume.");
                    return 130;
            }
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}

/// <summary>Calls the handler on the reporting thread, so notes keep their order with the lines around them.</summary>
internal sealed class SynchronousProgress(Action<string> handler) : IProgress<string>
{
    public void Report(string value) => handler(value);
}
