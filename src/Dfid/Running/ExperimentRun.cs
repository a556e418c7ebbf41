using System.Globalization;
using System.Security.Cryptography;
using Dfid.Corpus;
using Dfid.Instrument;
using Dfid.Probing;
using Dfid.Simulation;
using Dfid.Store;

namespace Dfid.Running;

/// <summary>What a session of <c>dfid run</c> did.</summary>
/// <param name="Outcome">How the probe run ended, with its final progress.</param>
/// <param name="RunDir">The run folder.</param>
/// <param name="Manifest">The manifest as written at the end of the session.</param>
public sealed record ExperimentRunResult(RunOutcome Outcome, string RunDir, RunManifest Manifest);

/// <summary>Runs an experiment into a run folder: sample, select probes, build components, run or resume, write the manifest.</summary>
public static class ExperimentRun
{
    /// <summary>Tool name and version written to manifests.</summary>
    public static string ToolVersion { get; } = "dfid " + (typeof(ExperimentRun).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    /// <summary>Runs (or resumes) <paramref name="experiment"/> into <see cref="RunSettings.OutDir"/>.</summary>
    /// <param name="experiment">The parsed experiment.</param>
    /// <param name="settings">Run folder and overrides.</param>
    /// <param name="factory">Builds simulators, instruments and labellers.</param>
    /// <param name="started">Called with the runner once work starts (for progress display).</param>
    /// <param name="cancellationToken">Stops the session cleanly.</param>
    /// <exception cref="DfidException">The run folder holds another experiment, or the corpus changed since the run started.</exception>
    public static async Task<ExperimentRunResult> RunAsync(Experiment experiment, RunSettings settings, IRunComponentFactory factory,
        Action<ProbeRunner>? started = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(factory);
        var startedAt = Now();
        var corpusHash = FileSha256(experiment.CorpusPath);
        var corpus = CorpusFile.ReadAll(experiment.CorpusPath);
        var sample = Sample(corpus, experiment.Sample);
        var probes = sample.SelectMany(c => ProbeSelector.Select(c, experiment.Probes)).ToList();

        using var store = RunStore.Open(settings.OutDir);
        store.BindExperiment(experiment.Text, Identity(experiment), experiment.SourcePath);
        var previous = store.ReadManifest();
        if (previous is not null && previous.CorpusSha256 != corpusHash)
            throw new DfidException(
                $"the corpus {experiment.CorpusPath} changed since this run started (SHA-256 {previous.CorpusSha256[..12]}… then, {corpusHash[..12]}… now); " +
                "restore it, or start a new run with --out NEW_FOLDER", 2);
        store.AddConversations(sample);
        store.AddProbes(probes);
        store.AddConditions(experiment.Conditions.Select(c => (c.Name, c.Simulator, c.Instrument)));

        var components = new List<ComponentManifest>();
        var simulators = new Dictionary<string, IUserSimulator>(StringComparer.Ordinal);
        foreach (var name in experiment.Conditions.Select(c => c.Simulator).Distinct())
        {
            var sim = factory.CreateSimulator(experiment.Simulators[name], experiment, corpus, sample);
            simulators[name] = sim;
            components.Add(factory.Describe("simulator", name, sim));
        }
        var instruments = new Dictionary<string, IInstrument>(StringComparer.Ordinal);
        foreach (var name in experiment.Conditions.Select(c => c.Instrument).Distinct())
        {
            var inst = factory.CreateInstrument(experiment.Instruments[name], experiment, corpus);
            instruments[name] = inst;
            components.Add(factory.Describe("instrument", name, inst));
        }
        IAgentActionLabeller? actions = null;
        if (experiment.Actions is { } actionsSpec)
        {
            actions = factory.CreateActionLabeller(actionsSpec, experiment, corpus);
            components.Add(factory.Describe("actions", actions.Name, actions));
        }
        var conditions = experiment.Conditions.Select(c => new RunCondition(c.Name, simulators[c.Simulator], instruments[c.Instrument])).ToList();
        var hindsight = experiment.Instruments.Values.Where(i => i.Hindsight && instruments.ContainsKey(i.Name)).Select(i => instruments[i.Name]).ToList();
        var concurrency = settings.Concurrency ?? experiment.Concurrency;

        var sessions = (previous?.Sessions ?? []).ToList();
        sessions.Add(new RunSession(startedAt, null, null, null));
        var manifest = new RunManifest(
            ExperimentRun.ToolVersion,
            experiment.SourcePath,
            PromptText.Sha256(experiment.Text),
            experiment.CorpusPath,
            corpusHash,
            experiment.Sample,
            new { positions = experiment.Probes.Positions, all = experiment.Probes.Positions is null, skip_greeting = experiment.Probes.SkipGreeting },
            new Dictionary<string, int>
            {
                ["converted"] = sample.Count(c => c.Outcome.Converted == true),
                ["not_converted"] = sample.Count(c => c.Outcome.Converted == false),
            },
            probes.Count,
            components,
            experiment.Conditions.ToDictionary(c => c.Name, c => c.Simulator + " / " + c.Instrument),
            new Dictionary<string, string>
            {
                ["concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture),
                ["cache"] = settings.NoCache || !experiment.Cache.Enabled ? "off" : settings.ResolveCacheFolder(experiment),
                ["budget.max_cost_usd"] = experiment.Budget.MaxCostUsd?.ToString(CultureInfo.InvariantCulture) ?? "none",
                ["budget.max_calls"] = experiment.Budget.MaxCalls?.ToString(CultureInfo.InvariantCulture) ?? "none",
                ["sample.seed"] = experiment.Sample?.Seed.ToString(CultureInfo.InvariantCulture) ?? "none",
            },
            previous?.StartedAt ?? startedAt,
            sessions,
            store.ReadUsage(),
            previous?.CostUsd);
        store.WriteManifest(manifest);

        var runner = new ProbeRunner(store, factory.Hooks);
        started?.Invoke(runner);
        var plan = new ProbeRunPlan(sample, probes, conditions, hindsight, actions, concurrency);
        var outcome = await runner.RunAsync(plan, cancellationToken);

        var sessionCost = factory.Hooks.CostUsd?.Invoke();
        sessions[^1] = sessions[^1] with
        {
            EndedAt = Now(),
            Outcome = outcome.End switch { RunEnd.Completed => "completed", RunEnd.BudgetReached => "budget", _ => "interrupted" },
            CostUsd = sessionCost,
        };
        var totalCost = sessionCost is null && previous?.CostUsd is null ? (double?)null : (previous?.CostUsd ?? 0) + (sessionCost ?? 0);
        manifest = manifest with { Sessions = sessions, Usage = store.ReadUsage(), CostUsd = totalCost };
        store.WriteManifest(manifest);
        File.WriteAllText(Path.Combine(settings.OutDir, "manifest.json"), System.Text.Json.JsonSerializer.Serialize(manifest, new System.Text.Json.JsonSerializerOptions(RunStore.Json) { WriteIndented = true }));
        return new ExperimentRunResult(outcome, Path.GetFullPath(settings.OutDir), manifest);
    }

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
        return System.Text.Json.JsonSerializer.Serialize(new
        {
            corpus = experiment.CorpusPath,
            sample = experiment.Sample,
            positions = experiment.Probes.Positions,
            skip_greeting = experiment.Probes.SkipGreeting,
            simulators = experiment.Simulators.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => k.Value with { Line = 0 }),
            instruments = experiment.Instruments.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => k.Value with { Line = 0 }),
            actions = experiment.Actions is { } a ? a with { Line = 0 } : null,
            conditions = experiment.Conditions.Select(c => c with { Line = 0 }),
            domain = experiment.Domain,
        }, RunStore.Json);
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string FileSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
}
