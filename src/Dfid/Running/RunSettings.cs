namespace Dfid.Running;

/// <summary>Command-line overrides of an experiment's options.</summary>
/// <param name="OutDir">Run folder (holds <c>run.sqlite</c>).</param>
/// <param name="NoCache">Turn the response cache off.</param>
/// <param name="CachePath">Cache folder override.</param>
/// <param name="Concurrency">Concurrency override.</param>
public sealed record RunSettings(string OutDir, bool NoCache = false, string? CachePath = null, int? Concurrency = null)
{
    /// <summary>The cache folder: the override, the experiment's, or <c>$XDG_CACHE_HOME/dfid</c> (<c>~/.cache/dfid</c>).</summary>
    public string ResolveCacheFolder(Experiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (CachePath is not null) return Path.GetFullPath(CachePath);
        return experiment.Cache.Path ?? DefaultCacheFolder();
    }

    /// <summary><c>$XDG_CACHE_HOME/dfid</c>, else <c>~/.cache/dfid</c>.</summary>
    public static string DefaultCacheFolder()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrWhiteSpace(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Combine(root, "dfid");
    }
}
