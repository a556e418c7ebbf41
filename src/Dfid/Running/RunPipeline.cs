using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Dfid.Agents;
using Dfid.Analysis;
using Dfid.Components;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Instrument;
using Dfid.Models;
using Dfid.Probing;
using Dfid.Reporting;
using Dfid.Simulation;
using Dfid.Store;

namespace Dfid.Running;

/// <summary>Settings of a <see cref="RunPipeline"/>.</summary>
public sealed class RunPipelineOptions
{
    /// <summary>The component kinds experiments may name.</summary>
    /// <value>The default is <see cref="ComponentRegistries.Default"/>.</value>
    public ComponentRegistries Registries { get; init; } = ComponentRegistries.Default;

    /// <summary>The clock of manifests, stores and progress.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Receives notes for the user (training, loading); null for silence.</summary>
    public IProgress<string>? Log { get; init; }

    /// <summary>Further tuning of the model layer (retries, timeouts), applied after the experiment's settings.</summary>
    public Action<ModelLayerOptions>? ConfigureModels { get; init; }

    /// <summary>Replaces the built-in human labels of a run (the PersuasionForGood acts when the run has that dataset).</summary>
    public IHumanLabels? HumanLabels { get; init; }

    /// <summary>For tests and benchmarks of our own code: replaces every provider SDK client (the dfid layers stay).</summary>
    internal Func<ModelSpec, Microsoft.Extensions.AI.IChatClient>? ProviderOverride { get; init; }

    /// <summary>For tests: creates the batch provider of a spec in batch execution (default: the provider's SDK).</summary>
    internal Func<ModelSpec, Models.Batch.BatchProviderOptions, Models.Batch.IBatchProvider>? BatchProviderFactory { get; init; }
}

/// <summary>What one session of <see cref="RunPipeline.RunAsync"/> did.</summary>
/// <param name="Outcome">How the session ended, with its final progress.</param>
/// <param name="RunDir">The run folder (full path).</param>
/// <param name="Manifest">The manifest as written at the end of the session.</param>
/// <param name="ModelUsage">The model layer's usage this session.</param>
public sealed record RunSessionResult(RunOutcome Outcome, string RunDir, RunManifest Manifest, UsageReport ModelUsage);

/// <summary>What <see cref="RunPipeline.ExecuteAsync"/> did: the session, and when any probe is finished the results, and when
/// the run is complete its report.</summary>
/// <param name="Session">The run session.</param>
/// <param name="Results">The analysis of the probe table (null before any probe finished).</param>
/// <param name="ResultsPath">Where the results were written (<c>RUN_DIR/results.json</c>), or null.</param>
/// <param name="Report">The report of a completed run, or null.</param>
public sealed record PipelineResult(RunSessionResult Session, AnalysisResults? Results, string? ResultsPath, ReportFiles? Report);

/// <summary>
/// The one run pipeline: run (or resume) an experiment into its run folder → analyse the probe table → write the report.
/// <c>dfid run</c> and <c>dfid demo</c> call <see cref="ExecuteAsync"/>; <c>dfid analyze</c>, <c>dfid report</c> and
/// <c>dfid export</c> call the later steps. Each step opens the run store once and reads the probe table once.
/// </summary>
/// <remarks>Data flows forward: the run writes the store, the analysis reads it into results (with the instrument's agreement
/// with human labels), the report renders the results.</remarks>
public sealed partial class RunPipeline
{
    /// <summary>File name of the response cache inside the cache folder.</summary>
    public const string ResponseCacheFile = "responses.sqlite";

    /// <summary>File name of the results inside a run folder.</summary>
    public const string ResultsFile = "results.json";

    // results.json is snake_case throughout, the manifest included.
    private static readonly JsonSerializerOptions ManifestJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly RunPipelineOptions _options;

    /// <summary>Creates the pipeline.</summary>
    public RunPipeline(RunPipelineOptions? options = null) => _options = options ?? new RunPipelineOptions();

