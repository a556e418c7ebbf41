using System.Text.Json;
using Dfid.Store;

namespace Dfid.Running;

/// <summary>What <see cref="RunPipeline.MergeShards"/> did.</summary>
/// <param name="RunDir">The merged run folder (full path).</param>
/// <param name="Shards">The shards merged (<c>K/N</c>), in shard order.</param>
/// <param name="Missing">Shards not given (merged with <c>--partial</c> only).</param>
/// <param name="Unfinished">Shards given whose last session did not complete (merged with <c>--partial</c> only).</param>
/// <param name="Probes">Probes in the merged run.</param>
/// <param name="Rows">Rows copied per table.</param>
public sealed record ShardMergeResult(string RunDir, IReadOnlyList<string> Shards, IReadOnlyList<string> Missing, IReadOnlyList<string> Unfinished,
    int Probes, IReadOnlyDictionary<string, long> Rows);

// Sharded runs: merging shard folders into one run folder.
public sealed partial class RunPipeline
{
    // Tables whose rows every shard holds alike (the run's plan, not its work): kept once.
    private static readonly HashSet<string> RunWideTables = new(StringComparer.Ordinal) { "conditions" };

    /// <summary>
    /// Merges the shard folders of one run (<c>dfid run EXP --shard K/N --out DIR</c>, K = 1..N) into a new run folder that
    /// reads, analyses and reports exactly as the unsharded run would: every row of every shard, the plan once, one manifest.
    /// </summary>
    /// <remarks>
    /// The shards must have run the same experiment (the same identity: corpus, sample, probes, components, conditions,
    /// domain; budget, concurrency, cache and execution may differ) on the same corpus file (SHA-256), with the same N, each
    /// shard once, and hold only conversations of their own shard. A shard not given, or one whose last session did not
    /// complete, is refused unless <paramref name="partial"/>: then the merged run holds what there is, and
    /// <c>dfid run EXP --out RUN</c> (without <c>--shard</c>) completes it like any interrupted run.
    /// </remarks>
    /// <param name="shardDirs">The shard folders.</param>
    /// <param name="outDir">The merged run folder to create (new, or empty).</param>
    /// <param name="partial">Merge even when shards are missing or unfinished.</param>
    /// <exception cref="DfidException">A folder is not a shard, the shards differ, a shard is given twice or missing, a
    /// conversation is in the wrong shard, or <paramref name="outDir"/> holds a run already (exit code 2).</exception>
    public ShardMergeResult MergeShards(IReadOnlyList<string> shardDirs, string outDir, bool partial = false)
    {
        ArgumentNullException.ThrowIfNull(shardDirs);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        if (shardDirs.Count == 0) throw new DfidException("dfid merge: give the shard folders to merge (dfid merge DIR... --out RUN)", 2);
        var full = Path.GetFullPath(outDir);
        if (shardDirs.Any(d => Path.GetFullPath(d) == full)) throw new DfidException($"{outDir}: the merged run must go to a new folder, not one of the shards", 2);
        if (File.Exists(Path.Combine(outDir, RunStore.FileName)))
            throw new DfidException($"{outDir} holds a run already; merge into a new folder (--out NEW_FOLDER)", 2);

        var locks = new List<RunFolderLock>();
        try
        {
            var shards = new List<(string Dir, RunShard Shard, RunManifest Manifest, string Identity)>();
            foreach (var dir in shardDirs)
            {
                if (!File.Exists(Path.Combine(dir, RunStore.FileName))) throw NoRun(dir);
                locks.Add(RunFolderLock.Acquire(dir, "dfid merge", _options.Time));
                using var store = RunStore.Open(dir, _options.Time);
                var shardText = store.ReadShard();
                if (shardText is null || shardText == RunStore.Unsharded)
                    throw new DfidException($"{dir} is not a shard folder (it ran without --shard); merge the folders of `dfid run EXP --shard K/N --out DIR`", 2);
                var manifest = store.ReadManifest() ?? throw new DfidException($"{dir}: no manifest; run the shard first (dfid run EXP --shard {shardText} --out {dir})", 2);
                shards.Add((dir, RunShard.Parse(shardText), manifest, store.ReadIdentity() ?? ""));
            }

            var first = shards[0];
            foreach (var s in shards.Skip(1))
            {
                if (s.Identity != first.Identity)
                    throw new DfidException($"{s.Dir} ran a different experiment than {first.Dir} ({IdentityDifference(first.Identity, s.Identity)} differ); "
                        + "only shards of one experiment can be merged", 2);
                if (s.Manifest.CorpusSha256 != first.Manifest.CorpusSha256)
                    throw new DfidException($"{s.Dir} ran on another corpus file than {first.Dir} (SHA-256 {s.Manifest.CorpusSha256[..12]}… against "
                        + $"{first.Manifest.CorpusSha256[..12]}…); only shards of one run can be merged", 2);
                if (s.Shard.Count != first.Shard.Count)
                    throw new DfidException($"{s.Dir} is shard {s.Shard} but {first.Dir} is shard {first.Shard}: the shards of one run have the same N", 2);
            }
            foreach (var twice in shards.GroupBy(s => s.Shard.Index).Where(g => g.Count() > 1))
                throw new DfidException($"shard {twice.First().Shard} is given twice ({string.Join(", ", twice.Select(s => s.Dir))}); give each shard once", 2);
            var n = first.Shard.Count;
            var missing = Enumerable.Range(1, n).Where(k => shards.All(s => s.Shard.Index != k)).Select(k => $"{k}/{n}").ToList();
            var unfinished = shards.Where(s => s.Manifest.Sessions.LastOrDefault()?.Outcome != "completed")
                .Select(s => $"{s.Shard} ({s.Dir}: last session {s.Manifest.Sessions.LastOrDefault()?.Outcome ?? "killed"})").ToList();
            if (!partial && missing.Count > 0)
                throw new DfidException($"shard(s) {string.Join(", ", missing)} of {n} not given; run them (dfid run EXP --shard K/{n} --out DIR) and merge all, "
                    + "or pass --partial to merge what there is", 2);
            if (!partial && unfinished.Count > 0)
                throw new DfidException($"shard(s) not finished: {string.Join("; ", unfinished)}; resume them with the same dfid run command, or pass --partial", 2);

            shards.Sort((a, b) => a.Shard.Index.CompareTo(b.Shard.Index));
            var rows = new Dictionary<string, long>(StringComparer.Ordinal);
            locks.Add(RunFolderLock.Acquire(outDir, "dfid merge", _options.Time));
            using (var merged = RunStore.Open(outDir, _options.Time))
            {
                merged.BindShard(RunStore.Unsharded);
                foreach (var s in shards)
                {
                    using (var store = RunStore.Open(s.Dir, _options.Time))
                    {
                        if (ReferenceEquals(s.Dir, shards[0].Dir)) merged.CopyExperimentBinding(store);
                        foreach (var p in store.ReadProbes())
                            if (!s.Shard.Contains(p.ConversationId))
                                throw new DfidException($"{s.Dir}: conversation {p.ConversationId} belongs to shard {RunShard.Of(p.ConversationId, n)}/{n}, not {s.Shard}; "
                                    + "this folder was not written by dfid run --shard", 2);
                    }
                    foreach (var (table, count) in merged.ImportRows(Path.GetFullPath(Path.Combine(s.Dir, RunStore.FileName)), RunWideTables))
                        rows[table] = rows.GetValueOrDefault(table) + count;
                }
                var manifests = shards.Select(s => s.Manifest).ToList();
                var costs = manifests.Select(m => m.CostUsd).ToList();
                var manifest = manifests[0] with
                {
                    Conversations = manifests.SelectMany(m => m.Conversations).GroupBy(kv => kv.Key, StringComparer.Ordinal)
                        .ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value), StringComparer.Ordinal),
                    ProbeCount = manifests.Sum(m => m.ProbeCount),
                    Options = new Dictionary<string, string>(manifests[0].Options, StringComparer.Ordinal) { ["shard"] = "merged" },
                    StartedAt = manifests.Select(m => m.StartedAt).Order(StringComparer.Ordinal).First(),
                    Sessions = [.. manifests.SelectMany(m => m.Sessions).OrderBy(x => x.StartedAt, StringComparer.Ordinal)],
                    Usage = merged.ReadUsage(),
                    // Unknown when any shard's cost is unknown.
                    CostUsd = costs.Any(c => c is null) ? null : costs.Sum(),
                    Shard = null,
                    MergedFrom = [.. shards.Select(s => $"{s.Shard} {Path.GetFullPath(s.Dir)}")],
                    Batches = BatchTotalsOf(merged),
                };
                merged.WriteManifest(manifest);
                File.WriteAllText(Path.Combine(outDir, "manifest.json"),
                    JsonSerializer.Serialize(manifest, new JsonSerializerOptions(RunStore.Json) { WriteIndented = true }));
                return new ShardMergeResult(full, [.. shards.Select(s => s.Shard.ToString())], missing, unfinished, merged.ReadProbes().Count, rows);
            }
        }
        finally
        {
            foreach (var l in locks) l.Dispose();
        }
    }

    // Which parts of two experiment identities differ (top-level keys of the canonical JSON).
    private static string IdentityDifference(string a, string b)
    {
        try
        {
            using var da = JsonDocument.Parse(a);
            using var db = JsonDocument.Parse(b);
            var keys = da.RootElement.EnumerateObject().Select(p => p.Name).Union(db.RootElement.EnumerateObject().Select(p => p.Name))
                .Where(k => !(da.RootElement.TryGetProperty(k, out var x) && db.RootElement.TryGetProperty(k, out var y) && JsonElement.DeepEquals(x, y)))
                .ToList();
            return keys.Count > 0 ? string.Join(", ", keys) : "their identities";
        }
        catch (JsonException)
        {
            return "their identities";
        }
    }
}
