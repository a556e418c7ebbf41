namespace Dfid.Running;

/// <summary>Command-line overrides of an experiment's options, and how the session names itself.</summary>
/// <param name="OutDir">Run folder (holds <c>run.sqlite</c>).</param>
/// <param name="NoCache">Turn the response cache off.</param>
/// <param name="CachePath">Cache folder override.</param>
/// <param name="Concurrency">Concurrency override.</param>
/// <param name="Command">The command that started the session, as another process's "in use by" message shows it.</param>
public sealed record RunSettings(string OutDir, bool NoCache = false, string? CachePath = null, int? Concurrency = null, string Command = "dfid run")
{
    /// <summary>Run through the providers' batch APIs whatever the experiment's <c>execution</c> says (<c>--batch</c>).</summary>
    public bool Batch { get; init; }

    /// <summary>Run only this shard of the experiment (<c>--shard K/N</c>); null for the whole run.</summary>
    public RunShard? Shard { get; init; }

    /// <summary>The execution in effect: the experiment's, in batch mode when <see cref="Batch"/> is set.</summary>
    public ExecutionSpec ResolveExecution(Experiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return Batch && experiment.Execution.Mode != ExecutionKind.Batch ? experiment.Execution with { Mode = ExecutionKind.Batch } : experiment.Execution;
    }

    /// <summary>The cache folder: the override, the experiment's, or <see cref="CacheFolder.Default"/>.</summary>
    public string ResolveCacheFolder(Experiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (CachePath is not null) return Path.GetFullPath(CachePath);
        return experiment.Cache.Path ?? CacheFolder.Default();
    }
}
