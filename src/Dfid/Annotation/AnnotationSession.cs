using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dfid.Corpus;
using Dfid.Store;

namespace Dfid.Annotation;

/// <summary>How to open a labelling session (<c>dfid annotate</c>'s options).</summary>
internal sealed class AnnotationSessionOptions
{
    /// <summary>The corpus file to sample turns from (and, on a resume, to check against the stored plan).</summary>
    public string? Corpus { get; init; }

    /// <summary>A run folder whose probes' real turns are the tasks (instead of a sample).</summary>
    public string? ProbesRunDir { get; init; }

    /// <summary>Turns to sample; <c>null</c> with no <see cref="ProbesRunDir"/> resumes the stored session.</summary>
    public int? Sample { get; init; }

    /// <summary>Seed of the draw and order; <c>null</c>: the stored session's, or <see cref="TurnSampler.DefaultSeed"/> for a new one.</summary>
    public int? Seed { get; init; }

    /// <summary>Whether annotators also label the agent action of the agent turn before each user turn.</summary>
    public bool Actions { get; init; }

    /// <summary>The store file; <c>null</c>: <see cref="AnnotationSession.DefaultStorePath"/>.</summary>
    public string? StorePath { get; init; }
}

/// <summary>An open labelling session: its store and fixed plan.</summary>
/// <param name="Store">The store (closed when the session is disposed).</param>
/// <param name="Plan">The plan every annotator works through.</param>
/// <param name="Created">Whether the plan was created now (<c>false</c>: an existing session resumed).</param>
/// <param name="Notes">Things the user should know (a sample larger than the eligible turns, ...).</param>
internal sealed record OpenedAnnotationSession(AnnotationStore Store, LabellingPlan Plan, bool Created, IReadOnlyList<string> Notes) : IDisposable
{
    /// <summary>Closes the store.</summary>
    public void Dispose() => Store.Dispose();
}

