using System.ComponentModel;
using Dfid.Running;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid demo</c>: PersuasionForGood, the embedded default experiment, the summary. Offline unless a model is configured.</summary>
internal sealed class DemoCommand(IAnsiConsole console) : AsyncCommand<DemoCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--corpus <NAME>")]
        [Description("persuasionforgood (default; offline without a model) or salestalk-ja (the Japanese sales chats; needs --model).")]
        public string Corpus { get; init; } = DemoSetup.Dataset;

        [CommandOption("--data <DIR>")]
        [Description("Data folder holding persuasionforgood/ (else DFID_DATA, else ../shared/data, else a download of the public release).")]
        public string? Data { get; init; }

        [CommandOption("-m|--model <SPEC>")]
        [Description("Also run the persona and instructed simulators with an LLM judge on this model (e.g. openai:gpt-4o-mini, gguf:PATH). Default: DFID_MODEL.")]
        public string? Model { get; init; }

        [CommandOption("-o|--out <DIR>")]
        [Description("Run folder (default runs/demo, or runs/demo-MODEL). Running again resumes or reuses it.")]
        public string? Out { get; init; }

        [CommandOption("--per-stratum <N>")]
        [Description("Conversations per outcome stratum (default 187: 374 in all).")]
        [DefaultValue(187)]
        public int PerStratum { get; init; } = 187;

        [CommandOption("--no-cache")]
        [Description("Do not use the model response cache.")]
        public bool NoCache { get; init; }

        [CommandOption("--cache <DIR>")]
        [Description("Cache folder (default: $DFID_CACHE_DIR, $XDG_CACHE_HOME/dfid or ~/.cache/dfid).")]
        public string? Cache { get; init; }

        [CommandOption("--concurrency <N>")]
        [Description("Probes and model requests in flight at once.")]
        public int? Concurrency { get; init; }

        [CommandOption("--offline")]
        [Description("Never download the data (fail with the locator's message instead).")]
        public bool Offline { get; init; }

        [CommandOption("--quiet")]
        [Description("No progress display.")]
        public bool Quiet { get; init; }

        public override ValidationResult Validate() =>
            Corpus is not (DemoSetup.Dataset or DemoSetup.SalesTalk) ? ValidationResult.Error($"--corpus must be {DemoSetup.Dataset} or {DemoSetup.SalesTalk}")
            : PerStratum < 1 ? ValidationResult.Error("--per-stratum must be at least 1")
            : Concurrency is < 1 ? ValidationResult.Error("--concurrency must be at least 1")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var model = settings.Model ?? (Environment.GetEnvironmentVariable("DFID_MODEL") is { Length: > 0 } m ? m : null);
        var salesTalk = settings.Corpus == DemoSetup.SalesTalk;
        var text = DemoSetup.ExperimentText(model, settings.PerStratum, settings.Corpus);
        var outDir = settings.Out ?? DemoSetup.DefaultRunFolder(model, settings.Corpus);
        var resume = "dfid demo" + (salesTalk ? $" --corpus {settings.Corpus}" : "") + (settings.Model is null ? "" : $" --model {settings.Model}") + (settings.Out is null ? "" : $" --out {settings.Out}");
        var probeSettings = new RunSettings(outDir, settings.NoCache, settings.Cache, settings.Concurrency, resume);
        Directory.CreateDirectory(outDir);
        var experimentPath = Path.Combine(outDir, "experiment.yaml");
        if (!File.Exists(experimentPath) || File.ReadAllText(experimentPath) != text) File.WriteAllText(experimentPath, text);

        var cacheFolder = settings.Cache is not null ? Path.GetFullPath(settings.Cache) : CacheFolder.Default();
        using var http = settings.Offline || salesTalk ? null : new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        var dataset = salesTalk
            ? Corpus.DataLocator.LocateDataset(settings.Data, DemoSetup.SalesTalk)
            : await DemoSetup.LocateOrDownloadAsync(settings.Data, cacheFolder, http, Console.Error.WriteLine, cancellationToken);
        DemoSetup.ImportOnce(dataset, Path.Combine(outDir, settings.Corpus + ".jsonl"), Console.Error.WriteLine, settings.Corpus);

        var experiment = ExperimentParser.Load(experimentPath);
        Console.Error.WriteLine(salesTalk
            ? $"conditions: replay, retrieval, persona, instructed with an LLM judge on {model}; rollouts: retrieval against the retrieval agent, persona against an LLM salesperson"
            : model is null
            ? "conditions: replay, retrieval and retrieval gated by the willingness model with the learned instrument (offline), exit probes, and rollouts of the retrieval and gated retrieval users against the retrieval agent. Set DFID_MODEL=SPEC or pass --model SPEC to add persona and instructed with an LLM judge."
            : $"conditions: replay, retrieval (learned instrument); persona, instructed (LLM judge) on {model}; rollouts against the retrieval agent and an LLM persuader");
        if (!salesTalk)
            Console.Error.WriteLine("note: PersuasionForGood required about ten turns per chat, so its real early exits are rare by design; its exits are at the end of the chat.");
        return await RunExecution.RunAsync(console, experiment, probeSettings, settings.Quiet, cancellationToken);
    }
}
