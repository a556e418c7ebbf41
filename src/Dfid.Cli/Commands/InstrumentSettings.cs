using System.ComponentModel;
using Dfid.Components;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Instrument;
using Dfid.Models;
using Dfid.Running;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>Options shared by the instrument verbs.</summary>
internal class InstrumentSettings : CommandSettings
{
    [CommandOption("--corpus <FILE>")]
    [Description("The dfid.corpus/1 file whose user turns are labelled.")]
    public string Corpus { get; init; } = "";

    [CommandOption("--instrument <SPEC>")]
    [Description("learned (offline, trained on human labels) or llm:MODELSPEC (e.g. llm:openai:gpt-4o-mini). Default: learned.")]
    public string Instrument { get; init; } = "learned";

    [CommandOption("--label-set <NAME>")]
    [Description("Turn annotation holding the human user acts (default: the mapping's, ee_act for PersuasionForGood).")]
    public string? LabelSet { get; init; }

    [CommandOption("--mapping <FILE>")]
    [Description("Act mapping file (dfid.act-mapping/1); default: the built-in PersuasionForGood mapping.")]
    public string? Mapping { get; init; }

    [CommandOption("--taxonomy <FILE>")]
    [Description("Taxonomy file (dfid.taxonomy/1) for the LLM prompt; default: the built-in one.")]
    public string? Taxonomy { get; init; }

    [CommandOption("--train <FILE>")]
    [Description("learned: train on this corpus (acts mapped to stages) or labels file (dfid.labels/1 on --corpus); repeat for several. Default: the acts of --corpus (its own turns are then labelled out-of-fold).")]
    public string[] Train { get; init; } = [];

    [CommandOption("--cache-dir <DIR>")]
    [Description("learned: cache folder holding trained models (instruments/) and the embeddings cache, as for run and demo (default: $DFID_CACHE_DIR, $XDG_CACHE_HOME/dfid or ~/.cache/dfid).")]
    public string? CacheDir { get; init; }

    [CommandOption("--domain <NAME>")]
    [Description("llm: the domain's words: sales, fundraising, persuasionforgood or negotiation (also purchase, donation, deal); default: from the corpus dataset.")]
    public string? Domain { get; init; }

    [CommandOption("--last-turns <K>")]
    [Description("llm: show only the last K turns before the labelled one (default: all).")]
    public int? LastTurns { get; init; }

    [CommandOption("--concurrency <N>")]
    [Description("llm: concurrent model calls (default 4).")]
    public int Concurrency { get; init; } = 4;

    [CommandOption("--limit <N>")]
    [Description("Label at most N turns (the first in corpus order).")]
    public int? Limit { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Corpus)) return ValidationResult.Error("--corpus FILE is required");
        if (Domain is not null && Core.Domain.Preset(Domain) is null)
            return ValidationResult.Error($"--domain must be one of {string.Join(", ", Core.Domain.Presets.Keys)} (or purchase, donation, deal), not \"{Domain}\"");
        if (LastTurns is < 0) return ValidationResult.Error("--last-turns must be >= 0");
        if (Limit is < 1) return ValidationResult.Error("--limit must be >= 1");
        if (Concurrency < 1) return ValidationResult.Error("--concurrency must be >= 1");
        return ValidationResult.Success();
    }
}

/// <summary>The corpus, mapping and instrument a verb works with, built through the instrument registry like a run's; owns the
/// embedder and model host.</summary>
internal sealed class InstrumentSession : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private InstrumentSession(IReadOnlyList<Conversation> corpus, ActMapping mapping) => (Corpus, Mapping) = (corpus, mapping);

    public IReadOnlyList<Conversation> Corpus { get; }

    public ActMapping Mapping { get; }

    public IInstrument Instrument { get; private set; } = null!;

    public static async Task<InstrumentSession> OpenAsync(InstrumentSettings s, CancellationToken ct)
    {
        var choice = InstrumentChoice.Parse(s.Instrument);
        var corpus = ReadCorpus(s.Corpus);
        var mapping = s.Mapping is null ? ActMapping.PersuasionForGood : ActMapping.Load(s.Mapping);
        if (s.LabelSet is not null) mapping = mapping.WithStageLabelSet(s.LabelSet);
        var session = new InstrumentSession(corpus, mapping);
        try
        {
            // The same cache layout as $DFID_CACHE_DIR and `run --cache`, so every command finds the same trained models.
            var cacheFolder = s.CacheDir ?? CacheFolder.Default();
            var host = new ModelHost(new ModelLayerOptions { MaxConcurrency = s.Concurrency });
            session._owned.Add(host);
            var domain = Core.Domain.Preset(s.Domain) ?? Core.Domain.ForDataset(corpus.FirstOrDefault()?.Source.Dataset);
            var context = new ComponentContext(domain, corpus, corpus, m => host.GetClient(m.ToModelSpec()),
                () => new CachingTextEmbedder(new MiniLmEmbedder(), LearnedInstrumentOptions.EmbeddingsCachePathIn(cacheFolder), ownsInner: true),
                cacheFolder, log: new SynchronousProgress(Console.Error.WriteLine));
            session._owned.Add(context);
            context.With(new LabellingSettings(mapping, s.Taxonomy is null ? StageTaxonomy.Default : StageTaxonomy.Load(s.Taxonomy)));
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            if (s.LastTurns is { } k) values["context_turns"] = k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // The same option an experiment's train: list becomes (a labels file's corpus: --corpus).
            if (s.Train.Length > 0)
                values["train"] = System.Text.Json.JsonSerializer.Serialize(s.Train.Select(t =>
                    File.Exists(t) ? new Dictionary<string, string> { ["path"] = Path.GetFullPath(t) }
                    : throw new DfidException($"{t}: --train file not found (a corpus from dfid corpus import, or a labels file from dfid labels export).", 2)));
            var options = new ComponentOptions(values);
            var spec = new InstrumentSpec(choice.ToString(), choice.Kind, choice.Model is { } m ? new ModelSettings(m.ToString()) : null, options, Hindsight: false, Line: 0);
            session.Instrument = await ComponentRegistries.Default.Instruments.Get(choice.Kind).BuildAsync(spec, context, ct);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public InstrumentValidationOptions ValidationOptions(InstrumentSettings s) => new()
    {
        Limit = s.Limit,
        MaxConcurrency = s.Concurrency,
        Progress = new SynchronousProgress(Console.Error.WriteLine),
    };

    private static IReadOnlyList<Conversation> ReadCorpus(string path)
    {
        if (!File.Exists(path)) throw new DfidException($"{path}: corpus file not found (create one with dfid corpus import).", 2);
        return CorpusFile.ReadAll(path);
    }

    public void Dispose()
    {
        foreach (var d in Enumerable.Reverse(_owned)) d.Dispose();
    }
}
