using System.ComponentModel;
using Dfid.Annotation;
using Dfid.Cli.Annotation;
using Dfid.Instrument;
using Dfid.Running;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary><c>dfid annotate</c>: the local labelling web app for one annotator.</summary>
internal sealed class AnnotateCommand(IAnsiConsole console) : AsyncCommand<AnnotateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[CORPUS]")]
        [Description("The dfid.corpus/1 file whose user turns are labelled (not needed with --probes).")]
        public string? Corpus { get; init; }

        [CommandOption("--sample <N>")]
        [Description("Label N user turns drawn at random, stratified by outcome and position (creates the session; later runs resume it).")]
        public int? Sample { get; init; }

        [CommandOption("--seed <S>")]
        [Description("Seed of the draw and order (default 16; recorded in the store).")]
        public int? Seed { get; init; }

        [CommandOption("--probes <RUN_DIR>")]
        [Description("Label exactly the real turns of a run's probes (reads RUN_DIR/run.sqlite).")]
        public string? Probes { get; init; }

        [CommandOption("--annotator <NAME>")]
        [Description("Who labels (default: $USER). Each annotator resumes where they stopped.")]
        public string? Annotator { get; init; }

        [CommandOption("--store <FILE>")]
        [Description("The annotation store (default annotations/NAME-OF-CORPUS/labels.sqlite).")]
        public string? Store { get; init; }

        [CommandOption("--port <PORT>")]
        [Description("Port on 127.0.0.1 (default: a free one).")]
        public int? Port { get; init; }

        [CommandOption("--domain <NAME>")]
        [Description("Words of the definitions: sales, fundraising, persuasionforgood or negotiation (also purchase, donation, deal); default: from the corpus dataset.")]
        public string? Domain { get; init; }

        [CommandOption("--experiment <FILE>")]
        [Description("Take the words of the definitions from this experiment's domain: block (a custom domain included).")]
        public string? Experiment { get; init; }

        [CommandOption("--actions")]
        [Description("Also label the agent action (rapport, probe, pitch, handle-objection, push-close, reassure) of the agent turn before.")]
        public bool Actions { get; init; }

        [CommandOption("--taxonomy <FILE>")]
        [Description("A taxonomy file whose stage definitions and examples are shown (default: the built-in one).")]
        public string? Taxonomy { get; init; }

        public override ValidationResult Validate()
        {
            if (Corpus is null && Probes is null) return ValidationResult.Error("pass the corpus file (dfid annotate CORPUS --sample N) or --probes RUN_DIR");
            if (Sample is not null && Probes is not null) return ValidationResult.Error("pass either --sample N or --probes RUN_DIR, not both");
            if (Sample is < 1) return ValidationResult.Error("--sample must be at least 1");
            if (Port is < 0 or > 65535) return ValidationResult.Error("--port must be between 0 and 65535");
            if (Annotator is not null && AnnotatorName.Problem(Annotator) is { } p) return ValidationResult.Error("--annotator: " + p);
            if (Domain is not null && Experiment is not null) return ValidationResult.Error("pass either --domain NAME or --experiment FILE, not both");
            if (Experiment is not null && !File.Exists(Experiment)) return ValidationResult.Error($"--experiment: {Experiment} does not exist");
            if (Domain is not null && Core.Domain.Preset(Domain) is null)
                return ValidationResult.Error($"--domain '{Domain}' is not known; use one of {string.Join(", ", Core.Domain.Presets.Keys)}");
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var annotator = settings.Annotator ?? AnnotatorName.Default();
        using var opened = AnnotationSession.Open(new AnnotationSessionOptions
        {
            Corpus = settings.Corpus,
            ProbesRunDir = settings.Probes,
            Sample = settings.Sample,
            Seed = settings.Seed,
            Actions = settings.Actions,
            StorePath = settings.Store,
        });
        var store = opened.Store;
        foreach (var n in opened.Notes) Console.Error.WriteLine("note: " + n);
        var conversations = store.ReadConversations();
        var words = (settings.Experiment is { } experiment ? ExperimentParser.Load(experiment).Domain : Core.Domain.Preset(settings.Domain))
            ?? Core.Domain.ForDataset(conversations.Values.Select(c => c.Source.Dataset).FirstOrDefault());
        var taxonomy = settings.Taxonomy is { } t ? StageTaxonomy.Load(t) : StageTaxonomy.Default;
        var guide = AnnotationGuide.Create(taxonomy, words, opened.Plan.Actions);
        var export = $"dfid labels export --store {store.FilePath} --out labels.jsonl";
        await using var server = await AnnotationServer.StartAsync(new AnnotationServerOptions
        {
            Store = store,
            Annotator = annotator,
            Guide = guide,
            Port = settings.Port ?? 0,
            ExportCommand = export,
        }, cancellationToken);

        var progress = store.ReadProgress(annotator);
        Console.Error.WriteLine($"{(opened.Created ? "new session" : "resuming session")}: {AnnotationSession.Describe(opened.Plan)}");
        Console.Error.WriteLine($"store: {store.FilePath}");
        Console.Error.WriteLine($"annotator {annotator}: {progress.Done} of {progress.Total} done ({progress.Labelled} labelled, {progress.Skipped} skipped); words: {words.UserRole}, {words.Commitment}");
        console.Profile.Out.Writer.WriteLine(server.Url.ToString());
        Console.Error.WriteLine("open the URL above in a browser on this machine (keys 1-5 label, U undoes, S skips); Ctrl-C stops the server, every label is already saved.");
        await server.WaitForShutdownAsync(cancellationToken);

        progress = store.ReadProgress(annotator);
        Console.Error.WriteLine($"stopped: annotator {annotator} has {progress.Done} of {progress.Total} done; export with `{export}`");
        return 0;
    }
}

/// <summary>Annotator names: what <c>--annotator</c> accepts and its default.</summary>
internal static class AnnotatorName
{
    public static string Default()
    {
        var user = Environment.GetEnvironmentVariable("USER");
        if (string.IsNullOrWhiteSpace(user)) user = Environment.UserName;
        return Problem(user) is null ? user : "annotator";
    }

    public static string? Problem(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "the name is blank";
        if (name.Length > 64) return "at most 64 characters";
        if (name != name.Trim()) return "no spaces at the start or end";
        if (name.Any(char.IsControl)) return "no control characters";
        return null;
    }
}
