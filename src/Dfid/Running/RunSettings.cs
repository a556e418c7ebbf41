namespace Dfid.Running;

/// <summary>Command-line overrides of an experiment's options.</summary>
/// <param name="OutDir">Run folder (holds <c>run.sqlite</c>).</param>
/// <param name="NoCache">Turn the response cache off.</param>
/// <param name="CachePath">Cache folder override.</param>
/// <param name="Concurrency">Concurrency override.</param>
public sealed record RunSettings(string OutDir, bool NoCache = false, string? CachePath = null, int? Concurrency = null)
{
    /// <summary>The cache folder: the override, the experiment's, or <see cref="CacheFolder.Default"/>.</summary>
    public string ResolveCacheFolder(Experiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (CachePath is not null) return Path.GetFullPath(CachePath);
        return experiment.Cache.Path ?? DefaultCacheFolder();
    }

    /// <summary><see cref="CacheFolder.Default"/>: <c>$DFID_CACHE_DIR</c>, <c>$XDG_CACHE_HOME/dfid</c> or <c>~/.cache/dfid</c>.</summary>
    public static string DefaultCacheFolder() => CacheFolder.Default();
}
