using System.ComponentModel;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Instrument;
using Dfid.Models;
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
    [Description("learned: corpus with human labels to train on (default: --corpus; its own turns are then labelled out-of-fold).")]
    public string? Train { get; init; }

    [CommandOption("--cache-dir <DIR>")]
    [Description("learned: cache folder holding trained models (instruments/) and the embeddings cache, as for run and demo (default: $DFID_CACHE_DIR, $XDG_CACHE_HOME/dfid or ~/.cache/dfid).")]
    public string? CacheDir { get; init; }

    [CommandOption("--domain <WORDS>")]
    [Description("llm: domain words: donation, purchase or deal (default: from the corpus dataset).")]
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
        if (Domain is not null && Domain.ToLowerInvariant() is not ("donation" or "purchase" or "deal"))
            return ValidationResult.Error($"--domain must be donation, purchase or deal, not \"{Domain}\"");
        if (LastTurns is < 0) return ValidationResult.Error("--last-turns must be >= 0");
        if (Limit is < 1) return ValidationResult.Error("--limit must be >= 1");
        if (Concurrency < 1) return ValidationResult.Error("--concurrency must be >= 1");
        return ValidationResult.Success();
    }
}

/// <summary>The corpus, mapping and instrument a verb works with; owns the embedder and model host.</summary>
internal sealed class InstrumentSession : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private InstrumentSession(IReadOnlyList<Conversation> corpus, ActMapping mapping) => (Corpus, Mapping) = (corpus, mapping);

    public IReadOnlyList<Conversation> Corpus { get; }

    public ActMapping Mapping { get; }

    public IInstrument Instrument { get; private set; } = null!;

    public static async Task<InstrumentSession> OpenAsync(InstrumentSettings s, CancellationToken ct)
    {
        var spec = InstrumentChoice.Parse(s.Instrument);
        var corpus = ReadCorpus(s.Corpus);
        var mapping = s.Mapping is null ? ActMapping.PersuasionForGood : ActMapping.Load(s.Mapping);
        if (s.LabelSet is not null) mapping = mapping.WithStageLabelSet(s.LabelSet);
        var session = new InstrumentSession(corpus, mapping);
        try
        {
            if (spec.Kind == InstrumentChoice.Learned)
            {
                var options = new LearnedInstrumentOptions { Mapping = mapping, Progress = new Progress<string>(Console.Error.WriteLine) };
                var embeddingsPath = LearnedInstrumentOptions.DefaultEmbeddingsCachePath();
                if (s.CacheDir is not null)
                {
                    // The same layout as $DFID_CACHE_DIR and `run --cache`, so every command finds the same trained models.
                    options.CacheDirectory = LearnedInstrumentOptions.CacheDirectoryIn(s.CacheDir);
                    embeddingsPath = LearnedInstrumentOptions.EmbeddingsCachePathIn(s.CacheDir);
                }
                var embedder = new CachingTextEmbedder(new MiniLmEmbedder(), embeddingsPath, ownsInner: true);
                session._owned.Add(embedder);
                var training = s.Train is null ? corpus : ReadCorpus(s.Train);
                session.Instrument = await LearnedInstrument.LoadOrTrainAsync(options, training, embedder, ct);
            }
            else
            {
                var host = new ModelHost(new ModelLayerOptions { MaxConcurrency = s.Concurrency });
                session._owned.Add(host);
                var domain = s.Domain?.ToLowerInvariant() switch
                {
                    "donation" => DecisionWords.Donation,
                    "purchase" => DecisionWords.Purchase,
                    "deal" => DecisionWords.Deal,
                    _ => DecisionWords.ForDataset(corpus.FirstOrDefault()?.Source.Dataset),
                };
                session.Instrument = new LlmPerceiver(host.GetClient(spec.Model!), new LlmPerceiverOptions
                {
                    Domain = domain,
                    LastTurns = s.LastTurns,
                    Taxonomy = s.Taxonomy is null ? StageTaxonomy.Default : StageTaxonomy.Load(s.Taxonomy),
                });
            }
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
        Progress = new Progress<string>(Console.Error.WriteLine),
    };

    private static IReadOnlyList<Conversation> ReadCorpus(string path)
    {
        if (!File.Exists(path)) throw new DfidException($"{path}: corpus file not found (create one with dfid corpus import).", 2);
        return CorpusFile.ReadAll(path);
    }

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
    }
}