/// <summary>Creates or resumes the labelling session of a store: the first call fixes the tasks, every later call
/// (any annotator) gets the same ones.</summary>
internal static class AnnotationSession
{
    /// <summary><c>annotations/NAME/labels.sqlite</c>: NAME is the corpus file's name, or the run folder's name + <c>-probes</c>.</summary>
    public static string DefaultStorePath(string? corpus, string? probesRunDir)
    {
        var name = probesRunDir is not null
            ? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(probesRunDir))) + "-probes"
            : Path.GetFileNameWithoutExtension(corpus ?? throw new ArgumentException("a corpus or a run folder is needed", nameof(corpus)));
        return Path.Combine("annotations", name, "labels.sqlite");
    }

    /// <summary>Opens the store and creates the plan, or resumes the stored one.</summary>
    /// <exception cref="DfidException">Missing or conflicting options, a missing corpus or run, or a store whose session
    /// differs from the one asked for (the message says which option differs and how to start another session).</exception>
    public static OpenedAnnotationSession Open(AnnotationSessionOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Sample is not null && options.ProbesRunDir is not null)
            throw new DfidException("pass either --sample N or --probes RUN_DIR, not both.", 2);
        if (options.Sample is <= 0) throw new DfidException("--sample must be at least 1.", 2);
        if (options.Corpus is null && options.ProbesRunDir is null) throw new DfidException("pass the corpus file (or --probes RUN_DIR).", 2);
        var path = options.StorePath ?? DefaultStorePath(options.Corpus, options.ProbesRunDir);
        var store = AnnotationStore.Open(path, time);
        try
        {
            return OpenIn(store, options);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static OpenedAnnotationSession OpenIn(AnnotationStore store, AnnotationSessionOptions options)
    {
        var existing = store.ReadPlan();
        var notes = new List<string>();
        if (options.Sample is null && options.ProbesRunDir is null)
        {
            if (existing is null)
                throw new DfidException($"{store.FilePath} holds no labelling session yet: pass --sample N (a random sample of user turns) or --probes RUN_DIR (a run's probed turns).", 2);
            if (options.Corpus is not null && existing.Selection == LabellingPlan.SampleSelection)
                CheckSameCorpus(existing, options.Corpus, store.FilePath);
            CheckActions(existing, options, store.FilePath);
            return new OpenedAnnotationSession(store, existing, false, notes);
        }

        var seed = options.Seed ?? existing?.Seed ?? TurnSampler.DefaultSeed;
        LabellingPlan plan;
        IReadOnlyCollection<Conversation> conversations;
        if (options.ProbesRunDir is { } runDir)
        {
            if (!File.Exists(Path.Combine(runDir, RunStore.FileName)))
                throw new DfidException($"{runDir}: no {RunStore.FileName} here; pass the folder of a run (`dfid run` writes it).", 2);
            using var run = RunStore.Open(runDir);
            var probes = run.ReadProbes();
            if (probes.Count == 0) throw new DfidException($"{runDir}: the run has no probes yet; run it first.", 2);
            var byId = run.ReadConversations();
            var sample = TurnSampler.FromProbes(probes, byId, seed);
            var key = string.Join('\n', probes.OrderBy(p => p.ConversationId, StringComparer.Ordinal).ThenBy(p => p.TurnIndex)
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.ConversationId}\t{p.TurnIndex}")));
            plan = new LabellingPlan(LabellingPlan.ProbesSelection, null, seed, runDir,
                Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))), options.Actions, sample.Tasks, sample.Strata);
            conversations = [.. byId.Values];
        }
        else
        {
            var corpus = CorpusFile.ReadAll(options.Corpus!);
            var sample = TurnSampler.Stratified(corpus, options.Sample!.Value, seed);
            var eligible = sample.Strata.Sum(s => s.Eligible);
            if (eligible == 0) throw new DfidException($"{options.Corpus}: no user turn has an agent turn before it, so there is nothing to label.", 1);
            if (eligible < options.Sample) notes.Add($"the corpus has only {eligible} eligible user turns; all of them are tasks instead of {options.Sample}");
            plan = new LabellingPlan(LabellingPlan.SampleSelection, options.Sample, seed, options.Corpus!, Sha256File(options.Corpus!),
                options.Actions, sample.Tasks, sample.Strata);
            conversations = [.. corpus];
        }

        if (existing is null)
        {
            store.CreatePlan(plan, conversations);
            return new OpenedAnnotationSession(store, plan, true, notes);
        }
        // The action task is fixed by the session: resuming without --actions keeps it on.
        if (!options.Actions) plan = plan with { Actions = existing.Actions };
        if (existing.Identity != plan.Identity)
            throw new DfidException(
                $"{store.FilePath} already holds a different labelling session ({Describe(existing)}; asked for {Describe(plan)}). " +
                "Run without --sample/--probes to resume it, or pass --store NEW.sqlite to start another.", 2);
        return new OpenedAnnotationSession(store, existing, false, notes);
    }

    /// <summary>A one-line description of a plan, e.g. <c>sample of 200 user turns, seed 16, from p4g.jsonl (sha256 1a2b3c4d…)</c>.</summary>
    public static string Describe(LabellingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var what = plan.Selection == LabellingPlan.SampleSelection
            ? $"sample of {plan.SampleSize} user turns ({plan.Tasks.Count} tasks), seed {plan.Seed}, from {plan.Source}"
            : $"{plan.Tasks.Count} probed turns of run {plan.Source}, order seed {plan.Seed}";
        return string.Create(CultureInfo.InvariantCulture,
            $"{what} (sha256 {plan.SourceSha256[..12]}…){(plan.Actions ? ", with agent actions" : "")}");
    }

    private static void CheckSameCorpus(LabellingPlan existing, string corpus, string storePath)
    {
        if (!File.Exists(corpus)) throw new DfidException($"{corpus}: corpus file not found.", 2);
        var sha = Sha256File(corpus);
        if (sha != existing.SourceSha256)
            throw new DfidException(
                $"{corpus} is not the corpus the session in {storePath} was drawn from ({existing.Source}, sha256 {existing.SourceSha256[..12]}…, " +
                $"this file {sha[..12]}…); the tasks refer to its turns. Pass the same file, or --store NEW.sqlite to label this one.", 2);
    }

    private static void CheckActions(LabellingPlan existing, AnnotationSessionOptions options, string storePath)
    {
        if (options.Actions && !existing.Actions)
            throw new DfidException($"the session in {storePath} was created without the agent-action task; every annotator does the same tasks, so start another session (--store NEW.sqlite) to label actions.", 2);
    }

    private static string Sha256File(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