    /// <summary>Tool name and version written to manifests.</summary>
    public static string ToolVersion { get; } = "dfid " + (typeof(RunPipeline).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    /// <summary>Runs the experiment, then analyses what is stored and, when the run is complete, writes its report to
    /// <c>RUN_DIR/report</c>.</summary>
    /// <param name="experiment">The parsed experiment.</param>
    /// <param name="settings">Run folder and overrides.</param>
    /// <param name="started">Called with the running work once it starts (for a progress display).</param>
    /// <param name="cancellationToken">Stops the session cleanly.</param>
    public async Task<PipelineResult> ExecuteAsync(Experiment experiment, RunSettings settings, Action<IRunProgressSource>? started = null,
        CancellationToken cancellationToken = default)
    {
        var session = await RunAsync(experiment, settings, started, cancellationToken);
        using var store = RunStore.Open(settings.OutDir, _options.Time);
        var results = TryAnalyze(store, null);
        if (results is null) return new PipelineResult(session, null, null, null);
        var resultsPath = Path.Combine(settings.OutDir, ResultsFile);
        AnalysisResultsJson.WriteFile(results, resultsPath);
        ReportFiles? report = null;
        if (session.Outcome.End == RunEnd.Completed)
            report = await ReportAsync(results, Path.Combine(settings.OutDir, "report"), DefaultReportInputs(settings.OutDir), cancellationToken);
        return new PipelineResult(session, results, resultsPath, report);
    }

    /// <summary>Runs (or resumes) <paramref name="experiment"/> into <see cref="RunSettings.OutDir"/>: samples, selects the
    /// probes, builds the components, does the work not yet stored and writes the manifest. Holds the run folder's lock.</summary>
    /// <exception cref="DfidException">The folder is in use by another session (exit code 1), holds another experiment, or the
    /// corpus changed since the run started (exit code 2).</exception>
    public async Task<RunSessionResult> RunAsync(Experiment experiment, RunSettings settings, Action<IRunProgressSource>? started = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(settings);
        var time = _options.Time;
        using var folderLock = RunFolderLock.Acquire(settings.OutDir, settings.Command, time);
        var startedAt = Now();
        var corpusHash = FileSha256(experiment.CorpusPath);
        var corpus = CorpusFile.ReadAll(experiment.CorpusPath);
        var human = HumanLabelsOfRun(experiment, corpus);
        var sample = Sample(corpus, experiment.Sample);
        // A shard runs the conversations of the whole run's sample that hash to it; components still see the whole sample.
        var runSample = settings.Shard is { } shard ? sample.Where(c => shard.Contains(c.Id)).ToList() : sample;
        var probes = runSample.SelectMany(c => ProbeSelector.Select(c, experiment.Probes)).ToList();
        var domain = experiment.Domain ?? Domain.ForDataset(corpus.Count > 0 ? corpus[0].Source.Dataset : null);
        var cacheFolder = settings.ResolveCacheFolder(experiment);
        var cacheOn = !settings.NoCache && experiment.Cache.Enabled;
        var concurrency = settings.Concurrency ?? experiment.Concurrency;

        using var store = RunStore.Open(settings.OutDir, time);
        store.BindShard(settings.Shard?.ToString() ?? RunStore.Unsharded);
        store.BindExperiment(experiment.Text, Identity(experiment), experiment.SourcePath, StoredIdentity(experiment));
        var previous = store.ReadManifest();
        if (previous is not null && previous.CorpusSha256 != corpusHash)
            throw new DfidException(
                $"the corpus {experiment.CorpusPath} changed since this run started (SHA-256 {previous.CorpusSha256[..12]}… then, {corpusHash[..12]}… now); " +
                "restore it, or start a new run with --out NEW_FOLDER", 2);
        store.AddConversations(runSample);
        store.AddProbes(probes);
        var probePlanKeys = new ProbeRunPlan([], [], [], [], null, 1) { ExitChannel = experiment.ExitChannel, MeasureExits = experiment.Probes.Exits };
        store.AddConditions(experiment.Conditions.Select(c => new StoredCondition(c.Name, c.Simulator, c.Instrument)
        {
            Mode = c.Mode,
            Agent = c.Agent,
            DepthKey = c.Mode == ConditionMode.Probe ? probePlanKeys.DepthKey(c.Simulator) : null,
            ExitKey = c.Mode == ConditionMode.Probe ? probePlanKeys.ExitKey(c.Simulator) : null,
        }));

        var layer = new ModelLayerOptions
        {
            CachePath = cacheOn ? Path.Combine(cacheFolder, ResponseCacheFile) : null,
            MaxConcurrency = concurrency,
            MaxCostUsd = experiment.Budget.MaxCostUsd is { } c ? (decimal)c : null,
            MaxCalls = experiment.Budget.MaxCalls is { } k ? (int)Math.Min(k, int.MaxValue) : null,
        };
        _options.ConfigureModels?.Invoke(layer);
        if (layer.CachePath is { } cachePath) Directory.CreateDirectory(Path.GetDirectoryName(cachePath)!);
        var execution = settings.ResolveExecution(experiment);
        using var ledger = execution.Mode == ExecutionKind.Batch ? CreateLedger(store, execution, layer, time) : null;
        using var host = new ModelHost(layer, time, null, null, _options.ProviderOverride) { BatchAnswers = ledger };
        using var context = new ComponentContext(domain, corpus, sample,
            model => host.GetClient(model.ToModelSpec()),
            () => new CachingTextEmbedder(new MiniLmEmbedder(), LearnedInstrumentOptions.EmbeddingsCachePathIn(cacheFolder), ownsInner: true),
            cacheFolder, Path.GetFileName(experiment.SourcePath), _options.Log);

        var built = await BuildAsync(experiment, context, cancellationToken);
        var sessions = (previous?.Sessions ?? []).ToList();
        sessions.Add(new RunSession(startedAt, null, null, null));
        var manifest = new RunManifest(
            ToolVersion,
            experiment.SourcePath,
            PromptText.Sha256(experiment.Text),
            experiment.CorpusPath,
            corpusHash,
            experiment.Sample,
            new { positions = experiment.Probes.Positions, all = experiment.Probes.Positions is null, skip_greeting = experiment.Probes.SkipGreeting },
            new Dictionary<string, int>
            {
                ["converted"] = runSample.Count(c => c.Outcome.Converted == true),
                ["not_converted"] = runSample.Count(c => c.Outcome.Converted == false),
            },
            probes.Count,
            built.Components,
            experiment.Conditions.ToDictionary(c => c.Name, c => c.Simulator + " / " + c.Instrument),
            new Dictionary<string, string>
            {
                ["concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture),
                ["cache"] = cacheOn ? cacheFolder : "off",
                ["budget.max_cost_usd"] = experiment.Budget.MaxCostUsd?.ToString(CultureInfo.InvariantCulture) ?? "none",
                ["budget.max_calls"] = experiment.Budget.MaxCalls?.ToString(CultureInfo.InvariantCulture) ?? "none",
                ["sample.seed"] = experiment.Sample?.Seed.ToString(CultureInfo.InvariantCulture) ?? "none",
                ["execution"] = execution.ModeName,
                ["shard"] = settings.Shard?.ToString() ?? "none",
            }.Concat(domain.Describe()).ToDictionary(), // every word the prompts may use, so an offline run says which domain it is too
            previous?.StartedAt ?? startedAt,
            sessions,
            store.ReadUsage(),
            previous?.CostUsd)
        {
            Shard = settings.Shard?.ToString(),
            Execution = execution.ModeName,
            Batches = BatchTotalsOf(store),
            HumanLabels = human is LabelsFileHumanLabels file
                ? new RunHumanLabels(Path.GetFullPath(file.Source), file.Sha256, file.Labels, file.Turns.Count, file.Annotators, file.Rule)
                : null,
            CorpusEngagement = SelectionStatistics.Engagement(corpus, human),
        };
        store.WriteManifest(manifest);

        // In batch execution every provider answer comes through the session's batches, priced at the batch price there.
        double? Cost() => ledger is not null ? ledger.SessionCostUsd() : host.Usage.Snapshot() is { Calls: > 0 } u ? (double?)u.CostUsd : 0.0;
        using var recorder = new RunRecorder(store, cancellationToken);
        var probeRunner = ledger is null ? new ProbeRunner(store, Cost, time) : null;
        var batchExecutor = ledger is null ? null : new BatchExecutor(store, ledger, Cost, time);
        var rolloutRunner = new RolloutRunner(store, recorder, Cost, time);
        var session = new SessionProgress((IRunProgressSource?)probeRunner ?? batchExecutor!, rolloutRunner);
        started?.Invoke(session);
        var plan = new ProbeRunPlan(runSample, probes, built.Conditions, built.Hindsight, built.Actions, concurrency)
        {
            ExitChannel = experiment.ExitChannel,
            MeasureExits = experiment.Probes.Exits,
        };
        if (batchExecutor is null) await probeRunner!.RunAsync(plan, recorder);
        else await batchExecutor.RunAsync(plan, recorder);
        if (built.Rollouts.Count > 0 && !recorder.Token.IsCancellationRequested)
        {
            var rollouts = new RolloutPlan(runSample, built.Rollouts, experiment.Rollouts,
                OfferExit: experiment.ExitChannel != ExitChannel.Off, experiment.Probes.SkipGreeting, concurrency);
            if (batchExecutor is null) await rolloutRunner.RunAsync(rollouts);
            else await batchExecutor.RunRolloutsAsync(rolloutRunner, rollouts, recorder);
        }
        var outcome = ProbeRunner.Outcome(recorder, session.Progress);

        var sessionCost = Cost();
        sessions[^1] = sessions[^1] with
        {
            EndedAt = Now(),
            Outcome = outcome.End switch { RunEnd.Completed => "completed", RunEnd.BudgetReached => "budget", _ => "interrupted" },
            CostUsd = sessionCost,
        };
        var totalCost = sessionCost is null && previous?.CostUsd is null ? (double?)null : (previous?.CostUsd ?? 0) + (sessionCost ?? 0);
        // The selection check's corpus-side instrument shares, once the run is complete (every shard labels the whole corpus
        // with the same instruments, so a merged run's shares, taken from its first shard, are the unsharded run's).
        var corpusShares = previous?.CorpusInstrumentShares;
        if (outcome.End == RunEnd.Completed)
        {
            try
            {
                corpusShares = await CorpusInstrumentSharesAsync(experiment, corpus, built.Conditions.Select(c => c.Instrument).Concat(built.Rollouts.Select(r => r.Instrument)),
                    built.Components, previous, corpusHash, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Stopped while labelling the corpus: the probes are complete; the next session labels it.
            }
        }
        manifest = manifest with { Sessions = sessions, Usage = store.ReadUsage(), CostUsd = totalCost, Batches = BatchTotalsOf(store), CorpusInstrumentShares = corpusShares };
        store.WriteManifest(manifest);
        File.WriteAllText(Path.Combine(settings.OutDir, "manifest.json"),
            JsonSerializer.Serialize(manifest, new JsonSerializerOptions(RunStore.Json) { WriteIndented = true }));
        return new RunSessionResult(outcome, Path.GetFullPath(settings.OutDir), manifest, host.Usage.Snapshot());

        string Now() => time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
    }

    /// <summary>Analyses the probe table of a run folder: human labels attached, the instrument's agreement with them, the
    /// manifest and the table's digest carried in the results.</summary>
    /// <param name="runDir">A run folder.</param>
    /// <param name="options">Analysis options (defaults when null); conditions given there win over the store's.</param>
    /// <exception cref="DfidException">No run store in the folder (exit code 2), or no finished probe yet (exit code 1).</exception>
    public AnalysisResults Analyze(string runDir, AnalysisOptions? options = null)
    {
        using var store = OpenExisting(runDir);
        return TryAnalyze(store, options)
            ?? throw new DfidException($"{store.FilePath}: no finished probe yet; run `dfid run` on this folder first (it resumes)", 1);
    }

    /// <summary>
    /// The results a report of <paramref name="runDir"/> shows: its <c>results.json</c> when that was computed from the
    /// store as it is now (or there is no store), otherwise a fresh analysis.
    /// </summary>
    /// <param name="runDir">A run folder, or a folder holding only <c>results.json</c>.</param>
    /// <param name="options">Analysis options when the results have to be computed.</param>
    /// <exception cref="DfidException">The folder holds neither a run store nor results (exit code 2), or the store has no finished probes.</exception>
    public AnalysisResults ResultsOf(string runDir, AnalysisOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDir);
        var resultsPath = Path.Combine(runDir, ResultsFile);
        var haveStore = File.Exists(Path.Combine(runDir, RunStore.FileName));
        if (!haveStore)
        {
            if (File.Exists(resultsPath)) return AnalysisResultsJson.ReadFile(resultsPath);
            throw NoRun(runDir);
        }
        using var store = RunStore.Open(runDir, _options.Time);
        if (options is null && File.Exists(resultsPath))
        {
            var saved = AnalysisResultsJson.ReadFile(resultsPath);
            if (saved.ProbeTableStamp == store.ReadContentStamp() && !HumanLabelsChanged(saved, store.ReadManifest()))
                return saved.Manifest is null ? saved with { Manifest = Manifest(store) } : saved;
        }
        return TryAnalyze(store, options)
            ?? throw new DfidException($"{store.FilePath}: no finished probe yet; run `dfid run` on this folder first (it resumes)", 1);
    }

    /// <summary>The probe table of a run folder, with human stages where the run has human labels.</summary>
    /// <exception cref="DfidException">No run store (exit code 2), or no finished probe yet (exit code 1).</exception>
    public IReadOnlyList<ProbeRow> ReadProbeRows(string runDir, bool includeTexts = false)
    {
        var table = ReadTable(runDir, includeTexts);
        return table.Rows.Count > 0 ? table.Rows
            : throw new DfidException($"{Path.Combine(runDir, RunStore.FileName)}: no finished probe yet; run `dfid run` on this folder first (it resumes)", 1);
    }

    /// <summary>Everything a run folder holds for analysis: depth rows (with human stages), exit rows, rollouts and their turns.</summary>
    /// <exception cref="DfidException">No run store (exit code 2).</exception>
    public ProbeTable ReadTable(string runDir, bool includeTexts = false)
    {
        using var store = OpenExisting(runDir);
        var table = store.ReadProbeTable(includeTexts);
        return table with { Rows = WithHumanStages(table, HumanLabelsOfAnalysis(store.ReadManifest(), table)) };
    }

    /// <summary>Renders <paramref name="results"/> into <paramref name="outDir"/> (HTML, Markdown, JSON, CSV, SVG, PNG).</summary>
    public Task<ReportFiles> ReportAsync(AnalysisResults results, string outDir, ReportInputs inputs, CancellationToken cancellationToken = default) =>
        new ReportWriter().WriteAsync(results, inputs, outDir, cancellationToken);

    /// <summary>The report inputs of a run folder's default report: its path as subtitle, this pipeline's clock.</summary>
    public ReportInputs DefaultReportInputs(string runDir) => new()
    {
        Subtitle = "Run " + Path.GetFullPath(runDir),
        GeneratedAt = _options.Time.GetUtcNow(),
    };

    /// <summary>The run's conversations: those with a known outcome, or an outcome-balanced sample of them (<see cref="CorpusSampler"/>).</summary>
    public static IReadOnlyList<Conversation> Sample(IReadOnlyList<Conversation> corpus, SampleSpec? spec)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        if (spec is null) return corpus.Where(c => c.Outcome.Converted is not null).ToList();
        return CorpusSampler.Balanced(corpus, spec.PerStratum, spec.Seed).Conversations;
    }

    /// <summary>What an experiment measures, as canonical JSON: everything but budget, concurrency, cache and the file's path.</summary>
    public static string Identity(Experiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return JsonSerializer.Serialize(new
        {
            corpus = experiment.CorpusPath,
            sample = experiment.Sample,
            positions = experiment.Probes.Positions,
            skip_greeting = experiment.Probes.SkipGreeting,
            exits = experiment.Probes.Exits,
            simulators = experiment.Simulators.OrderBy(k => k.Key, StringComparer.Ordinal)
                .Select(k => new { name = k.Value.Name, kind = k.Value.Kind, model = k.Value.Model, options = k.Value.Options.Values }),
            instruments = experiment.Instruments.OrderBy(k => k.Key, StringComparer.Ordinal)
                .Select(k => new { name = k.Value.Name, kind = k.Value.Kind, model = k.Value.Model, options = k.Value.Options.Values, hindsight = k.Value.Hindsight }),
            actions = experiment.Actions is { } a ? a with { Line = 0 } : null,
            agents = experiment.Agents.OrderBy(k => k.Key, StringComparer.Ordinal)
                .Select(k => new { name = k.Value.Name, kind = k.Value.Kind, model = k.Value.Model, options = k.Value.Options.Values }),
            conditions = experiment.Conditions.Select(c => c with { Line = 0 }),
            rollouts = experiment.Conditions.Any(c => c.Mode == ConditionMode.Rollout) ? experiment.Rollouts : null,
            exit_channel = experiment.ExitChannel,
            domain = experiment.Domain,
        }, RunStore.Json);
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string FileSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    // A store written by an earlier version may keep an identity in an older shape: the experiment text it stored, read
    // by this version's parser, says whether it is the same experiment.
    private Func<string, string?> StoredIdentity(Experiment experiment) => storedText =>
    {
        try
        {
            return Identity(ExperimentParser.Parse(storedText, experiment.SourcePath, _options.Registries));
        }
        catch (DfidException)
        {
            return null;
        }
    };

    private async Task<(List<ComponentManifest> Components, List<RunCondition> Conditions, List<IInstrument> Hindsight, IAgentActionLabeller? Actions,
        List<RolloutCondition> Rollouts)> BuildAsync(Experiment experiment, ComponentContext context, CancellationToken ct)
    {
        var registries = _options.Registries;
        var components = new List<ComponentManifest>();
        var simulators = await BuildEachAsync(registries.Simulators, experiment.Conditions.Select(c => c.Simulator),
            experiment.Simulators, s => s.Kind, context, components, ct);
        var instruments = await BuildEachAsync(registries.Instruments, experiment.Conditions.Select(c => c.Instrument),
            experiment.Instruments, s => s.Kind, context, components, ct);
        IAgentActionLabeller? actions = null;
        if (experiment.Actions is { } actionsSpec)
        {
            var kind = registries.Actions.Get(actionsSpec.Kind);
            actions = await kind.BuildAsync(actionsSpec, context, ct);
            components.Add(Describe(registries.Actions.Role, actions.Name, kind.Describe(actionsSpec, actions)));
        }
        // Manifest order: simulators, instruments, actions, agents (as written by earlier versions).
        var agents = await BuildEachAsync(registries.Agents, experiment.Conditions.Where(c => c.Agent is not null).Select(c => c.Agent!),
            experiment.Agents, s => s.Kind, context, components, ct);
        var conditions = experiment.Conditions.Where(c => c.Mode == ConditionMode.Probe)
            .Select(c => new RunCondition(c.Name, simulators[c.Simulator], instruments[c.Instrument])).ToList();
        var rollouts = experiment.Conditions.Where(c => c.Mode == ConditionMode.Rollout)
            .Select(c => new RolloutCondition(c.Name, simulators[c.Simulator], agents[c.Agent!], instruments[c.Instrument])).ToList();
        var hindsight = experiment.Instruments.Values.Where(i => i.Hindsight && instruments.ContainsKey(i.Name)).Select(i => instruments[i.Name]).ToList();
        return (components, conditions, hindsight, actions, rollouts);
    }

    /// <summary>Builds each named component once, in first-use order, and records its manifest entry.</summary>
    private static async Task<Dictionary<string, TComponent>> BuildEachAsync<TSpec, TComponent>(ComponentRegistry<TSpec, TComponent> registry,
        IEnumerable<string> names, IReadOnlyDictionary<string, TSpec> specs, Func<TSpec, string> kindOf, ComponentContext context,
        List<ComponentManifest> components, CancellationToken ct)
    {
        var built = new Dictionary<string, TComponent>(StringComparer.Ordinal);
        foreach (var name in names.Distinct())
        {
            var spec = specs[name];
            var kind = registry.Get(kindOf(spec));
            var component = await kind.BuildAsync(spec, context, ct);
            built[name] = component;
            components.Add(Describe(registry.Role, name, kind.Describe(spec, component)));
        }
        return built;
    }

    private static ComponentManifest Describe(string role, string name, ComponentDescription d) =>
        new(role, name, d.Kind, d.Model, d.Options, d.Prompts, d.Prompts.ToDictionary(p => p.Key, p => PromptText.Sha256(p.Value)));

    private RunStore OpenExisting(string runDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDir);
        if (!File.Exists(Path.Combine(runDir, RunStore.FileName))) throw NoRun(runDir);
        return RunStore.Open(runDir, _options.Time);
    }

    private static DfidException NoRun(string runDir) =>
        new($"{runDir}: no {RunStore.FileName}; pass a run folder written by `dfid run --out DIR` or `dfid demo` (runs/demo)", 2);

    private AnalysisResults? TryAnalyze(RunStore store, AnalysisOptions? options)
    {
        var table = store.ReadProbeTable(includeTexts: true);
        var manifest = store.ReadManifest();
        var human = HumanLabelsOfAnalysis(manifest, table);
        var rows = WithHumanStages(table, human);
        if (rows.Count == 0 && table.Rollouts.Count == 0 && table.ExitRows.Count == 0) return null;
        options ??= new AnalysisOptions();
        if (options.Conditions is null)
            options = options with
            {
                Conditions = table.Conditions.Select(c => new ConditionDescriptor(c.Name, c.Simulator, c.Instrument, c.Agent,
                    c.Mode == ConditionMode.Rollout ? ConditionModes.Rollout : ConditionModes.Probe)).ToList(),
            };
        var input = new AnalysisInput(rows)
        {
            ExitRows = table.ExitRows,
            RolloutRows = table.Rollouts,
            RolloutTurns = table.RolloutTurns,
            RealContinuations = table.RealContinuations,
            Dataset = table.Conversations.Values.FirstOrDefault()?.Source.Dataset,
        };
        var instrumentOf = options.Conditions!.Where(c => c.Instrument is not null).ToDictionary(c => c.Name, c => c.Instrument!, StringComparer.Ordinal);
        var corpusEngagement = manifest?.CorpusEngagement;
        var sampleEngagement = SelectionStatistics.Engagement(table.Conversations.Values, human);
        // Name the human labels only when they label something here (a PersuasionForGood corpus stripped of its acts has none).
        var labelled = sampleEngagement.All.HumanLabelledTurns > 0 || corpusEngagement?.All.HumanLabelledTurns > 0;
        var selection = new SelectionCheck(corpusEngagement, sampleEngagement, SelectionChecks.InstrumentShares(rows, instrumentOf), labelled ? human?.Source : null)
        {
            CorpusInstruments = manifest?.CorpusInstrumentShares,
            HumanLabelsSha256 = (human as LabelsFileHumanLabels)?.Sha256,
        };
        return DecisionFidelityAnalysis.Analyze(input, options) with { Manifest = Manifest(store), ProbeTableStamp = store.ReadContentStamp(), Selection = selection };
    }

    /// <summary>The human labels a run session reads (checked against the corpus now, so a wrong file fails before any work):
    /// the pipeline's own, the experiment's <c>human_labels:</c> file, or PersuasionForGood's acts when the corpus has them.</summary>
    private IHumanLabels? HumanLabelsOfRun(Experiment experiment, IReadOnlyList<Conversation> corpus)
    {
        if (_options.HumanLabels is { } given) return given;
        if (experiment.HumanLabels is not { } path) return ActMappingHumanLabels.For(corpus);
        var byId = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        foreach (var c in corpus) byId.TryAdd(c.Id, c);
        return LabelsFileHumanLabels.Read(path, null, byId);
    }

    /// <summary>The human labels an analysis attaches to the probe rows: the pipeline's own, the labels file the run's manifest
    /// names (read again, so a file changed since the run is used as it is now), or PersuasionForGood's acts.</summary>
    private IHumanLabels? HumanLabelsOfAnalysis(RunManifest? manifest, ProbeTable table)
    {
        if (_options.HumanLabels is { } given) return given;
        if (manifest?.HumanLabels is not { } file) return ActMappingHumanLabels.For(table.Conversations.Values);
        if (!File.Exists(file.Path))
            throw new DfidException($"{file.Path}: the human labels file of this run (human_labels: in the experiment) is missing; " +
                "restore it, or remove human_labels: from the experiment and run it again (it resumes with nothing to do).", 2);
        return LabelsFileHumanLabels.Read(file.Path);
    }

    private static IReadOnlyList<ProbeRow> WithHumanStages(ProbeTable table, IHumanLabels? human)
    {
        if (human is null) return table.Rows;
        return table.Rows.Select(r => r with { HumanStage = human.StageOf(table.Conversations[r.ConversationId], r.ProbeTurn) }).ToList();
    }

    // The corpus statistics are in the results' selection check (snake_case); the manifest copy would repeat them.
    private static JsonElement? Manifest(RunStore store) =>
        store.ReadManifest() is { } manifest ? JsonSerializer.SerializeToElement(manifest with { CorpusEngagement = null, CorpusInstrumentShares = null }, ManifestJson) : null;
}

/// <summary>The progress of a session: its probes, then its rollouts, with the session's counters.</summary>
internal sealed class SessionProgress(IRunProgressSource probes, RolloutRunner rollouts) : IRunProgressSource
{
    public RunProgress Progress => probes.Progress.With(rollouts.Progress);
}
