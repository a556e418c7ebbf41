using System.ComponentModel;
using System.Text.Json;
using Dfid.Analysis;
using Dfid.Running;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid report RUN_DIR --out DIR</c>: renders the run's analysis results as HTML, Markdown, JSON, CSV, SVG and PNG.</summary>
internal sealed class ReportCommand(IAnsiConsole console) : AsyncCommand<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN_DIR>")]
        [Description("Run folder (run.sqlite, or a folder with results.json from `dfid analyze`).")]
        public string RunDir { get; init; } = "";

        [CommandOption("-o|--out <DIR>")]
        [Description("Output folder (default RUN_DIR/report).")]
        public string? Out { get; init; }

        [CommandOption("--title <TEXT>")]
        [Description("Report title.")]
        public string? Title { get; init; }

        [CommandOption("--distribution <CONDITION>")]
        [Description("Condition whose D̄ distribution is plotted (default: the one with the largest Δ).")]
        public string? Distribution { get; init; }

        [CommandOption("--permutations <N>")]
        [Description("Permutation draws when the results must be computed (default 20000).")]
        public int? Permutations { get; init; }

        [CommandOption("--bootstrap <N>")]
        [Description("Bootstrap resamples when the results must be computed (default 10000).")]
        public int? Bootstrap { get; init; }

        [CommandOption("--json")]
        [Description("Print the written files as JSON on stdout.")]
        public bool Json { get; init; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(RunDir) ? ValidationResult.Error("RUN_DIR is required")
            : !Directory.Exists(RunDir) ? ValidationResult.Error($"{RunDir}: no such folder; pass a run folder written by `dfid run` or `dfid demo`")
            : Permutations is < 1 ? ValidationResult.Error("--permutations must be at least 1")
            : Bootstrap is < 1 ? ValidationResult.Error("--bootstrap must be at least 1")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var pipeline = new RunPipeline();
        // Resampling options mean "compute now"; without them a current results.json (from `dfid analyze`) is rendered.
        AnalysisOptions? options = null;
        if (settings.Permutations is not null || settings.Bootstrap is not null)
        {
            var defaults = new AnalysisOptions();
            options = defaults with
            {
                Permutations = settings.Permutations ?? defaults.Permutations,
                BootstrapResamples = settings.Bootstrap ?? defaults.BootstrapResamples,
            };
        }
        var results = pipeline.ResultsOf(settings.RunDir, options);
        var outDir = settings.Out ?? Path.Combine(settings.RunDir, "report");
        var inputs = pipeline.DefaultReportInputs(settings.RunDir);
        var files = await pipeline.ReportAsync(results, outDir, inputs with
        {
            Title = settings.Title ?? inputs.Title,
            DistributionCondition = settings.Distribution,
        }, cancellationToken);
        if (settings.Json)
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new { html = files.Html, markdown = files.Markdown, results = files.ResultsJson, tables = files.Tables, figures = files.Figures }));
        else
            console.WriteLine("report: " + files.Html);
        return 0;
    }
}
