using System.ComponentModel;
using System.Globalization;
using Dfid.Analysis;
using Dfid.Running;
using Dfid.Store;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid run EXPERIMENT.yaml</c>: runs or resumes an experiment into a run folder (<c>--batch</c>: through the
/// providers' batch APIs; <c>--shard K/N</c>: one shard of it); <c>dfid run --status RUN</c>: a run's provider batches.</summary>
internal sealed class RunCommand(IAnsiConsole console) : AsyncCommand<RunCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[EXPERIMENT]")]
        [Description("The experiment file (YAML); not with --status.")]
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

        [CommandOption("--batch")]
        [Description("Make the model calls through the providers' batch APIs (OpenAI Batch, Anthropic Message Batches: half price, answers within 24 hours), phase by phase; same as `execution: batch` in the experiment. Interrupted or killed, the same command resumes waiting for the submitted batches.")]
        public bool Batch { get; init; }

        [CommandOption("--shard <K/N>")]
        [Description("Run only shard K of N: the probes of the conversations whose id hashes to K (SHA-256 of the id, first 8 bytes big-endian, mod N, plus 1). Give each shard its own --out folder; `dfid merge` joins them. The budget applies per shard.")]
        public string? Shard { get; init; }

        [CommandOption("--status <RUN_DIR>")]
        [Description("Show the provider batches of a run folder (submitted, completed, failed per batch, as last polled) and exit.")]
        public string? Status { get; init; }

        public override ValidationResult Validate()
        {
            if (Concurrency is < 1) return ValidationResult.Error("--concurrency must be at least 1");
            if (Status is not null)
                return Experiment.Length > 0 || Out is not null || Batch || Shard is not null
                    ? ValidationResult.Error("--status RUN_DIR takes no experiment and no other run option: dfid run --status RUN_DIR")
                    : ValidationResult.Success();
            if (Experiment.Length == 0) return ValidationResult.Error("give the experiment file: dfid run EXPERIMENT.yaml (or dfid run --status RUN_DIR)");
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Status is { } statusDir) return RunStatusView.Show(console, new RunPipeline().BatchStatus(statusDir));
        var experiment = ExperimentParser.Load(settings.Experiment);
        var shard = settings.Shard is { } shardText ? RunShard.Parse(shardText) : null;
        if (shard is not null && settings.Out is null)
            throw new Dfid.DfidException($"--shard {shard} needs its own run folder: add --out DIR (each shard writes to its own folder; dfid merge joins them)", 2);
        var outDir = settings.Out ?? Path.Combine("runs", Path.GetFileNameWithoutExtension(settings.Experiment));
        var resume = $"dfid run {settings.Experiment}" + (settings.Out is null ? "" : $" --out {settings.Out}")
            + (settings.Batch ? " --batch" : "") + (shard is null ? "" : $" --shard {shard}");
        var runSettings = new RunSettings(outDir, settings.NoCache, settings.Cache, settings.Concurrency, resume) { Batch = settings.Batch, Shard = shard };
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
